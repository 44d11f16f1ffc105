"""`ingest_many`: documents and their OCR pages spread over a process pool, a bounded window in
flight, results in input order, and recovery when a worker dies (retry alone, then `crashed`)."""
from __future__ import annotations

import logging
import os
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.document import Document, Page
from pipeline.errors import IngestError
from pipeline.ingest import ocr as _ocr
from pipeline.ingest.pdftext import DEFAULT_POLICY, TextLayerPolicy
from pipeline.ingest.single import assemble, ingest, plan, run_ocr_task
from pipeline.ingest.sniff import Limits, read_input
from pipeline.ingest.tasks import DEFAULT_DPI, _USE_DEFAULT, OcrTask, Plan, _resolve_cache_dir
from pipeline.ingest.transfer import _in_worker, _unpack
from pipeline.pool import MAX_ATTEMPTS, crash_error, new_process_pool

log = logging.getLogger("pipeline.ingest.core")  # the logger name callers already configure


def _plan_path(path: str, dpi: int, cache_dir: Path | None, limits: Limits, policy: TextLayerPolicy, lang: str,
               profile: str = _ocr.DEFAULT_PROFILE) -> Plan:
    raw = read_input(Path(path), limits)
    return plan(raw, dpi=dpi, cache_dir=cache_dir, limits=limits, policy=policy, lang=lang, profile=profile)


def _internal_error(path, exc: BaseException) -> IngestError:
    log.error("ingest of %s failed unexpectedly: %s", path, "".join(traceback.format_exception(exc)).rstrip())
    return IngestError("corrupt", f"unexpected {type(exc).__name__} while reading (see log)")


@dataclass
class _Slot:
    path: Path
    plan: Future | None = None
    p: Plan | None = None
    pages: list = field(default_factory=list)
    error: IngestError | None = None
    t0: float = 0.0
    attempts: int = 0
    waiting: bool = True  # not submitted (yet, or again after a worker crash)

    def done(self) -> bool:
        if self.error is not None:
            return True
        if self.p is None:
            return False
        return all(not isinstance(x, Future) or x.done() for x in self.pages)

    def futures(self) -> list[Future]:
        return ([self.plan] if self.plan is not None else []) + [x for x in self.pages if isinstance(x, Future)]

    def crashed(self) -> bool:
        """Has any of this document's work failed because the pool broke?"""
        return any(f.done() and not f.cancelled() and isinstance(f.exception(), BrokenProcessPool) for f in self.futures())

    def hit_by_crash(self) -> bool:
        """After the pool broke: was this document's work lost (failed or never finished)?"""
        for f in self.futures():
            if f.cancelled() or not f.done():
                return True
            if isinstance(f.exception(), BrokenProcessPool):
                return True
        return False


def _broken_future() -> Future:
    f: Future = Future()
    f.set_exception(BrokenProcessPool("worker pool broke"))
    return f


def ingest_many(
    paths: Iterable[Path],
    workers: int = max(1, os.cpu_count() or 1),
    *,
    dpi: int = DEFAULT_DPI,
    cache_dir: Path | None = _USE_DEFAULT,  # type: ignore[assignment]
    limits: Limits | None = None,
    policy: TextLayerPolicy = DEFAULT_POLICY,
    lang: str | None = None,
    window: int | None = None,
    pool: Executor | None = None,
    profile: str = _ocr.DEFAULT_PROFILE,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
) -> Iterator[tuple[Path, Document | IngestError]]:
    """Ingest many documents on `workers` processes; yield (path, Document | IngestError) in input order.

    Documents and their OCR pages are spread over the pool; at most `window` documents are
    in flight, so memory stays bounded however long `paths` is. Every input yields exactly once.
    A worker's death is handled by `pipeline.pool`'s rule (retry alone, then `crashed`).
    `initializer(*initargs)` runs in each worker process as it starts (resource limits, and
    the tests' fault injection, which lives in the tests).
    """
    cdir, limits = _resolve_cache_dir(cache_dir), limits or Limits()
    if pool is None and workers <= 1:
        for path in paths:
            path = Path(path)
            try:
                yield path, ingest(path, dpi=dpi, cache_dir=cdir, limits=limits, policy=policy, lang=lang, profile=profile)
            except IngestError as e:
                yield path, e
            except Exception as e:  # a bug, not bad input: account for the file anyway
                yield path, _internal_error(path, e)
        return

    own_pool = pool is None
    ex = pool if pool is not None else new_process_pool(workers, initializer, initargs)
    window = window or max(4, 4 * workers)
    it = iter(paths)
    slots: deque[_Slot] = deque()
    exhausted = False

    def submit_plan(slot: _Slot) -> None:
        slot.t0 = time.perf_counter()
        slot.attempts += 1
        slot.waiting = False
        try:
            slot.plan = ex.submit(_in_worker, _plan_path, str(slot.path), dpi, cdir, limits, policy, lang, profile)
        except BrokenProcessPool as e:
            slot.error = IngestError("unreadable", f"worker pool broke ({e})")

    def advance(slot: _Slot) -> None:
        """Move a slot whose plan finished into its OCR stage."""
        if slot.p is not None or slot.error is not None or slot.plan is None or not slot.plan.done():
            return
        if own_pool and slot.crashed():
            return  # recover() retries it
        try:
            slot.p = _unpack(slot.plan.result())
        except IngestError as e:
            slot.error = e
            return
        except BrokenProcessPool:
            slot.error = crash_error()
            return
        except Exception as e:
            slot.error = _internal_error(slot.path, e)
            return
        for pg in slot.p.pages:
            if isinstance(pg, OcrTask):
                try:
                    slot.pages.append(ex.submit(_in_worker, run_ocr_task, pg))
                except BrokenProcessPool:
                    slot.pages.append(_broken_future())
            else:
                slot.pages.append(pg)

    def finish(slot: _Slot) -> Document | IngestError:
        if slot.error is not None:
            return slot.error
        pages: list[Page] = []
        for x in slot.pages:
            if isinstance(x, Future):
                try:
                    pages.append(_unpack(x.result()))
                except IngestError as e:
                    return e
                except BrokenProcessPool:
                    return crash_error()
                except Exception as e:
                    return _internal_error(slot.path, e)
            else:
                pages.append(x)
        try:
            return assemble(slot.p, pages, time.perf_counter() - slot.t0 - slot.p.plan_seconds)
        except IngestError as e:
            return e

    def recover() -> None:
        """A worker died (pdfium crash, OOM kill). Start a fresh pool; retry each document
        that was in flight, one at a time, so only the one that crashes again fails."""
        nonlocal ex
        ex.shutdown(wait=False, cancel_futures=True)
        ex = new_process_pool(workers, initializer, initargs)
        for s in slots:
            if s.error is None and s.hit_by_crash():
                if s.attempts >= MAX_ATTEMPTS:
                    s.error = crash_error()
                else:
                    log.warning("a worker process died; retrying %s on its own", s.path.name)
                    s.plan, s.p, s.pages, s.waiting = None, None, [], True

    try:
        while True:
            retrying = [s for s in slots if s.attempts >= 1 and s.waiting and s.error is None]
            isolating = any(s.attempts > 1 and not s.done() for s in slots) or bool(retrying)
            if isolating:
                # Retry suspects one at a time with nothing else in flight.
                in_flight = any(not s.waiting and not s.done() for s in slots)
                if retrying and not in_flight:
                    submit_plan(retrying[0])
            else:
                while not exhausted and len(slots) < window:
                    try:
                        path = Path(next(it))
                    except StopIteration:
                        exhausted = True
                        break
                    slot = _Slot(path)
                    submit_plan(slot)
                    slots.append(slot)
            if not slots:
                break
            for s in slots:
                advance(s)
            while slots and slots[0].done():
                s = slots.popleft()
                yield s.path, finish(s)
            if not slots:
                continue
            outstanding = [f for s in slots if s.error is None and not s.waiting for f in s.futures() if not f.done()]
            if outstanding:
                wait(outstanding, return_when=FIRST_COMPLETED)
            if own_pool and (getattr(ex, "_broken", False) or any(s.error is None and s.crashed() for s in slots)):
                recover()
    finally:
        if own_pool:
            ex.shutdown(wait=True, cancel_futures=True)
