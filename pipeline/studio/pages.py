"""Documents as the browser sees them: page images (rendered once, cached by content) and the
words with boxes that ingest found (text layer or OCR), plus values prefilled by the locked
extractor of the doc type when there is one.

Boxes stay in ingest's coordinates (PDF points, origin top-left) and the browser places them as
fractions of the page size, so the image's resolution never matters.
"""
from __future__ import annotations

import hashlib
import io
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from extractors.fileio import atomic_write
from pipeline.document import Document
from pipeline.ingest import default_cache_dir, ingest

log = logging.getLogger(__name__)
RENDER_DPI = 110          # enough to read a page at 1280x800; the cache keeps one PNG per page
MAX_SIDE_PX = 2400
_LOCK = threading.Lock()


@dataclass
class Opened:
    path: Path
    sha256: str
    doc: Document


class Pages:
    """Opened documents by sha256 and their cached page images."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir().parent  # ~/.cache/docc (or $DOCC_CACHE_DIR)
        self.image_dir = self.cache_dir / "studio-pages"
        self._docs: dict[str, Opened] = {}

    def open(self, path: Path) -> Opened:
        """Ingest `path` (OCR results come from ingest's own cache after the first time)."""
        path = Path(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        with _LOCK:
            hit = self._docs.get(sha)
            if hit is not None and hit.path.exists():
                return hit
        doc = ingest(str(path))
        opened = Opened(path, sha, doc)
        with _LOCK:
            self._docs[sha] = opened
        return opened

    def get(self, sha: str) -> Opened | None:
        return self._docs.get(sha)

    def page_png(self, sha: str, number: int) -> Path:
        """The cached PNG of page `number` (1-based), rendered on first request."""
        opened = self._docs.get(sha)
        if opened is None:
            raise KeyError(sha)
        if not 1 <= number <= len(opened.doc.pages):
            raise KeyError(number)
        target = self.image_dir / sha[:2] / f"{sha}-{number}-{RENDER_DPI}.png"
        if target.exists():
            return target
        img = _render(opened.path, number, opened.doc)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        atomic_write(target, buf.getvalue(), fsync=False)  # a cache: losing it to a crash costs a re-render
        return target


def _render(path: Path, number: int, doc: Document) -> Image.Image:
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        with _LOCK:  # pdfium is not thread-safe
            pdf = pdfium.PdfDocument(str(path))
            try:
                page = pdf[number - 1]
                w, h = page.get_size()
                scale = min(RENDER_DPI / 72.0, MAX_SIDE_PX / max(w, h, 1))
                img = page.render(scale=scale, draw_annots=True).to_pil()
            finally:
                pdf.close()
        return img.convert("RGB")
    with Image.open(path) as im:
        im.seek(number - 1)
        frame = im.convert("RGB")
    page = doc.pages[number - 1]
    scale = min(RENDER_DPI / 72.0 * page.width / max(frame.width, 1), MAX_SIDE_PX / max(frame.width, frame.height))
    if scale < 1:
        frame = frame.resize((max(1, int(frame.width * scale)), max(1, int(frame.height * scale))), Image.LANCZOS)
    return frame


def page_json(doc: Document) -> list[dict[str, Any]]:
    """Pages with their words: text, box and confidence (for OCR)."""
    return [{
        "number": p.number, "width": p.width, "height": p.height, "source": p.source,
        "words": [[w.text, round(w.x0, 2), round(w.top, 2), round(w.x1, 2), round(w.bottom, 2), round(w.conf, 3)]
                  for w in p.words],
    } for p in doc.pages]


def prefill(extractors_dir: Path, doc_type: str, doc: Document) -> dict[str, Any] | None:
    """Values (with page and box) from the doc type's locked extractor, or None without one.

    The artifact is hash-checked against the lock by `load_locked`, as at run time."""
    from extractors.artifacts import ArtifactError, load_locked
    from pipeline.batch_worker import serialise_found

    try:
        locked = load_locked(extractors_dir, [doc_type]).get(doc_type)
    except (ArtifactError, OSError, ValueError) as e:
        log.info("no prefill for %s: %s", doc_type, e)
        return None
    if locked is None:
        return None
    try:
        out = locked.extract(doc)
    except Exception as e:  # generated code failing on a new document: the user labels by hand
        log.info("prefill for %s: extractor raised %s", doc_type, type(e).__name__)
        return None
    return {str(k): serialise_found(v, doc) for k, v in sorted(out.items())}
