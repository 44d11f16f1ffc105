"""`docc run`: the batch job, end to end with real components (pdfium ingest, the locked-artifact
loader, the classifier, Great Expectations, the FHIR bundle builder, process pools, Ray).

The extractors are hand-written regex functions recorded with the real artifact writer (see
test_batch_fixtures.py); the inputs mix good documents with every kind of bad input.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_batch_fixtures as F  # noqa: E402

from pipeline.batch import run_command  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DOCC = [sys.executable, "-m", "pipeline.cli"]


def outputs(out: Path) -> dict[str, bytes]:
    """Every deterministic output file (not .state/ or runs/), by relative path."""
    files = {}
    for p in sorted(out.rglob("*")):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and not rel.startswith((".state/", "runs/")):
            files[rel] = p.read_bytes()
    return files


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def last_run(out: Path) -> dict:
    runs = sorted((out / "runs").glob("*.json"))
    return json.loads(runs[-1].read_text())


def n_records(out: Path) -> int:
    return sum(1 for _ in (out / ".state" / "records").glob("*/*.json")) if (out / ".state" / "records").exists() else 0


def run(inputs, out, compiled, **kw) -> int:
    kw.setdefault("workers", 2)
    kw.setdefault("engine", "local")
    return run_command(inputs=list(inputs), out=out, extractors_dir=compiled, ray_address=None, progress=False, **kw)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    # a private OCR cache for this module, restored afterwards so later tests (and the model
    # server they start) see the real cache directory
    with pytest.MonkeyPatch.context() as mp:
        if "DOCC_CACHE_DIR" not in os.environ:
            mp.setenv("DOCC_CACHE_DIR", str(root / "cache"))
        compiled = F.build_compiled(root / "compiled")
        golden = F.make_good_inputs(root / "in")
        bad = F.make_bad_inputs(root / "in" / "bad")
        out = root / "out"
        rc = run([root / "in"], out, compiled)
        yield {"root": root, "compiled": compiled, "inputs": root / "in", "golden": golden, "bad": bad, "out": out, "rc": rc}


def by_name(rows: list[dict], root: Path) -> dict[str, dict]:
    return {os.path.relpath(r["source"], str(root)): r for r in rows}


# ------------------------------------------------------------------------- one full run


def test_every_input_accounted_for(world):
    assert world["rc"] == 0
    rows = results(world["out"])
    names = by_name(rows, world["inputs"])
    # sorted by source path bytes, one line per input; hidden files and sidecars are not inputs
    raw = [base64.b64decode(r["source_b64"]) if "source_b64" in r else r["source"].encode() for r in rows]
    assert raw == sorted(raw)
    assert ".hidden.pdf" not in names and "lab_000.json" not in names
    manifest = json.loads((world["out"] / "manifest.json").read_text())
    assert manifest["inputs"] == len(rows) == manifest["exported"] + manifest["review"] + manifest["quarantined"]
    assert manifest["reconciles"] is True
    run1 = last_run(world["out"])
    assert run1["inputs"] == run1["exported"] + run1["review"] + run1["quarantined"] + run1["unchanged"]
    assert run1["unchanged"] == 0
    for status in ("exported", "review", "quarantined"):
        assert manifest[status] == sum(1 for r in rows if r["status"] == status)
    assert set(manifest["extractors"]) == {"lab_report", "prescription"}


def test_bad_inputs_quarantined_with_reasons(world):
    names = by_name(results(world["out"]), world["inputs"])
    for rel, kind in world["bad"].items():
        row = names[f"bad/{rel}"]
        assert row["status"] == "quarantined", (rel, row)
        assert row["reason"].startswith(kind + ":"), (rel, row["reason"])
        assert row["error_kind"] == kind
    assert "symbolic link loop" in names["bad/loopdir/back"]["reason"]
    assert "500 pages" in names["bad/huge_500_pages.pdf"]["reason"]
    listed = [json.loads(x) for x in (world["out"] / "quarantine" / "quarantine.jsonl").read_text().splitlines()]
    assert {os.path.relpath(x["source"], str(world["inputs"])) for x in listed} == {f"bad/{k}" for k in world["bad"]}
    assert all(x["reason"] and x["kind"] for x in listed)
    # nothing of the documents is copied into the quarantine folder
    assert sorted(p.name for p in (world["out"] / "quarantine").iterdir()) == ["quarantine.jsonl"]


def test_non_utf8_file_name(world):
    rows = [r for r in results(world["out"]) if "caf" in r["source"]]
    assert len(rows) == 1
    row = rows[0]
    assert row["source"].endswith("caf\\xe9_lab.pdf")
    raw = base64.b64decode(row["source_b64"])
    assert raw.endswith(b"caf\xe9_lab.pdf") and os.path.exists(raw)
    assert row["status"] == "exported" and row["doc_type"] == "lab_report"


def test_good_documents_exported_with_fields(world):
    names = by_name(results(world["out"]), world["inputs"])
    for rel, golden in world["golden"].items():
        row = names[rel]
        assert row["status"] == "exported", (rel, row["reason"])
        assert row["doc_type"] == ("lab_report" if rel.startswith("lab") else "prescription")
        f = row["fields"]
        assert f["patient_name"]["value"] == golden["patient_name"]
        assert f["birth_date"]["value"] == golden["birth_date"]
        assert 0 < f["patient_name"]["confidence"] <= 1 and f["patient_name"]["page"] == 1
        assert len(f["patient_name"]["bbox"]) == 4 and golden["patient_name"] in f["patient_name"]["text"]
        if row["doc_type"] == "lab_report":
            table = f["results"]["value"]
            assert [r["test_name"]["value"] for r in table] == [r["test_name"] for r in golden["results"]]
            assert all(set(r) == {"test_name", "value", "unit", "flag"} and "value" in r["unit"] for r in table)
        else:
            assert f["quantity"]["value"] == golden["quantity"]
        assert row["extractor_sha256"] and len(row["sha256"]) == 64
        bundle = json.loads((world["out"] / "fhir" / f"{row['sha256']}.json").read_text())
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    # a PDF named .txt is sniffed and read; duplicate content gets its own line, same hash
    assert names["lab_named.txt"]["status"] == "exported"
    assert names["lab_copy.pdf"]["sha256"] == names["lab_000.pdf"]["sha256"]
    assert names["lab_copy.pdf"]["fields"] == names["lab_000.pdf"]["fields"]


def test_review_reasons(world):
    names = by_name(results(world["out"]), world["inputs"])
    assert names["radiology.pdf"]["status"] == "review" and names["radiology.pdf"]["doc_type"] is None
    assert names["radiology.pdf"]["reason"].startswith("unknown document type")
    assert names["lab_badmrn.pdf"]["checks_failed"] == ["mrn:pattern"]
    assert names["lab_badnpi.pdf"]["checks_failed"] == ["ordering_npi:npi_luhn"]
    assert names["lab_explode.pdf"]["reason"].startswith("extractor error: ValueError")
    for rel in ("radiology.pdf", "lab_badmrn.pdf", "lab_badnpi.pdf", "lab_explode.pdf"):
        assert not (world["out"] / "fhir" / f"{names[rel]['sha256']}.json").exists()
    listed = [json.loads(x) for x in (world["out"] / "review" / "review.jsonl").read_text().splitlines()]
    assert len(listed) == 4 and all(x["reason"] for x in listed)
    manifest = json.loads((world["out"] / "manifest.json").read_text())
    assert manifest["review_reasons"] == {"extractor error": 1, "failed runtime checks": 2, "unknown document type": 1}
    assert manifest["checks_failed"] == {"mrn:pattern": 1, "ordering_npi:npi_luhn": 1}


def test_fhir_and_ndjson(world):
    rows = results(world["out"])
    exported = {r["sha256"] for r in rows if r["status"] == "exported"}
    assert {p.stem for p in (world["out"] / "fhir").glob("*.json")} == exported
    nd = world["out"] / "ndjson"
    files = sorted(p.name for p in nd.glob("*.ndjson"))
    assert "Patient.ndjson" in files
    manifest = json.loads((world["out"] / "manifest.json").read_text())
    for name in files:
        lines = (nd / name).read_text().splitlines()
        assert len(lines) == manifest["ndjson"][name[:-7]]
        assert all(json.loads(x)["resourceType"] == name[:-7] for x in lines)


def test_rerun_processes_nothing_and_is_byte_identical(world, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(world["out"], out)
    before = outputs(out)
    assert run([world["inputs"]], out, world["compiled"]) == 0
    assert outputs(out) == before
    r = last_run(out)
    # only inputs that never reach a content record are looked at again (walk errors, unreadable)
    uncached = sum(1 for k in world["bad"].values() if k == "unreadable") + 1  # + the named pipe
    assert r["unchanged"] == r["inputs"] - uncached
    assert r["exported"] == 0 and r["review"] == 0


def test_fresh_run_same_bytes_with_one_worker(world, tmp_path):
    out = tmp_path / "out"
    assert run([world["inputs"]], out, world["compiled"], workers=1, chunk_size=3) == 0
    assert outputs(out) == outputs(world["out"])


def test_changed_extractor_reprocesses_its_doc_type(world, tmp_path):
    compiled = tmp_path / "compiled"
    shutil.copytree(world["compiled"], compiled)
    from extractors.artifacts import record_artifact

    record_artifact(compiled, "lab_report", F.LAB_EXTRACTOR + "\n# recompiled\n", {"doc_type": "lab_report"})
    out = tmp_path / "out"
    shutil.copytree(world["out"], out)
    assert run([world["inputs"]], out, compiled) == 0
    r = last_run(out)
    n_lab = sum(1 for x in results(world["out"]) if x["doc_type"] == "lab_report")
    assert r["doc_types"]["lab_report"]["unchanged"] == 0
    assert r["doc_types"]["lab_report"]["exported"] + r["doc_types"]["lab_report"]["review"] == n_lab
    assert r["doc_types"]["prescription"]["unchanged"] == len([g for g in world["golden"] if g.startswith("rx")])
    rows = results(out)
    assert {x["extractor_sha256"] for x in rows if x["doc_type"] == "lab_report"} != {x["extractor_sha256"] for x in results(world["out"]) if x["doc_type"] == "lab_report"}


def test_removed_input_is_dropped(world, tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(world["inputs"], inputs, symlinks=True, ignore=shutil.ignore_patterns("bad"))
    out = tmp_path / "out"
    assert run([inputs], out, world["compiled"]) == 0
    rm = inputs / "rx" / "deeper" / "rx_000.pdf"
    sha = next(r["sha256"] for r in results(out) if r["source"] == str(rm))
    rm.unlink()
    assert run([inputs], out, world["compiled"]) == 0
    rows = results(out)
    assert str(rm) not in {r["source"] for r in rows}
    assert not (out / "fhir" / f"{sha}.json").exists()
    assert json.loads((out / "manifest.json").read_text())["inputs"] == len(rows)


def test_worker_crash_is_isolated(world, tmp_path, monkeypatch):
    """A worker process dying (here: the extractor is stuck in C code where no signal handler
    runs, and the kernel's CPU limit kills the worker: a real crash) quarantines that one
    document; the pool is rebuilt and every other document completes."""
    monkeypatch.setenv("DOCC_EXTRACT_CPU_SECONDS", "1")
    inputs = tmp_path / "in"
    inputs.mkdir()
    import random

    rng = random.Random(11)
    for i in range(5):
        F.write_pdf(inputs / f"lab_{i}.pdf", F.lab_doc(rng)[0])
    F.write_pdf(inputs / "lab_kill.pdf", F.lab_doc(rng)[0] + ["KILLWORKER"])
    out = tmp_path / "out"
    assert run([inputs], out, world["compiled"], chunk_size=2) == 0
    names = by_name(results(out), inputs)
    assert names["lab_kill.pdf"]["status"] == "quarantined"
    assert "worker process died" in names["lab_kill.pdf"]["reason"]
    assert names["lab_kill.pdf"]["error_kind"] == "crashed"  # the same kind `docc ingest` gives (pipeline.pool)
    assert all(names[f"lab_{i}.pdf"]["status"] == "exported" for i in range(5))
    assert last_run(out)["worker_crashes"] >= 2


def test_usage_errors(world, tmp_path):
    assert run([world["inputs"]], tmp_path / "o1", tmp_path / "nope") == 2
    assert not (tmp_path / "o1").exists()
    assert run([tmp_path / "missing"], tmp_path / "o2", world["compiled"]) == 2
    tampered = tmp_path / "compiled"
    shutil.copytree(world["compiled"], tampered)
    with open(tampered / "prescription.py", "a") as fh:
        fh.write("\n# edited after locking\n")
    assert run([world["inputs"]], tmp_path / "o3", tampered) == 2
    shutil.copytree(world["compiled"], tmp_path / "c2")
    (tmp_path / "c2" / "classifier.json").write_text("{}")
    assert run([world["inputs"]], tmp_path / "o4", tmp_path / "c2") == 2


# ------------------------------------------------------------------------- crash safety (subprocesses)


@pytest.fixture(scope="module")
def small(world, tmp_path_factory):
    """A smaller input set for the kill tests, with its uninterrupted reference output."""
    root = tmp_path_factory.mktemp("small")
    inputs = root / "in"
    F.make_good_inputs(inputs, n_lab=10, n_rx=8, seed=21)
    shutil.copy(world["inputs"] / "bad" / "corrupt.pdf", inputs / "corrupt.pdf")
    ref = root / "ref"
    assert run([inputs], ref, world["compiled"]) == 0
    return {"inputs": inputs, "ref": ref, "compiled": world["compiled"]}


def _spawn(small, out: Path) -> subprocess.Popen:
    env = {**os.environ, "DOCC_BATCH_FLUSH_ROWS": "2", "DOCC_BATCH_CHUNK": "2", "DOCC_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(DOCC + ["run", str(small["inputs"]), "--out", str(out), "--extractors", str(small["compiled"]), "--workers", "2"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_records(proc: subprocess.Popen, out: Path, k: int, timeout: float = 240) -> None:
    t0 = time.time()
    while n_records(out) < k:
        if proc.poll() is not None:  # it may have written the k-th record and finished meanwhile
            assert n_records(out) >= k, f"run ended before {k} records: {proc.stderr.read().decode()[-2000:]}"
            return
        assert time.time() - t0 < timeout
        time.sleep(0.005)


def _interrupted_run(small, tmp_path: Path, k: int, sig: int) -> tuple[subprocess.Popen, Path]:
    """A run that `sig` reached mid-run, after at least `k` state records.

    The signal goes out once `k` records exist; on a fast machine the run may still finish
    before it lands (nothing was interrupted, exit 0). That run proves nothing, so the case is
    tried again in a fresh folder until the signal lands mid-run."""
    for attempt in range(8):
        out = tmp_path / f"out{attempt}"
        proc = _spawn(small, out)
        _wait_records(proc, out, k)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # already gone: it finished first
            pass
        rc = proc.wait(timeout=300)
        if rc != 0:
            return proc, out
    pytest.fail(f"the run finished before signal {sig} landed in 8 attempts")


@pytest.mark.parametrize("k", [1, 9, 19])
def test_kill9_then_rerun_equals_uninterrupted(small, tmp_path, k):
    proc, out = _interrupted_run(small, tmp_path, k, signal.SIGKILL)  # the whole job: no clean-up at all
    assert proc.returncode == -signal.SIGKILL
    assert run([small["inputs"]], out, small["compiled"]) == 0
    assert outputs(out) == outputs(small["ref"])
    r = last_run(out)
    assert r["inputs"] == r["exported"] + r["review"] + r["quarantined"] + r["unchanged"]
    assert r["unchanged"] >= k


def test_ctrl_c_stops_cleanly_and_keeps_state(small, tmp_path):
    proc, out = _interrupted_run(small, tmp_path, 3, signal.SIGINT)  # what a terminal's Ctrl-C sends to the group
    assert proc.returncode == 130, proc.stderr.read().decode()[-2000:]
    kept = n_records(out)
    assert kept >= 3
    assert json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())["interrupted"] is True
    assert run([small["inputs"]], out, small["compiled"]) == 0
    assert outputs(out) == outputs(small["ref"])
    assert last_run(out)["unchanged"] >= kept


def test_cli_subprocess_twice_byte_identical(small, tmp_path):
    for name in ("a", "b"):
        p = subprocess.run(DOCC + ["run", str(small["inputs"]), "--out", str(tmp_path / name), "--extractors", str(small["compiled"]), "--workers", "2"],
                           cwd=REPO, capture_output=True, timeout=300)
        assert p.returncode == 0, p.stderr.decode()[-2000:]
    assert b"exported" in p.stdout  # the summary table
    assert outputs(tmp_path / "a") == outputs(tmp_path / "b") == outputs(small["ref"])


# ------------------------------------------------------------------------- Ray


def test_ray_engine_equals_local(small, tmp_path):
    out = tmp_path / "out"
    assert run([small["inputs"]], out, small["compiled"], engine="ray", workers=2) == 0
    assert outputs(out) == outputs(small["ref"])
    assert last_run(out)["engine"] == "ray"
