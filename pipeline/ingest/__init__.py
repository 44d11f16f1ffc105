"""Document ingest: PDFs (pdfium text layer, or Tesseract OCR for pages without a usable one)
and images (PNG, JPEG, multi-page TIFF; always OCR) into `pipeline.document.Document`.

    ingest(path, *, dpi=300, cache_dir=<default>, ocr_pool=None) -> Document
    ingest_many(paths, workers) -> iterator of (path, Document | IngestError), input order
    ingest_command(inputs, workers) -> exit code        (the `docc ingest` CLI)

Bad input raises (or yields) `pipeline.errors.IngestError` with kind corrupt, encrypted,
empty, unsupported, too_large or unreadable; `ingest_many` adds crashed (a worker process died
on the file, also when retried on its own: `pipeline.pool`).
"""
from __future__ import annotations

from pipeline.errors import IngestError
from pipeline.ingest.core import DEFAULT_DPI, OcrTask, ingest, ingest_many, run_ocr_task
from pipeline.ingest.ocr import PREPROCESS_VERSION, default_cache_dir, tesseract_version
from pipeline.ingest.pdftext import DEFAULT_POLICY, TextLayerPolicy, text_quality
from pipeline.ingest.sniff import Limits, sniff


def ocr_calls() -> int:
    """Tesseract invocations made in this process so far (cache hits do not count)."""
    from pipeline.ingest import ocr

    return ocr.OCR_CALLS


def ingest_command(inputs, workers: int) -> int:
    from pipeline.ingest.command import ingest_command as _cmd

    return _cmd(inputs=inputs, workers=workers)


__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_POLICY",
    "IngestError",
    "Limits",
    "OcrTask",
    "PREPROCESS_VERSION",
    "TextLayerPolicy",
    "default_cache_dir",
    "ingest",
    "ingest_command",
    "ingest_many",
    "iter_inputs",
    "ocr_calls",
    "run_ocr_task",
    "sniff",
    "tesseract_version",
    "text_quality",
]


def iter_inputs(inputs):
    from pipeline.ingest.command import iter_inputs as _iter

    return _iter(inputs)
