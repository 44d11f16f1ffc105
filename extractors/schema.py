"""Document-type schemas and labeled samples (the `data/samples` contract)."""
from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import DoccError

log = logging.getLogger(__name__)

FieldType = Literal[
    "string", "person_name", "date", "datetime", "integer", "decimal",
    "phone", "identifier", "code", "table",
]
CodeSystem = Literal["loinc", "icd10cm", "rxnorm", "cpt", "npi", "ucum"]
DOCUMENT_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
FHIR_TARGET = re.compile(r"^[A-Z][A-Za-z]+\.[a-z][A-Za-z]*(\.[a-z][A-Za-z]*)*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SchemaError(DoccError, ValueError):
    """A schema.yaml or golden JSON file that does not follow the contract; the message names
    the file and the field (never a value beyond what the author typed as a type or key)."""


class FieldSpec(BaseModel):
    """One field (or table column) of a document type."""

    model_config = ConfigDict(extra="forbid")

    type: FieldType = "string"
    required: bool = False
    system: CodeSystem | None = None
    description: str | None = None
    fhir: str | None = None   # the FHIR element this field fills, e.g. "Patient.birthDate"
    columns: dict[str, "FieldSpec"] = Field(default_factory=dict)

    @field_validator("fhir")
    @classmethod
    def _fhir_target(cls, v: str | None) -> str | None:
        if v is not None and not FHIR_TARGET.match(v):
            raise ValueError(f"fhir target {v!r} is not of the form Resource.element (e.g. Patient.birthDate)")
        return v

    @field_validator("columns")
    @classmethod
    def _columns_only_scalar(cls, v: dict[str, "FieldSpec"]) -> dict[str, "FieldSpec"]:
        for name, spec in v.items():
            if spec.type == "table":
                raise ValueError(f"column {name!r}: nested tables are not supported")
        return v


class RuleSpec(BaseModel):
    """A declared cross-field check: `distinct` (two fields name different people or ids),
    `order` (first date <= second), `sum` (a total equals the sum of a table column)."""

    model_config = ConfigDict(extra="forbid")

    rule: Literal["distinct", "order", "sum"]
    fields: list[str] | None = None
    field: str | None = None
    table: str | None = None
    column: str | None = None


class Schema(BaseModel):
    """The fields of one document type, read from `schema.yaml`."""

    model_config = ConfigDict(extra="forbid")

    doc_type: str
    description: str = ""
    fields: dict[str, FieldSpec]
    rules: list[RuleSpec] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> "Schema":
        """Read and check a schema.yaml; a problem raises SchemaError naming file and field."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise SchemaError(f"{path}{where}: not valid YAML") from None
        if not isinstance(data, dict):
            raise SchemaError(f"{path}: expected a mapping with doc_type, description and fields")
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise SchemaError(f"{path}: {_pydantic_problems(e)}") from None

    def check_golden(self, golden: Any, path: Path) -> None:
        """Raise SchemaError when a golden file has keys the schema does not know or values that
        are not canonical for their type (dates YYYY-MM-DD, numbers as JSON numbers, tables as
        lists of objects)."""
        if not isinstance(golden, dict):
            raise SchemaError(f"{path}: expected a JSON object of field values")
        unknown = sorted(set(golden) - set(self.fields))
        if unknown:
            raise SchemaError(f"{path}: unknown field(s) {', '.join(unknown)} (schema.yaml has: {', '.join(self.fields)})")
        for name, spec in self.fields.items():
            value = golden.get(name)
            if spec.type != "table":
                _check_value(value, spec, f"{path}: field {name}")
                continue
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                raise SchemaError(f"{path}: field {name}: a table is a list of objects (one per row)")
            for i, row in enumerate(value):
                bad = sorted(set(row) - set(spec.columns))
                if bad:
                    raise SchemaError(f"{path}: field {name} row {i + 1}: unknown column(s) {', '.join(bad)}")
                for col, cspec in spec.columns.items():
                    _check_value(row.get(col), cspec, f"{path}: field {name} row {i + 1} column {col}")

    def scalar_fields(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if v.type != "table"}

    def table_fields(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if v.type == "table"}


def _pydantic_problems(e: ValidationError) -> str:
    """'fields.dob.type: Input should be ...' for each problem, on one line."""
    bits = []
    for err in e.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        msg = err["msg"]
        if err["type"] == "literal_error":
            msg = f"{err.get('input')!r} is not one of {err['ctx']['expected']}"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key"
        bits.append(f"{loc}: {msg}")
    return "; ".join(bits)


def _check_value(value: Any, spec: FieldSpec, where: str) -> None:
    if value is None:
        return
    t = spec.type
    if t == "date":
        ok = isinstance(value, str) and bool(_ISO_DATE.match(value))
        if ok:
            try:
                date.fromisoformat(value)
            except ValueError:
                ok = False
        if not ok:
            raise SchemaError(f"{where}: a date is written YYYY-MM-DD (got {_shape(value)})")
    elif t == "datetime":
        try:
            ok = isinstance(value, str) and bool(datetime.fromisoformat(value))
        except ValueError:
            ok = False
        if not ok:
            raise SchemaError(f"{where}: a datetime is written ISO 8601, YYYY-MM-DDTHH:MM[:SS] (got {_shape(value)})")
    elif t == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(f"{where}: an integer is a JSON number without quotes (got {_shape(value)})")
    elif t == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(f"{where}: a decimal is a JSON number without quotes (got {_shape(value)})")
    elif not isinstance(value, str):
        raise SchemaError(f"{where}: a {t} is a JSON string (got {_shape(value)})")
    elif value != " ".join(value.split()) or value == "":
        raise SchemaError(f"{where}: strings are written as printed with whitespace collapsed (use null when absent)")


def _shape(value: Any) -> str:
    """Describes a bad value by its form, not its content (golden values may be patient data)."""
    if isinstance(value, str):
        return "a string shaped " + re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", value))[:20]
    return f"a JSON {type(value).__name__}"


class Sample(BaseModel):
    """One labeled document: its path and golden fields."""

    id: str
    path: Path
    golden: dict[str, Any]


class SampleSet(BaseModel):
    """A document type's schema plus its labeled samples, sorted by id."""

    schema_: Schema = Field(alias="schema")
    folder: Path
    samples: list[Sample]

    @property
    def doc_type(self) -> str:
        return self.schema_.doc_type

    def schema_sha256(self) -> str:
        return hashlib.sha256((self.folder / "schema.yaml").read_bytes()).hexdigest()

    def samples_sha256(self) -> str:
        """Hash of every sample document and golden file, in id order."""
        h = hashlib.sha256()
        for s in self.samples:
            h.update(s.id.encode())
            h.update(hashlib.sha256(s.path.read_bytes()).digest())
            h.update(hashlib.sha256(s.path.with_suffix(".json").read_bytes()).digest())
        return h.hexdigest()


def load_sample_set(folder: Path, skip_unlabeled: bool = False) -> SampleSet:
    """Read `folder/schema.yaml` and every `<id>.<ext>` with a matching `<id>.json`, checking
    each golden file against the schema. A document without its golden file is an error, or
    (`skip_unlabeled`, for scoring) skipped with a warning."""
    schema = Schema.load(folder / "schema.yaml")
    samples: list[Sample] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in DOCUMENT_SUFFIXES:
            continue
        golden_path = path.with_suffix(".json")
        if not golden_path.exists():
            if skip_unlabeled:
                log.warning("%s: no golden file %s; skipped", path, golden_path.name)
                continue
            raise FileNotFoundError(f"{path}: no golden file {golden_path.name}")
        try:
            golden = json.loads(golden_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise SchemaError(f"{golden_path} (line {e.lineno}): not valid JSON") from None
        schema.check_golden(golden, golden_path)
        samples.append(Sample(id=path.stem, path=path, golden=golden))
    return SampleSet(schema=schema, folder=folder, samples=samples)


def discover(samples_root: Path, doc_types: list[str] | None = None, skip_unlabeled: bool = False) -> list[SampleSet]:
    """Every document-type folder under `samples_root` (those holding a schema.yaml)."""
    if not Path(samples_root).is_dir():
        raise FileNotFoundError(f"{samples_root}: not a folder")
    found = []
    for folder in sorted(p for p in samples_root.iterdir() if (p / "schema.yaml").exists()):
        if doc_types and folder.name not in doc_types:
            continue
        found.append(load_sample_set(folder, skip_unlabeled))
    if doc_types:
        missing = set(doc_types) - {s.doc_type for s in found}
        if missing:
            raise FileNotFoundError(f"no samples for doc type(s): {', '.join(sorted(missing))}")
    return found
