"""Recompile one doc type from the browser: `docc compile` in a staging copy of the extractors
folder, then per-field held-out F1 before (current lock) and after (staged lock), and the
regression guard: when a field's F1 drops by more than the tolerance the new extractor is not
promoted unless the user accepts the drop explicitly.

Compilation runs as a child process (`python -m pipeline.cli compile ...`), exactly the command a
user would type, so the studio server stays responsive and a compiler crash cannot take it down.
"""
from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractors.artifacts import LOCK_NAME, read_lock

TOLERANCE = 0.02  # the same default as `docc eval --against`
_IDS = itertools.count(1)


def field_f1(extractors_dir: Path, doc_type: str) -> dict[str, float]:
    entry = read_lock(extractors_dir)["doc_types"].get(doc_type) or {}
    return {n: float(f.get("heldout_f1") or 0.0) for n, f in sorted((entry.get("fields") or {}).items())}


def compare(before: dict[str, float], after: dict[str, float], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        rows.append({"field": name, "before": b, "after": a,
                     "delta": None if b is None or a is None else round(a - b, 4),
                     "regressed": b is not None and (a is None or a < b - tolerance)})
    return rows


@dataclass
class CompileJob:
    id: int
    doc_type: str
    staging: Path
    state: str = "running"      # running | done | blocked | failed | promoted
    log: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "doc_type": self.doc_type, "state": self.state, "rows": self.rows,
                "message": self.message, "log": self.log[-30:],
                "regressions": [r["field"] for r in self.rows if r["regressed"]]}


class Recompiler:
    """At most one compile at a time (the compiler uses both cores)."""

    def __init__(self, samples: Path, extractors_dir: Path, backends: list[str], tolerance: float = TOLERANCE) -> None:
        self.samples = Path(samples)
        self.extractors_dir = Path(extractors_dir)
        self.backends = backends
        self.tolerance = tolerance
        self.jobs: dict[int, CompileJob] = {}
        self._lock = threading.Lock()

    def start(self, doc_type: str) -> CompileJob:
        with self._lock:
            if any(j.state == "running" for j in self.jobs.values()):
                raise RuntimeError("a compile is already running")
            self.extractors_dir.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".studio-compile-", dir=self.extractors_dir.parent))
            shutil.copytree(self.extractors_dir, staging, dirs_exist_ok=True)
            job = CompileJob(next(_IDS), doc_type, staging)
            self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job,), daemon=True, name=f"docc-compile-{job.id}").start()
        return job

    def _run(self, job: CompileJob) -> None:
        before = field_f1(self.extractors_dir, job.doc_type)
        cmd = [sys.executable, "-m", "pipeline.cli", "compile", "--samples", str(self.samples), "--doc-type", job.doc_type,
               "--out", str(job.staging), "--force"]
        for b in self.backends:
            cmd += ["--backend", b]
        job.log.append("$ docc " + " ".join(cmd[3:]))
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                    env={**__import__("os").environ, "COLUMNS": "120", "NO_COLOR": "1"})
            assert proc.stdout is not None
            for line in proc.stdout:
                line = line.rstrip()
                if line and "━" not in line:
                    job.log.append(line[:300])
            rc = proc.wait()
        except OSError as e:
            job.state, job.message = "failed", f"could not start the compiler: {e}"
            return
        if rc != 0:
            job.state, job.message = "failed", f"docc compile exited with {rc}; the current extractors are unchanged"
            shutil.rmtree(job.staging, ignore_errors=True)
            return
        job.rows = compare(before, field_f1(job.staging, job.doc_type), self.tolerance)
        if any(r["regressed"] for r in job.rows):
            job.state = "blocked"
            job.message = (f"held-out F1 dropped by more than {self.tolerance} on "
                           + ", ".join(r["field"] for r in job.rows if r["regressed"])
                           + ": the new extractor is NOT installed. Accept the drop to install it anyway.")
            return
        self.promote(job)

    def promote(self, job: CompileJob) -> CompileJob:
        """Copy the staged artifacts, suite, classifier, reports and lock into the extractors folder."""
        if job.state not in ("done", "blocked", "running"):
            raise RuntimeError(f"compile {job.id} is {job.state}")
        names = [f"{job.doc_type}.py", f"{job.doc_type}.expectations.json", "classifier.json",
                 "compile_report.json", "compile_report.md", f"timings/{job.doc_type}.json"]
        for name in names:
            src = job.staging / name
            if src.exists():
                (self.extractors_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.extractors_dir / name)
        shutil.copy2(job.staging / LOCK_NAME, self.extractors_dir / LOCK_NAME)  # last: the lock names the new hashes
        shutil.rmtree(job.staging, ignore_errors=True)
        job.state = "promoted"
        job.message = job.message.replace("NOT installed", "installed after you accepted the drop") if job.message \
            else "installed: the new extractor is locked in " + str(self.extractors_dir)
        return job

    def discard(self, job: CompileJob) -> CompileJob:
        shutil.rmtree(job.staging, ignore_errors=True)
        job.state, job.message = "failed", "discarded: the current extractors are unchanged"
        return job

