"""Stage 2, security (dynamic half): run candidates in a locked-down child process.

`run_candidates(sources, docs)` starts `python -m extractors.validation.sandbox` children
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
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

STATUSES = ("ok", "error", "timeout", "memory", "crash", "violation")
REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_OUTPUT_BYTES = 1_000_000
STARTUP_TIMEOUT_S = 60.0
CLONE_NEWNET = 0x40000000

_HEADER = struct.Struct(">I")


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


# ====================================================================== child side

def _child_main() -> None:  # pragma: no cover - runs in the sandbox process
    import builtins
    import datetime
    import decimal
    import re
    import resource

    import _strptime  # noqa: F401  (datetime.strptime imports it lazily; load it before the hook)

    import extractors.runtime as runtime
    import pipeline.document  # noqa: F401  (pickled documents refer to it)

    # keep the protocol stream private: anything written to fd 1 goes to stderr instead
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def read_frame() -> bytes | None:
        head = proto_in.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return None
        (n,) = _HEADER.unpack(head)
        buf = b""
        while len(buf) < n:
            chunk = proto_in.read(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def write_json(obj: Any) -> None:
        data = json.dumps(obj, ensure_ascii=False, allow_nan=False).encode("utf-8")
        proto_out.write(_HEADER.pack(len(data)) + data)

    setup_raw = read_frame()
    if setup_raw is None:
        return
    setup = pickle.loads(setup_raw)  # trusted direction: parent -> child
    docs_blob: bytes = setup["docs"]

    # warm lazily-imported paths so that candidates never trigger a first import
    datetime.datetime.strptime("2024-01-31", "%Y-%m-%d")
    decimal.Decimal("1.50").quantize(decimal.Decimal("0.1"))
    re.compile(r"\d+").sub("", "a1")
    "x".encode("utf-8").decode("latin-1")
    pickle.loads(docs_blob)

    network = "shared"
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            network = "none (own network namespace)"
        else:
            network = f"shared (unshare failed: errno {ctypes.get_errno()})"
        del libc
    except Exception as exc:  # noqa: BLE001
        network = f"shared (unshare unavailable: {type(exc).__name__})"
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith("ctypes.") or m == "_ctypes"]:
        del sys.modules[name]

    # resource limits
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as fh:
        vm_now = int(fh.read().split()[0]) * page
    mem_limit = vm_now + int(setup["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
    cpu = int(setup["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.setrecursionlimit(int(setup.get("recursion_limit", 400)))

    # the audit hook: armed only while candidate code runs
    state = {"mode": "off", "events": []}

    def hook(event: str, args: tuple) -> None:
        mode = state["mode"]
        if mode == "off":
            return
        if mode == "loading" and event == "exec":
            state["mode"] = "armed"
            return
        if len(state["events"]) < 20:
            state["events"].append(event)
        raise RuntimeError(f"sandbox: {event} is not allowed")

    sys.addaudithook(hook)

    allowed_modules = {"re": re, "datetime": datetime, "decimal": decimal}
    from extractors.validation.static import ALLOWED_BUILTINS

    real_import = builtins.__import__

    def restricted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
        if level == 0 and name in allowed_modules:
            return allowed_modules[name]
        if level == 0 and name == "__future__":
            return real_import(name, globals, locals, fromlist, level)
        if level == 0 and name in ("extractors", "extractors.runtime"):
            if name == "extractors" and set(fromlist or ()) - {"runtime"}:
                raise ImportError(f"sandbox: from extractors import {fromlist} is not allowed")
            return real_import(name, globals, locals, fromlist, level)
        raise ImportError(f"sandbox: import of {name!r} is not allowed")

    base_builtins = {n: getattr(builtins, n) for n in ALLOWED_BUILTINS if hasattr(builtins, n)}
    Found = runtime.Found

    def ser_value(v: Any, depth: int = 0) -> Any:
        if depth > 6:
            raise ValueError("value nested too deeply")
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if v == v and v not in (float("inf"), float("-inf")) else repr(v)
        if isinstance(v, decimal.Decimal):
            return str(v)
        if isinstance(v, (datetime.date, datetime.time)):
            return v.isoformat()
        if isinstance(v, (list, tuple)):
            return [ser_value(x, depth + 1) if not isinstance(x, dict) else ser_row(x, depth + 1) for x in v]
        if isinstance(v, dict):
            return ser_row(v, depth + 1)
        if isinstance(v, Found):
            return ser_found(v, depth + 1)
        return None

    def ser_row(row: dict, depth: int) -> dict:
        return {str(k): ser_found(c, depth + 1) for k, c in row.items()}

    def ser_found(f: Any, depth: int = 0) -> dict | None:
        if f is None:
            return None
        if isinstance(f, Found):
            v = f.value
            return {"value": ser_value(v, depth), "type": type(v).__name__,
                    "page": ser_value(f.page, depth), "bbox": ser_value(f.bbox, depth),
                    "text": ser_value(f.text, depth), "confidence": ser_value(f.confidence, depth)}
        return {"value": ser_value(f, depth), "type": type(f).__name__, "page": None, "bbox": None,
                "text": "", "confidence": 1.0, "plain": True}

    write_json({"ready": True, "network": network, "pid": os.getpid()})

    while True:
        raw = read_frame()
        if raw is None:
            return
        msg = pickle.loads(raw)
        if msg is None:
            return
        order: list[int] = msg["order"]
        result: dict[str, Any] = {"index": msg["index"], "status": "ok", "outputs": [None] * len(order),
                                  "errors": [None] * len(order), "error": None, "violations": []}
        t0 = time.perf_counter()
        state["events"] = []
        try:
            docs = pickle.loads(docs_blob)  # a fresh copy per candidate
            code = compile(msg["source"], "<candidate>", "exec")
            ns: dict[str, Any] = {"__builtins__": dict(base_builtins, __import__=restricted_import),
                                  "__name__": "docc_candidate"}
            state["mode"] = "loading"
            try:
                exec(code, ns)  # noqa: S102 - the point of the sandbox
            finally:
                state["mode"] = "off"
            extract = ns.get("extract")
            if not callable(extract):
                raise TypeError("candidate defines no callable extract(doc)")
            for i in order:
                state["mode"] = "armed"
                try:
                    out = extract(docs[i])
                    if not isinstance(out, dict):
                        raise TypeError(f"extract returned {type(out).__name__}, not dict")
                    ser = {str(k): ser_found(v) for k, v in out.items()}
                    text = json.dumps(ser, ensure_ascii=False, allow_nan=False)
                    if len(text) > MAX_OUTPUT_BYTES:
                        raise ValueError(f"output of {len(text)} bytes exceeds {MAX_OUTPUT_BYTES}")
                    result["outputs"][i] = ser
                except MemoryError:
                    state["mode"] = "off"
                    out = ser = None
                    result["errors"][i] = "MemoryError: memory limit exceeded"
                    result["status"] = "memory"
                except RecursionError:
                    state["mode"] = "off"
                    result["errors"][i] = "RecursionError: maximum recursion depth exceeded"
                    if result["status"] == "ok":
                        result["status"] = "error"
                except Exception as exc:  # noqa: BLE001 - any failure of candidate code is data
                    state["mode"] = "off"
                    result["errors"][i] = f"{type(exc).__name__}: {str(exc)[:300]}"
                    if result["status"] == "ok":
                        result["status"] = "error"
                finally:
                    state["mode"] = "off"
        except MemoryError:
            state["mode"] = "off"
            result["status"], result["error"] = "memory", "MemoryError: memory limit exceeded"
        except BaseException as exc:  # noqa: BLE001
            state["mode"] = "off"
            result["status"] = "error"
            result["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        if state["events"]:
            result["status"] = "violation"
            result["violations"] = sorted(set(state["events"]))
        result["seconds"] = time.perf_counter() - t0
        result["cpu"] = time.process_time()
        try:
            write_json(result)
        except (TypeError, ValueError) as exc:
            write_json({"index": msg["index"], "status": "error", "outputs": [None] * len(order),
                        "errors": [None] * len(order), "error": f"unserialisable output: {exc}",
                        "violations": [], "seconds": time.perf_counter() - t0, "cpu": time.process_time()})


# ====================================================================== parent side

class _ChildDied(Exception):
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
            [sys.executable, "-s", "-m", "extractors.validation.sandbox"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            env=env, cwd=str(REPO_ROOT), start_new_session=True, close_fds=True,
        )
        self.cpu_seconds = cpu_seconds
        self.cpu_used = 0.0
        self._buf = b""
        self._send(setup_blob)
        ready = self._recv(time.monotonic() + STARTUP_TIMEOUT_S)
        if not ready or not ready.get("ready"):
            raise _ChildDied("sandbox did not start: " + self.stderr_tail())
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
                if len(self._buf) >= _HEADER.size + n:
                    data = self._buf[_HEADER.size:_HEADER.size + n]
                    self._buf = self._buf[_HEADER.size + n:]
                    return json.loads(data)
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


def run_candidates(sources: Sequence[str], docs: Sequence[Any], *, timeout_s: float = 5.0,
                   memory_mb: int = 512, hash_seed: int = 0, reverse: bool = False,
                   workers: int | None = None) -> list[CandidateRun]:
    """Run every candidate's `extract` on every document in sandbox children.

    `timeout_s` bounds one candidate's wall time over all documents; `memory_mb` is the
    address space a candidate may allocate beyond the child's baseline. `hash_seed` sets
    PYTHONHASHSEED in the children and `reverse` feeds the documents in reverse order; the
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
        order.reverse()
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
                    except _ChildDied as exc:
                        results[i] = CandidateRun(i, "crash", [None] * len(docs), [None] * len(docs), str(exc))
                        continue
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
                results[i] = CandidateRun(
                    index=i, status=res["status"], outputs=res["outputs"], errors=res["errors"],
                    error=res.get("error"), seconds=float(res.get("seconds", 0.0)),
                    violations=list(res.get("violations", [])),
                )
                if res["status"] in ("memory", "violation") or child.worn_out(timeout_s):
                    child.close()  # start clean after a candidate that hit a limit
                    child = None
        finally:
            if child is not None:
                child.close()

    threads = [threading.Thread(target=worker, name=f"docc-sandbox-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r if r is not None else CandidateRun(i, "crash", error="not run") for i, r in enumerate(results)]


if __name__ == "__main__":  # pragma: no cover
    _child_main()
