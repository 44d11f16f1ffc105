"""`docc run INPUT... --out OUT`: the nightly batch job.

For every input file: sha256 -> ingest -> classify -> locked extractor -> serialise fields ->
runtime validation (Great Expectations, per batch) -> FHIR Bundle. Outputs (see docs/batch.md):

    OUT/results.jsonl            one line per input, sorted by source path (deterministic)
    OUT/results.parquet          the same fields as one flat table, a row per field or cell (polars)
    OUT/manifest.json            outcome counts (inputs = exported + review + quarantined),
                                 per doc type, extractor/classifier/suite hashes, docc version
    OUT/runs/<n>.json            this run's counters: inputs = exported + review + quarantined
                                 + unchanged, timings, workers, engine
    OUT/fhir/<sha256>.json       FHIR R4 transaction Bundle per exported document
    OUT/ndjson/<Type>.ndjson     bulk NDJSON, regenerated from all exported bundles
    OUT/review/review.jsonl      documents needing a person, with reasons
    OUT/quarantine/quarantine.jsonl   unreadable inputs, with reasons (no bytes copied)
    OUT/.state/                  per-content records (crash-safe, incremental)

Work is streamed: the walk yields paths, the driver hashes each and skips content whose record
is still valid, and keeps at most `2 x workers` chunks in flight. Workers (local processes or
Ray tasks) run `pipeline.batch_worker.process_chunk`; the driver validates extracted documents
in batches, writes each final record atomically, and rebuilds the listings at the end.

This module is the command (usage checks, the output folder's lock, the run's life cycle); the
jobs are in `batch_package` (loading), `batch_engines` (where chunks run), `batch_driver` (the
loop: ledger, validation, dispatch), `batch_worker` (per document), `batch_outputs` (files) and
`batch_report` (progress and summary); records are typed in `pipeline.records`.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Sequence

from rich.console import Console

from pipeline.batch_driver import Dispatch, Ledger, Validation
from pipeline.batch_engines import LocalEngine, RayEngine
from pipeline.batch_outputs import RunStats, rebuild as _rebuild, write_run as _write_run
from pipeline.batch_package import load_package as _load_package, state_keys as _state_keys
from pipeline.batch_report import Progress as _Progress, summary as _summary, summary_line  # noqa: F401  (public name)
from pipeline.batch_worker import Package
from pipeline.records import STATUSES  # noqa: F401  (public name: the three outcomes)
from pipeline.settings import settings
from pipeline.state import State
from pipeline.walk import Entry, display, walk

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def run_command(
    inputs: Sequence[Path | str | bytes],
    out: Path,
    extractors_dir: Path,
    workers: int = 1,
    engine: str = "local",
    ray_address: str | None = None,
    *,
    chunk_size: int | None = None,
    cache_dir: str | None = None,
    dpi: int = 300,
    fsync: bool = True,
    progress: bool = True,
    quiet: bool = False,
    mappings: Path | None = None,
    reprocess: bool | set[str] = False,
    json_summary: bool = False,
) -> int:
    """Run the batch; returns the exit code (0 all inputs accounted for, 1 some not, 2 usage, 130 interrupted).

    `reprocess`: True, or a set of doc types, to process those documents again though their
    records are current; `json_summary`: print the run record as one JSON line instead of the table."""
    console = Console(stderr=True)
    out = Path(out)
    extractors_dir = Path(extractors_dir)
    workers = max(1, int(workers))
    chunk_size = chunk_size or settings().batch_chunk
    if engine not in ("local", "ray"):
        console.print(f"[red]error:[/red] unknown engine {engine!r} (local or ray)")
        return EXIT_USAGE

    # -- usage checks: fail before touching OUT ------------------------------------------
    if not extractors_dir.is_dir():
        console.print(f"[red]error:[/red] extractors folder {extractors_dir} does not exist (run `docc compile`, or pass --extractors)")
        return EXIT_USAGE
    missing = [p for p in inputs if not os.path.lexists(os.fsencode(p))]
    if missing:
        console.print(f"[red]error:[/red] input path(s) not found: {', '.join(display(os.fsencode(p)) for p in missing)}")
        return EXIT_USAGE
    if not inputs:
        console.print("[red]error:[/red] no inputs given")
        return EXIT_USAGE
    if next(iter(walk(inputs)), None) is None:  # a dead mount or a wrong folder must not pass as "nothing to do"
        console.print(f"[red]error:[/red] no input files under {', '.join(display(os.fsencode(p)) for p in inputs)}")
        return EXIT_USAGE
    if engine == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            console.print("[red]error:[/red] --engine ray needs Ray: pip install 'docc[ray]'")
            return EXIT_USAGE
    try:
        pkg, suites = _load_package(extractors_dir, cache_dir, dpi, mappings)
    except Exception as e:  # ArtifactError, ClassifierError, ExpectationsError, bad JSON
        console.print(f"[red]error:[/red] cannot load the locked extractors from {extractors_dir}: {e}")
        return EXIT_USAGE

    out.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock, Timeout

    (out / ".state").mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out / ".state" / "run.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        console.print(f"[red]error:[/red] another `docc run` is writing to {out}")
        return EXIT_USAGE
    try:
        return _run(inputs, out, pkg, suites, workers, engine, ray_address, chunk_size, fsync, progress, quiet,
                    reprocess, json_summary, _state_keys(pkg, extractors_dir))
    except RuntimeError as e:
        console.print(f"[red]error:[/red] {e}; state is kept, run again after fixing the cause")
        return EXIT_INCOMPLETE
    finally:
        lock.release()


def _run(inputs, out: Path, pkg: Package, suites: dict, workers: int, engine_name: str, ray_address: str | None,
         chunk_size: int, fsync: bool, show_progress: bool, quiet: bool, reprocess: bool | set[str] = False,
         json_summary: bool = False, state_keys: dict[str, dict[str, str]] | None = None) -> int:
    from pipeline.checks import RuntimeChecks

    started = time.time()
    t0 = time.perf_counter()
    # a changed gate (thresholds, lock evidence) re-processes its doc type, like a recompiled extractor
    state = State(out, pkg.classifier["sha256"],
                  {t: sha + (f"+gate:{pkg.gates[t].sha256}" if t in pkg.gates else "")
                   + (f"+alt:{pkg.alternates[t][0]}" if t in pkg.alternates else "") for t, (sha, _) in pkg.extractors.items()},
                  {t: (s or {}).get("sha256") for t, s in suites.items()}, fsync=fsync,
                  extra=state_keys, reprocess=reprocess)
    checks = RuntimeChecks(suites)
    stats = RunStats()

    entries: list[Entry] = list(walk(inputs))
    log.info("docc run: %d input file(s), engine=%s, workers=%d", len(entries), engine_name, workers)
    bar = _Progress(len(entries), show_progress and not quiet)
    ledger = Ledger(out, state, stats, bar, fsync)
    conf = settings()
    validation = Validation(checks, stats, ledger.finalize, conf.batch_flush_rows, conf.batch_flush_seconds)

    # -- SIGTERM (systemd stop, cron timeout) behaves like Ctrl-C -------------------------
    def on_term(signum, frame):
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None

    interrupted = False
    engine = None
    dispatch = None
    work = ledger.todo(entries)
    try:
        try:
            first = list(islice(work, chunk_size))
            if first:
                validation.warm()
                engine = LocalEngine(pkg, workers) if engine_name == "local" else RayEngine(pkg, workers, ray_address)
                dispatch = Dispatch(engine, work, first, chunk_size, workers, ledger, validation)
                dispatch.run()
            validation.maybe_flush(force=True)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: finishing the documents in flight (Ctrl-C again to abandon them)")
            try:
                if dispatch is not None:
                    dispatch.drain()
                validation.maybe_flush(force=True)
            except KeyboardInterrupt:
                log.warning("abandoning the documents in flight; they are processed on the next run")
    finally:
        bar.stop()
        validation.shutdown()
        if engine is not None:
            engine.close(abandon=interrupted)
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)

    run_record = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.perf_counter() - t0, 3),
        "engine": engine_name, "workers": workers, "chunk_size": chunk_size,
        "interrupted": interrupted,
    }
    if interrupted:
        _write_run(out, run_record, stats, len(entries), None)
        Console(stderr=True).print("[yellow]interrupted[/yellow]: state kept; run again to finish (outputs not rebuilt)")
        return EXIT_INTERRUPTED

    missing = _rebuild(out, entries, ledger.path_sha, ledger.mem_by_path, ledger.mem_by_sha, state, pkg, suites)
    run = _write_run(out, run_record, stats, len(entries), checks)
    if json_summary:
        print(json.dumps({**run, "missing": missing, "out": str(out)}, sort_keys=True), flush=True)
    elif not quiet:
        _summary(run, missing)
    if missing:
        Console(stderr=True).print(f"[red]error:[/red] {missing} input(s) have no result; see the log and run again")
        return EXIT_INCOMPLETE
    return EXIT_OK
