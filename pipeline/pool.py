"""The crash-isolating process pool of `docc run` and `docc ingest`: one way to start it, one
retry rule and one classification of a worker's death.

A worker can die under a document (a parser segfault, the kernel's OOM killer, a CPU-time limit
hit in C code). The drivers then start a fresh pool and retry every input that was in flight
on its own (`MAX_ATTEMPTS` in all); an input whose worker dies again is quarantined as
`CRASH_KIND` with `CRASH_REASON`, and every other input completes.
"""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

from pipeline.errors import DoccError, IngestError

CRASH_KIND = "crashed"
CRASH_REASON = ("the worker process died while processing this file (out of memory, a CPU-time limit "
                "hit in native code, or a crash in a parser)")
MAX_ATTEMPTS = 2  # an input in flight when a worker died is retried once, on its own


class WorkerCrashed(DoccError):
    """A worker process died (or a Ray task failed) while processing some inputs."""


def crash_error() -> IngestError:
    """The error an input gets when its worker died on every attempt."""
    return IngestError(CRASH_KIND, CRASH_REASON)


def new_process_pool(workers: int, initializer: Callable[..., Any] | None = None,
                     initargs: tuple = ()) -> ProcessPoolExecutor:
    """Worker processes started from a clean forkserver (no inherited threads or locks)."""
    import multiprocessing as mp

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"),
                               initializer=initializer, initargs=initargs)


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now (abandoning their work), then shut the pool down."""
    for p in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            p.kill()
        except Exception:
            pass
    pool.shutdown(wait=False, cancel_futures=True)
