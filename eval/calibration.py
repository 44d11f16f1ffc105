"""Is the export gate's confidence honest, and what does a threshold buy?

From the gate's per-value confidence on labeled documents (run exactly as `docc run` gates
them: runner-ups, format checks, OCR, cross-field rules), this module measures:

- calibration: reliability bins (mean confidence against the share of right values) and the
  expected calibration error (ECE, bin-weighted |accuracy - confidence|);
- the automation/precision trade-off: for a sweep of thresholds, the share of documents the
  gate exports and the precision of the values it puts into FHIR;
- the audit of a finished run: wrong values among the exported ones (`audit_run`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from extractors.schema import Schema, discover
from extractors.scoring import score_field

SWEEP = (0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.97, 0.98, 0.99)
BINS = 10
TARGET_PRECISION = 0.99
THRESHOLD_TARGET = 0.995  # exported-value precision the chosen per-field thresholds must keep on every set
# A chosen threshold goes below EVIDENCE_FLOOR only where every scored set holding that doc type
# exports at least MIN_EVIDENCE of the field's values under it: a set that exports none of them
# cannot vouch for the field, and the samples alone (seen by the compiler) would overfit it.
EVIDENCE_FLOOR = 0.9
MIN_EVIDENCE = 3


@dataclass
class ValueOutcome:
    confidence: float
    correct: bool
    required: bool


@dataclass
class DocOutcome:
    """One document as the gate saw it: its values' confidence and truth; `blocked` when a
    threshold-independent item (missing required value, broken cross-field rule, a required
    value a runner-up contradicts or that fails its format check) holds it."""

    set_name: str
    doc_type: str
    doc_id: str
    values: dict[str, ValueOutcome] = field(default_factory=dict)
    blocked: bool = False
    status: str = "review"            # at the configured thresholds
    exported_fields: list[str] = field(default_factory=list)


def correct_value(got: Any, golden: Any, spec) -> bool:
    """A value is right when it has no wrong part (tables: no wrong cell or extra row)."""
    return score_field(got, golden, spec).fp == 0


def outcome(set_name: str, doc_type: str, doc_id: str, fields: dict[str, Any], golden: dict[str, Any],
            schema: Schema, assessment: Any, required: Iterable[str]) -> DocOutcome:
    from pipeline.gate import GateCode

    required = set(required)
    o = DocOutcome(set_name, doc_type, doc_id)
    for name, c in assessment.confidence.items():
        f = fields.get(name)
        if f is None or name not in schema.fields:
            continue
        o.values[name] = ValueOutcome(c, correct_value(f.get("value"), golden.get(name), schema.fields[name]), name in required)
    o.blocked = any(i.code in (GateCode.REQUIRED_MISSING, GateCode.CROSS_FIELD)
                    or (i.code in (GateCode.CANDIDATES_DISAGREE, GateCode.FORMAT_INVALID) and i.action == "review")
                    for i in assessment.items)
    o.status = "review" if assessment.review else "exported"
    if o.status == "exported":
        o.exported_fields = sorted(set(o.values) - set(assessment.withheld))
    return o


def at_threshold(docs: list[DocOutcome], t: float) -> dict[str, Any]:
    """Gate every document with one threshold for every field (optional fields under it withheld)."""
    exported = right = sent = 0
    for d in docs:
        if d.blocked or any(v.required and v.confidence < t for v in d.values.values()):
            continue
        exported += 1
        for v in d.values.values():
            if v.confidence >= t:
                sent += 1
                right += int(v.correct)
    return {"threshold": t, "docs": len(docs), "exported": exported,
            "share_exported": round(exported / len(docs), 4) if docs else 0.0,
            "values_exported": sent, "wrong_exported": sent - right,
            "precision": round(right / sent, 4) if sent else None}


def sweep(docs: list[DocOutcome], thresholds: Iterable[float] = SWEEP) -> list[dict[str, Any]]:
    return [at_threshold(docs, t) for t in thresholds]


def lowest_safe_threshold(rows: list[dict[str, Any]], target: float = TARGET_PRECISION) -> float | None:
    """The lowest swept threshold at or above which exported precision stays >= target."""
    ok = None
    for row in sorted(rows, key=lambda r: -r["threshold"]):
        if row["precision"] is not None and row["precision"] < target:
            break
        ok = row["threshold"]
    return ok


NEVER = 1.01  # a threshold no confidence reaches: the field is always withheld (required: never exported)


def gate_with(docs: list[DocOutcome], thresholds: dict[tuple[str, str], float]) -> dict[str, Any]:
    """Gate every document with per-(doc type, field) thresholds, as `docc run` would."""
    exported = right = sent = 0
    for d in docs:
        t = {n: thresholds.get((d.doc_type, n), NEVER) for n in d.values}
        if d.blocked or any(v.required and v.confidence < t[n] for n, v in d.values.items()):
            continue
        exported += 1
        for n, v in d.values.items():
            if v.confidence >= t[n]:
                sent += 1
                right += int(v.correct)
    return {"docs": len(docs), "exported": exported, "share_exported": round(exported / len(docs), 4) if docs else 0.0,
            "values_exported": sent, "wrong_exported": sent - right, "precision": round(right / sent, 4) if sent else None}


def _sent_by_field(docs: list[DocOutcome], thresholds: dict[tuple[str, str], float]) -> dict[tuple[str, str], list[int]]:
    """(doc type, field) -> [values the gate would export with `thresholds`, how many of them are wrong]."""
    sent: dict[tuple[str, str], list[int]] = {}
    for d in docs:
        t = {n: thresholds.get((d.doc_type, n), NEVER) for n in d.values}
        if d.blocked or any(v.required and v.confidence < t[n] for n, v in d.values.items()):
            continue
        for n, v in d.values.items():
            if v.confidence >= t[n]:
                c = sent.setdefault((d.doc_type, n), [0, 0])
                c[0] += 1
                c[1] += int(not v.correct)
    return sent


def choose_thresholds(sets: dict[str, list[DocOutcome]], target: float = TARGET_PRECISION,
                      grid: Iterable[float] = SWEEP, per_field: bool = True,
                      floor: float = EVIDENCE_FLOOR, min_evidence: int = MIN_EVIDENCE) -> dict[tuple[str, str], float]:
    """Per doc type and field thresholds that keep exported-value precision >= `target` on every
    set, for every field on its own too, while exporting as many documents (then values) as possible.

    Greedy and deterministic: every field starts at NEVER; an optional field (it never holds a
    document back) gets the lowest grid threshold at which its own values are right at the target
    rate on every set; then each doc type in turn takes the one threshold for its required fields
    (optional ones: at least theirs) that exports the most documents; then each round lowers the
    single field threshold (its smallest step down that exports more) that exports the most
    documents, without taking any set under the target; it stops when no step exports more. A
    step that only sends more values of already exported documents is never taken: lowering an
    optional field on the strength of a few lucky documents is how per-field thresholds overfit.

    No threshold goes below `floor` unless every set holding the doc type exports at least
    `min_evidence` of that field's values under it (a silent set is no evidence of safety)."""
    grid = sorted({t for t in grid if t > 0} | {NEVER})  # 0 would send a value nothing vouches for
    keys = sorted({(d.doc_type, n) for docs in sets.values() for d in docs for n in d.values})
    th = {k: NEVER for k in keys}
    types_in = {name: {d.doc_type for d in docs} for name, docs in sets.items()}

    def score(cand: dict[tuple[str, str], float]) -> int | None:
        exported = 0
        for name, docs in sets.items():
            r = gate_with(docs, cand)
            if r["precision"] is not None and r["precision"] < target:
                return None
            sent = _sent_by_field(docs, cand)
            # every field on its own: a weak field's wrong values are not hidden among the
            # strong fields' right ones
            if any(n and (n - wrong) / n < target for n, wrong in sent.values()):
                return None
            low = [k for k, t in cand.items() if t < floor and k[0] in types_in[name]]
            if any(sent.get(k, [0, 0])[0] < min_evidence for k in low):
                return None
            exported += r["exported"]
        return exported

    optional = {(d.doc_type, n) for docs in sets.values() for d in docs for n, v in d.values.items() if not v.required}
    own = {}
    for k in sorted(optional):
        own[k] = NEVER
        for t in reversed(grid):
            vals = [[v.correct for d in docs if d.doc_type == k[0] for n, v in d.values.items() if n == k[1] and v.confidence >= t]
                    for name, docs in sets.items() if k[0] in types_in[name]]
            if any(x and sum(x) / len(x) < target for x in vals):
                break
            if t < floor and any(len(x) < min_evidence for x in vals):
                break
            own[k] = t
    best = score(th) or 0
    for dt in sorted({k[0] for k in keys}):
        for t in reversed(grid):
            cand = {**th, **{k: (max(t, own[k]) if k in own else t) for k in keys if k[0] == dt}}
            s = score(cand)
            if s is not None and s > best:
                th, best = cand, s
    while per_field:
        moves = []
        for k in keys:
            i = grid.index(th[k])
            for lower in reversed(grid[:i]):  # the smallest step down that helps
                s = score({**th, k: lower})
                if s is not None and s > best:
                    moves.append((s, lower, k))
                    break
        if not moves:
            return th
        s, lower, k = max(moves, key=lambda m: (m[0], m[1]))  # ties: the higher threshold, then the first field
        th[k], best = lower, s
    return th


def thresholds_yaml(th: dict[tuple[str, str], float], default: float) -> dict[str, Any]:
    """`gate.yaml` content for chosen thresholds (NEVER written as 1.01: always withheld)."""
    out: dict[str, Any] = {"default": default, "optional_below_threshold": "withhold", "doc_types": {}}
    for (dt, n), t in sorted(th.items()):
        out["doc_types"].setdefault(dt, {"fields": {}})["fields"][n] = float(t)
    return out


def calibration(values: list[ValueOutcome], bins: int = BINS) -> dict[str, Any]:
    """Reliability bins and ECE over every value the gate scored."""
    rows = []
    ece = 0.0
    n = len(values)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [v for v in values if lo <= v.confidence < hi or (b == bins - 1 and v.confidence == 1.0)]
        if not inside:
            continue
        conf = sum(v.confidence for v in inside) / len(inside)
        acc = sum(v.correct for v in inside) / len(inside)
        ece += len(inside) / n * abs(acc - conf)
        rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": len(inside), "mean_confidence": round(conf, 4), "accuracy": round(acc, 4)})
    return {"values": n, "ece": round(ece, 4) if n else None, "bins": rows}


def summarise(docs: list[DocOutcome]) -> dict[str, Any]:
    """The gate section of `docc eval`'s report for one set of documents."""
    values = [v for d in docs for v in d.values.values()]
    rows = sweep(docs)
    exported = [d for d in docs if d.status == "exported"]
    sent = [(d, n) for d in exported for n in d.exported_fields]
    wrong = sum(1 for d, n in sent if not d.values[n].correct)
    return {
        "calibration": calibration(values),
        "sweep": rows,
        "lowest_threshold_for_precision_0.99": lowest_safe_threshold(rows),
        "configured": {"docs": len(docs), "exported": len(exported),
                       "share_exported": round(len(exported) / len(docs), 4) if docs else 0.0,
                       "values_exported": len(sent), "wrong_exported": wrong,
                       "precision": round(1 - wrong / len(sent), 4) if sent else None},
    }


# ---------------------------------------------------------------- auditing a run


def audit_run(out: Path, samples: Path) -> dict[str, Any]:
    """Wrong values among those a finished `docc run` over labeled `samples` put into FHIR.

    A value counts as sent when its document is exported, it is not null, and the gate did not
    withhold it. Golden values are looked up by the document's file name next to its `.json`.
    """
    sets = {s.doc_type: s for s in discover(Path(samples))}
    golden_by_stem = {(dt, smp.path.name): (smp.golden, s.schema_) for dt, s in sets.items() for smp in s.samples}
    docs = exported = sent = wrong = 0
    per_field: dict[str, int] = {}
    for line in (Path(out) / "results.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        docs += 1
        if rec["status"] != "exported":
            continue
        exported += 1
        key = (rec.get("doc_type"), Path(rec["source"]).name)
        if key not in golden_by_stem:
            continue
        golden, schema = golden_by_stem[key]
        withheld = {i["field"] for i in rec.get("gate") or [] if i.get("action") == "withhold"}
        for name, f in (rec.get("fields") or {}).items():
            if f is None or f.get("value") in (None, []) or name in withheld or name not in schema.fields:
                continue
            sent += 1
            if not correct_value(f.get("value"), golden.get(name), schema.fields[name]):
                wrong += 1
                per_field[f"{rec['doc_type']}.{name}"] = per_field.get(f"{rec['doc_type']}.{name}", 0) + 1
    return {"docs": docs, "exported": exported, "share_exported": round(exported / docs, 4) if docs else 0.0,
            "values_sent": sent, "wrong_values_sent": wrong, "wrong_by_field": dict(sorted(per_field.items()))}


if __name__ == "__main__":  # python -m eval.calibration OUT [SAMPLES]
    import sys

    print(json.dumps(audit_run(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "data/samples")), indent=2))
