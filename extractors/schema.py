"""Document-type schemas and labeled samples (the `data/samples` contract)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

FieldType = Literal[
    "string", "person_name", "date", "datetime", "integer", "decimal",
    "phone", "identifier", "code", "table",
]
CodeSystem = Literal["loinc", "icd10cm", "rxnorm", "cpt", "npi", "ucum"]
DOCUMENT_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


class FieldSpec(BaseModel):
    """One field (or table column) of a document type."""

    model_config = ConfigDict(extra="forbid")

    type: FieldType = "string"
    required: bool = False
    system: CodeSystem | None = None
    description: str | None = None
    columns: dict[str, "FieldSpec"] = Field(default_factory=dict)

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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls.model_validate(data)

    def scalar_fields(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if v.type != "table"}

    def table_fields(self) -> dict[str, FieldSpec]:
        return {k: v for k, v in self.fields.items() if v.type == "table"}


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


def load_sample_set(folder: Path) -> SampleSet:
    """Read `folder/schema.yaml` and every `<id>.<ext>` with a matching `<id>.json`."""
    schema = Schema.load(folder / "schema.yaml")
    samples: list[Sample] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in DOCUMENT_SUFFIXES:
            continue
        golden_path = path.with_suffix(".json")
        if not golden_path.exists():
            raise FileNotFoundError(f"{path.name}: no golden file {golden_path.name}")
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        samples.append(Sample(id=path.stem, path=path, golden=golden))
    return SampleSet(schema=schema, folder=folder, samples=samples)


def discover(samples_root: Path, doc_types: list[str] | None = None) -> list[SampleSet]:
    """Every document-type folder under `samples_root` (those holding a schema.yaml)."""
    found = []
    for folder in sorted(p for p in samples_root.iterdir() if (p / "schema.yaml").exists()):
        if doc_types and folder.name not in doc_types:
            continue
        found.append(load_sample_set(folder))
    if doc_types:
        missing = set(doc_types) - {s.doc_type for s in found}
        if missing:
            raise FileNotFoundError(f"no samples for doc type(s): {', '.join(sorted(missing))}")
    return found
