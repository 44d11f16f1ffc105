"""The files a batch leaves: results.jsonl, review/, quarantine/, fhir/ pruning, ndjson/,
manifest.json and results.parquet (rebuilt from every current record), and runs/<n>.json."""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from extractors.fileio import StagedFiles
from pipeline.batch_worker import Package
from pipeline.records import STATUSES, DocRecord, ErrorKind, ReviewReason
from pipeline.state import State, atomic_write_many, docc_version
from pipeline.walk import Entry


log = logging.getLogger(__name__)


@dataclass
class RunStats:
    processed: Counter = field(default_factory=Counter)       # (doc_type, status) -> n, this run
    unchanged: Counter = field(default_factory=Counter)       # doc_type -> n
    worker: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    peak_rss_mb: dict[int, float] = field(default_factory=dict)
    last_rss_mb: dict[int, float] = field(default_factory=dict)
    validations: int = 0
    validate_s: float = 0.0
    crashes: int = 0



def _line_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# ------------------------------------------------------------------------- outputs


def rebuild(out: Path, entries: list[Entry], path_sha, mem_by_path, mem_by_sha, state: State, pkg: Package, suites) -> int:
    """results.jsonl, review/, quarantine/, fhir/ pruning, ndjson/ and manifest.json, atomically each."""
    missing = 0
    counts: Counter = Counter()
    per_type: dict[str, Counter] = defaultdict(Counter)
    kinds: Counter = Counter()
    review_kinds: Counter = Counter()
    check_counts: Counter = Counter()
    exported: set[str] = set()
    keep: set[str] = set()
    with StagedFiles() as staged:  # the three listings are replaced together, fsynced
        fr = staged.open(out / "results.jsonl")
        fv = staged.open(out / "review" / "review.jsonl")
        fq = staged.open(out / "quarantine" / "quarantine.jsonl")
        for e in sorted(entries, key=lambda e: e.path):
            sha = path_sha.get(e.path)
            rec = mem_by_path.get(e.path) or (mem_by_sha.get(sha) if sha else None) or (state.load(sha) if sha else None)
            if rec is None:
                missing += 1
                rec = DocRecord.quarantined(sha, ErrorKind.UNREADABLE, "no result was produced for this input (internal error; run again)")
            if sha:
                keep.add(sha)
            line = rec.result_line(e.path)
            fr.write(_line_bytes(line))
            status = line["status"]
            counts[status] += 1
            per_type[line["doc_type"] or ("unknown" if status == "review" else "-")][status] += 1
            if status == "exported" and sha:
                exported.add(sha)
            elif status == "review":
                review_kinds[(rec.review_kind or ReviewReason.of_reason(rec.reason)).value] += 1
                for name in line["checks_failed"]:
                    check_counts[name] += 1
                fv.write(_line_bytes({k: line[k] for k in ("source", "sha256", "doc_type", "doc_type_score", "reason", "checks_failed", "gate")
                                      if k in line}))
            else:
                kinds[rec.error_kind.value if rec.error_kind else "unknown"] += 1
                if status == "quarantined":
                    fq.write(_line_bytes({"source": line["source"], "sha256": line["sha256"],
                                          "kind": rec.error_kind.value if rec.error_kind else None, "reason": line["reason"]}))

    # FHIR: drop bundles of documents no longer exported (removed input, now in review)
    fhir_dir = out / "fhir"
    fhir_dir.mkdir(exist_ok=True)
    for p in fhir_dir.glob("*.json"):
        if p.stem not in exported:
            p.unlink()
    for p in fhir_dir.glob(".*.tmp*"):
        p.unlink()
    ndjson = _write_ndjson(out, sorted(exported))
    state.prune(keep)

    import hashlib

    manifest = {
        "docc_version": docc_version(),
        "classifier_sha256": pkg.classifier["sha256"],
        "extractors": {t: {"sha256": sha, "expectations_sha256": (suites.get(t) or {}).get("sha256")}
                       for t, (sha, _) in sorted(pkg.extractors.items())},
        "inputs": len(entries),
        "exported": counts["exported"],
        "review": counts["review"],
        "quarantined": counts["quarantined"],
        "reconciles": len(entries) == counts["exported"] + counts["review"] + counts["quarantined"],
        "doc_types": {t: {s: c[s] for s in STATUSES} for t, c in sorted(per_type.items())},
        "quarantine_kinds": dict(sorted(kinds.items())),
        "review_reasons": dict(sorted(review_kinds.items())),
        "checks_failed": dict(sorted(check_counts.items())),
        "fhir_bundles": len(list(fhir_dir.glob("*.json"))),
        "fhir_module": True,  # always, since the FHIR module ships with docc; kept for manifest readers
        "ndjson": ndjson,
        "results_sha256": hashlib.sha256((out / "results.jsonl").read_bytes()).hexdigest(),
        "note": "Outcome of every current input. This run's own counters (inputs = exported + review + quarantined + unchanged) are in runs/<n>.json.",
    }
    if review_kinds:
        log.info("review reasons: %s", ", ".join(f"{k} {v}" for k, v in sorted(review_kinds.items())))
    if kinds:
        log.info("quarantined: %s", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    atomic_write_many([(out / "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))])
    from pipeline.results_table import write_results_parquet

    write_results_parquet(out)  # results.parquet: the fields as one flat table for analysts
    return missing


def _review_kind(reason: str | None) -> str:
    """The review kind of a results line (kept for readers of older output folders)."""
    return ReviewReason.of_reason(reason).value


def _write_ndjson(out: Path, shas: list[str]) -> dict[str, int]:
    """OUT/ndjson/<ResourceType>.ndjson from every exported bundle, streamed in sha256 order
    (`pipeline.fhir_bundle.write_ndjson`: deterministic ids, shared resources written once)."""
    from pipeline import fhir_bundle as fb

    def bundles():
        for sha in shas:
            try:
                yield json.loads((out / "fhir" / f"{sha}.json").read_bytes())
            except (OSError, ValueError):
                log.error("FHIR bundle of %s is missing or unreadable; left out of NDJSON", sha[:12])

    return fb.write_ndjson(bundles(), out / "ndjson", presorted=True)


def write_run(out: Path, record: dict, stats: RunStats, n_inputs: int, checks) -> dict:
    runs = out / "runs"
    runs.mkdir(exist_ok=True)
    n = 1 + max((int(p.stem) for p in runs.glob("*.json") if p.stem.isdigit()), default=0)
    by_status = Counter()
    per_type: dict[str, Counter] = defaultdict(Counter)
    for (t, s), c in stats.processed.items():
        by_status[s] += c
        per_type[t or ("unknown" if s == "review" else "-")][s] += c
    for t, c in stats.unchanged.items():
        per_type[t or "-"]["unchanged"] += c
    unchanged = sum(stats.unchanged.values())
    processed = sum(by_status.values())
    w = {k: round(v, 4) for k, v in sorted(stats.worker.items())}
    ext_n = stats.worker.get("docs_extracted", 0)
    run = {
        "run": n, **record,
        "inputs": n_inputs,
        **{s: by_status[s] for s in STATUSES},
        "unchanged": unchanged,
        "accounted": processed + unchanged,
        "reconciles": n_inputs == processed + unchanged,
        "doc_types": {t: {k: c[k] for k in (*STATUSES, "unchanged")} for t, c in sorted(per_type.items())},
        "docs_per_s": round(processed / record["seconds"], 3) if record["seconds"] else None,
        "worker_seconds": w,
        "extract_ms_per_doc": round(1000 * stats.worker.get("extract_s", 0) / ext_n, 4) if ext_n else None,
        "ocr_pages_per_s_per_worker": round(stats.worker["ocr_pages"] / stats.worker["ocr_s"], 3) if stats.worker.get("ocr_s") else None,
        "peak_rss_mb_per_worker": {str(k): round(v, 1) for k, v in sorted(stats.peak_rss_mb.items())},
        "last_rss_mb_per_worker": {str(k): round(v, 1) for k, v in sorted(stats.last_rss_mb.items())},
        "validations": checks.validations if checks else 0,
        "validate_s": round(stats.validate_s, 3),
        "worker_crashes": stats.crashes,
    }
    atomic_write_many([(runs / f"{n:06d}.json", (json.dumps(run, indent=2, sort_keys=True) + "\n").encode("utf-8"))])
    return run
