"""Ingest: any supported file in, one `Document` out (or an `IngestError` with its kind).

Work is split in two steps so pages of one document can be spread over processes:
  plan  - read, hash, sniff, open; read text-layer pages; decide which pages need OCR;
          answer those from the OCR cache where possible (cheap, one per document)
  ocr   - render one page (or take one image frame) and run Tesseract (expensive, one per page)
`ingest` runs both in this process (or OCR on a given pool); `ingest_many` runs both on a
process pool and yields documents in input order.

The steps live in one module each (`tasks` records, `pdfpages`, `images`, `single`, `transfer`,
`parallel`); this module keeps the names importable from where callers have always found them.
"""
from __future__ import annotations

from pipeline.ingest.images import _frame_count, _image_dpi, _load_frame, _open_image, _plan_image  # noqa: F401
from pipeline.ingest.parallel import _broken_future, _internal_error, _plan_path, _Slot, ingest_many  # noqa: F401
from pipeline.ingest.pdfpages import (  # noqa: F401
    MIN_OCR_DPI, MIN_RENDER_DPI, _plan_pdf, _render_dpi, _render_pdf_page, _render_pdf_page_locked,
)
from pipeline.ingest.single import assemble, ingest, plan, run_ocr_task  # noqa: F401
from pipeline.ingest.tasks import DEFAULT_DPI, PDFIUM_LOCK, _USE_DEFAULT, OcrTask, Plan, _make_page, _resolve_cache_dir  # noqa: F401
from pipeline.ingest.transfer import _in_worker, _pack, _pack_page, _unpack, _unpack_page  # noqa: F401
