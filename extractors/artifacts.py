"""Compiled artifacts and the lock file: writing them at compile time, loading them at run time.

`<dir>/<doc_type>.py` is generated code defining `extract(doc) -> dict`; `<dir>/extractors.lock`
records each artifact's sha256. The run time refuses any artifact whose bytes do not match.
"""
from __future__ import annotations

import hashlib
import json
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from extractors.fileio import atomic_write  # noqa: F401  (re-exported: the compiler writes through it)
from pipeline.errors import DoccError

LOCK_NAME = "extractors.lock"
LOCK_VERSION = 1


class ArtifactError(DoccError):
    """A missing, tampered or unloadable compiled artifact."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock(folder: Path) -> dict[str, Any]:
    path = folder / LOCK_NAME
    if not path.exists():
        return {"version": LOCK_VERSION, "doc_types": {}}
    lock = json.loads(path.read_text(encoding="utf-8"))
    if lock.get("version") != LOCK_VERSION:
        raise ArtifactError(f"{path}: unsupported lock version {lock.get('version')!r}")
    return lock


def write_lock(folder: Path, lock: dict[str, Any]) -> None:
    data = json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    atomic_write(folder / LOCK_NAME, data.encode("utf-8"))


def record_artifact(folder: Path, doc_type: str, source: str, entry: dict[str, Any]) -> str:
    """Write `<doc_type>.py` and its lock entry; returns the artifact's sha256."""
    data = source.encode("utf-8")
    digest = sha256_bytes(data)
    atomic_write(folder / f"{doc_type}.py", data)
    lock = read_lock(folder)
    lock["doc_types"][doc_type] = {**entry, "artifact": f"{doc_type}.py", "sha256": digest}
    write_lock(folder, lock)
    return digest


@dataclass(frozen=True)
class LockedExtractor:
    """A hash-checked, loaded extraction function for one document type."""

    doc_type: str
    sha256: str
    extract: Callable[[Any], dict] | None
    entry: dict[str, Any]


def load_source(source: str, name: str) -> Callable[[Any], dict]:
    """Execute generated code in a fresh module namespace and return its `extract`."""
    module = types.ModuleType(f"docc_compiled_{name}")
    code = compile(source, f"<compiled {name}>", "exec")
    exec(code, module.__dict__)  # noqa: S102 - validated, hash-locked generated code
    fn = module.__dict__.get("extract")
    if not callable(fn):
        raise ArtifactError(f"{name}: artifact defines no extract(doc)")
    return fn


def load_locked(folder: Path, doc_types: list[str] | None = None, *, execute: bool = True) -> dict[str, LockedExtractor]:
    """Load every locked artifact in `folder`, refusing any whose sha256 differs from the lock.

    `execute=False` only checks the hashes (`extract` is then None): the batch driver never
    runs extractor code itself; its workers run it contained (`pipeline.containment`)."""
    lock = read_lock(folder)
    if not lock["doc_types"]:
        raise ArtifactError(f"{folder}: no compiled extractors (run `docc compile`)")
    loaded: dict[str, LockedExtractor] = {}
    for doc_type, entry in sorted(lock["doc_types"].items()):
        if doc_types and doc_type not in doc_types:
            continue
        path = folder / entry["artifact"]
        if not path.exists():
            raise ArtifactError(f"{path}: artifact listed in the lock is missing")
        data = path.read_bytes()
        actual = sha256_bytes(data)
        if actual != entry["sha256"]:
            raise ArtifactError(
                f"{path}: sha256 {actual[:12]}… does not match the lock ({entry['sha256'][:12]}…); "
                "the artifact was changed after it was validated. Recompile with `docc compile`."
            )
        fn = load_source(data.decode("utf-8"), doc_type) if execute else None
        loaded[doc_type] = LockedExtractor(doc_type, actual, fn, entry)
    return loaded
