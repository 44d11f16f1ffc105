"""Find the input documents: files and folders, walked recursively. The one walking rule of
`docc run` and `docc ingest` (and `pipeline.ingest.iter_inputs`).

- Paths are handled as bytes end to end, so file names that are not valid UTF-8 work;
  `display(path)` gives a JSON-safe text form (invalid bytes as `\\xNN`).
- Deterministic order: within a folder, entries sorted by their bytes.
- Hidden files and folders (leading dot) and sidecars (.json, .yaml, .yml) inside folders are
  skipped; a file named directly on the command line is always an input.
- Symbolic links are followed; a link that leads back into a folder being walked (a loop),
  a dangling link, or a folder that cannot be listed becomes an `Entry` with an `error`
  (kind, reason), to be quarantined, so every path is accounted for.
"""
from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from typing import Iterable, Iterator

SIDECAR_SUFFIXES = (b".json", b".yaml", b".yml")


@dataclass(frozen=True, slots=True)
class Entry:
    path: bytes
    error: tuple[str, str] | None = None  # (IngestError kind, reason)


def display(path: bytes) -> str:
    """Text form of a path for JSON and logs: UTF-8, undecodable bytes as \\xNN escapes."""
    return path.decode("utf-8", "backslashreplace")


def is_utf8(path: bytes) -> bool:
    try:
        path.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _skip(name: bytes) -> bool:
    return name.startswith(b".") or name.lower().endswith(SIDECAR_SUFFIXES)


def _os_error(e: OSError, what: str) -> tuple[str, str]:
    if e.errno == errno.ELOOP:
        return ("unreadable", "symbolic link loop")
    if e.errno == errno.ENOENT:
        return ("unreadable", f"{what}: no such file (dangling symbolic link?)")
    if e.errno in (errno.EACCES, errno.EPERM):
        return ("unreadable", f"{what}: permission denied")
    return ("unreadable", f"{what}: {e.strerror or e}")


def _walk_dir(path: bytes, ancestors: frozenset[tuple[int, int]]) -> Iterator[Entry]:
    try:
        with os.scandir(path) as it:
            names = sorted(e.name for e in it)
    except OSError as e:
        yield Entry(path, _os_error(e, "cannot list folder"))
        return
    for name in names:
        if _skip(name):
            continue
        child = os.path.join(path, name)
        try:
            st = os.stat(child)  # follows links
        except OSError as e:
            yield Entry(child, _os_error(e, "cannot stat"))
            continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                yield Entry(child, ("unreadable", "symbolic link loop (links back to a folder being walked)"))
                continue
            yield from _walk_dir(child, ancestors | {key})
        elif stat.S_ISREG(st.st_mode):
            yield Entry(child)
        else:
            yield Entry(child, ("unsupported", "not a regular file (device, socket or pipe)"))


def walk(inputs: Iterable[str | bytes | os.PathLike]) -> Iterator[Entry]:
    """Every input file under `inputs`, in deterministic order; a path is yielded once."""
    seen: set[bytes] = set()
    for inp in inputs:
        path = os.fsencode(inp)
        try:
            st = os.stat(path)
        except OSError as e:
            entries: Iterable[Entry] = [Entry(path, _os_error(e, "cannot stat"))]
        else:
            if stat.S_ISDIR(st.st_mode):
                entries = _walk_dir(path, frozenset({(st.st_dev, st.st_ino)}))
            elif stat.S_ISREG(st.st_mode):
                entries = [Entry(path)]
            else:
                entries = [Entry(path, ("unsupported", "not a regular file (device, socket or pipe)"))]
        for e in entries:
            if e.path not in seen:
                seen.add(e.path)
                yield e
