"""Stage 2, security (dynamic half): run candidates in a locked-down child process.

`run_candidates(sources, docs)` starts `python -m extractors.validation.child` children
(one per worker), sends them the pickled documents once, then one candidate at a time, and
reads back plain-JSON results. In the child:

- address space (`RLIMIT_AS`: baseline + `memory_mb`) and CPU time (`RLIMIT_CPU`) are capped;
- the network namespace is unshared (`unshare(CLONE_NEWNET)`) when the kernel lets us, so
  there is no network device at all; `ctypes` is then dropped from `sys.modules`;
- an audit hook (`sys.addaudithook`) is armed only while candidate code runs and refuses
  *every* audited operation: `open`, `socket.*`, `subprocess.Popen`, `os.system`, `os.exec*`,
  `os.fork`, `import` of any module not already loaded, `ctypes.*`, `sys._getframe`, `compile`,
  `exec` (except the one that loads the candidate), ... A refused event is also recorded, so a
  candidate that swallows the exception still ends with status `violation`;
- each candidate's module gets its own builtins dict (allowed builtins only) and its own
  unpickled copy of the documents, so it cannot tamper with the next candidate's world;
- the environment is fixed: `PYTHONHASHSEED` (0 unless asked otherwise), `TZ=UTC`,
  `LC_ALL=C.UTF-8`, no inherited variables.

The parent enforces a wall-clock timeout per candidate: a child that does not answer in time
(an infinite loop, a catastrophic regex stuck in C code) is killed, the candidate is marked
`timeout`, and the remaining candidates run in a fresh child. A child that dies is `crash`
(or `memory`/`timeout` when the signal says so).

Child-to-parent messages are JSON, never pickle: the parent must not unpickle bytes a
hostile candidate could have forged.
"""
from __future__ import annotations

import json
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from pipeline.errors import DoccError
from extractors.validation.problems import SandboxUnavailable
from extractors.validation.protocol import HEADER as _HEADER

STATUSES = ("ok", "error", "timeout", "memory", "crash", "violation")
REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0
MAX_FRAME_BYTES = 256 * 1024 * 1024


@dataclass
class CandidateRun:
    """What one candidate did on every document, in the order of the `docs` passed in.

    `outputs[i]` is the JSON form of `extract(docs[i])` (None when it raised): each field maps
    to None or `{"value", "type", "page", "bbox", "text", "confidence"}` (`plain: true` when
    the candidate returned a bare value rather than a Found); a table's value is a list of
    rows `{column: <same cell shape> | None}`. `type` is the Python type name of the value
    (`date`, `Decimal`, ...), kept because JSON flattens it.
    """

    index: int
    status: str = "ok"
    outputs: list[dict | None] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    error: str | None = None          # module-level / sandbox-level error
    seconds: float = 0.0              # wall time inside the child for this candidate
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return asdict(self)


# ====================================================================== parent side

def _startup_failure(ready: dict | None, stderr: str) -> str:
    """One line saying why the sandbox child did not start, as which user, and what to do."""
    if ready is None and not stderr.strip():
        why, who = f"no answer within {STARTUP_TIMEOUT_S:g} s", f"uid {os.getuid()}"
    elif ready is None:
        why, who = stderr.strip().splitlines()[-1][:300], f"uid {os.getuid()}"
    else:
        why, who = str(ready.get("error") or "unknown error"), str(ready.get("privileges") or f"uid {ready.get('uid')}")
    return (f"the validation sandbox could not start ({who}; project at {REPO_ROOT}): {why}. "
            "The child loads docc before it drops privileges; check that the interpreter and the "
            "project are readable by the user running docc, or run docc as a non-root user.")



class _ChildDied(DoccError):
    pass


class _Child:
    """One sandbox process, reused across candidates until it misbehaves or uses its CPU budget."""

    def __init__(self, setup_blob: bytes, hash_seed: int, cpu_seconds: int):
        env = {
            "PYTHONHASHSEED": str(hash_seed), "PYTHONPATH": str(REPO_ROOT), "TZ": "UTC",
            "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
            "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1",
        }
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-s", "-m", "extractors.validation.child"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            env=env, cwd=str(REPO_ROOT), start_new_session=True, close_fds=True,
        )
        self.cpu_seconds = cpu_seconds
        self.cpu_used = 0.0
        self._buf = b""
        try:
            self._send(setup_blob)
            ready = self._recv(time.monotonic() + STARTUP_TIMEOUT_S)
        except _ChildDied:
            ready = None
        if not ready or not ready.get("ready"):
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self.proc.kill()
            self.proc.wait()
            why = _startup_failure(ready, self.stderr_tail())
            self.kill()
            raise SandboxUnavailable(why)
        self.ready = ready
        self.network = ready.get("network")

    def _send(self, blob: bytes) -> None:
        try:
            self.proc.stdin.write(_HEADER.pack(len(blob)) + blob)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _ChildDied(f"sandbox pipe closed: {exc}") from exc

    def _recv(self, deadline: float) -> dict | None:
        """One JSON frame, or None when the deadline passes; raises _ChildDied on EOF."""
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buf) >= _HEADER.size:
                (n,) = _HEADER.unpack_from(self._buf)
                if n > MAX_FRAME_BYTES:
                    raise _ChildDied(f"sandbox sent an oversized frame ({n} bytes)")
                if len(self._buf) >= _HEADER.size + n:
                    data = self._buf[_HEADER.size:_HEADER.size + n]
                    self._buf = self._buf[_HEADER.size + n:]
                    try:
                        msg = json.loads(data)
                    except ValueError as exc:
                        raise _ChildDied(f"sandbox sent a malformed frame: {exc}") from exc
                    if not isinstance(msg, dict):
                        raise _ChildDied("sandbox sent a malformed frame")
                    return msg
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise _ChildDied("sandbox exited")
            self._buf += chunk

    def run(self, index: int, source: str, order: list[int], timeout_s: float) -> dict | None:
        self._send(pickle.dumps({"index": index, "source": source, "order": order}, protocol=pickle.HIGHEST_PROTOCOL))
        res = self._recv(time.monotonic() + timeout_s)
        if res is not None:
            self.cpu_used = float(res.get("cpu", self.cpu_used))
        return res

    def worn_out(self, timeout_s: float) -> bool:
        return self.cpu_used > self.cpu_seconds - 2 * timeout_s - 2

    def stderr_tail(self, n: int = 2000) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode("utf-8", "replace")[-n:]
        except (OSError, ValueError):
            return ""

    def death_status(self) -> tuple[str, str]:
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.proc.returncode
        if rc is not None and rc < 0:
            sig = -rc
            if sig == signal.SIGXCPU:
                return "timeout", "CPU time limit exceeded"
            if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
                tail = self.stderr_tail(500)
                if "MemoryError" in tail or "Cannot allocate memory" in tail:
                    return "memory", f"killed by signal {signal.Signals(sig).name} (out of memory)"
                return "crash", f"killed by signal {signal.Signals(sig).name}"
            return "crash", f"killed by signal {sig}"
        tail = self.stderr_tail(300)
        if "MemoryError" in tail:
            return "memory", "sandbox ran out of memory"
        return "crash", f"sandbox exited with status {rc}: {tail.strip()[-200:]}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                f.close()
            except (OSError, ValueError):
                pass

    def close(self) -> None:
        try:
            self._send(pickle.dumps(None))
            self.proc.wait(timeout=5)
        except (_ChildDied, subprocess.TimeoutExpired):
            pass
        self.kill()


def probe_sandbox(memory_mb: int = 512) -> dict:
    """Start one sandbox child and return what it reports about itself (network namespace,
    privileges, pid): for `docc` diagnostics and tests."""
    setup = pickle.dumps({"docs": pickle.dumps([]), "memory_mb": memory_mb, "cpu_seconds": 60})
    child = _Child(setup, 0, 60)
    try:
        return dict(child.ready)
    finally:
        child.close()


def run_candidates(sources: Sequence[str], docs: Sequence[Any], *, timeout_s: float = 5.0,
                   memory_mb: int = 512, hash_seed: int = 0, reverse: bool = False,
                   workers: int | None = None) -> list[CandidateRun]:
    """Run every candidate's `extract` on every document in sandbox children.

    `timeout_s` bounds one candidate's wall time over all documents; `memory_mb` is the
    address space a candidate may allocate beyond the child's baseline. `hash_seed` sets
    PYTHONHASHSEED in the children and `reverse` feeds the documents in reverse order, then
    each again after all the others (a changed output is an error); the
    execution stage's second run changes both, so output that depends on string hashing or
    on state carried from one document to the next shows up as a difference. Results are
    always indexed like `sources` and `docs`.
    """
    n = len(sources)
    if n == 0:
        return []
    docs_blob = pickle.dumps(list(docs), protocol=pickle.HIGHEST_PROTOCOL)
    cpu_seconds = int(max(60, 20 * timeout_s))
    setup_blob = pickle.dumps({"docs": docs_blob, "memory_mb": memory_mb, "cpu_seconds": cpu_seconds,
                               "recursion_limit": 400}, protocol=pickle.HIGHEST_PROTOCOL)
    order = list(range(len(docs)))
    if reverse:
        # each document is read twice, first in reverse order and again after all the others:
        # output that changes with the number or the order of documents read before shows up
        order = order[::-1] + order
        timeout_s *= 2
    results: list[CandidateRun | None] = [None] * n
    todo: queue.Queue[int] = queue.Queue()
    for i in range(n):
        todo.put(i)
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), n))

    def worker() -> None:
        child: _Child | None = None
        try:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                if child is None:
                    try:
                        child = _Child(setup_blob, hash_seed, cpu_seconds)
                    except SandboxUnavailable as exc:
                        failures.append(exc)
                        return
                t0 = time.monotonic()
                try:
                    res = child.run(i, sources[i], order, timeout_s)
                except _ChildDied:
                    status, why = child.death_status()
                    results[i] = CandidateRun(i, status, [None] * len(docs), [None] * len(docs), why,
                                              time.monotonic() - t0)
                    child.kill()
                    child = None
                    continue
                if res is None:
                    child.kill()
                    child = None
                    results[i] = CandidateRun(i, "timeout", [None] * len(docs), [None] * len(docs),
                                              f"no result within {timeout_s:g} s (killed)", time.monotonic() - t0)
                    continue
                try:
                    if res.get("index") != i or res.get("status") not in STATUSES:
                        raise ValueError("result does not answer the candidate sent")
                    outputs, errors = list(res["outputs"]), list(res["errors"])
                    if len(outputs) != len(docs) or len(errors) != len(docs):
                        raise ValueError("result has the wrong number of documents")
                    results[i] = CandidateRun(
                        index=i, status=res["status"], outputs=outputs, errors=errors,
                        error=res.get("error"), seconds=float(res.get("seconds", 0.0)),
                        violations=[str(v) for v in res.get("violations", [])],
                    )
                except (KeyError, TypeError, ValueError) as exc:
                    results[i] = CandidateRun(i, "crash", [None] * len(docs), [None] * len(docs),
                                              f"sandbox protocol error: {exc}", time.monotonic() - t0)
                    child.kill()
                    child = None
                    continue
                if res["status"] in ("memory", "violation") or child.worn_out(timeout_s):
                    child.close()  # start clean after a candidate that hit a limit
                    child = None
        finally:
            if child is not None:
                child.close()

    failures: list[SandboxUnavailable] = []
    threads = [threading.Thread(target=worker, name=f"docc-sandbox-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:  # the machine, not a candidate: no verdict can be given at all
        raise failures[0]
    return [r if r is not None else CandidateRun(i, "crash", error="not run") for i, r in enumerate(results)]

