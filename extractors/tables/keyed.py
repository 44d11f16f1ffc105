"""Keyed-list strategy: rows printed as `key value` pairs along a line (`A: J45.909  B: K21.9`).

Learned from the golden rows: a table with a key column (every golden key a letter or two,
or a number) and a typed column (a code, date or number) is a keyed list where a sample
prints some golden key immediately followed by its golden value. Rendered as one
`runtime.keyed_list` call; other columns stay empty, so the held-out score decides whether it
beats the row readers for the field.
"""
from __future__ import annotations

import re

from extractors import runtime
from extractors.candidates import FieldCandidate
from extractors.plan import kind_of
from extractors.schema import FieldSpec, Schema

NAME = "keyed"
TYPED = ("code", "date", "decimal", "integer")


def _key_shape(keys: list[str]) -> str | None:
    for shape, body in runtime.KEY_SHAPES.items():
        if keys and all(re.fullmatch(body, k) for k in keys):
            return shape
    return None


def learn(name: str, spec: FieldSpec, docs: dict, goldens: dict[str, dict]) -> dict | None:
    """Key column, value column and key shape for one table field, or None when the golden rows
    are not a keyed list or no sample prints one of them as `key value`."""
    rows = [r for i in sorted(docs) for r in (goldens[i].get(name) or []) if isinstance(r, dict)]
    keyed = [c for c, s in spec.columns.items()
             if s.type == "string" and _key_shape([str(r[c]) for r in rows if r.get(c) not in (None, "")])]
    typed = [c for c, s in spec.columns.items() if s.type in TYPED]
    if len(keyed) != 1 or len(typed) != 1 or not rows:
        return None
    key, value = keyed[0], typed[0]
    shape = _key_shape([str(r[key]) for r in rows if r.get(key) not in (None, "")])
    vspec = spec.columns[value]
    params = {"key": key, "value": value, "kind": kind_of(vspec), "key_shape": shape, "system": vspec.system}
    for i in sorted(docs):
        want = {(str(r[key]).upper(), runtime.collapse(str(r[value])).upper())
                for r in (goldens[i].get(name) or []) if isinstance(r, dict) and r.get(key) and r.get(value)}
        found = runtime.keyed_list(docs[i], key=key, value=value, kind=params["kind"], key_shape=shape,
                                   system=vspec.system)
        got = {(r[key].value, runtime.collapse(str(r[value].value)).upper()) for r in (found.value if found else [])}
        if want & got:
            return params
    return None


def render(name: str, params: dict) -> str:
    system = f"\n        system={params['system']!r}," if params.get("system") else ""
    return (f"def field_{name}(doc, pairs, order):\n"
            f"    return runtime.keyed_list(\n"
            f"        doc,\n"
            f"        key={params['key']!r},\n"
            f"        value={params['value']!r},\n"
            f"        kind={params['kind']!r},\n"
            f"        key_shape={params['key_shape']!r},{system}\n"
            f"        order=order,\n"
            f"    )\n")


def candidates(schema: Schema, docs: dict, goldens: dict[str, dict]) -> list[FieldCandidate]:
    out = []
    for name, spec in schema.table_fields().items():
        params = learn(name, spec, docs, goldens)
        if params is not None:
            out.append(FieldCandidate(name, render(name, params), "synth", NAME))
    return out
