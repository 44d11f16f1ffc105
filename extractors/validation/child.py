"""The sandbox child: `python -m extractors.validation.child`, started by `sandbox.run_candidates`.

Kept apart from `sandbox.py` so that the child loads as little as possible: every module in
`sys.modules` is reachable by a candidate that got past stages 1-2, so the child never
imports subprocess, threading, socket or tempfile. See `sandbox.py` for the protocol and the
list of defences.
"""
from __future__ import annotations

import json
import os
import pickle
import sys
import time
from typing import Any

from extractors.validation.protocol import CLONE_NEWNET, HEADER as _HEADER, MAX_OUTPUT_BYTES, PR_SET_NO_NEW_PRIVS

NOBODY = 65534
# audited operations that neither reach outside the process nor into interpreter internals.
# `id()` is used by trusted runtime helpers (identity sets of words); candidates themselves
# cannot name `id` (stage 1), and any nondeterminism it could cause is caught by the
# execution stage's second run.
HARMLESS_EVENTS = frozenset({"builtins.id"})


def drop_privileges() -> str:
    """When running as root, become nobody:nogroup (after the namespace and the limits).

    Everything the child needs from the file system (the interpreter's modules, docc's own
    code, the documents) is loaded *before* this call, and the working directory is `/`: the
    project may sit in a folder only root can enter (a 0700 home or workspace), and after the
    drop the child can no longer read it, which is the point.
    """
    if not hasattr(os, "getuid") or os.getuid() != 0:
        return f"uid {os.getuid()}"
    try:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        return f"dropped root to uid {NOBODY}"
    except OSError as exc:
        return f"root (could not drop: {exc.strerror})"


def main() -> None:  # pragma: no cover - runs in the sandbox process
    import builtins
    import datetime
    import decimal
    import re
    import resource

    import _strptime  # noqa: F401  (datetime.strptime imports it lazily; load it before the hook)

    import extractors.runtime as runtime
    import pipeline.document  # noqa: F401  (pickled documents refer to it)
    from extractors.guard import GuardError, check_output, freeze_namespace
    from extractors.validation.static import ALLOWED_BUILTINS

    # nothing below reads from the project folder or the working directory again
    os.chdir("/")

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
    datetime.date(2024, 1, 31).strftime("%d %B %Y %a")  # strftime imports `time` on first use
    datetime.datetime(2024, 1, 31, 8, 30).strftime("%Y-%m-%dT%H:%M %p")
    # documents are loaded once per child: unpickling 24 multi-page documents costs a large
    # fraction of a second, far more than running a typical candidate over all of them.
    # Document/Page/Line/Word are frozen and hold tuples; the only mutable part is each
    # document's `meta` dict, which is fingerprinted and checked after every candidate.
    docs = pickle.loads(docs_blob)
    del docs_blob, setup_raw, setup["docs"]
    meta_fingerprint = pickle.dumps([d.meta for d in docs], protocol=pickle.HIGHEST_PROTOCOL)

    network = "shared"
    modules_before_ctypes = set(sys.modules)
    try:
        import ctypes

        # dlopen(NULL): the interpreter's own symbols, libc included (ctypes.util would pull
        # in subprocess, which must not be loaded where candidates run)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            network = "none (own network namespace)"
        else:
            network = f"shared (unshare failed: errno {ctypes.get_errno()})"
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        del libc
    except Exception as exc:  # noqa: BLE001
        network = f"shared (unshare unavailable: {type(exc).__name__})"
    privileges = drop_privileges()
    try:
        for name in [m for m in sys.modules if m not in modules_before_ctypes]:
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
        try:  # no new processes at all (fork/exec through any path); root would ignore it
            resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
        except (ValueError, OSError):
            pass
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
            if event in HARMLESS_EVENTS:
                return
            if len(state["events"]) < 20:
                state["events"].append(event)
            raise RuntimeError(f"sandbox: {event} is not allowed")

        sys.addaudithook(hook)

        allowed_modules = {"re": re, "datetime": datetime, "decimal": decimal}

        real_import = builtins.__import__

        def restricted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
            if level == 0 and name in allowed_modules:
                return allowed_modules[name]
            if level == 0 and name == "time" and "time" in sys.modules:
                # date.strftime looks `time.strftime` up through __import__ on every call; stage 1
                # keeps candidates themselves from importing it
                return sys.modules["time"]
            if level == 0 and name == "__future__":
                return real_import(name, globals, locals, fromlist, level)
            if level == 0 and name in ("extractors", "extractors.runtime"):
                if name == "extractors" and set(fromlist or ()) - {"runtime"}:
                    raise ImportError(f"sandbox: from extractors import {fromlist} is not allowed")
                return real_import(name, globals, locals, fromlist, level)
            raise ImportError(f"sandbox: import of {name!r} is not allowed")

        base_builtins = {n: getattr(builtins, n) for n in ALLOWED_BUILTINS if hasattr(builtins, n)}
        Found = runtime.Found
        trusted = (runtime, sys.modules["extractors"], re, datetime, decimal) + tuple(
            getattr(runtime, n) for n in runtime.__all__)

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

        # shared modules a candidate could tamper with if it ever got past stages 1-2: snapshot
        # their namespaces and compare identities after every candidate (no audit event covers
        # module attribute assignment)
        guarded = {"builtins": builtins, "re": re, "datetime": datetime, "decimal": decimal,
                   "extractors.runtime": runtime, "json": json, "pickle": pickle, "sys": sys}
        snapshot = {name: dict(vars(mod)) for name, mod in guarded.items()}
        decimal_ctx = (decimal.getcontext().prec, decimal.getcontext().rounding)
        modules_before = set(sys.modules)

        def tampered() -> list[str]:
            bad = []
            for name, mod in guarded.items():
                now, before = vars(mod), snapshot[name]
                if now.keys() != before.keys() or any(now[k] is not v for k, v in before.items()):
                    bad.append(f"tampered:{name}")
            if (decimal.getcontext().prec, decimal.getcontext().rounding) != decimal_ctx:
                bad.append("tampered:decimal.context")
            if set(sys.modules) - modules_before:
                bad.append("tampered:sys.modules")
            try:
                if pickle.dumps([d.meta for d in docs], protocol=pickle.HIGHEST_PROTOCOL) != meta_fingerprint:
                    bad.append("tampered:documents")
            except Exception:  # noqa: BLE001 - an unpicklable object planted in meta
                bad.append("tampered:documents")
            return bad

    except Exception as exc:  # noqa: BLE001 - tell the parent why, in one line, then stop
        write_json({"ready": False, "privileges": privileges, "uid": os.getuid(),
                    "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        return

    write_json({"ready": True, "network": network, "privileges": privileges, "pid": os.getpid()})

    while True:
        raw = read_frame()
        if raw is None:
            return
        msg = pickle.loads(raw)
        if msg is None:
            return
        order: list[int] = msg["order"]
        result: dict[str, Any] = {"index": msg["index"], "status": "ok", "outputs": [None] * len(docs),
                                  "errors": [None] * len(docs), "error": None, "violations": []}
        t0 = time.perf_counter()
        state["events"] = []
        try:
            code = compile(msg["source"], "<candidate>", "exec")
            ns: dict[str, Any] = {"__builtins__": dict(base_builtins, __import__=restricted_import),
                                  "__name__": "docc_candidate"}
            state["mode"] = "loading"
            try:
                exec(code, ns)  # noqa: S102 - the point of the sandbox
            finally:
                state["mode"] = "off"
            try:
                freeze_namespace(ns, "docc_candidate", trusted)
            except GuardError as exc:
                state["events"].append(f"module-state: {exc}")
                raise
            extract = ns.get("extract")
            if not callable(extract):
                raise TypeError("candidate defines no callable extract(doc)")
            for i in order:
                state["mode"] = "armed"
                try:
                    out = extract(docs[i])
                    state["mode"] = "off"
                    check_output(out, Found)
                    ser = {str(k): ser_found(v) for k, v in out.items()}
                    text = json.dumps(ser, ensure_ascii=False, allow_nan=False)
                    if len(text) > MAX_OUTPUT_BYTES:
                        raise ValueError(f"output of {len(text)} bytes exceeds {MAX_OUTPUT_BYTES}")
                    if result["outputs"][i] is not None and result["outputs"][i] != ser:
                        # the order lists a document twice: read again after other documents,
                        # it must give the same output (no state carried between documents)
                        raise ValueError("output changed when the document was read again after others")
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
        damage = tampered()
        if state["events"] or damage:
            result["status"] = "violation"
            result["violations"] = sorted(set(state["events"])) + damage
        result["seconds"] = time.perf_counter() - t0
        result["cpu"] = time.process_time()
        try:
            write_json(result)
        except (TypeError, ValueError) as exc:
            write_json({"index": msg["index"], "status": "error", "outputs": [None] * len(docs),
                        "errors": [None] * len(docs), "error": f"unserialisable output: {exc}",
                        "violations": [], "seconds": time.perf_counter() - t0, "cpu": time.process_time()})


if __name__ == "__main__":  # pragma: no cover
    main()
