"""Locked extractors run contained in the batch workers.

The gate checks generated code before it is locked; a lock can still be rewritten by hand,
and a gate can have holes. So every document's extraction runs under the sandbox's
protections, in the worker itself (one `extract(doc)` call costs microseconds; a process per
document would cost more than the extraction):

- the worker's environment is scrubbed of secrets once, at start (no audit event covers
  reading `os.environ`);
- an audit hook, armed only while extractor code runs, refuses every audited operation (files,
  network, subprocesses, imports, `sys._getframe`, frame and code internals, ...); an event
  marks the document even if the code swallowed the error;
- the module is executed afresh for each document with a restricted `__builtins__`
  (no `__import__` beyond re/datetime/decimal/extractors.runtime) and its module-level values
  frozen, so nothing survives from one document to the next;
- a per-document CPU-time limit (ITIMER_PROF raises a BaseException extractor code cannot
  catch with `except Exception`), backed by RLIMIT_CPU (the kernel kills the worker if the
  code is stuck where no signal handler runs; the driver then quarantines the document), and a
  per-document address-space limit (RLIMIT_AS lowered around the call);
- its output must be JSON-native within size caps (`extractors.guard.check_output`).

Reasons never carry exception text from extractor code (it may hold patient data): only the
kind of limit, the audit event name or the offending type.
"""
from __future__ import annotations

import builtins
import os
import re
import resource
import signal
import sys
import threading
from _thread import get_ident
from dataclasses import dataclass
from typing import Any, Callable

DEFAULT_CPU_SECONDS = 5.0
DEFAULT_MEMORY_MB = 512
# environment variables a worker needs; everything else is dropped when it starts
# (docc's own settings stay, limits included; secrets among them are dropped by SECRET)
ENV_KEEP = re.compile(r"^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TESSDATA_PREFIX|OMP_[A-Z_]+|"
                      r"LD_LIBRARY_PATH|PYTHON(PATH|HASHSEED|UNBUFFERED|DONTWRITEBYTECODE)|VIRTUAL_ENV|"
                      r"RAY_[A-Z_]+|DOCC_[A-Z0-9_]+)$")
SECRET = re.compile(r"TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|API_?KEY|PRIVATE", re.I)
HARMLESS_EVENTS = frozenset({"builtins.id"})
PR_SET_PDEATHSIG = 1


class ExtractorStopped(BaseException):
    """Raised into extractor code when it exceeds its CPU time (not catchable by `except Exception`)."""


@dataclass
class Outcome:
    """What one contained call gave: `out` when it ran cleanly, else `kind` and a data-free `why`."""

    out: Any = None
    kind: str | None = None          # "violation" | "cpu" | "memory" | "output" | "module" | "error"
    why: str | None = None


_STATE: dict[str, Any] = {"armed": False, "event": None, "thread": None}
_INSTALLED = False


def scrub_environment() -> list[str]:
    """Drop every environment variable a worker does not need (secrets first of all)."""
    dropped = [k for k in os.environ if SECRET.search(k) or not ENV_KEEP.match(k)]
    for k in dropped:
        os.environ.pop(k, None)
    return dropped


def _hook(event: str, args: tuple) -> None:
    armed = _STATE["armed"]
    if not armed or event in HARMLESS_EVENTS or get_ident() != _STATE["thread"]:
        return  # other threads (the driver watcher) are docc's own code
    if armed == "loading" and event == "exec":  # the module's own code starts running
        _STATE["armed"] = True
        return
    if _STATE["event"] is None:
        _STATE["event"] = event
    raise RuntimeError("operation not allowed in extractor code")


def _on_cpu(signum, frame) -> None:
    if _STATE["armed"]:
        raise ExtractorStopped("cpu")


def install() -> None:
    """Once per process: add the audit hook and the CPU signal handler, warm lazy imports.
    (Workers also call `scrub_environment`; the hook does nothing until armed.)"""
    global _INSTALLED
    if _INSTALLED:
        return
    import datetime
    import decimal

    import _strptime  # noqa: F401  (datetime.strptime imports it lazily)
    import time  # noqa: F401  (date.strftime looks time.strftime up on every call)

    datetime.datetime.strptime("2024-01-31", "%Y-%m-%d")
    datetime.date(2024, 1, 31).strftime("%d %B %Y")
    decimal.Decimal("1.50").quantize(decimal.Decimal("0.1"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the CPU backstop (SIGXCPU) leaves no core file
    sys.addaudithook(_hook)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGPROF, _on_cpu)
    _INSTALLED = True


def _restricted_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    if level == 0 and name in ("re", "datetime", "decimal", "__future__", "extractors", "extractors.runtime", "time"):
        if name == "extractors" and set(fromlist or ()) - {"runtime"}:
            raise ImportError("import not allowed in extractor code")
        if name == "time" and fromlist:
            raise ImportError("import not allowed in extractor code")
        mod = sys.modules.get(name)
        if mod is not None:
            return mod
    raise ImportError("import not allowed in extractor code")


def restricted_builtins() -> dict[str, Any]:
    from extractors.validation.static import ALLOWED_BUILTINS

    b = {n: getattr(builtins, n) for n in ALLOWED_BUILTINS if hasattr(builtins, n)}
    b["__import__"] = _restricted_import
    return b


class Contained:
    """One locked extractor, executed afresh and contained for every document."""

    def __init__(self, source: str, name: str, cpu_seconds: float = DEFAULT_CPU_SECONDS,
                 memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        import extractors.runtime as runtime

        self.name = name
        self.code = compile(source, f"<compiled {name}>", "exec")
        self.cpu_seconds = cpu_seconds
        self.memory_mb = memory_mb
        self.builtins = restricted_builtins()
        self.found_type = runtime.Found
        self.trusted = (runtime, sys.modules["extractors"]) + tuple(getattr(runtime, n) for n in runtime.__all__)
        self.trusted += tuple(sys.modules[m] for m in ("re", "datetime", "decimal"))
        self.module_name = f"docc_compiled_{name}"

    def _fresh(self) -> dict[str, Any]:
        ns: dict[str, Any] = {"__builtins__": dict(self.builtins), "__name__": self.module_name}
        exec(self.code, ns)  # noqa: S102 - hash-locked generated code, contained
        return ns

    def _extract_fn(self, ns: dict[str, Any]) -> Callable[[Any], Any]:
        from extractors.guard import freeze_namespace

        freeze_namespace(ns, self.module_name, self.trusted)  # reads function internals: not armed
        fn = ns.get("extract")
        if not callable(fn):
            raise TypeError("no extract(doc)")
        return fn

    def __call__(self, doc: Any) -> Outcome:
        from extractors.guard import GuardError, check_output

        install()
        main = threading.current_thread() is threading.main_thread()
        page = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/self/statm") as fh:
            vm_now = int(fh.read().split()[0]) * page
        old_as = resource.getrlimit(resource.RLIMIT_AS)
        old_cpu = resource.getrlimit(resource.RLIMIT_CPU)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu_now = used.ru_utime + used.ru_stime
        mem_limit = vm_now + self.memory_mb * 2**20
        if old_as[1] != resource.RLIM_INFINITY:
            mem_limit = min(mem_limit, old_as[1])
        backstop = int(cpu_now + self.cpu_seconds + 2)
        if old_cpu[1] != resource.RLIM_INFINITY:
            backstop = min(backstop, old_cpu[1])
        _STATE["event"] = None
        _STATE["thread"] = get_ident()
        outcome = Outcome()
        out = None
        try:
            resource.setrlimit(resource.RLIMIT_AS, (mem_limit, old_as[1]))
            resource.setrlimit(resource.RLIMIT_CPU, (backstop, old_cpu[1]))
            if main:
                signal.setitimer(signal.ITIMER_PROF, self.cpu_seconds)
            _STATE["armed"] = "loading"
            try:
                ns = self._fresh()
                _STATE["armed"] = False
                extract = self._extract_fn(ns)
                _STATE["armed"] = True
                out = extract(doc)
            finally:
                _STATE["armed"] = False
                if main:
                    signal.setitimer(signal.ITIMER_PROF, 0)
        except ExtractorStopped:
            outcome = Outcome(kind="cpu", why=f"exceeded its CPU-time limit ({self.cpu_seconds:g} s per document)")
        except MemoryError:
            outcome = Outcome(kind="memory", why=f"exceeded its memory limit ({self.memory_mb} MB per document)")
        except RecursionError:
            outcome = Outcome(kind="error", why="RecursionError")
        except GuardError as e:  # module-level state: the message names types, never data
            outcome = Outcome(kind="module", why=f"holds module-level state ({e})")
        except Exception as e:  # noqa: BLE001 - ordinary extractor bugs: the type only, never the text
            outcome = Outcome(kind="error", why=type(e).__name__)
        finally:
            _STATE["armed"] = False
            resource.setrlimit(resource.RLIMIT_AS, old_as)
            resource.setrlimit(resource.RLIMIT_CPU, old_cpu)
        if _STATE["event"] is not None:
            event, _STATE["event"] = _STATE["event"], None
            return Outcome(kind="violation", why=f"attempted a forbidden operation ({event})")
        if outcome.kind is not None:
            return outcome
        try:
            check_output(out, self.found_type)
        except GuardError as e:
            return Outcome(kind="output", why=f"returned a value the serializer refuses ({e})")
        return Outcome(out=out)


# ------------------------------------------------------------------ dying with the driver


def die_with_parent(driver_pid: int | None = None) -> None:
    """Make this worker die when its parent (the pool's launcher) dies, and, when the driver's
    pid is known, kill the launcher and itself as soon as the driver is gone (`kill -9` of
    `docc run` must leave no process behind)."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # noqa: BLE001 - not Linux: the watcher below still works
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    if driver_pid is None or driver_pid == os.getpid():
        return
    import select

    def orphaned() -> None:
        launcher = os.getppid()
        if launcher not in (1, driver_pid):
            try:
                os.kill(launcher, signal.SIGKILL)
            except OSError:  # already gone
                pass
        os.kill(os.getpid(), signal.SIGKILL)

    try:
        fd = os.pidfd_open(driver_pid)
    except ProcessLookupError:  # the driver died while this worker was starting
        orphaned()
        return
    except (AttributeError, OSError):
        return

    def watch() -> None:
        select.select([fd], [], [])  # readable once the driver has exited
        orphaned()

    threading.Thread(target=watch, name="docc-driver-watch", daemon=True).start()
