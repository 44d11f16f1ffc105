"""Run-time containment of locked extractors (pipeline.containment), end to end.

A malicious lab_report extractor is locked by hand (the artifact rewritten and its sha256
written into the lock, as an attacker with write access to the extractors folder would) and
run by `docc run` as a real subprocess, with a canary in DOCC_FHIR_TOKEN. Documents carrying
a trigger word make it hang, shell out, read a file, return an oversized value; every other
document's result must be exactly what the honest extractor gives, and the canary must
appear in no output file and no log line.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_batch_fixtures as F  # noqa: E402

from extractors.artifacts import load_source, sha256_bytes  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CANARY = "canary-7f3a9c1e-fhir-token"

# reaches os.environ with plain attribute access (no builtins, no audit event): only the
# worker's scrubbed environment keeps the token out
MALICIOUS = F.LAB_EXTRACTOR.replace('''def extract(doc):
''', '''def extract(doc):
    env = re.enum.sys.modules["os"].environ
    if "HANGNOW" in doc.text:
        while True:
            pass
    if "SHELLOUT" in doc.text:
        try:
            re.enum.sys.modules["os"].system("true")
        except Exception:
            pass
    if "READFILE" in doc.text:
        try:
            re.enum.sys.modules["builtins"].open("/etc/hostname").read()
        except Exception:
            pass
    if "HUGEVALUE" in doc.text:
        return {"patient_name": Found("x" * 900000)}
    token = env.get("DOCC_FHIR_TOKEN", "")
''', 1).replace(r'''"mrn": _find(doc, r"MRN: (\S+)"),''',
              r'''"mrn": Found(token) if token else _find(doc, r"MRN: (\S+)"),''', 1)

TRIGGERS = {"HANGNOW": "CPU-time limit", "SHELLOUT": "forbidden operation (os.system)",
            "READFILE": "forbidden operation (open)", "HUGEVALUE": "serializer refuses"}


def _lock_by_hand(folder: Path, source: str) -> None:
    (folder / "lab_report.py").write_text(source, encoding="utf-8")
    lock_path = folder / "extractors.lock"
    lock = json.loads(lock_path.read_text())
    lock["doc_types"]["lab_report"]["sha256"] = sha256_bytes(source.encode("utf-8"))
    lock_path.write_text(json.dumps(lock, indent=2, sort_keys=True))


def _docc_run(inputs: Path, out: Path, compiled: Path, cpu: str = "1", **popen) -> subprocess.Popen:
    env = {**os.environ, "DOCC_FHIR_TOKEN": CANARY, "DOCC_EXTRACT_CPU_SECONDS": cpu, "DOCC_LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--out", str(out),
                             "--extractors", str(compiled), "--workers", "2"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def _results(out: Path) -> dict[str, dict]:
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    return {Path(r["source"]).name: r for r in rows}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("contain")
    honest = F.build_compiled(root / "honest")
    inputs = root / "in"
    F.make_good_inputs(inputs, n_lab=4, n_rx=2, seed=5)
    rng = random.Random(3)
    for word in TRIGGERS:
        F.write_pdf(inputs / f"lab_{word.lower()}.pdf", F.lab_doc(rng)[0] + [word])
    ref = root / "ref"
    p = _docc_run(inputs, ref, honest)
    assert p.wait(timeout=600) == 0, p.stderr.read().decode()[-2000:]
    evil = F.build_compiled(root / "evil")
    _lock_by_hand(evil, MALICIOUS)
    return {"root": root, "inputs": inputs, "ref": ref, "evil": evil}


def test_the_attack_is_real_without_containment(setup, monkeypatch):
    """Loaded as plain Python (no containment), the artifact copies the token into a value."""
    monkeypatch.setenv("DOCC_FHIR_TOKEN", CANARY)
    extract = load_source(MALICIOUS, "lab_report")
    from pipeline.document import Document, Page, Word, group_lines

    words = tuple(Word(t, 10.0 + 40 * i, 10.0, 40.0 + 40 * i, 20.0, 1.0)
                  for i, t in enumerate(f"{CANARY} Patient Name: Ann Lee".split()))
    doc = Document("x.pdf", "0" * 64, (Page(1, 612.0, 792.0, "text-layer", words, group_lines(words)),))
    assert extract(doc)["mrn"].value == CANARY


def test_malicious_artifact_is_contained(setup):
    out = setup["root"] / "out"
    p = _docc_run(setup["inputs"], out, setup["evil"])
    stdout, stderr = p.communicate(timeout=600)
    assert p.returncode == 0, stderr.decode()[-2000:]
    got, ref = _results(out), _results(setup["ref"])
    assert got.keys() == ref.keys()
    assert sum(r["status"] == "exported" and r["doc_type"] == "lab_report" for r in ref.values()) >= 4
    for word, why in TRIGGERS.items():
        rec = got[f"lab_{word.lower()}.pdf"]
        assert rec["status"] == "quarantined" and rec["error_kind"] == "contained", rec
        assert why in rec["reason"], rec["reason"]
    for name, r in ref.items():
        if not any(w.lower() in name for w in TRIGGERS):
            assert got[name]["status"] == r["status"] and got[name]["fields"] == r["fields"], name
    # the token is nowhere: not in any file of the output folder, not on stdout/stderr
    for f in out.rglob("*"):
        if f.is_file():
            assert CANARY.encode() not in f.read_bytes(), f
    assert CANARY.encode() not in stdout + stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reconciles"] is True


def _children(pid: int) -> set[int]:
    """Every descendant of `pid` (from /proc), so the test can check none outlives the driver."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill9_of_the_driver_leaves_no_worker(setup):
    """Workers stuck in a hanging extractor die with the driver (`kill -9`, no clean-up)."""
    inputs = setup["root"] / "hang_in"
    inputs.mkdir()
    rng = random.Random(9)
    for i in range(4):
        F.write_pdf(inputs / f"lab_{i}.pdf", F.lab_doc(rng)[0] + ["HANGNOW"])
    out = setup["root"] / "hang_out"
    p = _docc_run(inputs, out, setup["evil"], cpu="120")  # the workers stay busy in the loop
    deadline = time.monotonic() + 240
    while len(_children(p.pid)) < 3:  # launcher + 2 workers
        assert p.poll() is None, p.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "workers never started"
        time.sleep(0.05)
    family = _children(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    deadline = time.monotonic() + 300  # generous: a loaded machine may be slow to reap them
    while any(_alive(c) for c in family):
        assert time.monotonic() < deadline, f"orphans: {[c for c in family if _alive(c)]}"
        time.sleep(0.05)
