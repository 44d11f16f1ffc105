"""`docc eval`: score the locked extractors on labeled folders and write the accuracy report.

    eval_command(samples, extractors_dir, out, baseline, baseline_limit, against, tolerance) -> exit code
    run_eval(...) -> report dict                  (the same, without console output; for tests)

Each sample root (default `data/samples`, "samples (seen by the compiler)", and `tests/heldout`,
"held-out layouts") holds `<doc_type>/` folders. Every document is ingested, the doc type's locked
extractor is run on it twice (latency and determinism), and its output is scored against the golden
file with `eval.metrics`. Outputs in `out/`:

- report.json       everything below, machine-readable (`--against` reads this)
- report.md         the same as tables
- report.html       self-contained (plotly inlined): F1 bars, calibration, regression, baseline
- gx_results.json   Great Expectations validation results (one suite per set and doc type)
- extracted.jsonl   per document: extracted and golden values (for digging into errors)

Exit codes: 0 ok; 1 a field's F1 dropped by more than `tolerance` versus `--against`;
2 nothing to evaluate (no extractors, no samples, bad arguments), or the direct-LLM server
could not be started (the reports are still written, with the compiled results only).
Field values appear only in the report files, never in logs above DEBUG.

This module only orchestrates; each part has its own module: `eval.runner` (run and score the
locked extractors), `eval.costs` (compile cost), `eval.comparison` (direct-LLM baseline),
`eval.gx_results` (Great Expectations), `eval.regression` (`--against`), `eval.markdown` and
`eval.html` (rendering).
"""
from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from eval.comparison import comparison, run_direct_llm
from eval.costs import compile_costs
from eval.gx_results import gx_validate
from eval.markdown import fmt, print_console, render_markdown
from eval.metrics import overall, plain
from eval.regression import regression
from eval.runner import (DocRecord, classification, gate_section, gate_thresholds, load_classifier_or_none, modality_section,
                         resolve_roots, run_compiled, score_records, sets_section)

log = logging.getLogger(__name__)

REPORT_VERSION = 1


# ---------------------------------------------------------------- the whole run


def run_eval(samples: list[Path] | None, extractors_dir: Path, out: Path, *, baseline: str | None = None,
             baseline_limit: int | None = None, against: Path | None = None, tolerance: float = 0.02,
             llm_client: Any | None = None, gx: bool = True, progress: Any | None = None,
             ocr_profile: str | None = None, compare_profiles: list[str] | None = None) -> dict[str, Any]:
    """Score, write every report file into `out`, and return the report dict.
    Raises FileNotFoundError / ArtifactError / ValueError for unusable inputs."""
    from extractors.artifacts import load_locked

    if baseline not in (None, "direct-llm"):
        raise ValueError(f"unknown baseline {baseline!r} (known: direct-llm)")
    previous = None
    if against is not None:
        previous = json.loads(Path(against).read_text(encoding="utf-8"))
    roots = resolve_roots(samples)
    if not roots or not any(ss.samples for r in roots for ss in r.sets):
        raise FileNotFoundError("no labeled documents found (looked in: "
                                + (", ".join(str(p) for p in samples) if samples else "data/samples, tests/heldout") + ")")
    locked = load_locked(Path(extractors_dir))
    schemas = {(root.name, ss.doc_type): ss.schema_ for root in roots for ss in root.sets}
    n_total = sum(len(ss.samples) for r in roots for ss in r.sets)

    def bar(description: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)

    t0 = time.monotonic()
    from extractors.artifacts import read_lock
    from pipeline.gate import alternates_sources, load_alternates, load_gates

    classifier = load_classifier_or_none(Path(extractors_dir))
    lock = read_lock(Path(extractors_dir))
    gates = load_gates(Path(extractors_dir), lock)
    alternates = {t: load_alternates(src, t) for t, (_, src) in alternates_sources(Path(extractors_dir), lock).items()}
    records = run_compiled(roots, locked, keep_text=baseline is not None, progress=bar("compiled extractors", n_total),
                           classifier=classifier, gates=gates, alternates=alternates, ocr_profile=ocr_profile)
    other_profiles: list[DocRecord] = []
    for prof in dict.fromkeys(compare_profiles or []):
        from pipeline.ingest.ocr import get_profile

        get_profile(prof)  # an unknown name fails before any OCR
        other_profiles += [r for r in run_compiled(roots, locked, ocr_profile=prof, progress=bar(f"scans, profile {prof}", n_total))
                           if r.ocr_profile is not None]
    scores = score_records(records, schemas)
    costs = compile_costs(Path(extractors_dir), locked)
    report: dict[str, Any] = {
        "docc_eval_version": REPORT_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "extractors": {"dir": str(extractors_dir),
                       "doc_types": {dt: {"sha256": e.sha256, "backend": e.entry.get("backend"), "model": e.entry.get("model")}
                                     for dt, e in locked.items()},
                       "compile_costs": costs},
        "sets": sets_section(roots, scores, records),
        "modality": modality_section(records, schemas, other_profiles),
        "overall": overall([acc for by_type in scores.values() for acc in by_type.values()]),
        "baseline": None, "comparison": None, "regression": None, "gx": None,
        "classification": classification(records),
        "gate": gate_section(roots, records),
    }
    report["gate_thresholds"] = gate_thresholds(roots, records)
    base_records = None
    if baseline == "direct-llm":
        factory = (lambda n: bar("direct-LLM baseline", n)) if progress is not None else None
        try:
            base_records, run = run_direct_llm(records, schemas, baseline_limit, llm_client, factory)
        except RuntimeError as e:  # LLMError / EmbeddedLLMError: the compiled report still stands
            if type(e).__name__ not in ("LLMError", "EmbeddedLLMError"):
                raise
            log.error("direct-LLM baseline failed: %s", str(e).splitlines()[0] if str(e) else type(e).__name__)
            report["baseline"] = {"approach": "direct-llm", "error": f"{type(e).__name__}: {str(e)[:500]}"}
            base_records = None
    if baseline == "direct-llm" and base_records is not None:
        base_scores = score_records(base_records, schemas)
        report["baseline"] = {"approach": "direct-llm", "limit_per_doc_type": baseline_limit,
                              "sets": {name: {"label": next(r.label for r in roots if r.name == name),
                                              "doc_types": {dt: acc.as_dict() for dt, acc in by_type.items()},
                                              "overall": overall(by_type.values())}
                                       for name, by_type in base_scores.items()}}
        report["comparison"] = comparison(records, base_records, run, schemas, costs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if gx:
        report["gx"] = gx_validate(records, schemas, out / "gx_results.json", scores=scores)
    if previous is not None:
        report["regression"] = regression(report, previous, tolerance, str(against))
    report["seconds"] = round(time.monotonic() - t0, 3)
    report["files"] = {"json": "report.json", "markdown": "report.md", "html": "report.html",
                       "gx": "gx_results.json" if gx else None, "extracted": "extracted.jsonl"}
    write_outputs(report, records, out, previous)
    return report


def write_outputs(report: dict[str, Any], records: list[DocRecord], out: Path, previous: Mapping[str, Any] | None = None) -> None:
    import yaml

    from eval.html import render_html

    if report.get("gate_thresholds"):
        (out / "gate.yaml").write_text("# per-field export thresholds chosen by `docc eval`; copy to <extractors>/gate.yaml to use\n"
                                       + yaml.safe_dump(report["gate_thresholds"]["file"], sort_keys=True), encoding="utf-8")

    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    with open(out / "extracted.jsonl", "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"set": r.set_name, "doc_type": r.doc_type, "doc_id": r.doc_id, "error": r.error,
                                 "extracted": plain(r.extracted), "golden": r.golden}, ensure_ascii=False, default=str) + "\n")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, previous), encoding="utf-8")


def eval_command(samples: list[Path] | None, extractors_dir: Path, out: Path, baseline: str | None = None,
                 baseline_limit: int | None = None, against: Path | None = None, tolerance: float = 0.02,
                 ocr_profile: str | None = None, compare_profiles: list[str] | None = None) -> int:
    """The `docc eval` command: returns the process exit code."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from extractors.artifacts import ArtifactError

    console = Console()
    err = Console(stderr=True)
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per LLM request otherwise
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=err, transient=False) as progress:
            report = run_eval(samples, extractors_dir, out, baseline=baseline, baseline_limit=baseline_limit,
                              against=against, tolerance=tolerance, progress=progress, ocr_profile=ocr_profile,
                              compare_profiles=compare_profiles)
    except (FileNotFoundError, ArtifactError, ValueError) as e:
        err.print(f"[red]docc eval: {e}[/]")
        return 2
    print_console(report, console)
    cls = report.get("classification")
    if cls:
        console.print(f"classification: {cls['n_docs']} documents, accuracy {fmt(cls['accuracy'])}, "
                      f"unknown rate {fmt(cls['unknown_rate'])}, wrong type {fmt(cls['wrong_type_rate'])}")
    console.print(f"report: {Path(out) / 'report.html'} (also report.json, report.md, gx_results.json)")
    if report.get("regression") and report["regression"]["failed"]:
        return 1
    if report.get("baseline") and report["baseline"].get("error"):
        err.print(f"[red]docc eval: the direct-LLM baseline failed ({report['baseline']['error'].splitlines()[0]}); "
                  "the report has the compiled results only[/]")
        return 2
    return 0
