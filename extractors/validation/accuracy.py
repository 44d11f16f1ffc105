"""Stage 4, accuracy: extracted against golden, per field, on held-out samples.

Two scorers with one semantics:

- `score_fields` is pure Python and fast; the compiler ranks hundreds of candidates with it;
- `GXAccuracy` builds a Great Expectations suite over the same aligned value pairs and
  produces the validation record kept for the winning candidates (and for `docc eval`).
  `tests/test_validation.py` checks that both give the same counts.

Per scalar field, one row per held-out sample: the canonical golden value and the canonical
extracted value (`extractors.canonical.canonical` with the field's type; absent = None).
- accuracy = rows where both are equal (both absent counts as equal) / rows;
- TP = extracted non-null and equal; FP = extracted non-null and not equal;
  FN = golden non-null and not matched (extracted absent or wrong);
- precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; with nothing
  predicted and nothing expected precision and recall are 1.

Table fields are scored cell by cell. Extracted rows are aligned with golden rows twice, by
position and by a key column (the schema column with the most distinct golden values; each
golden row takes the first unused extracted row with the same key); per document the
alignment with the better F1 is kept (`extractors.scoring.align_rows`, the one pairing rule
shared with compile-time ranking and `docc eval`). Unpaired golden rows count their non-null cells as FN,
unpaired extracted rows theirs as FP. Per-column metrics are reported; the field's F1 is the
cell-level F1 over all columns and documents, and a table's `score` is that F1 (a scalar's
`score` is its accuracy).

The GX suite has three `ExpectColumnPairValuesToBeEqual` expectations over the same rows:
`expected` vs `extracted` with absent values as a sentinel (accuracy; `mostly` is the
threshold), `expected` vs `extracted_or_null` ignoring rows with a missing value (its
unexpected count is FP) and `expected_or_null` vs `extracted` likewise (unexpected = FN).
"""
from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from extractors.canonical import canonical
from extractors.schema import FieldSpec, Schema
from extractors.scoring import align_rows

NULL = "\u2205<absent>"  # sentinel for an absent value in GX columns


@dataclass
class Counts:
    n: int = 0
    matches: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, expected: str | None, extracted: str | None) -> None:
        self.n += 1
        if expected == extracted:
            self.matches += 1
        if extracted is not None:
            if extracted == expected:
                self.tp += 1
            else:
                self.fp += 1
        if expected is not None and extracted != expected:
            self.fn += 1

    def metrics(self) -> dict[str, float]:
        return metrics_from_counts(self.n, self.matches, self.tp, self.fp, self.fn)


def metrics_from_counts(n: int, matches: int, tp: int, fp: int, fn: int) -> dict[str, float]:
    accuracy = matches / n if n else 1.0
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1}


@dataclass
class FieldScore:
    """Scores of one field of one candidate on the held-out samples."""

    field: str
    type: str
    n_docs: int
    n: int                      # compared values (documents for scalars, aligned cells for tables)
    matches: int
    tp: int
    fp: int
    fn: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    score: float                # what ranking uses: accuracy (scalar) or cell F1 (table)
    mismatched_docs: list[str] = field(default_factory=list)   # ids only, never values
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    gx: dict | None = None      # Great Expectations validation result (JSON), when produced

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ aligned value pairs

Pair = tuple[str, str, str | None, str | None]  # (doc_id, column or "", expected, extracted)


def _cell_value(cell: Any) -> Any:
    if isinstance(cell, dict) and "value" in cell:
        return cell["value"]
    return cell


def scalar_pairs(name: str, spec: FieldSpec, ids: Iterable[str], outputs_by_id: dict[str, dict | None],
                 golden_by_id: dict[str, dict]) -> list[Pair]:
    pairs = []
    for doc_id in ids:
        out = outputs_by_id.get(doc_id) or {}
        exp = canonical((golden_by_id.get(doc_id) or {}).get(name), spec.type)
        ext = canonical(_cell_value(out.get(name)), spec.type)
        pairs.append((doc_id, "", exp, ext))
    return pairs


def _canon_rows(rows: Any, spec: FieldSpec) -> list[dict[str, str | None]]:
    if not isinstance(rows, list):
        return []
    out = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        out.append({col: canonical(_cell_value(row.get(col)), cspec.type) for col, cspec in spec.columns.items()})
    return out


def _cells(pairs: list[tuple[dict | None, dict | None]], cols: list[str], doc_id: str) -> list[Pair]:
    out = []
    for g, e in pairs:
        for col in cols:
            out.append((doc_id, col, (g or {}).get(col), (e or {}).get(col)))
    return out


def table_pairs(name: str, spec: FieldSpec, ids: Iterable[str], outputs_by_id: dict[str, dict | None],
                golden_by_id: dict[str, dict]) -> list[Pair]:
    cols = list(spec.columns)
    result: list[Pair] = []
    for doc_id in ids:
        golden = _canon_rows((golden_by_id.get(doc_id) or {}).get(name), spec)
        extracted = _canon_rows(_cell_value((outputs_by_id.get(doc_id) or {}).get(name)), spec)
        alignment = align_rows(extracted, golden, cols)
        best = _cells([(golden[gi] if gi is not None else None, extracted[ei] if ei is not None else None)
                       for ei, gi in alignment], cols, doc_id)
        result.extend(best or [])
    return result


def field_pairs(name: str, spec: FieldSpec, ids: list[str], outputs_by_id: dict[str, dict | None],
                golden_by_id: dict[str, dict]) -> list[Pair]:
    if spec.type == "table":
        return table_pairs(name, spec, ids, outputs_by_id, golden_by_id)
    return scalar_pairs(name, spec, ids, outputs_by_id, golden_by_id)


def _score_from_pairs(name: str, spec: FieldSpec, ids: list[str], pairs: list[Pair]) -> FieldScore:
    total = Counts()
    per_col: dict[str, Counts] = {}
    mismatched: list[str] = []
    for doc_id, col, e, x in pairs:
        total.add(e, x)
        if spec.type == "table":
            per_col.setdefault(col, Counts()).add(e, x)
        if e != x and doc_id not in mismatched:
            mismatched.append(doc_id)
    m = total.metrics()
    columns = {col: {**asdict(c), **c.metrics()} for col, c in per_col.items()}
    score = m["f1"] if spec.type == "table" else m["accuracy"]
    return FieldScore(field=name, type=spec.type, n_docs=len(ids), n=total.n, matches=total.matches,
                      tp=total.tp, fp=total.fp, fn=total.fn, score=score, mismatched_docs=mismatched,
                      columns=columns, **m)


def score_fields(outputs_by_id: dict[str, dict | None], golden_by_id: dict[str, dict], schema: Schema,
                 heldout_ids: list[str], fields: Iterable[str] | None = None) -> dict[str, FieldScore]:
    """Fast pure-Python per-field scores on `heldout_ids` (same semantics as the GX suite).

    `fields` defaults to the schema fields the candidate returned on any document, so a
    candidate written for a few fields is scored on those only."""
    ids = list(heldout_ids)
    if fields is None:
        present = set()
        for out in outputs_by_id.values():
            present.update(out or {})
        fields = [f for f in schema.fields if f in present]
    scores = {}
    for name in fields:
        spec = schema.fields[name]
        scores[name] = _score_from_pairs(name, spec, ids, field_pairs(name, spec, ids, outputs_by_id, golden_by_id))
    return scores


# ------------------------------------------------------------------ Great Expectations

class GXAccuracy:
    """A reusable Great Expectations context and suite for field accuracy.

    Creating the context costs seconds (the import) and each validation tens of ms, so make
    one instance per compile and reuse it; it is safe to share between threads."""

    SUITE = "docc_field_accuracy"

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self._lock = threading.Lock()
        self.context = gx.get_context(mode="ephemeral")
        try:
            self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        source = self.context.data_sources.add_pandas("docc_accuracy")
        asset = source.add_dataframe_asset("field_values")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("per_field")
        self._suites: dict[float, Any] = {}

    def _suite(self, mostly: float):
        suite = self._suites.get(mostly)
        if suite is None:
            E = self._gx.expectations
            suite = self._gx.ExpectationSuite(name=f"{self.SUITE}_{int(round(mostly * 1000))}")
            suite.add_expectation(E.ExpectColumnPairValuesToBeEqual(
                column_A="expected", column_B="extracted", mostly=mostly, ignore_row_if="neither",
                meta={"docc": "accuracy"}))
            suite.add_expectation(E.ExpectColumnPairValuesToBeEqual(
                column_A="expected", column_B="extracted_or_null", mostly=0.0,
                ignore_row_if="either_value_is_missing", meta={"docc": "precision"}))
            suite.add_expectation(E.ExpectColumnPairValuesToBeEqual(
                column_A="expected_or_null", column_B="extracted", mostly=0.0,
                ignore_row_if="either_value_is_missing", meta={"docc": "recall"}))
            suite = self.context.suites.add(suite)
            self._suites[mostly] = suite
        return suite

    def validate_pairs(self, pairs: list[Pair], mostly: float = 0.0) -> tuple[dict, dict[str, int]]:
        """Validate aligned pairs; returns (GX result JSON, counts derived from it)."""
        import pandas as pd

        def s(v: str | None) -> str:
            return NULL if v is None else v

        df = pd.DataFrame({
            "doc_id": [p[0] for p in pairs],
            "column": [p[1] for p in pairs],
            "expected": pd.Series([s(p[2]) for p in pairs], dtype=object),
            "extracted": pd.Series([s(p[3]) for p in pairs], dtype=object),
            "expected_or_null": pd.Series([p[2] for p in pairs], dtype=object),
            "extracted_or_null": pd.Series([p[3] for p in pairs], dtype=object),
        })
        with self._lock:
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": df})
            result = batch.validate(self._suite(mostly), result_format="SUMMARY")
        doc = result.to_json_dict()
        counts = {"n": len(pairs), "matches": len(pairs), "tp": 0, "fp": 0, "fn": 0}
        for r in doc["results"]:
            kind = r["expectation_config"].get("meta", {}).get("docc")
            res = r.get("result") or {}
            unexpected = int(res.get("unexpected_count") or 0)
            evaluated = int(res.get("element_count") or 0) - int(res.get("missing_count") or 0)
            if kind == "accuracy":
                counts["matches"] = len(pairs) - unexpected
            elif kind == "precision":
                counts["fp"] = unexpected
                counts["tp"] = evaluated - unexpected
            elif kind == "recall":
                counts["fn"] = unexpected
        return doc, counts

    def score_field(self, name: str, spec: FieldSpec, outputs_by_id: dict[str, dict | None],
                    golden_by_id: dict[str, dict], heldout_ids: list[str], mostly: float = 0.0) -> FieldScore:
        """One field's score computed from the GX validation result, with the record attached."""
        ids = list(heldout_ids)
        pairs = field_pairs(name, spec, ids, outputs_by_id, golden_by_id)
        doc, c = self.validate_pairs(pairs, mostly)
        fast = _score_from_pairs(name, spec, ids, pairs)  # per-column detail and mismatch ids
        m = metrics_from_counts(c["n"], c["matches"], c["tp"], c["fp"], c["fn"])
        score = m["f1"] if spec.type == "table" else m["accuracy"]
        return FieldScore(field=name, type=spec.type, n_docs=len(ids), n=c["n"], matches=c["matches"],
                          tp=c["tp"], fp=c["fp"], fn=c["fn"], score=score, mismatched_docs=fast.mismatched_docs,
                          columns=fast.columns, gx=doc, **m)


_GX: GXAccuracy | None = None
_GX_LOCK = threading.Lock()


def gx_accuracy() -> GXAccuracy:
    """The process-wide GX scorer (created on first use)."""
    global _GX
    with _GX_LOCK:
        if _GX is None:
            _GX = GXAccuracy()
        return _GX


def check_accuracy(outputs_by_id: dict[str, dict | None], golden_by_id: dict[str, dict], schema: Schema,
                   heldout_ids: list[str], *, fields: Iterable[str] | None = None,
                   use_gx: bool = False, min_accuracy: float = 0.0):
    """Scores plus problems for fields below `min_accuracy` (the stage's verdict)."""
    from extractors.validation.problems import Problem

    if use_gx:
        ids = list(heldout_ids)
        if fields is None:
            fields = list(score_fields(outputs_by_id, golden_by_id, schema, ids))
        g = gx_accuracy()
        scores = {f: g.score_field(f, schema.fields[f], outputs_by_id, golden_by_id, ids, min_accuracy) for f in fields}
    else:
        scores = score_fields(outputs_by_id, golden_by_id, schema, heldout_ids, fields)
    problems = [Problem("accuracy", "below-threshold", f"{f}: held-out score {s.score:.2f} < {min_accuracy:.2f} "
                        f"(mismatched: {', '.join(s.mismatched_docs[:5])})")
                for f, s in scores.items() if s.score < min_accuracy]
    return scores, problems
