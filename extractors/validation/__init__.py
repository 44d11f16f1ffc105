"""The four validation stages a generated candidate must pass (see docs/validation.md).

1. static     `static.check_static(source)`
2. security   `security.check_security(source)` + the sandbox (`sandbox.run_candidates`)
3. execution  `execution.check_execution(run, schema, second_run)`
4. accuracy   `accuracy.score_fields(...)` (fast) / `accuracy.GXAccuracy` (Great Expectations)

`validate_candidates` runs them in order and stops a candidate at its first failing stage.
This package's import is light on purpose: the sandbox child imports it, so Great
Expectations and Bandit are only imported where they are used.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from extractors.validation.problems import STAGES, Problem, SandboxUnavailable, ValidationFailed

__all__ = ["Problem", "ValidationFailed", "SandboxUnavailable", "CandidateReport", "validate_candidates", "validate_artifact",
           "run_candidates", "STAGES"]


def run_candidates(sources, docs, **kwargs):
    """`sandbox.run_candidates`, imported lazily (the sandbox child imports this package and
    must not load subprocess or threading)."""
    from extractors.validation.sandbox import run_candidates as _run

    return _run(sources, docs, **kwargs)


@dataclass
class CandidateReport:
    """The verdict on one candidate.

    `passed` lists the stages passed, in order; `failed_stage` is the first failing stage
    (None when all four passed); `problems` are that stage's problems. `scores` maps each
    field the candidate returns to its held-out `FieldScore` (only when execution passed);
    `outputs` maps every document id to the candidate's serialised output (first run).
    """

    index: int
    sha256: str
    passed: list[str] = field(default_factory=list)
    failed_stage: str | None = None
    problems: list[Problem] = field(default_factory=list)
    scores: dict[str, Any] = field(default_factory=dict)       # field -> accuracy.FieldScore
    outputs: dict[str, dict | None] = field(default_factory=dict)
    status: str | None = None                                  # sandbox status of the first run
    seconds: float = 0.0                                       # sandbox time, first run
    lines: int = 0                                             # for tie-breaks by simplicity
    complexity: int = 0

    @property
    def ok(self) -> bool:
        return self.failed_stage is None and len(self.passed) == len(STAGES)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


def _fail(report: CandidateReport, stage: str, problems: list[Problem]) -> None:
    report.failed_stage = stage
    report.problems = problems


def validate_candidates(
    sources: Sequence[str],
    schema,
    docs_by_id: dict[str, Any],
    golden_by_id: dict[str, dict],
    heldout_ids: Sequence[str],
    *,
    timeout_s: float = 5.0,
    memory_mb: int = 512,
    workers: int | None = None,
    gx: Literal["best", "all", "none"] = "best",
    min_accuracy: float = 0.0,
    bandit: bool = True,
    timings: dict[str, float] | None = None,
) -> list["CandidateReport"]:
    """Run the four stages over `sources`; one report per source, same order.

    Every candidate that passes stages 1-2 runs on every document of `docs_by_id` (twice:
    the second run in other processes with another hash seed and the documents reversed);
    accuracy is scored on `heldout_ids` only. `gx="best"` attaches a Great Expectations
    validation record to each field's best candidate (highest score, then fewest lines),
    `"all"` to every passing candidate, `"none"` skips GX.
    """
    from extractors.validation import accuracy, execution, sandbox, security, static

    t = timings if timings is not None else {}
    if gx != "none" and accuracy._GX is None:
        # importing Great Expectations takes seconds: do it while the sandbox runs
        import threading

        threading.Thread(target=accuracy.gx_accuracy, name="docc-gx-warmup", daemon=True).start()

    def tick(name: str, t0: float) -> None:
        t[name] = t.get(name, 0.0) + time.perf_counter() - t0

    doc_ids = sorted(docs_by_id)
    docs = [docs_by_id[i] for i in doc_ids]
    heldout = [i for i in heldout_ids if i in docs_by_id]
    reports = [CandidateReport(index=i, sha256=hashlib.sha256(s.encode("utf-8", "surrogatepass")).hexdigest(),
                               lines=s.count("\n") + 1) for i, s in enumerate(sources)]

    # 1. static (identical sources are analysed once)
    t0 = time.perf_counter()
    infos: dict[int, Any] = {}
    analysed: dict[str, tuple] = {}
    for r, src in zip(reports, sources):
        if r.sha256 not in analysed:
            analysed[r.sha256] = static.analyse(src)
        problems, info = analysed[r.sha256]
        if problems or info is None:
            _fail(r, "static", problems or [Problem("static", "unparsable", "candidate does not parse")])
            continue
        infos[r.index] = info
        fn = info.functions.get("extract")
        r.complexity = sum(static.cyclomatic(f) for f in info.functions.values()) if fn else 0
        r.passed.append("static")
    tick("static", t0)

    # 2. security: AST rules and Bandit, then the sandbox run
    t0 = time.perf_counter()
    secured: dict[str, list[Problem]] = {}
    for r, src in zip(reports, sources):
        if r.failed_stage:
            continue
        if r.sha256 not in secured:
            secured[r.sha256] = security.check_security(src, info=infos[r.index], bandit=bandit)
        problems = secured[r.sha256]
        if problems:
            _fail(r, "security", problems)
    tick("security_static", t0)

    t0 = time.perf_counter()
    runnable = [r.index for r in reports if not r.failed_stage]
    runs1 = dict(zip(runnable, sandbox.run_candidates([sources[i] for i in runnable], docs, timeout_s=timeout_s,
                                                      memory_mb=memory_mb, hash_seed=0, workers=workers)))
    tick("sandbox_run1", t0)
    for i in runnable:
        r, run = reports[i], runs1[i]
        r.status, r.seconds = run.status, run.seconds
        r.outputs = dict(zip(doc_ids, run.outputs))
        if run.status in ("timeout", "memory", "crash", "violation"):
            _fail(r, "security", execution.check_execution(run, schema, None, doc_ids))
        else:
            r.passed.append("security")

    # 3. execution (second run only for candidates that ran cleanly)
    t0 = time.perf_counter()
    again = [i for i in runnable if not reports[i].failed_stage and runs1[i].status == "ok"]
    runs2 = dict(zip(again, sandbox.run_candidates([sources[i] for i in again], docs, timeout_s=timeout_s,
                                                   memory_mb=memory_mb, hash_seed=1, reverse=True, workers=workers)))
    tick("sandbox_run2", t0)
    for i in runnable:
        r = reports[i]
        if r.failed_stage:
            continue
        problems = execution.check_execution(runs1[i], schema, runs2.get(i), doc_ids)
        if i not in runs2 and not problems:
            problems = [Problem("execution", "not-run", "second run missing")]
        if problems:
            _fail(r, "security" if problems[0].stage == "security" else "execution", problems)
        else:
            r.passed.append("execution")

    # 4. accuracy (fast scorer for all; GX records for the chosen ones)
    t0 = time.perf_counter()
    for r in reports:
        if r.failed_stage:
            continue
        scores, problems = accuracy.check_accuracy(r.outputs, golden_by_id, schema, heldout, min_accuracy=min_accuracy)
        r.scores = scores
        if problems:
            _fail(r, "accuracy", problems)
        else:
            r.passed.append("accuracy")
    tick("accuracy", t0)

    if gx != "none":
        t0 = time.perf_counter()
        targets: dict[int, set[str]] = {}
        scored = [r for r in reports if "execution" in r.passed]
        if gx == "all":
            for r in scored:
                targets[r.index] = set(r.scores)
        else:
            for name in schema.fields:
                best = max((r for r in scored if name in r.scores),
                           key=lambda r: (r.scores[name].score, -r.lines, -r.complexity, -r.index), default=None)
                if best is not None:
                    targets.setdefault(best.index, set()).add(name)
        if targets:
            g = accuracy.gx_accuracy()
            for idx, names in targets.items():
                r = reports[idx]
                for name in sorted(names):
                    r.scores[name] = g.score_field(name, schema.fields[name], r.outputs, golden_by_id, heldout,
                                                   mostly=min_accuracy)
        tick("gx", t0)
    return reports


def validate_artifact(source: str, schema, docs: dict[str, Any], goldens: dict[str, dict], *,
                      heldout_ids: Sequence[str] | None = None, timeout_s: float = 10.0, memory_mb: int = 512,
                      min_accuracy: float = 0.0) -> dict[str, Any]:
    """All four stages on one assembled artifact, with Great Expectations records for every
    field; returns the JSON-able summary kept in the lock and the compile report, and raises
    `ValidationFailed` when a stage fails.

    `heldout_ids` defaults to every sample with a golden record (the artifact as a whole was
    assembled from per-field winners already chosen on held-out layouts)."""
    ids = list(heldout_ids) if heldout_ids is not None else sorted(i for i in docs if i in goldens)
    t0 = time.perf_counter()
    report = validate_candidates([source], schema, docs, goldens, ids, timeout_s=timeout_s,
                                 memory_mb=memory_mb, gx="all", min_accuracy=min_accuracy)[0]
    if not report.ok:
        raise ValidationFailed(report.failed_stage or "?", report.problems)
    fields = {}
    for name, s in report.scores.items():
        gx_doc = s.gx or {}
        fields[name] = {
            "type": s.type, "n_docs": s.n_docs, "n": s.n, "tp": s.tp, "fp": s.fp, "fn": s.fn,
            "accuracy": round(s.accuracy, 4), "precision": round(s.precision, 4), "recall": round(s.recall, 4),
            "f1": round(s.f1, 4), "score": round(s.score, 4),
            "gx_success": gx_doc.get("success"),
            "gx_statistics": gx_doc.get("statistics"),
        }
    return {
        "passed": report.passed,
        "sha256": report.sha256,
        "heldout": len(ids),
        "documents": len(docs),
        "sandbox_seconds": round(report.seconds, 4),
        "seconds": round(time.perf_counter() - t0, 3),
        "fields": fields,
    }
