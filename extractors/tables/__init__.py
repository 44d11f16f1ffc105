"""Table-reading strategies: one module each, behind one interface, chosen per field by held-out score.

A strategy learns, from the training samples and their golden rows, how one layout prints a
table, and writes a field function (`def field_<name>(doc, pairs, order)`) that calls
`extractors.runtime`. The compiler scores every strategy's candidate on held-out folds like
any other candidate, so the best reader wins per field. To add a strategy: add a module with
`NAME` and `candidates(...)`, and list it in `STRATEGIES`.
"""
from __future__ import annotations

from typing import Protocol

from extractors.candidates import FieldCandidate
from extractors.schema import Schema
from extractors.tables import grid, keyed, section


class TableStrategy(Protocol):
    NAME: str

    def candidates(self, schema: Schema, docs: dict, goldens: dict[str, dict]) -> list[FieldCandidate]: ...


# The header-row strategy (lexicon and learned header words, `runtime.table`) is rendered from the
# extraction plan in `extractors.candidates`, since LLM plans feed it too.
STRATEGIES: tuple[TableStrategy, ...] = (section, grid, keyed)


def strategy_candidates(schema: Schema, docs: dict, goldens: dict[str, dict]) -> list[FieldCandidate]:
    """Every registered strategy's candidates for the table fields of `schema`."""
    out: list[FieldCandidate] = []
    for strategy in STRATEGIES:
        out += strategy.candidates(schema, docs, goldens)
    return out
