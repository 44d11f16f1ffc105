"""Run the locked extractors over labeled sample roots and score what they return.

One `DocRecord` per document (extracted and golden values, latency, classifier and gate outcome);
`score_records` turns them into `eval.metrics` scores, and the section builders here shape the
per-set, per-modality, classification and gate parts of `report.json`.
"""
from __future__ import annotations

import logging
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from eval.metrics import DocTypeScore, overall
from extractors.schema import SampleSet, Schema, discover, load_sample_set

log = logging.getLogger(__name__)

DEFAULT_ROOTS = (("samples", "samples (seen by the compiler)", Path("data/samples")),
                 ("heldout", "held-out layouts", Path("tests/heldout")))


# ---------------------------------------------------------------- inputs


@dataclass
class SampleRoot:
    name: str
    label: str
    path: Path
    sets: list[SampleSet]


def resolve_roots(samples: list[Path] | None) -> list[SampleRoot]:
    """The labeled roots to score. Default: data/samples and tests/heldout (those that exist).
    A given path may be a root of `<doc_type>/` folders or one doc-type folder itself."""
    roots: list[SampleRoot] = []
    if not samples:
        for name, label, path in DEFAULT_ROOTS:
            if path.is_dir():
                roots.append(SampleRoot(name, label, path, discover(path, skip_unlabeled=True)))
        return roots
    used: set[str] = set()
    for path in samples:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: not a folder")
        sets = [load_sample_set(path, skip_unlabeled=True)] if (path / "schema.yaml").exists() else discover(path, skip_unlabeled=True)
        resolved = path.resolve()
        name, label = path.name or "samples", str(path)
        for dname, dlabel, dpath in DEFAULT_ROOTS:
            if dpath.exists() and resolved == dpath.resolve():
                name, label = dname, dlabel
        base, i = name, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        roots.append(SampleRoot(name, label, path, sets))
    return roots


# ---------------------------------------------------------------- running the compiled extractors


@dataclass
class DocRecord:
    """One document's run: extractor output (Found values) and what happened."""

    set_name: str
    doc_type: str
    doc_id: str
    golden: dict[str, Any]
    extracted: dict[str, Any] | None
    error: str | None = None
    seconds: list[float] = field(default_factory=list)  # extraction step alone, each run
    deterministic: bool | None = None
    gate: Any = None  # eval.calibration.DocOutcome: the export gate's view of this document
    ocr_profile: str | None = None  # the OCR profile that read it; None for a text-layer document
    text: str = ""  # document text, kept only when a baseline needs it
    predicted: str | None = None     # the locked classifier's doc type (None: unknown)
    classified: bool = False         # whether the classifier ran on this document


def _freeze(value: Any) -> Any:
    """A comparable, JSON-able form of extractor output (Found and nested rows included)."""
    if hasattr(value, "value") and hasattr(value, "confidence"):
        return {"value": _freeze(value.value), "page": value.page,
                "bbox": list(value.bbox) if value.bbox else None, "text": value.text, "confidence": value.confidence}
    if isinstance(value, Mapping):
        return {str(k): _freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_freeze(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def run_compiled(roots: list[SampleRoot], locked: Mapping[str, Any], *, keep_text: bool = False,
                 workers: int | None = None, progress: Callable[[int], None] | None = None,
                 classifier: Mapping[str, Any] | None = None, gates: Mapping[str, Any] | None = None,
                 alternates: Mapping[str, Any] | None = None, ocr_profile: str | None = None) -> list[DocRecord]:
    """Ingest every document of every root, classify it with the locked classifier (when
    given) and apply its labeled doc type's locked extractor twice (and the export gate).

    Scanned documents are read with their doc type's locked OCR profile, as the batch does,
    or with `ocr_profile` for all of them when given (to compare profiles)."""
    from extractors.ocr_profiles import locked_profiles
    from pipeline.ingest import ingest, ingest_many

    profiles = locked_profiles({dt: e.entry for dt, e in locked.items()})

    jobs = [(root, ss, s) for root in roots for ss in root.sets for s in ss.samples]
    records: list[DocRecord] = []
    paths = [s.path for _, _, s in jobs]
    workers = workers or max(1, os.cpu_count() or 1)
    kw = {"profile": ocr_profile} if ocr_profile else {}
    for (root, ss, sample), (_, doc) in zip(jobs, ingest_many(paths, workers=workers, **kw)):
        rec = DocRecord(root.name, ss.doc_type, sample.id, sample.golden, None)
        ext = locked.get(ss.doc_type)
        if isinstance(doc, Exception):
            rec.error = f"ingest: {doc}"
            log.warning("%s/%s/%s: ingest failed (%s)", root.name, ss.doc_type, sample.id, getattr(doc, "kind", type(doc).__name__))
        if classifier is not None and not isinstance(doc, Exception):
            from extractors.classifier import classify

            rec.predicted, _ = classify(dict(classifier), doc)
            rec.classified = True
        if ext is None and not isinstance(doc, Exception):
            rec.error = "no compiled extractor for this doc type"
        elif not isinstance(doc, Exception):
            want = ocr_profile or profiles.get(ss.doc_type)
            if doc.meta.get("ocr_profile") and want and want != doc.meta["ocr_profile"]:
                try:
                    doc = ingest(sample.path, profile=want)
                except Exception as e:  # noqa: BLE001 - scored as a failed read
                    rec.error = f"ingest ({want}): {e}"
            rec.ocr_profile = doc.meta.get("ocr_profile")
        if rec.error is None and ext is not None:
            if keep_text:
                rec.text = doc.text
            outputs = []
            for _ in range(2):
                t0 = time.perf_counter()
                try:
                    out = ext.extract(doc)
                except Exception as e:  # noqa: BLE001 - a failing extractor is a scored outcome
                    rec.seconds.append(time.perf_counter() - t0)
                    rec.error = f"extract raised {type(e).__name__}"
                    log.warning("%s/%s/%s: extractor raised %s", root.name, ss.doc_type, sample.id, type(e).__name__)
                    out = None
                    outputs.append(None)
                    break
                rec.seconds.append(time.perf_counter() - t0)
                outputs.append(_freeze(out))
                if rec.extracted is None:
                    rec.extracted = out if isinstance(out, Mapping) else None
                    if not isinstance(out, Mapping):
                        rec.error = f"extract returned {type(out).__name__}, not a dict"
                        break
            rec.deterministic = len(outputs) == 2 and outputs[0] == outputs[1] if rec.error is None else None
            if rec.error is None and gates and ss.doc_type in gates:
                rec.gate = _gate_outcome(root.name, ss, sample, doc, ext, gates[ss.doc_type], (alternates or {}).get(ss.doc_type))
        records.append(rec)
        if progress:
            progress(1)
    return records


def _gate_outcome(set_name: str, ss: SampleSet, sample: Any, doc: Any, ext: Any, gate: Any, alternates: Any) -> Any:
    """The export gate on this document, exactly as `docc run` applies it."""
    from eval.calibration import outcome
    from pipeline.batch_worker import gate_document, serialise_found

    out = ext.extract(doc)
    fields = {str(k): serialise_found(v, doc) for k, v in sorted(out.items(), key=lambda kv: str(kv[0]))}
    assessment = gate_document(gate, alternates, doc, fields)
    return outcome(set_name, ss.doc_type, sample.id, fields, sample.golden, ss.schema_, assessment, gate.required)


def score_records(records: Iterable[DocRecord], schemas: Mapping[tuple[str, str], Schema],
                  keep: Callable[[DocRecord], bool] | None = None) -> dict[str, dict[str, DocTypeScore]]:
    """{set: {doc_type: DocTypeScore}} for the given records."""
    scores: dict[str, dict[str, DocTypeScore]] = {}
    for rec in records:
        if keep is not None and not keep(rec):
            continue
        by_type = scores.setdefault(rec.set_name, {})
        acc = by_type.get(rec.doc_type)
        if acc is None:
            acc = by_type[rec.doc_type] = DocTypeScore(schemas[(rec.set_name, rec.doc_type)])
        acc.add(rec.doc_id, rec.extracted, rec.golden, rec.error)
    return scores


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": _round(statistics.median(ms)) if ms else None,
            "p95_ms": _round(_percentile(ms, 0.95)), "max_ms": _round(max(ms)) if ms else None}


def _round(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def sets_section(roots: list[SampleRoot], scores: dict[str, dict[str, DocTypeScore]],
                  records: list[DocRecord]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for root in roots:
        by_type = scores.get(root.name, {})
        doc_types: dict[str, Any] = {}
        for ss in root.sets:
            dt = ss.doc_type
            acc = by_type.get(dt) or DocTypeScore(ss.schema_)
            section = acc.as_dict()
            recs = [r for r in records if r.set_name == root.name and r.doc_type == dt]
            section["latency"] = latency_summary([s for r in recs for s in r.seconds])
            det = [r.deterministic for r in recs if r.deterministic is not None]
            section["deterministic"] = {"runs": 2, "docs": len(det), "identical": sum(det)}
            doc_types[dt] = section
        out[root.name] = {"label": root.label, "root": str(root.path), "doc_types": doc_types,
                          "overall": overall(by_type.values())}
    return out


def modality_section(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema],
                     other_profiles: list[DocRecord] | None = None) -> dict[str, Any]:
    """Per set and doc type: micro F1 of text-layer documents vs OCR'd ones, and per OCR profile.

    With more than one set, an "(all sets)" entry pools each doc type over the sets, so a set of
    text-layer documents and a set of the same documents scanned compare on one row. Records in
    `other_profiles` (the scanned documents read again with other profiles, `docc eval
    --compare-profiles`) add to the per-profile figures only."""
    extra = [r for r in (other_profiles or []) if r.ocr_profile is not None]
    out: dict[str, Any] = {}

    def row_for(mine: list[DocRecord], more: list[DocRecord]) -> dict[str, Any]:
        def micro(recs: list[DocRecord]) -> dict[str, Any] | None:
            if not recs:
                return None
            from eval.metrics import Counts

            tot = Counts()  # each record scored against its own set's schema, counts pooled
            for by_type in score_records(recs, schemas).values():
                for acc in by_type.values():
                    tot.add(acc.micro())
            return {"n_docs": len(recs), "micro_f1": round(tot.f1, 4)}

        row: dict[str, Any] = {"text": micro([r for r in mine if r.ocr_profile is None]),
                               "scan": micro([r for r in mine if r.ocr_profile is not None])}
        row["gap"] = (round(row["text"]["micro_f1"] - row["scan"]["micro_f1"], 4)
                      if row["text"] and row["scan"] else None)
        seen = {(r.set_name, r.doc_id, r.ocr_profile) for r in mine}
        scanned = [r for r in mine if r.ocr_profile is not None]
        scanned += [r for r in more if (r.set_name, r.doc_id, r.ocr_profile) not in seen]  # a profile read once
        row["profiles"] = {prof: micro([r for r in scanned if r.ocr_profile == prof])
                           for prof in sorted({r.ocr_profile for r in scanned})}
        return row

    keys = sorted({(r.set_name, r.doc_type) for r in records})
    for set_name, dt in keys:
        mine = [r for r in records if r.set_name == set_name and r.doc_type == dt]
        more = [r for r in extra if r.set_name == set_name and r.doc_type == dt]
        out.setdefault(set_name, {})[dt] = row_for(mine, more)
    if len({r.set_name for r in records}) > 1:
        for dt in sorted({r.doc_type for r in records}):
            out.setdefault("(all sets)", {})[dt] = row_for([r for r in records if r.doc_type == dt],
                                                           [r for r in extra if r.doc_type == dt])
    return out


# ---------------------------------------------------------------- compile cost and generators


def load_classifier_or_none(extractors_dir: Path) -> dict[str, Any] | None:
    """The locked classifier, or None (with a warning) when the folder has none."""
    from extractors.classifier import ClassifierError, load_classifier

    try:
        return load_classifier(extractors_dir)
    except (ClassifierError, OSError, ValueError) as e:
        log.warning("classification not scored: %s", e)
        return None


def classification(records: list[DocRecord]) -> dict[str, Any] | None:
    """Confusion matrix (labeled type -> predicted type or "unknown"), accuracy and unknown rate,
    overall and per set, over the documents the classifier read."""
    done = [r for r in records if r.classified]
    if not done:
        return None

    def summary(recs: list[DocRecord]) -> dict[str, Any]:
        matrix: dict[str, dict[str, int]] = {}
        for r in recs:
            row = matrix.setdefault(r.doc_type, {})
            key = r.predicted or "unknown"
            row[key] = row.get(key, 0) + 1
        n = len(recs)
        correct = sum(1 for r in recs if r.predicted == r.doc_type)
        unknown = sum(1 for r in recs if r.predicted is None)
        wrong = n - correct - unknown
        return {"n_docs": n, "accuracy": round(correct / n, 4) if n else None,
                "unknown_rate": round(unknown / n, 4) if n else None,
                "wrong_type_rate": round(wrong / n, 4) if n else None,
                "confusion": {t: dict(sorted(row.items())) for t, row in sorted(matrix.items())}}

    out = summary(done)
    out["sets"] = {name: summary([r for r in done if r.set_name == name]) for name in sorted({r.set_name for r in done})}
    return out


def gate_thresholds(roots: list[SampleRoot], records: list[DocRecord]) -> dict[str, Any] | None:
    """Per doc type and field thresholds chosen on every scored set at once (each set must keep
    exported precision >= the target), and what they give per set; written as `gate.yaml`."""
    from eval.calibration import THRESHOLD_TARGET, choose_thresholds, gate_with, thresholds_yaml
    from pipeline.gate import DEFAULT_THRESHOLD

    sets = {root.name: [r.gate for r in records if r.set_name == root.name and r.gate is not None] for root in roots}
    sets = {k: v for k, v in sets.items() if v}
    if not sets:
        return None
    th = choose_thresholds(sets, target=THRESHOLD_TARGET)
    return {"target_precision": THRESHOLD_TARGET, "chosen_on": sorted(sets),
            "file": thresholds_yaml(th, DEFAULT_THRESHOLD),
            "outcome": {name: gate_with(docs, th) for name, docs in sets.items()}}


def gate_section(roots: list[SampleRoot], records: list[DocRecord]) -> dict[str, Any]:
    """Per set: the gate's calibration, threshold sweep and outcome at the configured thresholds."""
    from eval.calibration import summarise

    out = {}
    for root in roots:
        docs = [r.gate for r in records if r.set_name == root.name and r.gate is not None]
        if docs:
            out[root.name] = {"label": root.label, **summarise(docs)}
    return out
