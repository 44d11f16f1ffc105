"""What the ingest steps hand each other: the plan of one document, the OCR task of one page,
the shared pdfium lock and the OCR cache default. Kept apart so PDF, image, single-document and
parallel code depend on these records, not on each other."""
from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from pipeline.document import Page, Word, group_lines
from pipeline.ingest.grids import find_grids, grids_from_rules
from pipeline.ingest import ocr as _ocr
from pipeline.ingest.rule_glyphs import trim_rule_glyphs
from pipeline.ingest.sniff import Limits

DEFAULT_DPI = 300
_USE_DEFAULT = object()  # sentinel: "cache_dir not given" (None means "no cache")

# PDFium is not thread-safe: every use of it in this process goes through this lock, so
# callers may run ingest() from threads (OCR itself runs outside the lock, in Tesseract).
PDFIUM_LOCK = threading.RLock()



@dataclass(frozen=True)
class OcrTask:
    """One page to OCR. Picklable; the worker re-reads the file by path unless `data` is set."""

    path: str
    sha256: str
    format: str
    index: int  # 0-based page or frame
    dpi: float  # render dpi for PDFs; the image's own dpi for images
    width: float  # page size in points
    height: float
    cache_dir: str | None
    key: str
    lang: str | None
    limits: Limits
    reason: str
    data: bytes | None = field(default=None, repr=False)
    profile: str = _ocr.DEFAULT_PROFILE  # OCR profile name (engine, psm, cleanup chain)


@dataclass
class Plan:
    path: str
    sha256: str
    format: str
    n_bytes: int
    pages: list[Page | OcrTask]
    dpi: int
    cache_hits: int = 0
    reasons: dict[int, str] = field(default_factory=dict)
    plan_seconds: float = 0.0
    profile: str = _ocr.DEFAULT_PROFILE


def _resolve_cache_dir(cache_dir) -> Path | None:
    if cache_dir is _USE_DEFAULT:
        return _ocr.default_cache_dir()
    return Path(cache_dir) if cache_dir is not None else None


def _make_page(number: int, width: float, height: float, source: str, words: list[Word],
               pdf_page: pdfium.PdfPage | None = None, rules: Iterable[tuple[float, float, float, float]] = ()) -> Page:
    """A Page with its lines and table grids: from the PDF's drawn paths on a text layer, from
    the ruling lines found in the image on an OCR'd page, whose words lose the glyphs that are
    those lines (`rule_glyphs`)."""
    words_t = tuple(trim_rule_glyphs(words, rules) if source == "ocr" else words)
    tables = find_grids(pdf_page, words_t) if pdf_page is not None else grids_from_rules(rules, words_t)
    return Page(number=number, width=round(width, 2), height=round(height, 2), source=source, words=words_t,
                lines=group_lines(words_t), tables=tables)
