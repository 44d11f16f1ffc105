"""Build one FHIR R4 transaction Bundle per exported document, from declarative mappings.

    bundle = build_bundle(result)          # result = one line of OUT/results.jsonl
    write_bundle(bundle, OUT / "fhir")     # OUT/fhir/<sha256>.json, byte-identical run to run
    write_ndjson(bundles, OUT / "ndjson")  # OUT/ndjson/<ResourceType>.ndjson

What becomes which resource is data: `fhir/mappings/<doc_type>.yaml` plus terminology tables in
`fhir/terminology/` (format in docs/fhir.md). This module only interprets them:

- every resource gets a business identifier; the first one present is its conditional-create key
  (`request.ifNoneExist`), and resources with no natural identifier get one derived from the
  document sha256 + mapping key (+ row), so re-sending a document creates nothing new;
- fullUrls are `urn:uuid:` uuid5(document sha256, key[/row]): deterministic;
- two resources of one type with the same key collapse into one entry (references follow);
- a DocumentReference for the source document and a Provenance over everything are added;
- every resource is validated with the `fhir.resources` R4B models and the required bindings of
  `pipeline.fhir_codes`; JSON is written with sorted keys.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import quote

import yaml

from pipeline.errors import DoccError
from pipeline.fhir_codes import assert_bindings
from pipeline.settings import settings
from pipeline.shipped import fhir_dir as shipped_fhir_dir

log = logging.getLogger(__name__)

FHIR_DIR = shipped_fhir_dir()  # the shipped mappings and terminology (DOCC_FHIR_DIR overrides)
NAMESPACE = uuid.UUID("6f1b9f7e-3c2a-5d7e-9a41-0d0cc0f4e2b1")  # docc's uuid5 namespace
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".tif": "image/tiff", ".tiff": "image/tiff"}
IDENTIFIER_TYPES = {"MR": "Medical record number", "NPI": "National provider identifier", "DEA":
                    "Drug Enforcement Administration registration number", "TAX": "Tax ID number",
                    "MB": "Member Number", "AN": "Account number", "PI": "Patient internal identifier"}

SOURCE_KEYS = {"field", "column", "const", "first", "join", "ref", "for_each", "as"}
OPTION_KEYS = {"lookup", "text", "unit", "map", "sep", "pick", "system", "strict", "all", "if", "unless",
               "when", "elements", "type", "assigner", "display"}


class MappingError(DoccError, ValueError):
    """A mapping file that cannot be used."""


class BuildError(DoccError, ValueError):
    """A document whose fields do not make valid FHIR (message names elements, never values)."""


# ----------------------------------------------------------------------------- terminology

@dataclass(frozen=True)
class Concept:
    system: str
    code: str
    display: str | None


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).casefold()).split())


def _codekey(text: str) -> str:
    return re.sub(r"[\s.\-]", "", str(text)).upper()


class Terminology:
    """Short system names -> URIs, and the lookup tables of `fhir/terminology/`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.systems: dict[str, dict] = yaml.safe_load((folder / "systems.yaml").read_text(encoding="utf-8")) or {}
        self._tables: dict[str, list[tuple[str, str | None, list[str]]]] = {}
        self._indexes: dict[str, dict] = {}
        self._cache: dict[tuple[str, str], Concept | None] = {}

    def uri(self, name: str | None) -> str | None:
        if name is None:
            return None
        spec = self.systems.get(name)
        if spec is None:
            if ":" in name:  # already a URI
                return name
            raise MappingError(f"unknown system {name!r} (add it to fhir/terminology/systems.yaml)")
        return spec["uri"]

    def _table(self, name: str) -> list[tuple[str, str | None, list[str]]]:
        if name not in self._tables:
            spec = self.systems.get(name) or {}
            rows: list[tuple[str, str | None, list[str]]] = []
            if spec.get("table"):
                with open(self.folder / spec["table"], newline="", encoding="utf-8") as fh:
                    for row in csv.DictReader(fh):
                        syn = [s.strip() for s in (row.get("synonyms") or "").split("|") if s.strip()]
                        rows.append((row["code"].strip(), (row.get("display") or "").strip() or None, syn))
            self._tables[name] = rows
        return self._tables[name]

    def _index(self, name: str) -> dict:
        """Per-table lookup indexes, built once."""
        if name not in self._indexes:
            rows = self._table(name)
            codes, words, units, units_ci = {}, {}, {}, {}
            for c, d, syn in rows:
                codes.setdefault(_codekey(c), (c, d))
                for s_ in syn:
                    codes.setdefault(_codekey(s_), (c, d))
                for cand in [c, d or "", *syn]:
                    if cand:
                        words.setdefault(_words(cand), (c, d))
                        units.setdefault(cand, (c, d))
                        units_ci.setdefault(cand.casefold(), (c, d))
            prefixes = sorted(((w, hit) for w, hit in words.items() if w), key=lambda x: -len(x[0]))
            self._indexes[name] = {"code": codes, "words": words, "unit": units, "unit_ci": units_ci,
                                   "prefix": prefixes}
        return self._indexes[name]

    def lookup(self, name: str, value: Any) -> Concept | None:
        """The concept a printed value stands for in system `name`, or None."""
        if value is None or str(value).strip() == "":
            return None
        key = (name, str(value).strip())
        if key not in self._cache:
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = self._lookup(name, key[1])
        return self._cache[key]

    def _lookup(self, name: str, text: str) -> Concept | None:
        spec = self.systems.get(name)
        if spec is None:
            raise MappingError(f"unknown lookup system {name!r}")
        uri, how = spec["uri"], spec.get("match", "name")
        idx = self._index(name)
        hit: tuple[str, str | None] | None = None
        if how == "code":
            hit = idx["code"].get(_codekey(text))
        elif how == "unit":
            hit = idx["unit"].get(text) or idx["unit_ci"].get(text.casefold())
        elif how in ("name", "prefix"):
            w = _words(text)
            hit = idx["words"].get(w)
            if hit is None and how == "prefix":
                for cw, cand in idx["prefix"]:  # longest first
                    if w.startswith(cw + " ") and w[len(cw) + 1:][:1].isdigit():
                        hit = cand
                        break
        else:
            raise MappingError(f"system {name!r}: unknown match mode {how!r}")
        if hit:
            return Concept(uri, hit[0], hit[1])
        pattern = spec.get("code_pattern")
        if pattern and re.match(pattern, text):
            return Concept(uri, text, None)
        return None


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


# ----------------------------------------------------------------------------- values

def _cell(entry: Any) -> Any:
    """The value of a results.jsonl field or table cell (also accepts bare golden values)."""
    if isinstance(entry, dict) and "value" in entry:
        return entry["value"]
    return entry


def _present(v: Any) -> bool:
    return v is not None and not (isinstance(v, str) and v.strip() == "") and v != [] and v != {}


def _number(v: Any) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return Decimal(str(v).replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() and "." not in str(d) and "E" not in str(d) else float(d)


_TITLE = {"dr", "mr", "mrs", "ms", "miss", "prof"}
_SUFFIX = {"md", "do", "np", "pa", "pa-c", "rn", "phd", "pharmd", "dds", "jr", "sr", "ii", "iii", "iv", "facp", "mph"}


def human_name(text: str) -> dict | None:
    """'Doe, Jane M' / 'Jane M. Doe' / 'Dr. Jane Doe, MD' -> HumanName (text keeps the print)."""
    text = " ".join(str(text).split())
    if not text:
        return None
    prefix, suffix = [], []
    parts = [p.strip() for p in text.split(",")]
    # trailing credentials after a comma: "Jane Doe, MD"
    while len(parts) > 1 and all(t.strip(".").casefold() in _SUFFIX for t in parts[-1].split()):
        suffix = parts.pop().split() + suffix
    if len(parts) >= 2:
        family = parts[0]
        given = " ".join(parts[1:]).split()
    else:
        tokens = parts[0].split()
        while tokens and tokens[0].strip(".").casefold() in _TITLE:
            prefix.append(tokens.pop(0))
        while len(tokens) > 1 and tokens[-1].strip(".").casefold() in _SUFFIX:
            suffix.insert(0, tokens.pop())
        family = tokens[-1] if tokens else ""
        given = tokens[:-1]
    out: dict[str, Any] = {"text": text}
    if family:
        out["family"] = family
    if given:
        out["given"] = given
    if prefix:
        out["prefix"] = prefix
    if suffix:
        out["suffix"] = suffix
    return out


def slug(text: Any) -> str | None:
    s = re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-")
    return s or None


_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(-?\d+(?:\.\d+)?)\s*$", re.I)
_BOUND = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*(-?\d+(?:\.\d+)?)\s*$")
_VALUE = re.compile(r"^\s*(<=|>=|<|>|≤|≥)?\s*(-?\d+(?:,\d{3})*(?:\.\d+)?)\s*$")
_COMPARATOR = {"≤": "<=", "≥": ">="}


# ----------------------------------------------------------------------------- the interpreter

def _where(spec: dict) -> str:
    """Names the field (never its value) for error messages."""
    if "field" in spec and "column" in spec:
        return f"{spec['field']}.{spec['column']}"
    return str(spec.get("field") or spec.get("column") or "value")


def _bad(spec: dict, what: str) -> None:
    raise BuildError(f"{_where(spec)}: not {what}")


@dataclass
class _Instance:
    spec: ResourceSpec
    row: int | None
    full_url: str
    ident: list[dict]
    key_identifier: dict
    alias_of: str | None = None   # full_url of an earlier entry with the same business key
    match: str | None = None      # conditional-create query when there is no business identifier


@dataclass
class _Ctx:
    fields: dict
    row: dict | None = None
    row_index: int | None = None
    table: str | None = None


class _Builder:
    def __init__(self, result: dict, mapping: Mapping, term: Terminology) -> None:
        self.result = result
        self.mapping = mapping
        self.term = term
        self.sha = result["sha256"]
        self.fields: dict = result.get("fields") or {}
        self.instances: dict[str, list[_Instance]] = {}

    # ------------------------------------------------------------- field access
    def field_value(self, name: str) -> Any:
        return _cell(self.fields.get(name))

    def rows(self, table: str) -> list[dict]:
        value = self.field_value(table)
        if not isinstance(value, list):
            return []
        return [r if isinstance(r, dict) else {} for r in value]

    def source(self, spec: dict, ctx: _Ctx) -> Any:
        if "const" in spec:
            return spec["const"]
        if "field" in spec:
            value = self.field_value(spec["field"])
            if "column" in spec:  # a table column outside a row: all its values (reduced in `value`)
                return [_cell(r.get(spec["column"])) for r in self.rows(spec["field"])]
            return value
        if "column" in spec:
            if ctx.row is None:
                raise MappingError(f"'column: {spec['column']}' used outside for_each")
            return _cell(ctx.row.get(spec["column"]))
        if "join" in spec:
            parts = [self.value(p, ctx) for p in spec["join"]]
            if spec.get("all") and not all(_present(p) for p in parts):
                return None
            parts = [str(p) for p in parts if _present(p)]
            return spec.get("sep", " ").join(parts) if parts else None
        return None

    # ------------------------------------------------------------- spec evaluation
    def value(self, spec: Any, ctx: _Ctx) -> Any:
        """Evaluate one mapping node: constant, source spec, nested element or list."""
        if isinstance(spec, list):
            out: list = []
            for item in spec:
                v = self.value(item, ctx)
                if isinstance(item, dict) and "for_each" in item and isinstance(v, list):
                    out.extend(v)
                elif isinstance(v, list) and isinstance(item, dict) and "ref" in item:
                    out.extend(v)
                elif _present(v):
                    out.append(v)
            return out or None
        if not isinstance(spec, dict):
            return spec
        if not self._condition(spec):
            return None
        if "for_each" in spec:
            out = []
            for i, row in enumerate(self.rows(spec["for_each"])):
                sub = _Ctx(self.fields, row, i, spec["for_each"])
                if spec.get("when") and not any(_present(_cell(row.get(c))) for c in spec["when"]):
                    continue
                v = self.value(spec.get("elements") or {}, sub)
                if _present(v):
                    out.append(v)
            return out or None
        if "ref" in spec:
            return self.reference(spec["ref"], ctx)
        if "first" in spec:
            for alt in spec["first"]:
                v = self.value(alt, ctx)
                if _present(v):
                    return v
            return None
        if "field" in spec and "column" in spec:  # a table column outside a row, reduced by `pick`
            values = [self.transform(spec.get("as"), v, spec, ctx) for v in self.source(spec, ctx)]
            values = [v for v in values if _present(v)]
            if not values:
                return None
            pick = spec.get("pick", "first")
            if pick not in ("first", "last", "min", "max"):
                raise MappingError(f"unknown pick {pick!r}")
            if pick in ("min", "max"):
                key = (lambda v: (0, v, "")) if all(isinstance(v, (int, float)) for v in values) else (lambda v: (1, 0, str(v)))
                return (min if pick == "min" else max)(values, key=key)
            return values[0] if pick == "first" else values[-1]
        if "const" in spec and "as" not in spec:
            return spec["const"]
        if SOURCE_KEYS & spec.keys():
            raw = self.source(spec, ctx)
            if isinstance(raw, str):
                raw = " ".join(raw.split()) or None
            if "map" in spec and raw is not None:
                table = {str(k).casefold(): v for k, v in spec["map"].items()}
                raw = table.get(str(raw).casefold())
            return self.transform(spec.get("as"), raw, spec, ctx)
        # a nested element: evaluate its children
        out_d: dict = {}
        for k, v in spec.items():
            if k in ("if", "unless"):
                continue
            ev = self.value(v, ctx)
            if _present(ev):
                if k.endswith("[x]"):
                    typ, val = ev
                    out_d[k[:-3] + typ] = val
                elif k == "system" and isinstance(ev, str):
                    out_d[k] = self.term.uri(ev)
                else:
                    out_d[k] = ev
        return out_d or None

    def _condition(self, spec: dict) -> bool:
        if "if" in spec and not self.instances.get(spec["if"]):
            return False
        if "unless" in spec and self.instances.get(spec["unless"]):
            return False
        return True

    def reference(self, key: str, ctx: _Ctx) -> Any:
        if key not in self.instances and key not in {r.key for r in self.mapping.resources}:
            raise MappingError(f"ref to unknown resource {key!r}")
        found = self.instances.get(key) or []
        if not found:
            return None
        spec = found[0].spec
        if spec.for_each:
            if ctx.table == spec.for_each and ctx.row_index is not None:
                found = [i for i in found if i.row == ctx.row_index]
                return {"reference": found[0].alias_of or found[0].full_url} if found else None
            return [{"reference": i.alias_of or i.full_url} for i in found]
        return {"reference": found[0].alias_of or found[0].full_url}

    # ------------------------------------------------------------- transforms
    def transform(self, kind: str | None, raw: Any, spec: dict, ctx: _Ctx) -> Any:
        if kind == "row_number" or (kind == "pointer" and not _present(raw)):
            return None if ctx.row_index is None else ctx.row_index + 1
        if not _present(raw):
            return None
        if isinstance(raw, (dict, list)):
            raise BuildError(f"{_where(spec)}: expected a single value, got a {type(raw).__name__}")
        if kind in (None, "string"):
            return raw if isinstance(raw, bool) and kind is None else str(raw)
        if kind == "date":
            m = re.match(r"^(\d{4}-\d{2}-\d{2})", str(raw))
            try:
                return date.fromisoformat(m.group(1)).isoformat() if m else _bad(spec, "a date")
            except ValueError:
                return _bad(spec, "a date")
        if kind == "dateTime":
            return str(raw)
        if kind == "integer":
            n = _number(raw)
            return int(n) if n is not None and n.is_finite() and n == n.to_integral_value() else _bad(spec, "an integer")
        if kind == "decimal":
            n = _number(raw)
            return _json_number(n) if n is not None and n.is_finite() else _bad(spec, "a number")
        if kind == "slug":
            return slug(raw)
        if kind == "name":
            return human_name(str(raw))
        if kind == "money":
            n = _number(raw)
            if n is None or not n.is_finite():
                _bad(spec, "an amount")
            return {"value": _json_number(n), "currency": "USD"}
        if kind == "quantity":
            n = _number(raw)
            if n is None or not n.is_finite():
                _bad(spec, "a number")
            return self.quantity(n, self.value(spec.get("unit"), ctx), None)
        if kind == "value":  # value[x]: Quantity when numeric, else string
            m = _VALUE.match(str(raw))
            if m:
                comparator = _COMPARATOR.get(m.group(1), m.group(1))
                n = Decimal(m.group(2).replace(",", ""))
                return ("Quantity", self.quantity(n, self.value(spec.get("unit"), ctx), comparator))
            return ("String", str(raw))
        if kind == "reference_range":
            return self.reference_range(str(raw), self.value(spec.get("unit"), ctx))
        if kind in ("codeable", "coding"):
            return self.codeable(raw, spec, ctx, kind)
        if kind == "pointer":
            s = str(raw).strip().upper()
            if len(s) == 1 and "A" <= s <= "L":
                return ord(s) - ord("A") + 1
            if s.isdigit():
                return int(s)
            return None if ctx.row_index is None else ctx.row_index + 1
        if kind == "pointers":
            s = str(raw).strip().upper()
            if re.fullmatch(r"[A-L]+", s):
                return [ord(c) - ord("A") + 1 for c in s]
            nums = [int(x) for x in re.findall(r"\d+", s)]
            return nums or None
        raise MappingError(f"unknown transform 'as: {kind}'")

    def quantity(self, n: Decimal, unit: Any, comparator: str | None) -> dict:
        q: dict[str, Any] = {"value": _json_number(n)}
        if comparator:
            q["comparator"] = comparator
        if _present(unit):
            q["unit"] = str(unit)
            concept = self.term.lookup("ucum", unit)
            if concept:
                q["system"], q["code"] = concept.system, concept.code
        return q

    def reference_range(self, text: str, unit: Any) -> list[dict]:
        rng: dict[str, Any] = {"text": text}
        m = _RANGE.match(text)
        if m:
            rng["low"] = self.quantity(Decimal(m.group(1)), unit, None)
            rng["high"] = self.quantity(Decimal(m.group(2)), unit, None)
        else:
            b = _BOUND.match(text)
            if b:
                side = "high" if b.group(1) in ("<", "<=", "≤") else "low"
                rng[side] = self.quantity(Decimal(b.group(2)), unit, None)
        return [rng]

    def codeable(self, raw: Any, spec: dict, ctx: _Ctx, kind: str) -> dict | None:
        text = str(raw)
        system = spec.get("lookup")
        concept = self.term.lookup(system, text) if system else None
        if concept is None and spec.get("system"):
            concept = Concept(self.term.uri(spec["system"]), text, None)
        if kind == "coding":
            if concept is None:
                return None
            c = {"system": concept.system, "code": concept.code}
            if concept.display:
                c["display"] = concept.display
            return c
        if concept is None and spec.get("strict"):
            return None
        out: dict[str, Any] = {}
        if concept:
            coding = {"system": concept.system, "code": concept.code}
            if concept.display:
                coding["display"] = concept.display
            out["coding"] = [coding]
        label = self.value(spec["text"], ctx) if "text" in spec else None
        out["text"] = str(label) if _present(label) else (concept.display if concept and concept.display and concept.code == text else text)
        return out

    # ------------------------------------------------------------- resources
    def identifiers(self, spec: ResourceSpec, ctx: _Ctx) -> list[dict]:
        out = []
        for ident in spec.identifier:
            value = self.value({k: v for k, v in ident.items() if k not in ("system", "type", "assigner")}, ctx)
            if not _present(value):
                continue
            i: dict[str, Any] = {}
            system = self.term.uri(ident.get("system")) if ident.get("system") else None
            if "assigner" in ident:
                assigner = self.value(ident["assigner"], ctx)
                if _present(assigner):
                    system = f"{system}:{slug(assigner)}" if system else None
                    i["assigner"] = {"display": str(assigner)}
            if system:
                i["system"] = system
            if ident.get("type"):
                code = ident["type"]
                i["type"] = {"coding": [{"system": V2_0203, "code": code, "display": IDENTIFIER_TYPES.get(code, code)}]}
            i["value"] = str(value)
            out.append(i)
        return out

    def plan(self) -> None:
        """Decide which resource instances exist, their fullUrls and conditional-create keys."""
        seen: dict[tuple[str, str, str], str] = {}
        derived = self.term.uri("derived")
        for spec in self.mapping.resources:
            rows: list[tuple[int | None, _Ctx]]
            if spec.for_each:
                rows = [(i, _Ctx(self.fields, r, i, spec.for_each)) for i, r in enumerate(self.rows(spec.for_each))]
            else:
                rows = [(None, _Ctx(self.fields))]
            for row, ctx in rows:
                if spec.when:
                    getter = (lambda c: _cell(ctx.row.get(c))) if ctx.row is not None else self.field_value
                    if not any(_present(getter(c)) for c in spec.when):
                        continue
                local = spec.key if row is None else f"{spec.key}/{row}"
                full_url = f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{self.sha}/{local}')}"
                ident = self.identifiers(spec, ctx)
                natural = [i for i in ident if i.get("system")]
                match = None
                if spec.key_mode == "document" or not natural:
                    key_identifier = {"system": derived, "value": f"{self.sha}:{local}"}
                    match = self.demographics(spec, ctx) if spec.type == "Patient" and spec.key_mode != "document" else None
                    if match is None:
                        ident = ident + [key_identifier]
                else:
                    key_identifier = natural[0]
                inst = _Instance(spec, row, full_url, ident, key_identifier, match=match)
                dedupe = (spec.type, "match", match) if match else (spec.type, key_identifier["system"], key_identifier["value"])
                if dedupe in seen:
                    inst.alias_of = seen[dedupe]
                else:
                    seen[dedupe] = full_url
                self.instances.setdefault(spec.key, []).append(inst)

    def demographics(self, spec: ResourceSpec, ctx: _Ctx) -> str | None:
        """A Patient with no MRN is matched by family + given name + birth date (+ gender when
        known): `family:exact=..&given:exact=..&birthdate=..[&gender=..]`. None when any of the
        three is missing: then the Patient is keyed to this document (never a guess)."""
        names = self.value(spec.elements.get("name"), ctx) if "name" in spec.elements else None
        name = names[0] if isinstance(names, list) and names else names
        birth = self.value(spec.elements.get("birthDate"), ctx) if "birthDate" in spec.elements else None
        if not isinstance(name, dict) or not name.get("family") or not name.get("given") or not birth:
            return None
        parts = [("family:exact", name["family"]), ("given:exact", name["given"][0]), ("birthdate", str(birth))]
        gender = self.value(spec.elements.get("gender"), ctx) if "gender" in spec.elements else None
        if gender in ("male", "female", "other", "unknown"):
            parts.append(("gender", gender))
        return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in parts)

    def build(self) -> list[tuple[_Instance, dict]]:
        out = []
        for spec in self.mapping.resources:
            for inst in self.instances.get(spec.key, []):
                if inst.alias_of:
                    continue
                ctx = _Ctx(self.fields) if inst.row is None else _Ctx(self.fields, self.rows(spec.for_each)[inst.row], inst.row, spec.for_each)
                body = self.value(spec.elements, ctx) or {}
                resource = {"resourceType": spec.type, **({"identifier": inst.ident} if inst.ident else {}), **body}
                out.append((inst, resource))
        return out


def _if_none_exist(identifier: dict) -> str:
    def esc(s: str) -> str:
        return re.sub(r"([\\|,$])", r"\\\1", s)
    return "identifier=" + quote(f"{esc(identifier['system'])}|{esc(identifier['value'])}", safe=":/")


def _validate(resource: dict) -> dict:
    """Validate with the fhir.resources R4B model and the required bindings; return the resource.

    The dict itself is kept (not the model's re-serialisation, which costs as much again): docc's
    transforms already produce canonical JSON types, and tests check that the model's own JSON
    equals it for every sample."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    model_cls = get_fhir_model_class(resource["resourceType"])
    try:
        model_cls.model_validate(resource)
    except ValidationError as e:
        where = sorted({".".join(str(p) for p in err["loc"]) for err in e.errors()})
        raise BuildError(f"{resource['resourceType']} does not validate at {', '.join(where)}") from None
    assert_bindings(resource)
    return resource


def _recorded(builder: _Builder, mapping: Mapping) -> str:
    explicit = builder.result.get("recorded") or builder.result.get("processed_at")
    if explicit:
        return str(explicit)
    spec = mapping.document.get("date")
    day = builder.transform("date", builder.value(spec, _Ctx(builder.fields)), {}, _Ctx(builder.fields)) if spec else None
    return f"{day or '1970-01-01'}T00:00:00Z"


def build_bundle(result: dict, fhir_dir: Path | None = None, mappings: Path | str | None = None,
                 mapping: Mapping | None = None) -> dict:
    """One FHIR R4 transaction Bundle for one results.jsonl record (any status; callers send only
    `exported` ones). Raises MappingError for a bad mapping, BuildError for fields that do not
    make valid FHIR. A doc type with no mapping file gets `default_mapping` (Patient,
    DocumentReference, Provenance and what field names say with certainty)."""
    if mapping is None:
        try:
            mapping = load_mapping(result["doc_type"], Path(fhir_dir) if fhir_dir else None, mappings)
        except MappingError:
            if mapping_path(result["doc_type"], Path(fhir_dir) if fhir_dir else None, mappings).exists():
                raise
            mapping = default_mapping(result["doc_type"], (result.get("fields") or {}).keys())
    fhir_dir = Path(fhir_dir or settings().fhir_dir or FHIR_DIR)
    term = _terminology(str(fhir_dir / "terminology"))
    b = _Builder(result, mapping, term)
    b.plan()
    built = b.build()
    sha = result["sha256"]

    entries: list[dict] = []
    for inst, resource in built:
        entries.append({"fullUrl": inst.full_url, "resource": _validate(resource),
                        "request": {"method": "POST", "url": inst.spec.type,
                                    "ifNoneExist": inst.match or _if_none_exist(inst.key_identifier)}})

    # the source document
    doc_system = term.uri("document-sha256")
    doc_url = f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{sha}/document')}"
    doc = mapping.document
    attachment: dict[str, Any] = {"contentType": MEDIA_TYPES.get(Path(result.get("source") or "").suffix.lower(),
                                                                 "application/octet-stream")}
    if result.get("source"):
        attachment["title"] = source_title(result["source"])
    docref: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "identifier": [{"system": doc_system, "value": sha}],
        "status": "current",
        "description": f"docc {result['doc_type']}",
        "content": [{"attachment": attachment}],
    }
    if doc.get("type"):
        docref["type"] = {"coding": [b.value(doc["type"], _Ctx(b.fields))]}
    if doc.get("subject"):
        docref["subject"] = b.reference(doc["subject"], _Ctx(b.fields))
    if doc.get("encounter"):
        enc = b.reference(doc["encounter"], _Ctx(b.fields))
        if enc:
            docref["context"] = {"encounter": [enc]}
    docref = {k: v for k, v in docref.items() if _present(v)}
    entries.append({"fullUrl": doc_url, "resource": _validate(docref),
                    "request": {"method": "POST", "url": "DocumentReference",
                                "ifNoneExist": _if_none_exist({"system": doc_system, "value": sha})}})

    # provenance: what docc created, from which document, with which extractor
    entity = [{"role": "source", "what": {"reference": doc_url, "display": f"source document {sha[:12]}"}}]
    if result.get("extractor_sha256"):
        entity.append({"role": "derivation", "what": {
            "identifier": {"system": term.uri("extractor-sha256"), "value": result["extractor_sha256"]},
            "display": f"docc extractor {result['doc_type']}"}})
    provenance = {
        "resourceType": "Provenance",
        "target": [{"reference": e["fullUrl"]} for e in entries if e["fullUrl"] != doc_url] or [{"reference": doc_url}],
        "recorded": _recorded(b, mapping),
        "agent": [{"type": {"coding": [{"system": term.uri("provenance-participant-type"), "code": "assembler",
                                        "display": "Assembler"}]},
                   "who": {"display": "docc document compiler"}}],
        "entity": entity,
    }
    entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{sha}/provenance')}",
                    "resource": _validate(provenance),
                    "request": {"method": "POST", "url": "Provenance",
                                "ifNoneExist": "entity:DocumentReference.identifier="
                                               + quote(f"{doc_system}|{sha}", safe=":/")}})

    bundle = {"resourceType": "Bundle", "type": "transaction",
              "identifier": {"system": doc_system, "value": sha}, "entry": entries}
    # the envelope (resources were validated one by one above)
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate({**bundle, "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries]})
    assert_bindings({**bundle, "entry": [{"request": e["request"]} for e in entries]})
    return bundle


def source_title(source: str) -> str:
    """The DocumentReference title: the source file's name (no folders)."""
    return Path(str(source).replace("\\", "/")).name


def set_source_title(bundle: dict, source: str) -> dict:
    """Title the Bundle's DocumentReference with the source file name. The batch workers build
    Bundles from content alone (their state is keyed by sha256); the driver, which knows the
    path, names the file here."""
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") or {}
        if res.get("resourceType") == "DocumentReference":
            for content in res.get("content") or []:
                content.setdefault("attachment", {})["title"] = source_title(source)
    return bundle


# ----------------------------------------------------------------------------- output

def dumps(obj: Any, indent: int | None = None) -> str:
    """Canonical JSON: sorted keys, UTF-8, no trailing spaces."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=indent,
                      separators=(",", ": ") if indent else (",", ":"))


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def bundle_path(out_dir: Path, sha256: str) -> Path:
    return Path(out_dir) / f"{sha256}.json"


def write_bundle(bundle: dict, out_dir: Path) -> Path:
    """Write OUT/fhir/<sha256>.json atomically: compact JSON, sorted keys, trailing newline (the
    same bytes as the batch runner's `pipeline.state.dumps(bundle) + b"\\n"`)."""
    path = bundle_path(out_dir, bundle["identifier"]["value"])
    _atomic_write(path, dumps(bundle) + "\n")
    return path


def bundle_resources(bundle: dict) -> Iterator[dict]:
    for entry in bundle.get("entry") or []:
        if entry.get("resource"):
            yield entry["resource"]


def ndjson_resources(bundle: dict) -> Iterator[dict]:
    """Resources for bulk load, with ids and `Type/id` references instead of urn:uuid fullUrls.

    The id is uuid5 of the resource type + its conditional-create key, so a resource shared by
    several documents (one Patient MRN, one NPI) gets one id everywhere."""
    ids: dict[str, str] = {}
    for e in bundle.get("entry") or []:
        res, req = e.get("resource") or {}, e.get("request") or {}
        key = req.get("ifNoneExist") or e.get("fullUrl", "")
        ids[e.get("fullUrl", "")] = f"{res.get('resourceType')}/{uuid.uuid5(NAMESPACE, res.get('resourceType', '') + '?' + key)}"

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            ref = out.get("reference")
            if isinstance(ref, str) and ref in ids:
                out["reference"] = ids[ref]
            return out
        if isinstance(node, list):
            return [fix(x) for x in node]
        return node

    for entry in bundle.get("entry") or []:
        res = entry.get("resource")
        if not res:
            continue
        res = fix(res)
        res["id"] = ids[entry.get("fullUrl", "")].split("/", 1)[1]
        yield res


def write_ndjson(bundles: Iterable[dict], out_dir: Path, presorted: bool = False) -> dict[str, int]:
    """OUT/ndjson/<ResourceType>.ndjson for bulk loads; returns {type: count}.

    Deterministic: bundles are taken in document sha256 order (pass `presorted=True` with an
    iterator already in that order to stream without holding all Bundles), resources keep their
    Bundle order; a resource shared by several documents (same business key) is written once.
    Each resource gets a deterministic `id` and references become `Type/id`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not presorted:
        bundles = sorted(bundles, key=lambda b: b.get("identifier", {}).get("value", ""))
    seen: set[tuple[str, str]] = set()
    handles: dict[str, Any] = {}
    counts: dict[str, int] = {}
    try:
        for bundle in bundles:
            for res in ndjson_resources(bundle):
                key = (res["resourceType"], res["id"])
                if key in seen:
                    continue
                seen.add(key)
                rtype = res["resourceType"]
                if rtype not in handles:
                    handles[rtype] = open(out_dir / f".{rtype}.ndjson.tmp", "w", encoding="utf-8")
                handles[rtype].write(dumps(res) + "\n")
                counts[rtype] = counts.get(rtype, 0) + 1
    except BaseException:
        for rtype, fh in handles.items():
            fh.close()
            with contextlib.suppress(OSError):
                os.unlink(out_dir / f".{rtype}.ndjson.tmp")
        raise
    for rtype, fh in handles.items():
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(out_dir / f".{rtype}.ndjson.tmp", out_dir / f"{rtype}.ndjson")
    for old in out_dir.glob("*.ndjson"):
        if old.stem not in handles:
            old.unlink()
    return dict(sorted(counts.items()))
