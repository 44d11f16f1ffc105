"""Hard caps checked before any expensive work: what a file would inflate to, and whether a
rendered page holds any ink.

A hostile PDF of a few hundred bytes can declare a page of 100000x100000 points or a content
stream that inflates to gigabytes; pdfium would allocate it all in the worker. These checks
run on the raw bytes or a small thumbnail, in bounded memory, and raise `too_large` first.
"""
from __future__ import annotations

import re
import zlib


from pipeline.errors import IngestError

_STREAM = re.compile(rb"stream\r?\n")
_CHUNK = 1 << 16
_ZLIB_HEADS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")


def _inflated(data: bytes, start: int, budget: int) -> int:
    """Bytes one zlib stream starting at `start` inflates to (through a second zlib layer, as
    `/Filter [/FlateDecode /FlateDecode]` does), counting stops past `budget`."""
    outer = zlib.decompressobj()
    inner: zlib._Decompress | None = None  # type: ignore[name-defined]
    first = True
    total = 0
    pos = start
    try:
        while pos < len(data) and not outer.eof and total <= budget:
            piece = outer.decompress(data[pos:pos + _CHUNK], _CHUNK)
            pos += _CHUNK
            while True:
                if first and piece:
                    first = False
                    if piece[:2] in _ZLIB_HEADS:
                        inner = zlib.decompressobj()
                if inner is not None:
                    try:
                        total += len(inner.decompress(piece, 0))
                    except zlib.error:
                        inner = None
                        total += len(piece)
                else:
                    total += len(piece)
                # past the stream's end zlib keeps the rest of the input as `unconsumed_tail`
                # and returns nothing more: stop there, or this loop never ends
                if total > budget or outer.eof or not piece or not outer.unconsumed_tail:
                    break
                piece = outer.decompress(outer.unconsumed_tail, _CHUNK)
    except zlib.error:
        pass  # not a flate stream (or a damaged one): pdfium decides
    return total


def check_decompressed(data: bytes, limit: int) -> None:
    """Raise `too_large` when the PDF's flate streams together inflate past `limit` bytes."""
    total = 0
    for m in _STREAM.finditer(data):
        total += _inflated(data, m.end(), limit - total)
        if total > limit:
            raise IngestError("too_large", f"compressed streams inflate to more than {limit} bytes")


def page_image_pixels(page) -> int:
    """Pixels of the largest image drawn on a pdfium page (as declared: nothing is decoded).
    Rendering decodes each image at full size, whatever the render resolution."""
    import pypdfium2.raw as pdfium_c

    largest = 0
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
            try:
                w, h = obj.get_px_size()
            except Exception:  # noqa: BLE001 - unreadable image: pdfium will say at render time
                continue
            largest = max(largest, int(w) * int(h))
    except Exception:  # noqa: BLE001
        return largest
    return largest
