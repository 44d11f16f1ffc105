"""Field-extraction accuracy metrics: per field, per table column, per doc type, overall.

Scoring uses `extractors.canonical` (the same canonical forms as the compile-time accuracy
stage), so a value that passed validation scores the same way here.

Definitions (one scalar field, over a set of documents):
- TP: extracted non-null and canonically equal to the golden value.
- FP: extracted non-null and not equal (including when the golden value is null).
- FN: golden non-null and not matched (missing or wrong; a wrong value is both FP and FN).
- precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean (0 when both are 0).
  With nothing extracted and nothing expected, precision and recall are 1; otherwise an empty
  denominator gives 0 when the other error count is non-zero (the compile-time accuracy stage's
  convention, `extractors.validation.accuracy`). A field null in every golden file and never
  extracted therefore scores F1 1.0; a field never extracted but present scores 0.0.
- exact-match rate: share of documents whose canonical extracted value equals the canonical
  golden value (null == null counts as a match).

Tables (same alignment as the compile-time accuracy stage, so both agree): extracted rows are
paired with golden rows by position and by the key column (the column with the most distinct
golden values; each golden row takes the first unused extracted row with an equal key); per
document the alignment with the better cell F1 (then more equal cells) is kept. Every cell is
then scored like a scalar: cells of unpaired extracted rows are FPs, cells of unpaired golden rows
FNs. Each column gets P/R/F1; the table field's P/R/F1 is micro over its cells.

Micro F1 pools TP/FP/FN over all fields (table fields contribute their cell counts); macro F1
is the unweighted mean of field F1s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from extractors.canonical import canonical
from extractors.schema import FieldSpec, Schema
from extractors import scoring
from extractors.scoring import Counts

# Confidence buckets: [lo, hi) except the last, which includes 1.0.
CONFIDENCE_BUCKETS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0))
WORST_PER_FIELD = 5
SNIPPET_CHARS = 160


# ---------------------------------------------------------------- extracted value access


def _unwrap(item: Any) -> tuple[Any, float | None, str]:
    """(value, confidence, snippet) of a Found, a plain value, or a results.jsonl-style dict."""
    if item is None:
        return None, None, ""
    if hasattr(item, "value") and hasattr(item, "confidence"):  # extractors.runtime.Found
        return item.value, float(item.confidence), str(getattr(item, "text", "") or "")
    if isinstance(item, Mapping) and "value" in item and set(item) <= {"value", "confidence", "page", "bbox", "text"}:
        conf = item.get("confidence")
        return item["value"], (float(conf) if conf is not None else None), str(item.get("text") or "")
    return item, None, ""


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


# ---------------------------------------------------------------- counts


def score_value(extracted: Any, golden: Any, field_type: str) -> tuple[Counts, bool, str | None, str | None]:
    """Counts for one scalar comparison, whether it is an exact match, and both canonical forms."""
    e = canonical(extracted, field_type)
    g = canonical(golden, field_type)
    c = Counts()
    if e is not None and e == g:
        c.tp = 1
    else:
        if e is not None:
            c.fp = 1
        if g is not None:
            c.fn = 1
    return c, e == g, e, g


def score_value_canonical(e: str | None, g: str | None) -> Counts:
    """Counts for one comparison of already canonical values."""
    c = Counts()
    if e is not None and e == g:
        c.tp = 1
    else:
        c.fp = int(e is not None)
        c.fn = int(g is not None)
    return c


# ---------------------------------------------------------------- calibration


@dataclass
class Calibration:
    """Accuracy of extracted (non-null) values per confidence bucket."""

    n: list[int] = field(default_factory=lambda: [0] * len(CONFIDENCE_BUCKETS))
    correct: list[int] = field(default_factory=lambda: [0] * len(CONFIDENCE_BUCKETS))
    conf_sum: list[float] = field(default_factory=lambda: [0.0] * len(CONFIDENCE_BUCKETS))
    no_confidence: int = 0

    @staticmethod
    def bucket(conf: float) -> int:
        conf = min(max(conf, 0.0), 1.0)
        for i, (lo, hi) in enumerate(CONFIDENCE_BUCKETS):
            if lo <= conf < hi:
                return i
        return len(CONFIDENCE_BUCKETS) - 1

    def observe(self, conf: float | None, correct: bool) -> None:
        if conf is None or (isinstance(conf, float) and math.isnan(conf)):
            self.no_confidence += 1
            return
        i = self.bucket(conf)
        self.n[i] += 1
        self.correct[i] += int(correct)
        self.conf_sum[i] += conf

    def add(self, other: "Calibration") -> None:
        for i in range(len(CONFIDENCE_BUCKETS)):
            self.n[i] += other.n[i]
            self.correct[i] += other.correct[i]
            self.conf_sum[i] += other.conf_sum[i]
        self.no_confidence += other.no_confidence

    def as_dict(self) -> dict[str, Any]:
        total = sum(self.n)
        buckets = []
        ece = 0.0
        for i, (lo, hi) in enumerate(CONFIDENCE_BUCKETS):
            n = self.n[i]
            acc = self.correct[i] / n if n else None
            mean_conf = self.conf_sum[i] / n if n else None
            if n:
                ece += n / total * abs(acc - mean_conf)
            buckets.append({"bucket": f"{lo:.1f}–{hi:.1f}", "lo": lo, "hi": hi, "n": n, "correct": self.correct[i],
                            "accuracy": None if acc is None else round(acc, 6),
                            "mean_confidence": None if mean_conf is None else round(mean_conf, 6)})
        return {"buckets": buckets, "n": total, "no_confidence": self.no_confidence,
                "ece": round(ece, 6) if total else None}


# ---------------------------------------------------------------- tables


def _rows(value: Any) -> list[Mapping[str, Any]]:
    if not value or not isinstance(value, list):
        return []
    return [r if isinstance(r, Mapping) else {} for r in value]


def key_column(spec: FieldSpec, golden_rows: list[Mapping[str, Any]]) -> str | None:
    """The column rows are paired on (`extractors.scoring.key_column` over canonical rows)."""
    return scoring.key_column(scoring.canon_rows(list(golden_rows), spec), spec.columns)


Alignment = scoring.Alignment


def align_rows(extracted: list[Mapping[str, Any]], golden: list[Mapping[str, Any]], spec: FieldSpec) -> Alignment:
    """Pair extracted rows with golden rows with the one pairing rule shared with the compiler
    (`extractors.scoring.align_rows`). Unpaired rows appear as (i, None) / (None, j)."""
    ce = [{c: canonical(_unwrap(r.get(c))[0], spec.columns[c].type) for c in spec.columns} for r in extracted]
    return scoring.align_rows(ce, scoring.canon_rows(list(golden), spec), spec.columns)


# ---------------------------------------------------------------- per-field accumulators


@dataclass
class Example:
    doc_id: str
    field: str
    expected: Any
    got: Any
    snippet: str
    confidence: float | None
    kind: str  # "wrong", "missing", "spurious"

    def as_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "field": self.field, "expected": self.expected, "got": self.got,
                "snippet": self.snippet, "confidence": self.confidence, "kind": self.kind}


def _kind(e: str | None, g: str | None) -> str:
    if e is None:
        return "missing"
    if g is None:
        return "spurious"
    return "wrong"


def _worst(examples: list[Example], limit: int = WORST_PER_FIELD) -> list[dict[str, Any]]:
    # Confident mistakes first (they slip through review), then wrong > spurious > missing.
    order = {"wrong": 0, "spurious": 1, "missing": 2}
    ranked = sorted(examples, key=lambda x: (-(x.confidence if x.confidence is not None else 0.0), order[x.kind], x.doc_id))
    return [x.as_dict() for x in ranked[:limit]]


@dataclass
class FieldAcc:
    name: str
    type: str
    counts: Counts = field(default_factory=Counts)
    n_docs: int = 0
    exact: int = 0
    golden_nonnull: int = 0
    extracted_nonnull: int = 0
    examples: list[Example] = field(default_factory=list)
    # table fields only
    columns: dict[str, "FieldAcc"] = field(default_factory=dict)
    rows_golden: int = 0
    rows_extracted: int = 0
    rows_matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type, **self.counts.as_dict(), "n_docs": self.n_docs,
            "exact_match": round(self.exact / self.n_docs, 6) if self.n_docs else None,
            "golden_nonnull": self.golden_nonnull, "extracted_nonnull": self.extracted_nonnull,
            "worst": _worst(self.examples),
        }
        if self.type == "table":
            d["rows"] = {"golden": self.rows_golden, "extracted": self.rows_extracted, "matched": self.rows_matched}
            d["columns"] = {k: {kk: vv for kk, vv in v.as_dict().items() if kk != "worst"} for k, v in self.columns.items()}
        return d


def _score_table(acc: FieldAcc, spec: FieldSpec, doc_id: str, got: Any, want: Any, calib: Calibration) -> bool:
    """Score one document's table; returns whether every cell matched (exact)."""
    got_rows = _rows(got)
    want_rows = _rows(want)
    acc.rows_golden += len(want_rows)
    acc.rows_extracted += len(got_rows)
    alignment = align_rows(got_rows, want_rows, spec)
    acc.rows_matched += sum(1 for ei, gi in alignment if ei is not None and gi is not None)
    key = key_column(spec, want_rows)
    all_equal = True
    for ei, gi in alignment:
        for col, cspec in spec.columns.items():
            value, conf, text = _unwrap(got_rows[ei].get(col)) if ei is not None else (None, None, "")
            gold = want_rows[gi].get(col) if gi is not None else None
            c, same, e, g = score_value(value, gold, cspec.type)
            cacc = acc.columns[col]
            cacc.counts.add(c)
            acc.counts.add(c)
            cacc.n_docs += 1
            cacc.exact += int(same)
            cacc.golden_nonnull += int(g is not None)
            cacc.extracted_nonnull += int(e is not None)
            if e is not None:
                calib.observe(conf, same)
            if not same:
                all_equal = False
                row_key = None
                if key is not None:
                    row_key = want_rows[gi].get(key) if gi is not None else _unwrap(got_rows[ei].get(key))[0]
                label = f"{acc.name}[{row_key}].{col}" if row_key is not None else f"{acc.name}.{col}"
                acc.examples.append(Example(doc_id, label, gold, value, _snippet(text), conf, _kind(e, g)))
    return all_equal


@dataclass
class DocTypeScore:
    """Accumulates one doc type's documents; `as_dict()` is the report section."""

    schema: Schema
    fields: dict[str, FieldAcc] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    n_docs: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    docs_all_exact: int = 0

    def __post_init__(self) -> None:
        for name, spec in self.schema.fields.items():
            acc = FieldAcc(name, spec.type)
            if spec.type == "table":
                acc.columns = {c: FieldAcc(c, cs.type) for c, cs in spec.columns.items()}
            self.fields[name] = acc

    def add(self, doc_id: str, extracted: Mapping[str, Any] | None, golden: Mapping[str, Any], error: str | None = None) -> None:
        """Score one document. `extracted` maps field -> Found | plain value | None; None (or an
        `error`) means extraction failed and every golden value counts as missed."""
        self.n_docs += 1
        if error is not None:
            self.errors.append({"doc_id": doc_id, "error": error})
        extracted = extracted or {}
        doc_exact = True
        for name, spec in self.schema.fields.items():
            acc = self.fields[name]
            acc.n_docs += 1
            item = extracted.get(name)
            value, conf, text = _unwrap(item)
            want = golden.get(name)
            if spec.type == "table":
                same = _score_table(acc, spec, doc_id, value, want, self.calibration)
                acc.exact += int(same)
                acc.golden_nonnull += int(bool(_rows(want)))
                acc.extracted_nonnull += int(bool(_rows(value)))
            else:
                c, same, e, g = score_value(value, want, spec.type)
                acc.counts.add(c)
                acc.exact += int(same)
                acc.golden_nonnull += int(g is not None)
                acc.extracted_nonnull += int(e is not None)
                if e is not None:
                    self.calibration.observe(conf, same)
                if not same:
                    acc.examples.append(Example(doc_id, name, want, value, _snippet(text), conf, _kind(e, g)))
            doc_exact = doc_exact and same
        self.docs_all_exact += int(doc_exact)

    def micro(self) -> Counts:
        total = Counts()
        for acc in self.fields.values():
            total.add(acc.counts)
        return total

    def macro_f1(self) -> float | None:
        f1s = [acc.counts.f1 for acc in self.fields.values()]
        return sum(f1s) / len(f1s) if f1s else None

    def as_dict(self) -> dict[str, Any]:
        micro = self.micro()
        macro = self.macro_f1()
        return {
            "doc_type": self.schema.doc_type,
            "n_docs": self.n_docs,
            "docs_all_fields_exact": self.docs_all_exact,
            "micro": micro.as_dict(),
            "micro_f1": round(micro.f1, 6),
            "macro_f1": None if macro is None else round(macro, 6),
            "fields": {k: v.as_dict() for k, v in self.fields.items()},
            "calibration": self.calibration.as_dict(),
            "errors": self.errors,
        }


def overall(doc_types: Iterable[DocTypeScore]) -> dict[str, Any]:
    """Micro F1 over every field of every doc type; macro F1 = mean of all (doc type, field) F1s."""
    micro = Counts()
    calib = Calibration()
    f1s: list[float] = []
    n_docs = 0
    for dt in doc_types:
        micro.add(dt.micro())
        calib.add(dt.calibration)
        f1s.extend(acc.counts.f1 for acc in dt.fields.values())
        n_docs += dt.n_docs
    return {"n_docs": n_docs, "n_fields": len(f1s), "micro": micro.as_dict(), "micro_f1": round(micro.f1, 6),
            "macro_f1": round(sum(f1s) / len(f1s), 6) if f1s else None, "calibration": calib.as_dict()}


def score_documents(schema: Schema, docs: Iterable[tuple[str, Mapping[str, Any] | None, Mapping[str, Any]]]) -> dict[str, Any]:
    """Convenience: score (doc_id, extracted, golden) triples of one doc type; returns the report section."""
    acc = DocTypeScore(schema)
    for doc_id, extracted, golden in docs:
        acc.add(doc_id, extracted, golden)
    return acc.as_dict()


def plain(extracted: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Extractor output with Found unwrapped to plain values (tables: list of {column: value})."""
    if extracted is None:
        return None
    out: dict[str, Any] = {}
    for name, item in extracted.items():
        value = _unwrap(item)[0]
        if isinstance(value, list):
            value = [{c: _unwrap(v)[0] for c, v in r.items()} if isinstance(r, Mapping) else r for r in value]
        out[name] = value
    return out
