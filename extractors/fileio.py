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

    A crash leaves each file either old or new, plus at most a hidden `.<name>.tmp<pid>`."""
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


def tmp_path(path: Path) -> Path:
    """Where a writer that streams (parquet, JSON lines) stages `path` before `os.replace`."""
    return _tmp_name(Path(path))
