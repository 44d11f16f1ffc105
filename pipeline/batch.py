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
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import Counter, defaultdict, deque
from itertools import islice
from pathlib import Path
from typing import Any, Iterator, Sequence

from rich.console import Console

from pipeline.batch_worker import Package
from pipeline.records import DocRecord, ErrorKind, ReviewReason, WorkerResult
from pipeline.pool import CRASH_KIND, CRASH_REASON, WorkerCrashed
from pipeline.state import State, atomic_write_many, dumps, hash_file
from pipeline.walk import Entry, display, walk

from pipeline.batch_engines import LocalEngine, RayEngine
from pipeline.batch_outputs import RunStats, rebuild as _rebuild, write_run as _write_run
from pipeline.batch_package import load_package as _load_package, state_keys as _state_keys
from pipeline.batch_report import Progress as _Progress, summary as _summary, summary_line  # noqa: F401  (public name)

log = logging.getLogger(__name__)

CHUNK_SIZE = int(os.environ.get("DOCC_BATCH_CHUNK", "8"))
FLUSH_ROWS = int(os.environ.get("DOCC_BATCH_FLUSH_ROWS", "500"))   # validate when this many wait ...
FLUSH_SECONDS = float(os.environ.get("DOCC_BATCH_FLUSH_SECONDS", "10"))  # ... or the oldest waited this long
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
    chunk_size = chunk_size or CHUNK_SIZE
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
    path_sha: dict[bytes, str | None] = {}
    mem_by_path: dict[bytes, DocRecord] = {}   # records never cached (walk errors, unreadable, crashes)
    mem_by_sha: dict[str, DocRecord] = {}
    waiting: Counter = Counter()          # sha -> number of input paths with this content
    unchanged_shas: set[str] = set()
    bar = _Progress(len(entries), show_progress and not quiet)

    def todo() -> Iterator[tuple[bytes, str]]:
        for e in entries:
            if e.error:
                mem_by_path[e.path] = DocRecord.quarantined(None, *e.error)
                stats.processed[(None, "quarantined")] += 1
                bar.advance()
                continue
            try:
                sha = hash_file(e.path)
            except OSError as ex:
                mem_by_path[e.path] = DocRecord.quarantined(None, ErrorKind.UNREADABLE, f"cannot read file ({ex.strerror or ex})")
                stats.processed[(None, "quarantined")] += 1
                bar.advance()
                continue
            path_sha[e.path] = sha
            first_path.setdefault(sha, e.path)
            if sha in unchanged_shas:
                rec = state.load(sha)
                stats.unchanged[rec.doc_type if rec else None] += 1
                bar.advance(fresh=False)
                continue
            if sha in finalized:  # same content as an input already done in this run
                rec = mem_by_sha.get(sha) or state.load(sha)
                stats.processed[(rec.doc_type, rec.status) if rec else (None, "quarantined")] += 1
                bar.advance()
                continue
            if sha in waiting:  # same content as an input in flight
                waiting[sha] += 1
                continue
            rec = state.get(sha)
            if rec is not None:
                unchanged_shas.add(sha)
                stats.unchanged[rec.doc_type] += 1
                bar.advance(fresh=False)
                continue
            waiting[sha] = 1
            yield (e.path, sha)

    finalized: set[str] = set()
    first_path: dict[str, bytes] = {}

    def finalize(results: list[WorkerResult]) -> None:
        fhir_items, cacheable = [], []
        for res in results:
            rec, bundle = res.record, res.bundle
            if rec.status == "exported" and bundle is not None:
                if rec.sha256 in first_path:
                    from pipeline.fhir_bundle import set_source_title

                    set_source_title(bundle, display(first_path[rec.sha256]))
                fhir_items.append((out / "fhir" / f"{rec.sha256}.json", dumps(bundle) + b"\n"))
            if not res.cache or rec.error_kind == ErrorKind.UNREADABLE:
                mem_by_sha[rec.sha256] = rec
            else:
                cacheable.append(rec)
        if fhir_items:
            atomic_write_many(fhir_items, fsync=fsync)
        if cacheable:
            state.put_many(cacheable)
        for res in results:
            n = waiting.get(res.record.sha256, 1)
            finalized.add(res.record.sha256)
            stats.processed[(res.record.doc_type, res.record.status)] += n
            bar.advance(n)

    pending: dict[str, list[WorkerResult]] = defaultdict(list)
    pending_since: dict[str, float] = {}

    # Runtime validation runs on one background thread (GX is pure Python and slow per call),
    # so the loop keeps feeding workers meanwhile; results are finalised on the main thread.
    from concurrent.futures import ThreadPoolExecutor

    validator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docc-gx")
    validating: deque = deque()  # (future, recs) in submission order

    def _validate(doc_type: str, fields: list[dict]) -> tuple[list[list[str]], float]:
        tv = time.perf_counter()
        return checks.validate(doc_type, fields), time.perf_counter() - tv

    def collect(keep: int = 0) -> None:
        """Finalise finished validations (in order), waiting until at most `keep` remain."""
        while validating and (validating[0][0].done() or len(validating) > keep):
            fut, results = validating.popleft()
            failed, dt = fut.result()
            stats.validate_s += dt
            finalize([WorkerResult(res.record.to_review(ReviewReason.FAILED_CHECKS, ", ".join(names),
                                                        checks_failed=tuple(names)), cache=res.cache)
                      if names else res for res, names in zip(results, failed)])

    def flush(doc_type: str) -> None:
        recs = pending.pop(doc_type, [])
        pending_since.pop(doc_type, None)
        if recs:
            validating.append((validator.submit(_validate, doc_type, [r.record.fields for r in recs]), recs))

    def maybe_flush(force: bool = False) -> None:
        now = time.perf_counter()
        for t in sorted(pending):
            if force or len(pending[t]) >= FLUSH_ROWS or now - pending_since.get(t, now) >= FLUSH_SECONDS:
                flush(t)
        collect(keep=0 if force else 2 * max(1, len(checks.suites)))  # bounded backlog

    def accept(results: list[WorkerResult], wstats: dict) -> None:
        for k, v in wstats.items():
            if k in ("pid", "maxrss_mb", "rss_mb"):
                continue
            stats.worker[k] += v
        pid = wstats.get("pid")
        if pid is not None:
            stats.peak_rss_mb[pid] = max(stats.peak_rss_mb.get(pid, 0.0), wstats.get("maxrss_mb") or 0.0)
            if wstats.get("rss_mb") is not None:
                stats.last_rss_mb[pid] = wstats["rss_mb"]
        direct = []
        for res in results:
            if res.needs_checks:
                t = res.record.doc_type
                pending[t].append(res)
                pending_since.setdefault(t, time.perf_counter())
            else:
                direct.append(res)
        if direct:
            finalize(direct)

    # -- SIGTERM (systemd stop, cron timeout) behaves like Ctrl-C -------------------------
    def on_term(signum, frame):
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, on_term) if threading.current_thread() is threading.main_thread() else None

    interrupted = False
    engine = None
    work = todo()
    inflight: dict[Any, tuple[list, bool]] = {}
    suspects: deque = deque()
    ok_chunks = 0
    try:
        try:
            first = list(islice(work, chunk_size))
            if first:
                if checks.suites:
                    validator.submit(checks.warm)  # start GX while the first documents are read
                engine = LocalEngine(pkg, workers) if engine_name == "local" else RayEngine(pkg, workers, ray_address)
                max_inflight = 2 * workers
                exhausted = False
                queue_first = [first]
                while True:
                    while not exhausted and not suspects and len(inflight) < max_inflight:
                        items = queue_first.pop() if queue_first else list(islice(work, chunk_size))
                        if not items:
                            exhausted = True
                            break
                        inflight[engine.submit(items)] = (items, False)
                    if suspects and not inflight:
                        item = suspects.popleft()
                        inflight[engine.submit([item])] = ([item], True)
                    if not inflight:
                        if exhausted and not suspects:
                            break
                        continue
                    for h in engine.wait(list(inflight), timeout=0.5):
                        if h not in inflight:
                            continue
                        items, isolated = inflight.pop(h)
                        try:
                            results, wstats = engine.result(h)
                        except WorkerCrashed as e:
                            stats.crashes += 1
                            if not ok_chunks and stats.crashes > 2 + 2 * workers:
                                raise RuntimeError(f"worker processes keep dying before finishing any document ({e})") from None
                            if isolated:
                                log.warning("a worker died processing one input; quarantined (%s)", e)
                                finalize([WorkerResult(DocRecord.quarantined(items[0][1], CRASH_KIND, CRASH_REASON), cache=False)])
                            else:
                                log.warning("a worker died (%s); retrying its inputs one at a time", e)
                                suspects.extend(items)
                                if engine.crash_breaks_all:
                                    for other, (its, _) in list(inflight.items()):
                                        suspects.extend(its)
                                    inflight.clear()
                                    engine.reset()
                            continue
                        ok_chunks += 1
                        accept(results, wstats)
                    maybe_flush()
            maybe_flush(force=True)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: finishing the documents in flight (Ctrl-C again to abandon them)")
            try:
                if engine is not None:
                    while inflight:
                        for h in engine.wait(list(inflight), timeout=0.5):
                            items, _ = inflight.pop(h)
                            try:
                                accept(*engine.result(h))
                            except WorkerCrashed:
                                pass
                maybe_flush(force=True)
            except KeyboardInterrupt:
                log.warning("abandoning the documents in flight; they are processed on the next run")
    finally:
        bar.stop()
        validator.shutdown(wait=True, cancel_futures=True)
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

    missing = _rebuild(out, entries, path_sha, mem_by_path, mem_by_sha, state, pkg, suites)
    run = _write_run(out, run_record, stats, len(entries), checks)
    if json_summary:
        print(json.dumps({**run, "missing": missing, "out": str(out)}, sort_keys=True), flush=True)
    elif not quiet:
        _summary(run, missing)
    if missing:
        Console(stderr=True).print(f"[red]error:[/red] {missing} input(s) have no result; see the log and run again")
        return EXIT_INCOMPLETE
    return EXIT_OK
