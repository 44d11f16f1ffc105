"""Golden values and schemas in the samples contract (see DESIGN.md, "Labeled samples").

The studio writes what a person would write by hand: `schema.yaml` and `<id>.json` next to the
document, golden values canonical (dates YYYY-MM-DD, numbers as JSON numbers, strings with
whitespace collapsed, tables as lists of objects, absent fields null). Values typed or clicked in
the browser are checked against the field type here; a bad value is refused with a message that
names the field, never silently coerced.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipeline.errors import DoccError
from extractors.artifacts import atomic_write
from extractors.canonical import collapse
from extractors.codes import matches_format, npi_valid
from extractors.schema import DOCUMENT_SUFFIXES, FieldSpec, Schema

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
INBOX = ".inbox"  # uploaded, not yet labeled documents (skipped by `load_sample_set`: no suffix)
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%Y/%m/%d", "%b %d, %Y", "%b %d %Y", "%B %d, %Y",
                 "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d.%m.%Y", "%Y%m%d", "%b. %d, %Y")
_CODE_HINTS = {  # formats: `extractors.codes.FORMATS`
    "loinc": "a LOINC code looks like 2345-7",
    "icd10cm": "an ICD-10-CM code looks like E11.9",
    "rxnorm": "an RxNorm code is digits",
    "cpt": "a CPT code is five characters, like 99213",
    "npi": "an NPI is ten digits",
}


class LabelError(DoccError, ValueError):
    """Values or a schema that cannot be saved; `problems` maps a field path to a message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class Conflict(DoccError):
    """The file changed on disk since the browser loaded it, or the name is taken."""


npi_ok = npi_valid


def parse_date(text: str) -> str:
    t = collapse(text).replace("Sept", "Sep")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(t, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (write it as YYYY-MM-DD or as printed, e.g. 03/14/2024)")


def canonical_value(value: Any, spec: FieldSpec) -> Any:
    """The golden (canonical JSON) form of one scalar value; None for empty; raises ValueError."""
    if value is None or (isinstance(value, str) and collapse(value) == ""):
        return None
    t = spec.type
    if t == "date":
        return parse_date(str(value))
    if t == "datetime":
        text = collapse(str(value))
        for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):
            try:
                return datetime.strptime(text, fmt).isoformat()
            except ValueError:
                continue
        return parse_date(text)
    if t in ("integer", "decimal"):
        if isinstance(value, bool):
            raise ValueError("not a number")
        text = str(value).replace(",", "").replace("$", "").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a number")
        if t == "integer":
            if number != number.to_integral_value():
                raise ValueError(f"{value!r} is not a whole number")
            return int(number)
        return int(number) if number == number.to_integral_value() and "." not in text else float(number)
    text = collapse(str(value))
    if t in ("code", "identifier"):
        text = text.replace(" ", "") if t == "code" else text
        if t == "code" and spec.system in _CODE_HINTS:
            if not matches_format(spec.system, text):
                raise ValueError(f"{value!r}: {_CODE_HINTS[spec.system]}")
            if spec.system == "npi" and not npi_ok(text):
                raise ValueError(f"{value!r}: the NPI check digit is wrong")
        return text
    if t == "phone":
        if len(re.sub(r"\D", "", text)) < 7:
            raise ValueError(f"{value!r} is not a phone number")
        return text
    return text


def canonical_golden(schema: Schema, values: dict[str, Any]) -> dict[str, Any]:
    """Every schema field, in schema order, canonical; raises LabelError naming each bad field."""
    problems: dict[str, str] = {}
    unknown = sorted(set(values) - set(schema.fields))
    for name in unknown:
        problems[name] = "not a field of this doc type"
    golden: dict[str, Any] = {}
    for name, spec in schema.fields.items():
        raw = values.get(name)
        if spec.type == "table":
            rows_out = []
            for i, row in enumerate(raw or []):
                if not isinstance(row, dict):
                    problems[f"{name}[{i}]"] = "a row must be an object"
                    continue
                clean = {}
                for col, cspec in spec.columns.items():
                    try:
                        clean[col] = canonical_value(row.get(col), cspec)
                    except ValueError as e:
                        problems[f"{name}[{i + 1}].{col}"] = str(e)
                for col in sorted(set(row) - set(spec.columns)):
                    problems[f"{name}[{i + 1}].{col}"] = "not a column of this table"
                if any(v is not None for v in clean.values()):
                    for col, cspec in spec.columns.items():
                        if cspec.required and clean.get(col) is None:
                            problems[f"{name}[{i + 1}].{col}"] = "required column is empty"
                    rows_out.append(clean)
            golden[name] = rows_out or None
        else:
            try:
                golden[name] = canonical_value(raw, spec)
            except ValueError as e:
                problems[name] = str(e)
    if problems:
        raise LabelError(problems)
    return golden


def golden_bytes(golden: dict[str, Any]) -> bytes:
    return (json.dumps(golden, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def digest(path: Path) -> str | None:
    """sha256 of a file's bytes, None when it does not exist (the browser's conflict token)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- schema


def parse_schema(data: dict[str, Any]) -> Schema:
    """A schema from the editor's JSON; raises LabelError with readable messages."""
    problems: dict[str, str] = {}
    doc_type = str(data.get("doc_type") or "")
    if not NAME_RE.match(doc_type):
        problems["doc_type"] = "use lower-case letters, digits and _ (starting with a letter)"
    fields = data.get("fields") or {}
    if not fields:
        problems["fields"] = "a doc type needs at least one field"
    for name, spec in fields.items():
        if not NAME_RE.match(name):
            problems[name] = "field names use lower-case letters, digits and _"
        for col in (spec or {}).get("columns") or {}:
            if not NAME_RE.match(col):
                problems[f"{name}.{col}"] = "column names use lower-case letters, digits and _"
        if (spec or {}).get("type") == "table" and not (spec or {}).get("columns"):
            problems[name] = "a table needs at least one column"
    if problems:
        raise LabelError(problems)
    try:
        return Schema.model_validate({"doc_type": doc_type, "description": data.get("description") or "", "fields": fields})
    except ValidationError as e:
        raise LabelError({".".join(str(x) for x in err["loc"]): err["msg"] for err in e.errors()}) from None


def schema_yaml(schema: Schema) -> bytes:
    def spec_dict(spec: FieldSpec) -> dict[str, Any]:
        d: dict[str, Any] = {"type": spec.type}
        if spec.required:
            d["required"] = True
        if spec.system:
            d["system"] = spec.system
        if spec.description:
            d["description"] = spec.description
        if spec.columns:
            d["columns"] = {c: spec_dict(s) for c, s in spec.columns.items()}
        return d

    data: dict[str, Any] = {"doc_type": schema.doc_type}
    if schema.description:
        data["description"] = schema.description
    data["fields"] = {n: spec_dict(s) for n, s in schema.fields.items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


@dataclass
class SchemaChange:
    added: list[str]
    removed: list[str]
    retyped: list[str]


def save_schema(samples: Path, schema: Schema, *, create: bool, expected_sha: str | None) -> SchemaChange:
    """Write `<samples>/<doc_type>/schema.yaml`. A field that labeled samples use may not be
    removed or retyped (their golden values would silently stop meaning what they say)."""
    folder = samples / schema.doc_type
    path = folder / "schema.yaml"
    current = digest(path)
    if create and current is not None:
        raise Conflict(f"doc type {schema.doc_type!r} already exists; open it instead")
    if not create and current != expected_sha:
        raise Conflict("schema.yaml changed on disk since you opened it; reload to see the new version")
    change = SchemaChange([], [], [])
    if current is not None:
        old = Schema.load(path)
        change.added = [n for n in schema.fields if n not in old.fields]
        change.removed = [n for n in old.fields if n not in schema.fields]
        change.retyped = [n for n in old.fields if n in schema.fields and old.fields[n].model_dump() != schema.fields[n].model_dump()]
        labeled = [p for p in folder.glob("*.json")]
        used: dict[str, str] = {}
        for p in labeled:
            try:
                g = json.loads(p.read_text(encoding="utf-8"))
            except ValueError:
                continue
            for n in change.removed + [n for n in change.retyped if old.fields[n].type != schema.fields[n].type]:
                if g.get(n) is not None:
                    used.setdefault(n, p.stem)
        if used:
            raise LabelError({n: f"labeled in sample {s!r}: remove or relabel its values before removing or retyping the field"
                              for n, s in used.items()})
    atomic_write(path, schema_yaml(schema))
    return change


def safe_name(name: str) -> str:
    """A document's file name reduced to a safe id + allowed suffix; raises ValueError."""
    p = Path(name)
    suffix = p.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise ValueError(f"{name!r}: studio opens {', '.join(DOCUMENT_SUFFIXES)} files")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", p.stem).strip("._") or "document"
    return stem[:80] + suffix


def save_sample(samples: Path, schema: Schema, document: Path, values: dict[str, Any], *,
                expected_sha: str | None, sample_id: str | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the golden JSON next to the document (moving it out of the inbox). Returns
    (golden path, golden). Golden first, then the document: a crash never leaves a document
    without its golden file in the samples folder (which would stop `docc compile`)."""
    golden = canonical_golden(schema, values)
    folder = samples / schema.doc_type
    stem = sample_id or document.stem
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", stem):
        raise LabelError({"id": "sample ids use letters, digits, '.', '_' and '-'"})
    if document.parent.name != INBOX and stem != document.stem:
        raise LabelError({"id": f"{document.name} is already a sample; renaming samples is done in the folder, not here"})
    target_doc = folder / f"{stem}{document.suffix.lower()}"
    golden_path = target_doc.with_suffix(".json")
    if digest(golden_path) != expected_sha:
        raise Conflict(f"{golden_path.name} changed on disk since you opened it (someone else saved it); reload before saving")
    others = [p for p in folder.glob(f"{stem}.*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.resolve() != document.resolve()]
    if others:
        raise Conflict(f"sample id {stem!r} is already used by {others[0].name}; pick another id")
    atomic_write(golden_path, golden_bytes(golden))
    if document.resolve() != target_doc.resolve():
        if target_doc.exists():
            raise Conflict(f"{target_doc.name} already exists")
        if document.parent.name == INBOX:
            document.replace(target_doc)
        else:
            atomic_write(target_doc, document.read_bytes())
    return golden_path, golden
