"""Where a batch's chunks run: a local process pool (`pipeline.pool`) or Ray tasks, behind one
small interface (submit, wait, result, reset, close); a dead worker surfaces as `WorkerCrashed`."""
from __future__ import annotations

import logging
import os


from pipeline.batch_worker import Package
from pipeline.pool import WorkerCrashed, kill_workers, new_process_pool


log = logging.getLogger(__name__)


# ------------------------------------------------------------------------- engines


class LocalEngine:
    """A process pool; each worker loads the extractors once (pool initializer)."""

    name = "local"

    def __init__(self, pkg: Package, workers: int) -> None:
        self.pkg, self.workers = pkg, workers
        self._new_pool()

    def _new_pool(self) -> None:
        from pipeline.batch_worker import init_worker

        self.pool = new_process_pool(self.workers, init_worker, (self.pkg, os.getpid()))

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
            kill_workers(self.pool)
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)


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
