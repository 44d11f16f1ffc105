"""Stage 3, execution: the candidate ran cleanly everywhere, its output fits the schema, and
a second run (another process, another hash seed, the documents in reverse order) gave
exactly the same output.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from extractors.schema import FieldSpec, Schema
from extractors.validation.problems import Problem
from extractors.validation.sandbox import CandidateRun

STAGE = "execution"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$")
MAX_PROBLEMS_PER_KIND = 5


def _p(code: str, message: str) -> Problem:
    return Problem(STAGE, code, message, None)


def _number_text(value: str) -> Decimal | None:
    try:
        return Decimal(value.replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        return None


def value_problem(cell: dict, spec: FieldSpec) -> str | None:
    """Why a serialised Found's value does not fit a scalar field type, or None when it fits."""
    v, t = cell.get("value"), cell.get("type")
    if v is None:
        return None
    if t not in ("str", "int", "float", "bool", "Decimal", "date", "datetime", "NoneType"):
        return f"value of unsupported type {t}"
    ft = spec.type
    if ft == "date":
        if t == "date":
            return None
        if t == "datetime":
            return None
        if t == "str" and ISO_DATE.match(v):
            return None
        return f"date must be an ISO YYYY-MM-DD string or a date, got {t} {_shape(v)}"
    if ft == "datetime":
        if t in ("date", "datetime") or (t == "str" and ISO_DATETIME.match(v)):
            return None
        return f"datetime must be ISO 8601 or a datetime, got {t} {_shape(v)}"
    if ft == "integer":
        if t == "int":
            return None
        if t in ("Decimal", "float", "str"):
            d = _number_text(str(v))
            if d is not None and d.is_finite() and d == d.to_integral_value():
                return None
        return f"integer expected, got {t} {_shape(v)}"
    if ft == "decimal":
        if t in ("int", "float", "Decimal"):
            return None
        if t == "str" and (d := _number_text(v)) is not None and d.is_finite():
            return None
        return f"number expected, got {t} {_shape(v)}"
    if t == "bool":
        return f"{ft} expected, got bool"
    if t in ("date", "datetime") and ft not in ("string",):
        return f"{ft} expected, got {t}"
    return None


def _shape(v: Any) -> str:
    """A value's shape without its content (values never go into messages verbatim)."""
    if isinstance(v, str):
        return "'" + re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", v[:20])) + ("…'" if len(v) > 20 else "'")
    return type(v).__name__


def _provenance_problem(cell: dict) -> str | None:
    page, bbox, conf, text = cell.get("page"), cell.get("bbox"), cell.get("confidence"), cell.get("text")
    if page is not None and (not isinstance(page, int) or isinstance(page, bool) or page < 1):
        return "Found.page must be a 1-based int or None"
    if bbox is not None and not (isinstance(bbox, list) and len(bbox) == 4
                                 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in bbox)):
        return "Found.bbox must be (x0, top, x1, bottom) or None"
    if not isinstance(conf, (int, float)) or isinstance(conf, bool) or not 0.0 <= conf <= 1.0:
        return "Found.confidence must be a number in 0..1"
    if text is not None and not isinstance(text, str):
        return "Found.text must be a string"
    return None


def output_problems(output: dict, schema: Schema) -> list[str]:
    """Schema conformance of one document's serialised output."""
    out: list[str] = []
    for name, cell in output.items():
        spec = schema.fields.get(name)
        if spec is None:
            out.append(f"unknown field {name!r} (not in the {schema.doc_type} schema)")
            continue
        if cell is None:
            continue
        if not isinstance(cell, dict) or "value" not in cell:
            out.append(f"{name}: malformed result")
            continue
        if (why := _provenance_problem(cell)) is not None:
            out.append(f"{name}: {why}")
        if spec.type == "table":
            rows = cell.get("value")
            if rows is None:
                continue
            if not isinstance(rows, list):
                out.append(f"{name}: a table's value must be a list of rows, got {cell.get('type')}")
                continue
            for r, row in enumerate(rows):
                if not isinstance(row, dict):
                    out.append(f"{name}[{r}]: a row must be a dict of columns")
                    break
                for col, c in row.items():
                    cspec = spec.columns.get(col)
                    if cspec is None:
                        out.append(f"{name}[{r}]: unknown column {col!r}")
                        continue
                    if c is None:
                        continue
                    if (why := _provenance_problem(c)) is not None:
                        out.append(f"{name}[{r}].{col}: {why}")
                    if (why := value_problem(c, cspec)) is not None:
                        out.append(f"{name}[{r}].{col}: {why}")
        else:
            if (why := value_problem(cell, spec)) is not None:
                out.append(f"{name}: {why}")
    return out


def _canon_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def check_execution(run: CandidateRun, schema: Schema, second_run: CandidateRun | None = None,
                    doc_ids: list[str] | None = None) -> list[Problem]:
    """Problems of one candidate's run(s); empty when it passes.

    `second_run` is the same candidate run again (the compiler runs it in another process
    with another hash seed and the documents in reverse order); None skips the check."""
    problems: list[Problem] = []
    ids = doc_ids or [f"doc#{i}" for i in range(len(run.outputs))]
    if run.status in ("timeout", "memory", "crash", "violation"):
        what = {"timeout": "timed out", "memory": "exceeded the memory limit", "crash": "crashed the sandbox",
                "violation": "attempted a forbidden operation"}[run.status]
        detail = run.error or ", ".join(run.violations)
        return [Problem("security", run.status,
                        f"candidate {what}" + (f": {detail}" if detail else ""))]
    if run.error:
        problems.append(_p("load-error", f"module failed to load: {run.error}"))
        return problems
    errors = [(ids[i], e) for i, e in enumerate(run.errors) if e]
    for doc_id, e in errors[:MAX_PROBLEMS_PER_KIND]:
        problems.append(_p("runtime-error", f"{doc_id}: {e}"))
    if len(errors) > MAX_PROBLEMS_PER_KIND:
        problems.append(_p("runtime-error", f"... and {len(errors) - MAX_PROBLEMS_PER_KIND} more documents failed"))
    if errors:
        return problems
    schema_issues: list[str] = []
    for i, out in enumerate(run.outputs):
        if out is None:
            schema_issues.append(f"{ids[i]}: no output")
            continue
        schema_issues.extend(f"{ids[i]}: {m}" for m in output_problems(out, schema))
    for m in schema_issues[:MAX_PROBLEMS_PER_KIND]:
        problems.append(_p("schema", m))
    if len(schema_issues) > MAX_PROBLEMS_PER_KIND:
        problems.append(_p("schema", f"... and {len(schema_issues) - MAX_PROBLEMS_PER_KIND} more schema problems"))
    if second_run is not None:
        if second_run.status != run.status or second_run.error != run.error:
            problems.append(_p("nondeterministic", f"second run ended {second_run.status} "
                               f"({second_run.error or ', '.join(e for e in second_run.errors if e)[:200]}) "
                               f"where the first ended {run.status}"))
        else:
            differ = [ids[i] for i, (a, b) in enumerate(zip(run.outputs, second_run.outputs))
                      if _canon_json(a) != _canon_json(b)]
            differ += [ids[i] for i, (a, b) in enumerate(zip(run.errors, second_run.errors)) if a != b and ids[i] not in differ]
            if differ:
                problems.append(_p("nondeterministic", "two runs gave different output on "
                                   f"{len(differ)} document(s): {', '.join(differ[:5])}"))
    return problems
