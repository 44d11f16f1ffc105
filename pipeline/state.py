"""Crash-safe, incremental state of a batch output folder: `OUT/.state/`.

One small JSON record per distinct input *content*: `records/<sha[:2]>/<sha256>.json`,
written atomically (tmp file, fsync, rename) the moment the document is final. A record
holds the document's result (everything of its results.jsonl line but the source path) and
the fingerprint it was made with: record format, docc version, classifier sha256 (its
thresholds included) and, for its doc type, the extractor's, runtime suite's, FHIR mapping's
and lock entry's sha256 (the lock entry holds per-field scores and any thresholds). A record is reused only when its fingerprint equals the current one, so a recompiled
extractor or an edited mapping re-processes exactly its doc type, a new classifier
re-processes everything, and a killed run loses at most the documents that were in flight.
`reprocess` (True, or a set of doc types) makes records of those types stale on purpose
(`docc run --reprocess [--doc-type T]`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterator

from extractors.fileio import atomic_write_many, dumps, fsync_dir  # noqa: F401  (fsync_dir re-exported)
from pipeline.records import DocRecord

RECORD_VERSION = 2  # 2: records carry their review kind (pipeline.records.ReviewReason)


def docc_version() -> str:
    try:
        from importlib.metadata import version

        return version("docc")
    except Exception:
        return "0.0.0"


def hash_file(path: bytes, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


class State:
    def __init__(self, out: Path, classifier_sha: str, extractors: dict[str, str], suites: dict[str, str | None], fsync: bool = True,
                 extra: dict[str, dict[str, Any]] | None = None, reprocess: bool | set[str] = False) -> None:
        self.root = Path(out) / ".state"
        self.records = self.root / "records"
        self.records.mkdir(parents=True, exist_ok=True)
        self.fsync = fsync
        self.base = {"record": RECORD_VERSION, "docc": docc_version(), "classifier": classifier_sha}
        self._fp = {None: self._digest({**self.base})}
        self.reprocess = reprocess
        for t, sha in extractors.items():
            key = {**self.base, "doc_type": t, "extractor": sha, "suite": suites.get(t)}
            if extra is not None:  # e.g. the FHIR mapping's and the lock entry's sha256
                key.update(extra.get(t) or {})
            self._fp[t] = self._digest(key)

    @staticmethod
    def _digest(obj: dict) -> str:
        return hashlib.sha256(dumps(obj)).hexdigest()[:32]

    def fingerprint(self, doc_type: str | None) -> str | None:
        return self._fp.get(doc_type)

    def path(self, sha: str) -> Path:
        return self.records / sha[:2] / f"{sha}.json"

    def get(self, sha: str) -> DocRecord | None:
        """The stored record for this content, if it is still valid under the current fingerprint."""
        try:
            data = self.path(sha).read_bytes()
            rec = json.loads(data)
        except (OSError, ValueError):
            return None
        fp = rec.pop("fingerprint", None)
        if fp is None or fp != self.fingerprint(rec.get("doc_type")):
            return None
        if self.reprocess is True or (self.reprocess and rec.get("doc_type") in self.reprocess):
            return None
        try:
            return DocRecord.from_json(rec)
        except (KeyError, ValueError, TypeError):  # not a record of this format: process again
            return None

    def load(self, sha: str) -> DocRecord | None:
        """The stored record without the validity check (used when rebuilding outputs)."""
        try:
            rec = json.loads(self.path(sha).read_bytes())
        except (OSError, ValueError):
            return None
        rec.pop("fingerprint", None)
        try:
            return DocRecord.from_json(rec)
        except (KeyError, ValueError, TypeError):  # not a record of this format
            return None

    def put_many(self, records: list[DocRecord]) -> None:
        items = []
        for rec in records:
            body = {**rec.to_json(), "fingerprint": self.fingerprint(rec.doc_type)}
            items.append((self.path(rec.sha256), dumps(body) + b"\n"))
        atomic_write_many(items, fsync=self.fsync)

    def shas(self) -> Iterator[str]:
        if not self.records.exists():
            return
        for sub in sorted(self.records.iterdir()):
            if sub.is_dir():
                for p in sorted(sub.glob("*.json")):
                    yield p.stem

    def prune(self, keep: set[str]) -> int:
        n = 0
        for sha in list(self.shas()):
            if sha not in keep:
                try:
                    self.path(sha).unlink()
                    n += 1
                except OSError:
                    pass
        # leftover tmp files of a killed run
        for tmp in self.records.glob("*/.*.tmp*"):
            try:
                tmp.unlink()
            except OSError:
                pass
        return n
