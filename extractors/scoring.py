"""Per-field scores of extracted against golden values, for ranking candidates.

Scalar fields: TP = extracted and canonically equal; FP = extracted but wrong (or golden
absent); FN = golden present but not matched. Tables: rows are paired greedily by how many
cells agree, then every golden or extracted cell counts as above.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def score_table(got: Any, want: Any, spec: FieldSpec) -> Counts:
    got_rows = [r for r in (plain(got) or []) if isinstance(r, dict)]
    want_rows = [r for r in (want or []) if isinstance(r, dict)]
    cols = spec.columns

    def canon_row(row: dict) -> dict[str, str | None]:
        return {c: canonical(row.get(c), s.type) for c, s in cols.items()}

    g_rows = [canon_row(r) for r in got_rows]
    w_rows = [canon_row(r) for r in want_rows]
    pairs = sorted(
        ((sum(1 for c in cols if g[c] is not None and g[c] == w[c]), -i, -j, i, j)
         for i, g in enumerate(g_rows) for j, w in enumerate(w_rows)),
        reverse=True,
    )
    used_g: set[int] = set()
    used_w: set[int] = set()
    total = Counts()
    for agree, _, _, i, j in pairs:
        if agree == 0 or i in used_g or j in used_w:
            continue
        used_g.add(i)
        used_w.add(j)
        for c in cols:
            g, w = g_rows[i][c], w_rows[j][c]
            if g is not None and g == w:
                total.tp += 1
            else:
                total.fp += int(g is not None)
                total.fn += int(w is not None)
    for i, g in enumerate(g_rows):
        if i not in used_g:
            total.fp += sum(1 for v in g.values() if v is not None)
    for j, w in enumerate(w_rows):
        if j not in used_w:
            total.fn += sum(1 for v in w.values() if v is not None)
    return total


def score_field(got: Any, want: Any, spec: FieldSpec) -> Counts:
    return score_table(got, want, spec) if spec.type == "table" else score_scalar(got, want, spec.type)
