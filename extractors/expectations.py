"""Runtime validation suites, built at compile time from a schema and its golden samples.

`build_runtime_suite(schema, goldens)` returns a JSON-able description of the checks every
extracted document must pass before its FHIR is exported (the rest go to the review queue):

- `required`: required fields are present (a required table has at least one row);
- `iso_date` / `valid_date`: dates are ISO `YYYY-MM-DD` and real calendar dates in 1900..2100;
- `npi_luhn`: NPIs are 10 digits with a valid Luhn check digit (prefix 80840);
- `pattern`: identifiers and codes match a regex generalised from the golden values
  (`MRN12345678` -> `^[A-Z]{3}\\d{8}$`), or the code system's own format (LOINC, ICD-10-CM, CPT);
- `value_set`: low-cardinality string fields and table columns (units, flags, dispositions)
  take one of the values seen in the samples (compared case-insensitively); never for
  open-ended strings that name things (facility, lab, payer, test or drug names);
- `numeric` / `range`: numbers parse and lie in a plausible range (the samples' range widened
  by a generous margin);
- `no_digits`: person names hold no digits.

`pipeline.checks` turns the JSON into a Great Expectations suite at run time. Every check is
row-wise (one document, or one table row), so a document's verdict never depends on which
other documents share its validation batch.

The compiler saves it as `<compiled>/<doc_type>.expectations.json` with `save_runtime_suite`,
which records the file's sha256 in the doc type's lock entry as `"expectations": {"artifact", "sha256"}`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from extractors.codes import FORMATS, npi_valid
from extractors.values import number_float
from pipeline.errors import DoccError

SUITE_VERSION = 1
SUITE_SUFFIX = ".expectations.json"

# Code-system formats (uppercased, whitespace removed before matching): `extractors.codes`.
SYSTEM_PATTERNS = FORMATS
MAX_SHAPES = 4           # distinct value shapes before a pattern falls back to a character class
VALUE_SET_MAX = 12       # at most this many distinct values ...
VALUE_SET_MIN_RATIO = 3  # ... each seen on average this many times, to call a field a value set
RANGE_FACTOR = 10.0      # plausible max = 10 x the largest golden value (same for negative mins)


# Strings that name things (facilities, labs, payers, tests, drugs) are open-ended: the samples
# never list them all, so they get no value set even when few distinct values were seen.
_OPEN_ENDED = re.compile(r"name|address|description|desc|comment|note|sig|direction|text|title", re.I)


class ExpectationsError(DoccError):
    """A missing or tampered runtime suite."""


# ------------------------------------------------------------------------- helpers


npi_luhn_ok = npi_valid  # the name the runtime suites use for the NPI check digit


def _runs(value: str) -> list[tuple[str, int]]:
    """Character-class runs: A upper, a lower, 9 digit, anything else literally."""
    runs: list[tuple[str, int]] = []
    for ch in value:
        cls = "A" if "A" <= ch <= "Z" else "a" if "a" <= ch <= "z" else "9" if "0" <= ch <= "9" else ch
        if runs and runs[-1][0] == cls:
            runs[-1] = (cls, runs[-1][1] + 1)
        else:
            runs.append((cls, 1))
    return runs


_CLASS = {"A": "[A-Z]", "a": "[a-z]", "9": r"\d"}


def _quant(lo: int, hi: int) -> str:
    if lo == hi:
        return "" if lo == 1 else f"{{{lo}}}"
    return f"{{{lo},{hi}}}"


def generalise_pattern(values: list[str]) -> str | None:
    """A regex matching every value, generalised by character class and run length."""
    values = [v for v in values if v]
    if not values:
        return None
    shapes: dict[tuple[str, ...], list[list[int]]] = {}
    for v in values:
        runs = _runs(v)
        key = tuple(c for c, _ in runs)
        shapes.setdefault(key, []).append([n for _, n in runs])
    if len(shapes) <= MAX_SHAPES:
        alts = []
        for key in sorted(shapes):
            lens = shapes[key]
            parts = []
            for i, cls in enumerate(key):
                lo, hi = min(l[i] for l in lens), max(l[i] for l in lens)
                atom = _CLASS.get(cls, re.escape(cls))
                if cls not in _CLASS and lo == hi:
                    parts.append(atom * lo)
                else:
                    parts.append(atom + _quant(lo, hi))
            alts.append("".join(parts))
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    else:
        chars = set("".join(values))
        cls = ""
        if any("A" <= c <= "Z" for c in chars):
            cls += "A-Z"
        if any("a" <= c <= "z" for c in chars):
            cls += "a-z"
        if any("0" <= c <= "9" for c in chars):
            cls += "0-9"
        cls += "".join(re.escape(c) for c in sorted(c for c in chars if not c.isalnum()))
        lo, hi = min(map(len, values)), max(map(len, values))
        body = f"[{cls}]{{{lo},{hi}}}"
    pattern = f"^{body}$"
    assert all(re.fullmatch(pattern, v) for v in values), pattern
    return pattern


_number = number_float


def _plausible_range(nums: list[float]) -> tuple[float, float] | None:
    if len(nums) < 2:
        return None
    lo, hi = min(nums), max(nums)
    span = max(abs(lo), abs(hi), 1.0)
    new_lo = 0.0 if lo >= 0 else lo * RANGE_FACTOR
    new_hi = hi * RANGE_FACTOR if hi > 0 else span  # all-negative or zero: allow up to +span
    return round(new_lo, 6), round(new_hi, 6)


def _collapse(v: Any) -> str:
    return re.sub(r"\s+", " ", str(v)).strip()


def _value_set(values: list[Any]) -> list[str] | None:
    vals = [_collapse(v).casefold() for v in values if v is not None and _collapse(v)]
    distinct = sorted(set(vals))
    if not vals or len(distinct) > VALUE_SET_MAX or len(vals) < VALUE_SET_MIN_RATIO * len(distinct) or len(vals) < 6:
        return None
    return distinct


# ------------------------------------------------------------------------- build


def _spec_dict(schema: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """Accept an `extractors.schema.Schema` or the equivalent plain dict."""
    if hasattr(schema, "model_dump"):
        schema = schema.model_dump()
    fields = {}
    for name, spec in schema["fields"].items():
        spec = dict(spec or {})
        spec.setdefault("type", "string")
        cols = {c: {"type": "string", **(s or {})} for c, s in (spec.get("columns") or {}).items()}
        spec["columns"] = cols
        fields[name] = spec
    return schema["doc_type"], fields


def _checks_for(name: str, spec: dict[str, Any], values: list[Any], table: str | None) -> list[dict[str, Any]]:
    """Checks for one scalar field or table column from its golden values."""
    out: list[dict[str, Any]] = []
    ftype, system = spec.get("type", "string"), spec.get("system")
    label = f"{table}.{name}" if table else name
    base = {"table": table, "field": name}
    present = [v for v in values if v is not None and _collapse(v) != ""]
    if spec.get("required") and table is None:
        out.append({**base, "name": f"{label}:required", "kind": "not_null"})
    if ftype in ("date", "datetime"):
        out.append({**base, "name": f"{label}:iso_date", "kind": "regex",
                    "regex": r"^\d{4}-\d{2}-\d{2}$" if ftype == "date" else r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$"})
        out.append({**base, "name": f"{label}:valid_date", "kind": "derived", "derive": "valid_date"})
    elif ftype in ("integer", "decimal"):
        out.append({**base, "name": f"{label}:numeric", "kind": "derived", "derive": "numeric"})
        rng = _plausible_range([n for n in (_number(v) for v in present) if n is not None])
        if rng:
            out.append({**base, "name": f"{label}:range", "kind": "between", "min": rng[0], "max": rng[1]})
    elif ftype == "person_name":
        out.append({**base, "name": f"{label}:no_digits", "kind": "regex", "regex": r"^[^0-9]*$"})
    elif ftype in ("identifier", "code", "phone"):
        if system == "npi" or (ftype == "identifier" and "npi" in name.lower()):
            out.append({**base, "name": f"{label}:npi_luhn", "kind": "derived", "derive": "npi_luhn"})
        elif system in SYSTEM_PATTERNS:
            out.append({**base, "name": f"{label}:pattern", "kind": "regex", "regex": SYSTEM_PATTERNS[system],
                        "normalise": "code"})
        else:
            strs = [_collapse(v) for v in present]
            vs = _value_set(strs) if ftype == "code" else None
            if vs:
                out.append({**base, "name": f"{label}:value_set", "kind": "in_set", "values": vs})
            elif len(strs) >= 1:
                pat = generalise_pattern(strs)
                if pat:
                    out.append({**base, "name": f"{label}:pattern", "kind": "regex", "regex": pat})
    elif ftype == "string" and not _OPEN_ENDED.search(name):
        vs = _value_set(present)
        if vs:
            out.append({**base, "name": f"{label}:value_set", "kind": "in_set", "values": vs})
    return out


def build_runtime_suite(schema: Any, goldens: list[dict[str, Any]]) -> dict[str, Any]:
    """The runtime validation suite of one document type (JSON-able, deterministic)."""
    doc_type, fields = _spec_dict(schema)
    checks: list[dict[str, Any]] = []
    for name in sorted(fields):
        spec = fields[name]
        if spec["type"] == "table":
            rows = [r for g in goldens for r in (g.get(name) or []) if isinstance(r, dict)]
            if spec.get("required"):
                checks.append({"table": None, "field": name, "name": f"{name}:required", "kind": "derived",
                               "derive": "nonempty_table"})
            for col in sorted(spec["columns"]):
                checks.extend(_checks_for(col, spec["columns"][col], [r.get(col) for r in rows], name))
        else:
            checks.extend(_checks_for(name, spec, [g.get(name) for g in goldens], None))
    return {
        "version": SUITE_VERSION,
        "doc_type": doc_type,
        "fields": {n: {"type": s["type"], **({"columns": sorted(s["columns"])} if s["type"] == "table" else {})}
                   for n, s in sorted(fields.items())},
        "n_goldens": len(goldens),
        "checks": checks,
    }


# ------------------------------------------------------------------------- persistence


def suite_bytes(suite: dict[str, Any]) -> bytes:
    return (json.dumps(suite, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def save_runtime_suite(folder: Path, doc_type: str, suite: dict[str, Any]) -> str:
    """Write `<folder>/<doc_type>.expectations.json` and record its sha256 in the doc type's
    lock entry (`"expectations": {"artifact", "sha256"}`). Call after `record_artifact`. Returns the sha256."""
    from extractors.artifacts import atomic_write, read_lock, sha256_bytes, write_lock

    folder = Path(folder)
    data = suite_bytes(suite)
    digest = sha256_bytes(data)
    atomic_write(folder / f"{doc_type}{SUITE_SUFFIX}", data)
    lock = read_lock(folder)
    if doc_type in lock["doc_types"]:
        lock["doc_types"][doc_type]["expectations"] = {"artifact": f"{doc_type}{SUITE_SUFFIX}", "sha256": digest}
        write_lock(folder, lock)
    return digest


def load_runtime_suite(folder: Path, doc_type: str, entry: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The doc type's suite, hash-checked against the lock entry; None when none was built."""
    from extractors.artifacts import read_lock, sha256_bytes

    folder = Path(folder)
    if entry is None:
        entry = read_lock(folder)["doc_types"].get(doc_type, {})
    recorded = entry.get("expectations") or {}
    path = folder / (recorded.get("artifact") or f"{doc_type}{SUITE_SUFFIX}")
    expected = recorded.get("sha256") or entry.get("expectations_sha256")
    if not path.exists():
        if expected:
            raise ExpectationsError(f"{path}: runtime suite listed in the lock is missing")
        return None
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if expected and actual != expected:
        raise ExpectationsError(
            f"{path}: sha256 {actual[:12]}… does not match the lock ({expected[:12]}…); recompile with `docc compile`."
        )
    suite = json.loads(data.decode("utf-8"))
    suite["sha256"] = actual
    return suite
