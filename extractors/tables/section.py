"""Section-list strategy: the rows printed under a section heading, up to the next heading.

Learned from where the samples print their golden rows: the heading above the first row (the
field's own name as words is always tried too, so an unseen layout with a plain heading still
reads), each column's role in a printed row (`name value unit`, a value cell that also holds
the unit), and for name-only lists where the name ends (before `(`, a `Label:`, a date, ...).
Rendered as one `runtime.section_rows` call.
"""
from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Iterable

from extractors import runtime
from extractors.candidates import FieldCandidate
from extractors.grounding import ground, heading_above
from extractors.plan import _lit
from extractors.schema import FieldSpec, Schema

NAME = "section"


def _is_number(text: str) -> bool:
    try:
        Decimal(str(text).lstrip("<>"))
        return True
    except (InvalidOperation, ValueError):
        return False


def learn_roles(spec: FieldSpec, rows: list[dict]) -> dict[str, str]:
    """Column roles from the golden rows: numeric column = value, the string column printed
    right after it = unit, the first string column = name."""
    cols = list(spec.columns)
    numeric = {c: sum(1 for r in rows if r.get(c) is not None and _is_number(r[c])) for c in cols}
    filled = {c: sum(1 for r in rows if r.get(c) not in (None, "")) for c in cols}
    roles: dict[str, str] = {}
    value = max(cols, key=lambda c: (numeric[c], -cols.index(c)))
    if numeric[value] >= max(1, 0.5 * filled[value]):
        roles[value] = "value"
    rest = [c for c in cols if c not in roles and filled[c]]
    if rest:
        roles[rest[0]] = "name"
    if "value" in roles.values():
        for c in rest[1:]:
            if spec.columns[c].type == "string" and not numeric[c]:
                roles[c] = "unit"
                break
    return roles


def _learn_cut(examples: list[tuple[str, str]]) -> str | None:
    """The cut (from `runtime.ROW_CUTS`) that turns most printed first cells into golden names."""
    best, best_hits = None, sum(1 for cell, want in examples if runtime.collapse(cell).casefold() == want)
    for cut in runtime.ROW_CUTS:
        hits = 0
        for cell, want in examples:
            m = re.search(cut, cell)
            text = cell[: m.start()] if m is not None and m.start() > 0 else cell
            hits += runtime.collapse(text).casefold() == want
        if hits > best_hits:
            best, best_hits = cut, hits
    return best


def learn(name: str, spec: FieldSpec, docs: dict, goldens: dict[str, dict],
          siblings: Iterable[str] = ()) -> dict | None:
    """Headings, roles and cut for one table field, or None when no sample grounds a row.
    `siblings`: the doc type's other table fields, whose own names are never this one's heading."""
    all_rows = [r for i in docs for r in (goldens[i].get(name) or []) if isinstance(r, dict)]
    if not all_rows:
        return None
    roles = learn_roles(spec, all_rows)
    name_col = next((c for c, r in roles.items() if r == "name"), None)
    if name_col is None:
        return None
    headings: Counter = Counter()
    examples: list[tuple[str, str]] = []
    for i in sorted(docs):
        rows = [r for r in (goldens[i].get(name) or []) if isinstance(r, dict) and r.get(name_col)]
        firsts = []
        for r in rows:
            places = ground(docs[i], str(r[name_col]))
            if not places:
                continue
            p = places[0]
            firsts.append(p)
            cell = runtime.split_cells(p.line, p.page, p.index)[0].text
            examples.append((cell, runtime.collapse(str(r[name_col])).casefold()))
        if firsts:
            first = min(firsts, key=lambda p: (p.page, p.index))
            h = heading_above(docs[i], first)
            if h:
                headings[h] += 1
    own = runtime.norm_phrase(name.replace("_", " "))
    own_stems = runtime.phrase_stems(own)
    # a heading seen once may be a neighbouring section's (the first row grounded elsewhere);
    # keep it when another sample agrees or it shares a word with the field's name
    # another table field's own name heads that field's section, never this one's
    others = {runtime.norm_phrase(o.replace("_", " ")) for o in (siblings or ()) if o != name}
    heads = sorted({own, *(h for h, n in headings.items()
                           if (n >= 2 or runtime.phrase_stems(h) & own_stems) and h not in others)})
    cut = None if "value" in roles.values() else _learn_cut(examples)
    return {"headings": heads, "roles": roles, "cut": cut}


def render(name: str, params: dict) -> str:
    args = [f"headings={_lit(tuple(params['headings']))}", f"roles={_lit(params['roles'])}"]
    if params.get("cut"):
        args.append(f"cut={params['cut']!r}")
    joined = ",\n        ".join(args)
    return (f"def field_{name}(doc, pairs, order):\n"
            f"    return runtime.section_rows(\n        doc,\n        {joined},\n    )\n")


def learned_candidates(schema: Schema, docs: dict, goldens: dict[str, dict], learn, render,
                       name_: str) -> list[FieldCandidate]:
    """One candidate per table field whose layout `learn` could learn, rendered by `render`
    (shared by the strategies that learn from grounded golden rows)."""
    out = []
    tables = schema.table_fields()
    for name, spec in tables.items():
        params = learn(name, spec, docs, goldens, siblings=tuple(tables))
        if params is not None:
            out.append(FieldCandidate(name, render(name, params), "synth", name_))
    return out


def candidates(schema: Schema, docs: dict, goldens: dict[str, dict]) -> list[FieldCandidate]:
    return learned_candidates(schema, docs, goldens, learn, render, NAME)
