"""The validation sandbox and a small compile from a copy of the project in a private (0700) folder.

As root the sandbox child drops to nobody, which cannot enter a 0700 folder: everything the
child needs is loaded before the drop. Each case runs docc from the copy in a subprocess, so
the code under test is the copy's, not this checkout's.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_compiler import small_set

PROJECT = Path(__file__).resolve().parents[1]
NOBODY = 65534

PROBE = r"""
import json, sys
from pathlib import Path
import extractors
from extractors.compiler import compile_command
from extractors.validation.sandbox import probe_sandbox, run_candidates
from pipeline.ingest import ingest

samples = Path(sys.argv[1])
doc = ingest(sorted((samples / "prescription").glob("*.pdf"))[0])
good = "from extractors import runtime\ndef extract(doc):\n    return {'pages': runtime.Found(len(doc.pages))}\n"
peek = "def extract(doc):\n    return {'x': open(" + repr(str(Path(extractors.__file__))) + ").read()}\n"
runs = run_candidates([good, peek], [doc], timeout_s=20)
rc = compile_command(samples, [], ["synth"], Path(sys.argv[2]), force=False, accept_weak=True)
print(json.dumps({"code": str(Path(extractors.__file__).parent), "probe": probe_sandbox(),
                  "good": [runs[0].status, runs[0].outputs], "peek": runs[1].status, "compile": rc}))
"""


def private_copy(root: Path, owner: int | None = None) -> Path:
    """docc's code and a small sample set under a fresh 0700 folder (owned by `owner`)."""
    private = root / "private"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)
    project = private / "docc"
    for name in ("extractors", "pipeline", "eval", "fhir"):
        shutil.copytree(PROJECT / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "heldout", "security_corpus"))
    small_set(project, n=2)
    if owner is not None:
        for path in [private, *private.rglob("*")]:
            os.chown(path, owner, owner, follow_symlinks=False)
    return project


def run_from(project: Path, argv: list[str], user: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1", DOCC_CACHE_DIR=str(project / ".cache"))
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []
    return subprocess.run([*prefix, sys.executable, *argv], cwd=project, env=env, capture_output=True, text=True, timeout=900)


def check_probe(project: Path, proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(got["code"]) == project / "extractors"  # the copy's code ran, not this checkout's
    assert got["good"] == ["ok", [{"pages": {"value": 1, "type": "int", "page": None, "bbox": None,
                                              "text": "", "confidence": 1.0}}]]
    assert got["peek"] in ("error", "violation")  # reading docc's own files is still refused
    assert got["compile"] == 0
    assert (project / "out" / "prescription.py").exists()
    return got


@pytest.mark.skipif(os.getuid() != 0, reason="needs root: the child drops to nobody only when started as root")
def test_gate_and_compile_from_a_private_folder_as_root(tmp_path):
    project = private_copy(tmp_path)
    got = check_probe(project, run_from(project, ["-c", PROBE, str(project / "samples"), str(project / "out")]))
    assert got["probe"]["privileges"] == f"dropped root to uid {NOBODY}"


def test_gate_and_compile_from_a_private_folder_as_a_user(tmp_path):
    if os.getuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv (util-linux) is not installed")
        smoke = run_from(Path("/"), ["-c", "import json"], user=NOBODY)
        if smoke.returncode != 0:  # e.g. the interpreter lives under a 0700 /root
            pytest.skip(f"uid {NOBODY} cannot run this interpreter: {smoke.stderr.strip().splitlines()[-1:]}")
        tmp_path.chmod(0o755)
        for parent in tmp_path.parents:
            if not os.access(parent, os.X_OK, effective_ids=False) or parent.stat().st_mode & 0o001 == 0:
                pytest.skip(f"uid {NOBODY} cannot reach {tmp_path} ({parent} is private)")
        project = private_copy(tmp_path, owner=NOBODY)
        got = check_probe(project, run_from(project, ["-c", PROBE, str(project / "samples"), str(project / "out")], user=NOBODY))
    else:
        project = private_copy(tmp_path)
        got = check_probe(project, run_from(project, ["-c", PROBE, str(project / "samples"), str(project / "out")]))
    assert got["probe"]["privileges"].startswith("uid ")


def test_a_sandbox_that_cannot_start_is_one_clear_line(tmp_path):
    project = private_copy(tmp_path)
    (project / "extractors" / "validation" / "child.py").unlink()  # a broken install
    proc = run_from(project, ["-m", "pipeline.cli", "compile", "--backend", "synth",
                              "--samples", str(project / "samples"), "--out", str(project / "out")])
    assert proc.returncode == 1
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    line = next(line for line in out.splitlines() if line.startswith("error:"))
    assert "validation sandbox could not start" in line and "extractors.validation.child" in line
    assert str(project) in line
