"""Extraction plans: the structured, auditable description of how to read each field.

A plan says, per field, which printed labels and keywords name it, how the value sits
relative to the label, what kind of value it is and which date order to assume; per table,
how each column's header reads. Plans come from the synthesizer (learned from the samples)
or from an LLM (structured JSON output), and `render` turns one into generated code through
a vetted template, so every plan-based candidate is a small, readable call sequence.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field as dc_field
from typing import Any

from extractors.schema import FieldSpec, Schema

KIND_BY_TYPE = {
    "string": "string", "person_name": "person_name", "date": "date", "datetime": "date",
    "integer": "integer", "decimal": "decimal", "phone": "phone", "identifier": "identifier",
    "code": "code",
}


@dataclass
class FieldPlan:
    """How to read one scalar field."""

    kind: str
    labels: list[str] = dc_field(default_factory=list)
    keywords: dict[str, float] = dc_field(default_factory=dict)
    foes: dict[str, float] = dc_field(default_factory=dict)
    relations: list[str] = dc_field(default_factory=lambda: ["below", "colon", "inline", "right"])
    system: str | None = None
    pattern: str | None = None
    min_score: float = 1.0
    max_words: int = 8
    heading: dict | None = None  # {"largest": bool, "rank": int}: a letterhead fallback
    shape: str | None = None  # a regex for the value's shape, searched anywhere as a fallback
    lex_labels: list[str] = dc_field(default_factory=list)  # synonyms from extractors/lexicon.yaml
    lex_keywords: dict[str, float] = dc_field(default_factory=dict)
    context: list[str] = dc_field(default_factory=list)  # block titles above the samples' labels
    needs_context: list[str] = dc_field(default_factory=list)  # shared labels that count only in `context`
    trailing: list[str] = dc_field(default_factory=list)  # labels printed after or below their value
    name_order: str | None = None  # 'first_last' / 'last_first': how the samples' labels write names
    date_order: str | None = None  # the day/month order every sample printed this field in
    label_orders: dict[str, str] = dc_field(default_factory=dict)  # label -> day/month order its samples settle
    label_relations: dict[str, str] = dc_field(default_factory=dict)  # label -> where every sample put its value
    no_digits: bool = False  # every sample's value is printed without a digit
    capitalised: bool = False  # every sample's value starts with a capital letter
    max_len: int | None = None  # the most words a reading may have (short text fields)
    suffix: str | None = None  # a regex for what the samples print after the value in its cell ('40 mg tablet')
    prefer_shape: bool = False  # rank values of `shape` above others (a header word right of 'Strength')


@dataclass
class ColumnPlan:
    name: str
    kind: str
    labels: list[str] = dc_field(default_factory=list)
    keywords: dict[str, float] = dc_field(default_factory=dict)
    system: str | None = None
    required: bool = False
    shape: str | None = None
    lex_labels: list[str] = dc_field(default_factory=list)
    lex_keywords: dict[str, float] = dc_field(default_factory=dict)


@dataclass
class TablePlan:
    columns: list[ColumnPlan]
    min_columns: int = 2
    sections: list[str] = dc_field(default_factory=list)  # headings the samples print over the table
    # column -> scalar fields whose value no golden row of the samples repeats (`drop_repeated_rows`)
    repeats: dict[str, list[str]] = dc_field(default_factory=dict)


@dataclass
class Plan:
    """A whole document type's plan: one entry per field, plus the default date order."""

    doc_type: str
    date_order: str = "mdy"
    fields: dict[str, FieldPlan] = dc_field(default_factory=dict)
    tables: dict[str, TablePlan] = dc_field(default_factory=dict)
    vocabulary: list[str] = dc_field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


# A learned shape that any number or any word has: searching the page for it finds a street
# number or a page count, not the field (`1010` as the MRN). Such a shape still ranks a
# labelled field's candidates (`prefer=`), but is never searched for on its own.
UNSPECIFIC_SHAPES = frozenset({r"(?<![\w.])(\d+)(?![\w])", r"(?<![\w.])([A-Za-z]+)(?![\w])",
                               r"(?<![\w.])([A-Z]+)(?![\w])"})


def _lit(value: Any) -> str:
    """A deterministic Python literal (dicts with sorted keys)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_lit(k)}: {_lit(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_lit(v) for v in value)
        return f"({inner},)" if isinstance(value, tuple) and len(value) == 1 else (f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
    if isinstance(value, float):
        return repr(round(value, 3))
    return repr(value)


def render_field(name: str, fp: FieldPlan) -> str:
    """The body of one field function, calling `runtime.field`."""
    args = [f"kind={fp.kind!r}", f"labels={_lit(sorted(fp.labels))}"]
    if fp.lex_labels:
        args.append(f"lex_labels={_lit(sorted(fp.lex_labels))}")
    if fp.keywords:
        args.append(f"keywords={_lit(fp.keywords)}")
    if fp.foes:
        args.append(f"foes={_lit(fp.foes)}")
    if sorted(fp.relations) != ["below", "colon", "inline", "right"]:
        args.append(f"relations={_lit(tuple(sorted(fp.relations)))}")
    if fp.system:
        args.append(f"system={fp.system!r}")
    if fp.pattern:
        args.append(f"pattern={fp.pattern!r}")
    args.append(f"min_score={fp.min_score!r}")
    if fp.max_words != 8:
        args.append(f"max_words={fp.max_words}")
    if fp.context:
        args.append(f"context={_lit(tuple(sorted(fp.context)))}")
    if fp.needs_context:
        args.append(f"needs_context={_lit(tuple(sorted(fp.needs_context)))}")
    if fp.trailing:
        args.append(f"trailing={_lit(tuple(sorted(fp.trailing)))}")
    if fp.name_order:
        args.append(f"name_order={fp.name_order!r}")
    if fp.label_orders:
        args.append(f"label_orders={_lit(fp.label_orders)}")
    if fp.label_relations:
        args.append(f"label_relations={_lit(fp.label_relations)}")
    if fp.no_digits:
        args.append("no_digits=True")
    if fp.capitalised:
        args.append("capitalised=True")
    if fp.max_len:
        args.append(f"max_len={fp.max_len}")
    if fp.suffix:
        args.append(f"suffix={fp.suffix!r}")
    if fp.prefer_shape and fp.shape:
        args.append(f"prefer={fp.shape!r}")
    # the order every sample printed this field in decides ambiguous dates the page leaves open
    order = f"runtime.date_order(doc, {fp.date_order!r})" if fp.date_order else "order"
    joined = ",\n        ".join(args)
    call = f"runtime.field(\n        doc,\n        {joined},\n        order={order},\n        pairs=pairs,\n    )"
    fallbacks = []
    if fp.heading is not None:
        fallbacks.append(f"runtime.heading(doc, largest={fp.heading['largest']!r}, rank={fp.heading['rank']!r})")
    if fp.shape is not None and fp.shape not in UNSPECIFIC_SHAPES:
        fallbacks.append(f"runtime.search(doc, {fp.shape!r}, kind={fp.kind!r}, order={order})")
    if not fallbacks:
        return f"def field_{name}(doc, pairs, order):\n    return {call}\n"
    lines = [f"def field_{name}(doc, pairs, order):", f"    found = {call}"]
    for fb in fallbacks:
        lines += ["    if found is None:", f"        found = {fb}"]
    lines.append("    return found")
    return "\n".join(lines) + "\n"


def render_table(name: str, tp: TablePlan) -> str:
    cols = []
    for c in tp.columns:
        parts = [repr(c.name), repr(c.kind), _lit(tuple(sorted(c.labels))), _lit(tuple(sorted(c.keywords.items())))]
        if c.system:
            parts.append(f"system={c.system!r}")
        if c.required:
            parts.append("required=True")
        if c.shape:
            parts.append(f"shape={c.shape!r}")
        cols.append("        runtime.Column(" + ", ".join(parts) + "),")
    body = "\n".join(cols)
    sections = f", sections={_lit(tuple(tp.sections))}" if tp.sections else ""
    return (
        f"def field_{name}(doc, pairs, order):\n"
        f"    columns = [\n{body}\n    ]\n"
        f"    return runtime.table(doc, columns, order=order, min_columns={tp.min_columns}{sections})\n"
    )


def render_module(header: str, plan: Plan, schema: Schema, bodies: dict[str, str]) -> str:
    """A whole artifact: header comment, one function per field, and `extract(doc)`.

    `bodies` maps a field name to its function source (`def field_<name>(doc, pairs, order)`),
    whatever generator wrote it; fields with no body come out as None.
    """
    lines = [header.rstrip(), "from extractors import runtime", "", ""]
    for name in schema.fields:
        if name in bodies:
            lines.append(bodies[name].rstrip())
            lines.extend(["", ""])
    lines.append(f"LABELS = {_lit(tuple(sorted(plan.vocabulary)))}")
    lines.extend(["", ""])
    lines.append("def extract(doc):")
    lines.append("    pairs = runtime.pair_index(doc, LABELS)")
    lines.append(f"    order = runtime.date_order(doc, {plan.date_order!r})")
    repeats = {name: {col: tuple(fields) for col, fields in tp.repeats.items()}
               for name, tp in plan.tables.items() if tp.repeats and name in bodies}
    lines.append("    found = {" if repeats else "    return {")
    for name in schema.fields:
        if name in bodies:
            lines.append(f"        {name!r}: field_{name}(doc, pairs, order),")
        else:
            lines.append(f"        {name!r}: None,")
    lines.append("    }")
    if repeats:
        lines.append("    # a table row that repeats another field's value belongs to that field")
        lines.append(f"    return runtime.drop_repeated_rows(found, {_lit(repeats)})")
    return "\n".join(lines) + "\n"


def kind_of(spec: FieldSpec) -> str:
    return KIND_BY_TYPE.get(spec.type, "string")
