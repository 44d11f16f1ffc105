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

import base64
import json
import logging
import os
import signal
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterator, Sequence

from rich.console import Console

from pipeline.errors import DoccError
from pipeline.batch_worker import Package
from pipeline.settings import settings
from pipeline.state import State, atomic_write_many, docc_version, dumps, hash_file
from pipeline.walk import Entry, display, is_utf8, walk

log = logging.getLogger(__name__)

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
STATUSES = ("exported", "review", "quarantined")


class WorkerCrashed(DoccError):
    """A worker process died (or a Ray task failed) while processing a chunk."""


# ------------------------------------------------------------------------- engines


class LocalEngine:
    """A process pool; each worker loads the extractors once (pool initializer)."""

    name = "local"

    def __init__(self, pkg: Package, workers: int) -> None:
        self.pkg, self.workers = pkg, workers
        self._new_pool()

    def _new_pool(self) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from pipeline.batch_worker import init_worker

        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("forkserver"),
                                        initializer=init_worker, initargs=(self.pkg, os.getpid()))

    def submit(self, items):
        from concurrent.futures.process import BrokenProcessPool

        from pipeline.batch_worker import process_chunk

        try:
            return self.pool.submit(process_chunk, items)
        except BrokenProcessPool:  # broke since the last reset: start a fresh pool
            self.reset()
            return self.pool.submit(process_chunk, items)

    def wait(self, handles, timeout: float):
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle):
        from concurrent.futures.process import BrokenProcessPool

        try:
            return handle.result()
        except BrokenProcessPool as e:
            raise WorkerCrashed(str(e)) from None

    @property
    def crash_breaks_all(self) -> bool:
        return True  # a dead worker breaks the whole pool

    def reset(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._new_pool()

    def close(self, abandon: bool = False) -> None:
        if abandon:
            for p in list(getattr(self.pool, "_processes", {}).values()):
                try:
                    p.kill()
                except Exception:
                    pass
        self.pool.shutdown(wait=not abandon, cancel_futures=True)


class RayEngine:
    """The same chunk function as Ray tasks, on a local Ray or an existing cluster."""

    name = "ray"

    def __init__(self, pkg: Package, workers: int, address: str | None) -> None:
        import ray

        os.environ["OMP_THREAD_LIMIT"] = "1"
        os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
        self.ray = ray
        self.started = not ray.is_initialized()
        if self.started:
            if address:
                ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                         runtime_env={"env_vars": {"OMP_THREAD_LIMIT": "1"}})
            else:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
        from pipeline.batch_worker import process_chunk_ray

        self.pkg_ref = ray.put(pkg)
        self.key = pkg.key
        self.fn = ray.remote(num_cpus=1, max_retries=0)(process_chunk_ray)
        self.workers = workers

    def submit(self, items):
        return self.fn.remote(self.key, [self.pkg_ref], items)

    def wait(self, handles, timeout: float):
        done, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        return done

    def result(self, handle):
        try:
            return self.ray.get(handle)
        except (self.ray.exceptions.RayTaskError, self.ray.exceptions.WorkerCrashedError, self.ray.exceptions.RayError) as e:
            raise WorkerCrashed(type(e).__name__) from None

    crash_breaks_all = False

    def reset(self) -> None:
        pass

    def close(self, abandon: bool = False) -> None:
        if self.started:
            self.ray.shutdown()


# ------------------------------------------------------------------------- the run


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


def _quarantine(sha: str | None, kind: str, reason: str) -> dict[str, Any]:
    return {"sha256": sha, "doc_type": None, "status": "quarantined", "reason": f"{kind}: {reason}",
            "fields": {}, "extractor_sha256": None, "doc_type_score": None, "checks_failed": [],
            "pages": None, "error_kind": kind}


def _result_line(path: bytes, rec: dict[str, Any]) -> dict[str, Any]:
    line = {"source": display(path)}
    if not is_utf8(path):
        line["source_b64"] = base64.b64encode(path).decode("ascii")
    line.update({
        "sha256": rec.get("sha256"),
        "doc_type": rec.get("doc_type"),
        "status": rec["status"],
        "reason": rec.get("reason"),
        "fields": rec.get("fields") or {},
        "extractor_sha256": rec.get("extractor_sha256"),
        "doc_type_score": rec.get("doc_type_score"),
        "checks_failed": rec.get("checks_failed") or [],
        "pages": rec.get("pages"),
    })
    if rec.get("error_kind"):
        line["error_kind"] = rec["error_kind"]
    if rec.get("gate"):
        line["gate"] = rec["gate"]  # typed export-gate items (pipeline.gate.GateItem)
    return line


def _line_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


class _Progress:
    """A rich progress bar on stderr (only on a terminal), with docs/s and ETA."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.t0 = time.perf_counter()
        self.done = self.fresh = 0
        self.progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            console = Console(stderr=True)
            if console.is_terminal:
                self.progress = Progress(
                    TextColumn("[bold]docc run"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]} docs/s"), TextColumn("ETA"), TimeRemainingColumn(),
                    TimeElapsedColumn(), console=console, transient=False,
                )
                self.task = self.progress.add_task("run", total=total, rate="-")
                self.progress.start()

    def advance(self, n: int = 1, fresh: bool = True) -> None:
        self.done += n
        if fresh:
            self.fresh += n
        if self.progress is not None:
            dt = time.perf_counter() - self.t0
            self.progress.update(self.task, advance=n, rate=f"{self.fresh / dt:.1f}" if dt > 0 else "-")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _load_package(extractors_dir: Path, cache_dir: str | None, dpi: int, mappings: Path | None = None):
    """Hash-checked extractors, classifier and runtime suites; raises on any problem."""
    from extractors.artifacts import load_locked, read_lock, sha256_bytes
    from extractors.classifier import load_classifier
    from extractors.expectations import load_runtime_suite

    locked = load_locked(extractors_dir, execute=False)  # extractor code runs only in the workers, contained
    model = load_classifier(extractors_dir)
    lock = read_lock(extractors_dir)
    sources = {}
    suites = {}
    for t, le in locked.items():
        data = (extractors_dir / le.entry["artifact"]).read_bytes()
        if sha256_bytes(data) != le.sha256:
            raise RuntimeError(f"{t}: artifact changed while loading")
        sources[t] = (le.sha256, data.decode("utf-8"))
        suites[t] = load_runtime_suite(extractors_dir, t, lock["doc_types"].get(t, {}))
    unknown = sorted(set(model["centroids"]) - set(locked))
    if unknown:
        log.warning("classifier knows doc type(s) with no locked extractor: %s (they go to review)", ", ".join(unknown))
    from extractors.ocr_profiles import locked_profiles
    from pipeline.gate import alternates_sources, load_gates

    gates = {t: g for t, g in load_gates(extractors_dir, lock).items() if t in sources}
    alts = {t: a for t, a in alternates_sources(extractors_dir, lock).items() if t in sources}
    pkg = Package(extractors=sources, classifier=model, cache_dir=cache_dir, dpi=dpi,
                  has_checks={t: bool(s) for t, s in suites.items()},
                  fhir_mappings=str(mappings) if mappings is not None else None,
                  extract_cpu_s=settings().extract_cpu_seconds,
                  extract_memory_mb=settings().extract_memory_mb,
                  gates=gates, alternates=alts,
                  ocr_profiles=locked_profiles({t: lock["doc_types"].get(t, {}) for t in locked}))
    return pkg, suites


def _state_keys(pkg: Package, extractors_dir: Path) -> dict[str, dict[str, str]]:
    """Per doc type, what besides the extractor decides its results and so joins the state key:
    the sha256 of its FHIR mapping and of its lock entry (scores, thresholds)."""
    import hashlib

    from extractors.artifacts import read_lock

    entries = read_lock(extractors_dir).get("doc_types", {})
    keys = {t: {"lock_entry": hashlib.sha256(dumps(entries.get(t))).hexdigest()} for t in pkg.extractors}
    try:
        from pipeline.fhir_bundle import mapping_sha256, mapping_status
    except ImportError:
        return keys
    for t in pkg.extractors:
        keys[t]["mapping"] = mapping_sha256(t, pkg.fhir_mappings)
        status = mapping_status(t, pkg.fhir_mappings)
        if status == "invalid":
            log.warning("doc type %s: FHIR mapping does not load; its documents go to review (docc compile names the problem)", t)
        elif status != "reviewed":
            log.warning("doc type %s: FHIR mapping is %s; its documents export Patient, DocumentReference, "
                        "Provenance and what it maps with certainty (review it: docs/fhir.md)", t, status)
    return keys


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

    started, conf = time.time(), settings()
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
    mem_by_path: dict[bytes, dict] = {}   # records never cached (walk errors, unreadable, crashes)
    mem_by_sha: dict[str, dict] = {}
    waiting: Counter = Counter()          # sha -> number of input paths with this content
    unchanged_shas: set[str] = set()
    bar = _Progress(len(entries), show_progress and not quiet)

    def todo() -> Iterator[tuple[bytes, str]]:
        for e in entries:
            if e.error:
                mem_by_path[e.path] = _quarantine(None, *e.error)
                stats.processed[(None, "quarantined")] += 1
                bar.advance()
                continue
            try:
                sha = hash_file(e.path)
            except OSError as ex:
                mem_by_path[e.path] = _quarantine(None, "unreadable", f"cannot read file ({ex.strerror or ex})")
                stats.processed[(None, "quarantined")] += 1
                bar.advance()
                continue
            path_sha[e.path] = sha
            first_path.setdefault(sha, e.path)
            if sha in unchanged_shas:
                rec = state.load(sha)
                stats.unchanged[rec.get("doc_type") if rec else None] += 1
                bar.advance(fresh=False)
                continue
            if sha in finalized:  # same content as an input already done in this run
                rec = mem_by_sha.get(sha) or state.load(sha) or {}
                stats.processed[(rec.get("doc_type"), rec.get("status", "quarantined"))] += 1
                bar.advance()
                continue
            if sha in waiting:  # same content as an input in flight
                waiting[sha] += 1
                continue
            rec = state.get(sha)
            if rec is not None:
                unchanged_shas.add(sha)
                stats.unchanged[rec.get("doc_type")] += 1
                bar.advance(fresh=False)
                continue
            waiting[sha] = 1
            yield (e.path, sha)

    finalized: set[str] = set()
    first_path: dict[str, bytes] = {}

    def finalize(recs: list[dict]) -> None:
        fhir_items, cacheable = [], []
        for rec in recs:
            bundle = rec.pop("bundle", None)
            rec.pop("needs_checks", None)
            nocache = rec.pop("nocache", False) or rec.get("error_kind") == "unreadable"
            if rec["status"] == "exported" and bundle is not None:
                if rec["sha256"] in first_path:
                    from pipeline.fhir_bundle import set_source_title

                    set_source_title(bundle, display(first_path[rec["sha256"]]))
                fhir_items.append((out / "fhir" / f"{rec['sha256']}.json", dumps(bundle) + b"\n"))
            if nocache:
                mem_by_sha[rec["sha256"]] = rec
            else:
                cacheable.append(rec)
        if fhir_items:
            atomic_write_many(fhir_items, fsync=fsync)
        if cacheable:
            state.put_many(cacheable)
        for rec in recs:
            n = waiting.get(rec["sha256"], 1)
            finalized.add(rec["sha256"])
            stats.processed[(rec.get("doc_type"), rec["status"])] += n
            bar.advance(n)

    pending: dict[str, list[dict]] = defaultdict(list)
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
            fut, recs = validating.popleft()
            failed, dt = fut.result()
            stats.validate_s += dt
            for rec, names in zip(recs, failed):
                if names:
                    why = "failed runtime checks: " + ", ".join(names)
                    if rec.get("status") == "review" and rec.get("reason"):  # already held by the export gate
                        why = f"{rec['reason']}; {why}"
                    rec.update(status="review", reason=why, checks_failed=names)
                    rec.pop("bundle", None)
            finalize(recs)

    def flush(doc_type: str) -> None:
        recs = pending.pop(doc_type, [])
        pending_since.pop(doc_type, None)
        if recs:
            validating.append((validator.submit(_validate, doc_type, [r["fields"] for r in recs]), recs))

    def maybe_flush(force: bool = False) -> None:
        now = time.perf_counter()
        for t in sorted(pending):
            if force or len(pending[t]) >= conf.batch_flush_rows or now - pending_since.get(t, now) >= conf.batch_flush_seconds:
                flush(t)
        collect(keep=0 if force else 2 * max(1, len(checks.suites)))  # bounded backlog

    def accept(recs: list[dict], wstats: dict) -> None:
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
        for rec in recs:
            if rec.get("needs_checks"):
                t = rec["doc_type"]
                pending[t].append(rec)
                pending_since.setdefault(t, time.perf_counter())
            else:
                direct.append(rec)
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
                            recs, wstats = engine.result(h)
                        except WorkerCrashed as e:
                            stats.crashes += 1
                            if not ok_chunks and stats.crashes > 2 + 2 * workers:
                                raise RuntimeError(f"worker processes keep dying before finishing any document ({e})") from None
                            if isolated:
                                log.warning("a worker died processing one input; quarantined (%s)", e)
                                rec = _quarantine(items[0][1], "too_large", "the worker process died while processing this file "
                                                  "(out of memory, an extractor stuck past its CPU-time limit, or a crash in a parser)")
                                rec["nocache"] = True
                                finalize([rec])
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
                        accept(recs, wstats)
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


# ------------------------------------------------------------------------- outputs


def _rebuild(out: Path, entries: list[Entry], path_sha, mem_by_path, mem_by_sha, state: State, pkg: Package, suites) -> int:
    """results.jsonl, review/, quarantine/, fhir/ pruning, ndjson/ and manifest.json, atomically each."""
    missing = 0
    counts: Counter = Counter()
    per_type: dict[str, Counter] = defaultdict(Counter)
    kinds: Counter = Counter()
    review_kinds: Counter = Counter()
    check_counts: Counter = Counter()
    exported: set[str] = set()
    keep: set[str] = set()
    tmp_results = out / ".results.jsonl.tmp"
    tmp_review = out / "review" / ".review.jsonl.tmp"
    tmp_quar = out / "quarantine" / ".quarantine.jsonl.tmp"
    tmp_review.parent.mkdir(parents=True, exist_ok=True)
    tmp_quar.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp_results, "wb") as fr, open(tmp_review, "wb") as fv, open(tmp_quar, "wb") as fq:
        for e in sorted(entries, key=lambda e: e.path):
            sha = path_sha.get(e.path)
            rec = mem_by_path.get(e.path) or (mem_by_sha.get(sha) if sha else None) or (state.load(sha) if sha else None)
            if rec is None:
                missing += 1
                rec = _quarantine(sha, "unreadable", "no result was produced for this input (internal error; run again)")
            if sha:
                keep.add(sha)
            line = _result_line(e.path, rec)
            fr.write(_line_bytes(line))
            status = line["status"]
            counts[status] += 1
            per_type[line["doc_type"] or ("unknown" if status == "review" else "-")][status] += 1
            if status == "exported" and sha:
                exported.add(sha)
            elif status == "review":
                review_kinds[_review_kind(line["reason"])] += 1
                for name in line["checks_failed"]:
                    check_counts[name] += 1
                fv.write(_line_bytes({k: line[k] for k in ("source", "sha256", "doc_type", "doc_type_score", "reason", "checks_failed", "gate")
                                      if k in line}))
            else:
                kinds[rec.get("error_kind") or "unknown"] += 1
                if status == "quarantined":
                    fq.write(_line_bytes({"source": line["source"], "sha256": line["sha256"], "kind": rec.get("error_kind"), "reason": line["reason"]}))
        for fh in (fr, fv, fq):
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp_results, out / "results.jsonl")
    os.replace(tmp_review, out / "review" / "review.jsonl")
    os.replace(tmp_quar, out / "quarantine" / "quarantine.jsonl")

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
        "fhir_module": ndjson is not None,
        "ndjson": ndjson or {},
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
    for prefix in ("export gate", "unknown document type", "failed runtime checks", "extractor error", "fhir mapping error",
                   "no locked extractor", "classifier error"):
        if (reason or "").startswith(prefix):
            return prefix
    return "other"


def _write_ndjson(out: Path, shas: list[str]) -> dict[str, int] | None:
    """OUT/ndjson/<ResourceType>.ndjson from every exported bundle, streamed in sha256 order
    (`pipeline.fhir_bundle.write_ndjson`: deterministic ids, shared resources written once)."""
    try:
        from pipeline import fhir_bundle as fb
    except ImportError:
        log.warning("pipeline.fhir_bundle is not available: no FHIR bundles or NDJSON written")
        return None

    def bundles():
        for sha in shas:
            try:
                yield json.loads((out / "fhir" / f"{sha}.json").read_bytes())
            except (OSError, ValueError):
                log.error("FHIR bundle of %s is missing or unreadable; left out of NDJSON", sha[:12])

    return fb.write_ndjson(bundles(), out / "ndjson", presorted=True)


def _write_run(out: Path, record: dict, stats: RunStats, n_inputs: int, checks) -> dict:
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


def _summary(run: dict, missing: int) -> None:
    from rich.table import Table

    table = Table(title=f"docc run #{run['run']}: {run['inputs']} input(s) in {run['seconds']:.1f} s")
    table.add_column("doc type")
    for col in ("exported", "review", "quarantined", "unchanged"):
        table.add_column(col, justify="right")
    for t, c in run["doc_types"].items():
        table.add_row(t, *(str(c[k]) for k in ("exported", "review", "quarantined", "unchanged")))
    table.add_row("[bold]total", *(f"[bold]{run[k]}" for k in ("exported", "review", "quarantined", "unchanged")))
    Console().print(table)
    print(summary_line(run, missing), flush=True)


def summary_line(run: dict, missing: int = 0) -> str:
    """One key=value line for cron logs and grep: `docc run: run=3 inputs=120 exported=100 ...`."""
    keys = ("run", "inputs", "exported", "review", "quarantined", "unchanged", "seconds")
    ok = "yes" if run.get("reconciles") and not missing else "no"
    return "docc run: " + " ".join(f"{k}={run[k]}" for k in keys) + f" missing={missing} reconciles={ok}"
