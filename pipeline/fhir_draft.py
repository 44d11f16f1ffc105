"""FHIR mappings at compile time: draft one for a doc type that has none, check every one.

`docc compile` calls `prepare_mappings(sample_sets, folder)` before compiling:

- a doc type without `<folder>/<doc_type>.yaml` gets a **draft** (`status: draft`) holding
  only what is certain: fields that name their target in schema.yaml (`fhir: Patient.birthDate`)
  and well-known field names of a fitting type (`patient_name`, `birth_date`, `mrn`, `gender`).
  Every other field is listed in a comment for a person to map. A draft is used as written
  (Patient, DocumentReference, Provenance and what it maps), so a new doc type exports from day
  one and nothing uncertain reaches the EHR;
- every mapping (draft or reviewed) is checked against its schema: each `field:` it reads must
  exist (and each `column:` in its table), and a Bundle is built from every sample's golden
  values and validated. A problem raises `MappingError` naming the file, so it is found at
  compile time, not in the nightly run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import yaml

from extractors.schema import SampleSet, Schema
from pipeline.fhir_bundle import (
    BuildError,
    MappingError,
    TARGETS,
    build_bundle,
    certain_targets,
    default_mapping_data,
    load_mapping,
    mapping_path,
    mappings_dir,
)
from pipeline.fhir_codes import BindingError


def schema_fields(schema: Schema) -> dict[str, tuple[str | None, str | None]]:
    return {name: (spec.type, spec.fhir) for name, spec in schema.fields.items()}


def draft_text(schema: Schema) -> str:
    """The YAML of a draft mapping for `schema`, with the unmapped fields listed for review."""
    data = default_mapping_data(schema.doc_type, schema_fields(schema))
    mapped = certain_targets(schema_fields(schema))
    lines = [
        f"# DRAFT FHIR mapping for doc type {schema.doc_type}, written by `docc compile`.",
        "# Only what is certain is mapped: fields naming their target in schema.yaml (fhir: Resource.element)",
        "# and well-known field names. Review it, map the fields below (format: docs/fhir.md),",
        "# then set `status: reviewed`. Until then documents export Patient, DocumentReference,",
        "# Provenance and what this draft maps.",
        f"# Targets docc drafts from schema.yaml: {', '.join(TARGETS)}.",
    ]
    unmapped = [n for n in schema.fields if n not in mapped]
    if unmapped:
        lines.append("# Not mapped yet:")
        for name in unmapped:
            spec = schema.fields[name]
            extra = f", system {spec.system}" if spec.system else ""
            cols = f" (columns: {', '.join(spec.columns)})" if spec.columns else ""
            lines.append(f"#   {name}: {spec.type}{extra}{cols}")
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return "\n".join(lines) + "\n" + body


def _references(node: Any, out: set[tuple[str, str | None]], table: str | None = None) -> None:
    """Every (field, column) a mapping node reads."""
    if isinstance(node, list):
        for item in node:
            _references(item, out, table)
    elif isinstance(node, dict):
        if "for_each" in node and isinstance(node["for_each"], str):
            out.add((node["for_each"], None))
            table = node["for_each"]
        if isinstance(node.get("field"), str):
            out.add((node["field"], node.get("column") if isinstance(node.get("column"), str) else None))
        elif isinstance(node.get("column"), str):
            out.add((table or "?", node["column"]))
        for k, v in node.items():
            if k not in ("field", "column", "for_each", "map", "const"):
                _references(v, out, table)


def check_mapping(schema: Schema, path: Path, goldens: Iterable[dict]) -> None:
    """Raise MappingError (naming the file) when the mapping reads fields the schema lacks or
    does not make valid FHIR from the samples' golden values."""
    mapping = load_mapping(schema.doc_type, mappings=path.parent)
    refs: set[tuple[str, str | None]] = set()
    _references(mapping.document, refs)
    for res in mapping.resources:
        _references(res.identifier, refs, res.for_each)
        _references(res.elements, refs, res.for_each)
        for name in res.when:
            refs.add((res.for_each, name) if res.for_each else (name, None))
        if res.for_each:
            refs.add((res.for_each, None))
    for fname, col in sorted(refs, key=lambda r: (r[0], r[1] or "")):
        spec = schema.fields.get(fname)
        if spec is None:
            raise MappingError(f"{path}: reads field {fname!r}, which schema.yaml of {schema.doc_type} does not have")
        if col is not None and col not in spec.columns:
            raise MappingError(f"{path}: reads column {col!r} of {fname!r}, which schema.yaml does not have")
    for i, golden in enumerate(goldens):
        record = {"sha256": f"{i:064x}", "doc_type": schema.doc_type, "source": "sample.pdf",
                  "fields": {k: {"value": v} for k, v in golden.items()}, "extractor_sha256": None}
        try:
            build_bundle(record, mapping=mapping)
        except (BuildError, BindingError) as e:
            raise MappingError(f"{path}: golden values of sample {i + 1} do not make valid FHIR: {e}") from None


def prepare_mappings(sets: list[SampleSet], folder: Path | None = None) -> list[str]:
    """Draft missing mappings and check all; returns one line per doc type for the console."""
    notes = []
    where = mappings_dir(None, folder)
    for s in sets:
        path = mapping_path(s.doc_type, None, where)
        if not path.exists():
            where.mkdir(parents=True, exist_ok=True)
            path.write_text(draft_text(s.schema_), encoding="utf-8")
            notes.append(f"{s.doc_type}: no FHIR mapping; wrote a draft to {path} (review it, then set status: reviewed)")
        check_mapping(s.schema_, path, [x.golden for x in s.samples])
        status = load_mapping(s.doc_type, mappings=where).status
        if status == "draft" and not any(n.startswith(f"{s.doc_type}:") for n in notes):
            notes.append(f"{s.doc_type}: FHIR mapping {path} is a draft (exports Patient, DocumentReference, Provenance and what it maps)")
    return notes
