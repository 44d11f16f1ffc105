"""Per-field scores of extracted against golden values, for ranking candidates.

Scalar fields: TP = extracted and canonically equal; FP = extracted but wrong (or golden
absent); FN = golden present but not matched. Tables: rows are paired by `align_rows`, then
every golden or extracted cell counts as above. `docc eval` (`eval.metrics`) and the accuracy
validation stage use the same canonical rows and the same pairing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from extractors.canonical import canonical
from extractors.schema import FieldSpec


@dataclass
class Counts:
    """True/false positives and false negatives; shared by compile-time ranking and `docc eval`."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        if self.tp + self.fp:
            return self.tp / (self.tp + self.fp)
        return 1.0 if self.fn == 0 else 0.0

    @property
    def recall(self) -> float:
        if self.tp + self.fn:
            return self.tp / (self.tp + self.fn)
        return 1.0 if self.fp == 0 else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": round(self.precision, 6), "recall": round(self.recall, 6), "f1": round(self.f1, 6)}


def plain(value: Any) -> Any:
    """Strip `Found` wrappers (or their dict form) down to bare values, recursively."""
    if value is None:
        return None
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "page", "bbox", "text", "confidence"}:
        return plain(value["value"])
    if hasattr(value, "value") and hasattr(value, "confidence"):
        return plain(value.value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def score_scalar(got: Any, want: Any, field_type: str) -> Counts:
    g, w = canonical(plain(got), field_type), canonical(want, field_type)
    if g is not None and g == w:
        return Counts(tp=1)
    return Counts(fp=int(g is not None), fn=int(w is not None))


Alignment = list[tuple[int | None, int | None]]  # (extracted row index, golden row index)


def canon_rows(rows: Any, spec: FieldSpec) -> list[dict[str, str | None]]:
    """Each row's cells in canonical form (`Found` or `{"value": ...}` cells unwrapped)."""
    out = []
    for row in plain(rows) or []:
        if isinstance(row, dict):
            out.append({c: canonical(row.get(c), s.type) for c, s in spec.columns.items()})
    return out


def key_column(golden: list[dict[str, str | None]], cols: Iterable[str]) -> str | None:
    """The column rows are paired on: most distinct non-null golden values, schema order on ties."""
    best, best_n = None, 0
    for col in cols:
        n = len({r.get(col) for r in golden if r.get(col) is not None})
        if n > best_n:
            best, best_n = col, n
    return best


def _cell_counts(e: str | None, g: str | None) -> Counts:
    if e is not None and e == g:
        return Counts(tp=1)
    return Counts(fp=int(e is not None), fn=int(g is not None))


def align_rows(extracted: list[dict[str, str | None]], golden: list[dict[str, str | None]],
               cols: Iterable[str]) -> Alignment:
    """Pair canonical extracted rows with canonical golden rows: by position, and by the key
    column (each golden row takes the first unused extracted row with an equal key); the
    alignment with the better cell F1 (then more equal cells) wins, position on ties. Unpaired
    rows appear as (i, None) / (None, j). The one pairing rule of compile-time ranking, the
    accuracy validation stage and `docc eval`."""
    cols = list(cols)
    n = max(len(extracted), len(golden))
    candidates: list[Alignment] = [[(i if i < len(extracted) else None, i if i < len(golden) else None) for i in range(n)]]
    key = key_column(golden, cols)
    if key is not None:
        used: set[int] = set()
        keyed: Alignment = []
        for gi, g in enumerate(golden):
            match = None
            if g[key] is not None:
                match = next((ei for ei, e in enumerate(extracted) if ei not in used and e[key] == g[key]), None)
            if match is not None:
                used.add(match)
            keyed.append((match, gi))
        keyed.extend((ei, None) for ei in range(len(extracted)) if ei not in used)
        candidates.append(keyed)
    best, best_key = candidates[0], None
    for alignment in candidates:
        c, matches = Counts(), 0
        for ei, gi in alignment:
            for col in cols:
                e = extracted[ei][col] if ei is not None else None
                g = golden[gi][col] if gi is not None else None
                matches += int(e == g)
                c.add(_cell_counts(e, g))
        k = (c.f1, matches)
        if best_key is None or k > best_key:
            best, best_key = alignment, k
    return best


def score_table(got: Any, want: Any, spec: FieldSpec) -> Counts:
    g_rows, w_rows = canon_rows(got, spec), canon_rows(want, spec)
    total = Counts()
    for ei, gi in align_rows(g_rows, w_rows, spec.columns):
        for c in spec.columns:
            total.add(_cell_counts(g_rows[ei][c] if ei is not None else None, w_rows[gi][c] if gi is not None else None))
    return total


def score_field(got: Any, want: Any, spec: FieldSpec) -> Counts:
    return score_table(got, want, spec) if spec.type == "table" else score_scalar(got, want, spec.type)
