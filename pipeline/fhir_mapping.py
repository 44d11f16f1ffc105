"""FHIR mappings: where they live, how they parse and check, their hash and review status, and
the default mapping for a doc type with none (only what maps with certainty)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml


from pipeline.settings import settings
from pipeline.fhir_common import FHIR_DIR, MappingError, OPTION_KEYS, SOURCE_KEYS
from pipeline.fhir_terminology import Terminology

# ----------------------------------------------------------------------------- mappings

@dataclass
class ResourceSpec:
    key: str
    type: str
    for_each: str | None
    when: list[str]
    identifier: list[dict]
    key_mode: str
    elements: dict


@dataclass
class Mapping:
    doc_type: str
    document: dict
    resources: list[ResourceSpec]
    status: str = "reviewed"


def _check_spec(node: Any, where: str) -> None:
    """Reject misspelt spec keys early (a typo would otherwise silently drop an element)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_spec(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        if SOURCE_KEYS & node.keys():
            unknown = set(node) - SOURCE_KEYS - OPTION_KEYS
            if unknown:
                raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
            for k in ("first", "join"):
                if k in node:
                    _check_spec(node[k], f"{where}.{k}")
            if "elements" in node:
                _check_spec(node["elements"], f"{where}.elements")
            if isinstance(node.get("text"), (dict, list)):
                _check_spec(node["text"], f"{where}.text")
        else:
            for k, v in node.items():
                _check_spec(v, f"{where}.{k}")


MAPPING_KEYS = {"doc_type", "status", "document", "resources"}
MAPPING_STATUSES = ("draft", "reviewed")


def parse_mapping(data: Any, where: str) -> Mapping:
    """A Mapping from its YAML data; MappingError names `where` (file) and the resource."""
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected a mapping with doc_type, document and resources")
    unknown = set(data) - MAPPING_KEYS
    if unknown:
        raise MappingError(f"{where}: unknown top-level keys {sorted(unknown)}")
    status = data.get("status", "reviewed")
    if status not in MAPPING_STATUSES:
        raise MappingError(f"{where}: status must be draft or reviewed, not {status!r}")
    res = []
    for key, spec in (data.get("resources") or {}).items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise MappingError(f"{where}: resource {key!r} needs a type")
        unknown = set(spec) - {"type", "for_each", "when", "identifier", "key", "elements"}
        if unknown:
            raise MappingError(f"{where}: resource {key!r}: unknown keys {sorted(unknown)}")
        elements = spec.get("elements") or {}
        _check_spec(elements, f"{where}:{key}")
        res.append(ResourceSpec(key=key, type=spec["type"], for_each=spec.get("for_each"),
                                when=list(spec.get("when") or []), identifier=list(spec.get("identifier") or []),
                                key_mode=spec.get("key", "identifier"), elements=elements))
    if not res and status != "draft":
        raise MappingError(f"{where}: no resources")
    return Mapping(doc_type=data.get("doc_type", Path(where).stem), document=data.get("document") or {},
                   resources=res, status=status)


@lru_cache(maxsize=None)
def _load_mapping(path: str, mtime: float) -> Mapping:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise MappingError(f"{path}: not valid YAML") from None
    return parse_mapping(data, path)


def mappings_dir(fhir_dir: Path | None = None, mappings: Path | str | None = None) -> Path:
    """The mapping folder: `mappings` when given, else `<fhir_dir>/mappings`, else the setting
    DOCC_FHIR_MAPPINGS, else `fhir/mappings` of this docc checkout."""
    if mappings:
        return Path(mappings)
    if fhir_dir is not None:
        return Path(fhir_dir) / "mappings"
    return settings().fhir_mappings or (settings().fhir_dir or FHIR_DIR) / "mappings"


def mapping_path(doc_type: str, fhir_dir: Path | None = None, mappings: Path | str | None = None) -> Path:
    return mappings_dir(fhir_dir, mappings) / f"{doc_type}.yaml"


def load_mapping(doc_type: str, fhir_dir: Path | None = None, mappings: Path | str | None = None) -> Mapping:
    path = mapping_path(doc_type, fhir_dir, mappings)
    if not path.exists():
        raise MappingError(f"no FHIR mapping for doc type {doc_type!r} ({path})")
    return _load_mapping(str(path), path.stat().st_mtime)


def mapping_sha256(doc_type: str, mappings: Path | str | None = None) -> str:
    """sha256 of a doc type's mapping file ("builtin" without one): part of the batch state key,
    so a changed mapping reprocesses exactly its doc type."""
    import hashlib

    path = mapping_path(doc_type, None, mappings)
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "builtin:" + hashlib.sha256(DEFAULT_MAPPING_VERSION.encode()).hexdigest()[:16]


def mapping_status(doc_type: str, mappings: Path | str | None = None) -> str:
    """"reviewed", "draft", or "default" (no mapping file: the built-in certain default)."""
    path = mapping_path(doc_type, None, mappings)
    if not path.exists():
        return "default"
    try:
        return load_mapping(doc_type, mappings=mappings).status
    except MappingError:
        return "invalid"


# Field names whose FHIR meaning is certain; anything else needs `fhir:` in schema.yaml or a reviewed
# mapping. (type hints: None when the type is not known, at run time without a schema)
CERTAIN_NAMES: dict[str, tuple[set[str], set[str | None]]] = {
    "Patient.name": ({"patient_name", "patient", "patient_full_name", "member_name"}, {"person_name", None}),
    "Patient.birthDate": ({"birth_date", "dob", "date_of_birth", "patient_dob", "patient_birth_date", "birthdate"}, {"date", None}),
    "Patient.identifier": ({"mrn", "patient_mrn", "medical_record_number"}, {"identifier", "code", "string", None}),
    "Patient.gender": ({"gender", "sex", "patient_sex", "patient_gender"}, {"string", "code", None}),
}
DEFAULT_MAPPING_VERSION = "1"
GENDER_MAP = {"m": "male", "male": "male", "f": "female", "female": "female", "o": "other", "other": "other",
              "u": "unknown", "unknown": "unknown", "x": "other"}
# what each supported `fhir:` target becomes in a mapping
TARGETS = ("Patient.name", "Patient.birthDate", "Patient.identifier", "Patient.gender", "Patient.telecom",
           "DocumentReference.date", "Practitioner.name", "Practitioner.identifier")


def certain_targets(fields: dict[str, tuple[str | None, str | None]]) -> dict[str, str]:
    """{field: target} for fields whose target is certain: named in schema.yaml (`fhir:`), or a
    well-known field name of a fitting type. Input: {field: (type or None, fhir target or None)}."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name, (_, target) in sorted(fields.items()):
        if target:
            out[name] = target
            taken.add(target)
    for name, (ftype, target) in sorted(fields.items()):
        if target:
            continue
        for tgt, (names, types) in CERTAIN_NAMES.items():
            if name in names and ftype in types and tgt not in taken:
                out[name] = tgt
                taken.add(tgt)
    return out


def default_mapping_data(doc_type: str, fields: dict[str, tuple[str | None, str | None]]) -> dict:
    """The mapping docc can write with certainty for a doc type nobody has mapped: a Patient
    (matched by MRN, else by name + birth date + gender), a Practitioner when fields name one,
    and the document date. Everything else stays out until a person maps it."""
    targets = certain_targets(fields)
    by_target: dict[str, str] = {t: f for f, t in targets.items()}
    unknown = sorted(set(targets.values()) - set(TARGETS))
    if unknown:
        raise MappingError(f"{doc_type}: unsupported fhir target(s) {', '.join(unknown)} "
                           f"(docc drafts: {', '.join(TARGETS)}; map others in a reviewed mapping)")
    resources: dict[str, Any] = {}
    patient_elems: dict[str, Any] = {}
    if "Patient.name" in by_target:
        patient_elems["name"] = [{"field": by_target["Patient.name"], "as": "name"}]
    if "Patient.birthDate" in by_target:
        patient_elems["birthDate"] = {"field": by_target["Patient.birthDate"], "as": "date"}
    if "Patient.gender" in by_target:
        patient_elems["gender"] = {"field": by_target["Patient.gender"], "map": dict(GENDER_MAP)}
    if "Patient.telecom" in by_target:
        patient_elems["telecom"] = [{"system": "phone", "value": {"field": by_target["Patient.telecom"]}}]
    patient_fields = [by_target[t] for t in ("Patient.identifier", "Patient.name", "Patient.birthDate") if t in by_target]
    if patient_fields:
        patient: dict[str, Any] = {"type": "Patient", "when": patient_fields}
        if "Patient.identifier" in by_target:
            patient["identifier"] = [{"system": "mrn", "field": by_target["Patient.identifier"], "type": "MR"}]
        patient["elements"] = patient_elems
        resources["patient"] = patient
    if "Practitioner.name" in by_target or "Practitioner.identifier" in by_target:
        prac: dict[str, Any] = {"type": "Practitioner",
                                "when": [by_target[t] for t in ("Practitioner.name", "Practitioner.identifier") if t in by_target]}
        if "Practitioner.identifier" in by_target:
            prac["identifier"] = [{"system": "npi", "field": by_target["Practitioner.identifier"]}]
        prac["elements"] = {"name": [{"field": by_target["Practitioner.name"], "as": "name"}]} if "Practitioner.name" in by_target else {}
        resources["practitioner"] = prac
    document: dict[str, Any] = {}
    if "patient" in resources:
        document["subject"] = "patient"
    if "DocumentReference.date" in by_target:
        document["date"] = {"field": by_target["DocumentReference.date"]}
    return {"doc_type": doc_type, "status": "draft", "document": document, "resources": resources}


def default_mapping(doc_type: str, field_names: Iterable[str]) -> Mapping:
    """Run-time fallback when a doc type has no mapping file: the certain part only."""
    data = default_mapping_data(doc_type, {n: (None, None) for n in field_names})
    return parse_mapping(data, f"(default mapping for {doc_type})")


@lru_cache(maxsize=None)
def _terminology(folder: str) -> Terminology:
    return Terminology(Path(folder))
