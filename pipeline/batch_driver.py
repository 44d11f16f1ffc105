"""The driver loop of `docc run`, in three parts with one job each:

- `Ledger`: which record each input has. It hashes inputs, skips content whose state record is
  still valid, counts an input whose content is already done or in flight once, and writes each
  record (and its FHIR Bundle) the moment it is final.
- `Validation`: the runtime checks (Great Expectations) on one background thread, over batches
  of one doc type; a document that fails them goes to review without its Bundle.
- `dispatch`: chunks to the engine, at most `2 x workers` in flight; when a worker dies, the
  inputs it had (and, on a local pool, every input in flight) are retried one at a time, and
  one that kills its worker again is quarantined (`pipeline.pool`'s rule).
"""
from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pipeline.batch_outputs import RunStats
from pipeline.gate import unchecked
from pipeline.pool import CRASH_KIND, CRASH_REASON, WorkerCrashed
from pipeline.records import DocRecord, ErrorKind, ReviewReason, WorkerResult
from pipeline.state import State, atomic_write_many, dumps, hash_file
from pipeline.walk import Entry, display

log = logging.getLogger(__name__)


class Ledger:
    """Every input's record, in memory (never cached ones) or in the state folder."""

    def __init__(self, out: Path, state: State, stats: RunStats, bar: Any, fsync: bool) -> None:
        self.out, self.state, self.stats, self.bar, self.fsync = out, state, stats, bar, fsync
        self.path_sha: dict[bytes, str | None] = {}
        self.mem_by_path: dict[bytes, DocRecord] = {}  # records never cached (walk errors, unreadable, crashes)
        self.mem_by_sha: dict[str, DocRecord] = {}
        self.waiting: Counter = Counter()  # sha -> number of input paths with this content
        self.unchanged: set[str] = set()
        self.finalized: set[str] = set()
        self.first_path: dict[str, bytes] = {}

    def _quarantine_path(self, path: bytes, rec: DocRecord) -> None:
        self.mem_by_path[path] = rec
        self.stats.processed[(None, "quarantined")] += 1
        self.bar.advance()

    def todo(self, entries: Iterable[Entry]) -> Iterator[tuple[bytes, str]]:
        """The (path, sha256) inputs a worker must process; everything else is accounted here."""
        state, stats, bar = self.state, self.stats, self.bar
        for e in entries:
            if e.error:
                self._quarantine_path(e.path, DocRecord.quarantined(None, *e.error))
                continue
            try:
                sha = hash_file(e.path)
            except OSError as ex:
                self._quarantine_path(e.path, DocRecord.quarantined(None, ErrorKind.UNREADABLE,
                                                                    f"cannot read file ({ex.strerror or ex})"))
                continue
            self.path_sha[e.path] = sha
            self.first_path.setdefault(sha, e.path)
            if sha in self.unchanged:
                rec = state.load(sha)
                stats.unchanged[rec.doc_type if rec else None] += 1
                bar.advance(fresh=False)
                continue
            if sha in self.finalized:  # same content as an input already done in this run
                rec = self.mem_by_sha.get(sha) or state.load(sha)
                stats.processed[(rec.doc_type, rec.status) if rec else (None, "quarantined")] += 1
                bar.advance()
                continue
            if sha in self.waiting:  # same content as an input in flight
                self.waiting[sha] += 1
                continue
            rec = state.get(sha)
            if rec is not None:
                self.unchanged.add(sha)
                stats.unchanged[rec.doc_type] += 1
                bar.advance(fresh=False)
                continue
            self.waiting[sha] = 1
            yield (e.path, sha)

    def finalize(self, results: list[WorkerResult]) -> None:
        """Write final records: the Bundle of an exported one, then its state record."""
        fhir_items, cacheable = [], []
        for res in results:
            rec, bundle = res.record, res.bundle
            if rec.status == "exported" and bundle is not None:
                if rec.sha256 in self.first_path:
                    from pipeline.fhir_bundle import set_source_title

                    set_source_title(bundle, display(self.first_path[rec.sha256]))
                fhir_items.append((self.out / "fhir" / f"{rec.sha256}.json", dumps(bundle) + b"\n"))
            if not res.cache or rec.error_kind == ErrorKind.UNREADABLE:
                self.mem_by_sha[rec.sha256] = rec
            else:
                cacheable.append(rec)
        if fhir_items:
            atomic_write_many(fhir_items, fsync=self.fsync)
        if cacheable:
            self.state.put_many(cacheable)
        for res in results:
            n = self.waiting.get(res.record.sha256, 1)
            self.finalized.add(res.record.sha256)
            self.stats.processed[(res.record.doc_type, res.record.status)] += n
            self.bar.advance(n)

    def accept(self, results: list[WorkerResult], wstats: dict[str, Any], validation: "Validation") -> None:
        """A finished chunk: merge the worker's counters; results that still need the runtime
        checks wait for them, the rest are final now."""
        stats = self.stats
        for k, v in wstats.items():
            if k not in ("pid", "maxrss_mb", "rss_mb"):
                stats.worker[k] += v
        pid = wstats.get("pid")
        if pid is not None:
            stats.peak_rss_mb[pid] = max(stats.peak_rss_mb.get(pid, 0.0), wstats.get("maxrss_mb") or 0.0)
            if wstats.get("rss_mb") is not None:
                stats.last_rss_mb[pid] = wstats["rss_mb"]
        direct = [res for res in results if not res.needs_checks]
        validation.add([res for res in results if res.needs_checks])
        if direct:
            self.finalize(direct)


def sent_fields(record: Any) -> dict[str, Any]:
    """The fields the runtime checks judge: the record's values less those the gate leaves
    unchecked (`pipeline.gate.unchecked`)."""
    skip = unchecked(record.gate or ())
    return {k: (None if k in skip else v) for k, v in (record.fields or {}).items()}


class Validation:
    """Runtime checks on one background thread (GX is pure Python and slow per call), so the
    loop keeps feeding workers meanwhile; results are finalised on the main thread, in order."""

    def __init__(self, checks: Any, stats: RunStats, finalize: Callable[[list[WorkerResult]], None],
                 flush_rows: int, flush_seconds: float) -> None:
        self.checks, self.stats, self.finalize = checks, stats, finalize
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.pending: dict[str, list[WorkerResult]] = defaultdict(list)
        self.pending_since: dict[str, float] = {}
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docc-gx")
        self.validating: deque = deque()  # (future, results) in submission order

    def warm(self) -> None:
        if self.checks.suites:
            self.thread.submit(self.checks.warm)  # start GX while the first documents are read

    def add(self, results: list[WorkerResult]) -> None:
        for res in results:
            t = res.record.doc_type
            self.pending[t].append(res)
            self.pending_since.setdefault(t, time.perf_counter())

    def _validate(self, doc_type: str, fields: list[dict]) -> tuple[list[list[str]], float]:
        tv = time.perf_counter()
        return self.checks.validate(doc_type, fields), time.perf_counter() - tv

    def collect(self, keep: int = 0) -> None:
        """Finalise finished validations (in order), waiting until at most `keep` remain."""
        while self.validating and (self.validating[0][0].done() or len(self.validating) > keep):
            fut, results = self.validating.popleft()
            failed, dt = fut.result()
            self.stats.validate_s += dt
            self.finalize([WorkerResult(res.record.to_review(ReviewReason.FAILED_CHECKS, ", ".join(names),
                                                             checks_failed=tuple(names)), cache=res.cache)
                           if names else res for res, names in zip(results, failed)])

    def flush(self, doc_type: str) -> None:
        results = self.pending.pop(doc_type, [])
        self.pending_since.pop(doc_type, None)
        if results:
            self.validating.append((self.thread.submit(self._validate, doc_type, [sent_fields(r.record) for r in results]),
                                    results))

    def maybe_flush(self, force: bool = False) -> None:
        """Validate a doc type's waiting documents when enough wait or the oldest waited long enough."""
        now = time.perf_counter()
        for t in sorted(self.pending):
            if force or len(self.pending[t]) >= self.flush_rows or now - self.pending_since.get(t, now) >= self.flush_seconds:
                self.flush(t)
        self.collect(keep=0 if force else 2 * max(1, len(self.checks.suites)))  # bounded backlog

    def shutdown(self) -> None:
        self.thread.shutdown(wait=True, cancel_futures=True)


class Dispatch:
    """Chunks in flight on an engine, with the crash rule. `run` returns normally when every
    input has a record; on KeyboardInterrupt the caller may `drain` what is in flight."""

    def __init__(self, engine: Any, work: Iterator[tuple[bytes, str]], first: list, chunk_size: int, workers: int,
                 ledger: Ledger, validation: Validation) -> None:
        self.engine, self.work, self.chunk_size, self.workers = engine, work, chunk_size, workers
        self.ledger, self.validation = ledger, validation
        self.queue_first = [first]
        self.inflight: dict[Any, tuple[list, bool]] = {}  # handle -> (items, isolated)
        self.suspects: deque = deque()
        self.ok_chunks = 0

    def _fill(self, exhausted: bool) -> bool:
        while not exhausted and not self.suspects and len(self.inflight) < 2 * self.workers:
            items = self.queue_first.pop() if self.queue_first else list(islice(self.work, self.chunk_size))
            if not items:
                exhausted = True
                break
            self.inflight[self.engine.submit(items)] = (items, False)
        if self.suspects and not self.inflight:
            item = self.suspects.popleft()
            self.inflight[self.engine.submit([item])] = ([item], True)
        return exhausted

    def _crashed(self, items: list, isolated: bool, e: WorkerCrashed) -> None:
        stats = self.ledger.stats
        stats.crashes += 1
        if not self.ok_chunks and stats.crashes > 2 + 2 * self.workers:
            raise RuntimeError(f"worker processes keep dying before finishing any document ({e})") from None
        if isolated:
            log.warning("a worker died processing one input; quarantined (%s)", e)
            self.ledger.finalize([WorkerResult(DocRecord.quarantined(items[0][1], CRASH_KIND, CRASH_REASON), cache=False)])
            return
        log.warning("a worker died (%s); retrying its inputs one at a time", e)
        self.suspects.extend(items)
        if self.engine.crash_breaks_all:
            for its, _ in list(self.inflight.values()):
                self.suspects.extend(its)
            self.inflight.clear()
            self.engine.reset()

    def run(self) -> None:
        exhausted = False
        while True:
            exhausted = self._fill(exhausted)
            if not self.inflight:
                if exhausted and not self.suspects:
                    return
                continue
            for h in self.engine.wait(list(self.inflight), timeout=0.5):
                if h not in self.inflight:
                    continue
                items, isolated = self.inflight.pop(h)
                try:
                    results, wstats = self.engine.result(h)
                except WorkerCrashed as e:
                    self._crashed(items, isolated, e)
                    continue
                self.ok_chunks += 1
                self.ledger.accept(results, wstats, self.validation)
            self.validation.maybe_flush()

    def drain(self) -> None:
        """After Ctrl-C: take in the chunks already in flight (a crash among them is dropped:
        those inputs are processed on the next run)."""
        while self.inflight:
            for h in self.engine.wait(list(self.inflight), timeout=0.5):
                self.inflight.pop(h)
                try:
                    self.ledger.accept(*self.engine.result(h), self.validation)
                except WorkerCrashed:
                    pass
