"""Canonical JSON and atomic file writes: the one implementation every layer uses.

It sits at the bottom layer (beside the runtime helpers) because the compiler (lock,
artifacts) and the run time (state records, FHIR bundles, manifests) both write files that
must be byte-identical across runs and never seen half-written after a crash.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable


def canonical_json(obj: Any, indent: int | None = None) -> str:
    """Canonical JSON text: sorted keys, UTF-8 characters kept, compact (or indented) separators."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, indent=indent,
                      separators=(",", ": ") if indent else (",", ":"))


def dumps(obj: Any) -> bytes:
    """Canonical JSON bytes (compact); what hashes and state records are made of."""
    return canonical_json(obj).encode("utf-8")


def fsync_dir(path: Path) -> None:
    """Make a rename inside `path` durable; a folder that cannot be opened is left alone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _tmp_name(path: Path) -> Path:
    # unique per process and thread: two writers of one path never share a tmp file
    return path.with_name(f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}")


def atomic_write_many(items: Iterable[tuple[Path, bytes]], fsync: bool = True) -> None:
    """Write several files atomically: all tmp files, fsync each, then rename each, fsync dirs.

    A crash leaves each file either old or new, plus at most a hidden `.<name>.tmp<pid>-<thread>`."""
    staged = []
    try:
        for path, data in items:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = _tmp_name(path)
            staged.append((tmp, path))
            with open(tmp, "wb") as fh:
                fh.write(data)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
    except BaseException:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    dirs = set()
    for tmp, path in staged:
        os.replace(tmp, path)
        dirs.add(path.parent)
    if fsync:
        for d in sorted(dirs):
            fsync_dir(d)


def atomic_write(path: Path, data: bytes, fsync: bool = True) -> None:
    """Write one file via a temporary file and a rename, so readers never see half of it."""
    atomic_write_many([(Path(path), data)], fsync=fsync)


class StagedFiles:
    """Files written by streaming (JSON lines, NDJSON), each under `.<name>.tmp` beside its
    target, then fsynced and renamed into place together on `commit` (or on leaving a `with`
    block normally); `abort` (or an exception) removes them. The tmp name is fixed, so a killed
    writer leaves at most one stale tmp per file, overwritten next time: callers hold a lock
    that makes them the folder's only writer."""

    def __init__(self, fsync: bool = True) -> None:
        self.fsync = fsync
        self._files: dict[Path, tuple[Path, Any]] = {}

    def open(self, path: Path, text: bool = False):
        """The handle to write `path` through (opened once; binary unless `text`, then UTF-8)."""
        path = Path(path)
        if path not in self._files:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            fh = open(tmp, "w", encoding="utf-8") if text else open(tmp, "wb")  # noqa: SIM115 - closed in commit/abort
            self._files[path] = (tmp, fh)
        return self._files[path][1]

    def paths(self) -> list[Path]:
        return list(self._files)

    def commit(self) -> None:
        for tmp, fh in self._files.values():
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
            fh.close()
        for path, (tmp, _) in self._files.items():
            os.replace(tmp, path)
        if self.fsync:
            for d in sorted({p.parent for p in self._files}):
                fsync_dir(d)
        self._files.clear()

    def abort(self) -> None:
        for tmp, fh in self._files.values():
            fh.close()
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self._files.clear()

    def __enter__(self) -> "StagedFiles":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
