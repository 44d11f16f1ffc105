"""Read an input file safely and tell what it is by its bytes, not its name.

Everything here turns operating-system and format trouble into `IngestError` with a
stable kind, so no raw exception escapes for bad input.
"""
from __future__ import annotations

import errno
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.errors import IngestError
from pipeline.settings import settings

Format = Literal["pdf", "png", "jpeg", "tiff"]


@dataclass(frozen=True)
class Limits:
    """Guards against inputs that would exhaust memory or time. Override per call; the defaults are
    read from the settings (`DOCC_MAX_*`) when a `Limits` is made."""

    max_file_bytes: int = field(default_factory=lambda: settings().max_file_bytes)
    max_pages: int = field(default_factory=lambda: settings().max_pages)
    # 100 Mpx: a letter page at 600 dpi is 34 Mpx, so this only stops absurd images and bombs.
    max_image_pixels: int = field(default_factory=lambda: settings().max_image_pixels)
    # pixels rendered or decoded for one whole document (300 letter pages at 300 dpi = 2.5 Gpx)
    max_document_pixels: int = field(default_factory=lambda: settings().max_document_pixels)
    # bytes the PDF's compressed streams inflate to (a flate bomb is a few MB that inflate to GBs)
    max_decompressed_bytes: int = field(default_factory=lambda: settings().max_decompressed_bytes)


# Formats whose magic bytes we know but do not read: named in the error so people know why.
_OTHER_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"PK\x03\x04", "ZIP/Office"),
    (b"PK\x05\x06", "ZIP/Office"),
    (b"PK\x07\x08", "ZIP/Office"),
    (b"\x1f\x8b", "gzip"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"Rar!", "RAR"),
    (b"ustar", "tar"),
    (b"\xd0\xcf\x11\xe0", "OLE/legacy Office"),
    (b"{\\rtf", "RTF"),
    (b"<?xml", "XML"),
    (b"<!DOCTYPE", "HTML"),
    (b"<html", "HTML"),
    (b"DICM", "DICOM"),
)


def sniff(head: bytes) -> Format | None:
    """The format named by the file's first bytes, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"II*\x00") or head.startswith(b"MM\x00*"):
        return "tiff"
    # The PDF header may follow a little junk (the spec allows it within the first 1024 bytes),
    # but not a container's header: a ZIP/OOXML/gzip file that holds a PDF is not a PDF.
    if head.startswith(b"%PDF-"):
        return "pdf"
    if b"%PDF-" in head[:1024] and _describe_other(head) == "unknown" and b"ustar" not in head[257:263]:
        return "pdf"
    return None


def _describe_other(head: bytes) -> str:
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if len(head) > 132 and head[128:132] == b"DICM":
        return "DICOM"
    for magic, name in _OTHER_MAGIC:
        if head.lstrip().startswith(magic):
            return name
    return "unknown"


@dataclass(frozen=True)
class RawInput:
    path: Path
    data: bytes
    sha256: str
    format: Format


def read_input(path: Path, limits: Limits | None = None) -> RawInput:
    """Read the whole file, hash it and identify its format; raise IngestError for bad input."""
    path, limits = Path(path), limits or Limits()
    try:
        st = path.stat()  # follows symlinks: a loop raises ELOOP here
    except FileNotFoundError as e:
        raise IngestError("unreadable", f"no such file ({e.strerror})") from None
    except PermissionError as e:
        raise IngestError("unreadable", f"permission denied ({e.strerror})") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise IngestError("unreadable", "symbolic link loop") from None
        raise IngestError("unreadable", f"cannot stat file ({e.strerror or e})") from None
    if path.is_dir():
        raise IngestError("unreadable", "is a directory")
    if not path.is_file():
        raise IngestError("unreadable", "not a regular file")
    if st.st_size > limits.max_file_bytes:
        raise IngestError("too_large", f"file is {st.st_size} bytes, limit {limits.max_file_bytes}")
    try:
        with open(path, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except PermissionError as e:
        raise IngestError("unreadable", f"permission denied ({e.strerror})") from None
    except IsADirectoryError:
        raise IngestError("unreadable", "is a directory") from None
    except OSError as e:
        raise IngestError("unreadable", f"read failed ({e.strerror or e})") from None
    if len(data) > limits.max_file_bytes:  # grew while we looked
        raise IngestError("too_large", f"file exceeds {limits.max_file_bytes} bytes")
    if not data:
        raise IngestError("empty", "zero-byte file")
    fmt = sniff(data[:1024])
    if fmt is None:
        kind = _describe_other(data[:1024])
        if not data.strip(b" \t\r\n\x00"):
            raise IngestError("empty", "file holds only whitespace or NUL bytes")
        raise IngestError("unsupported", f"not a PDF, PNG, JPEG or TIFF (content looks like: {kind})")
    return RawInput(path=path, data=data, sha256=hashlib.sha256(data).hexdigest(), format=fmt)
