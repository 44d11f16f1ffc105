"""One document through the three steps in this process: plan (read, sniff, text layer, OCR cache),
OCR each page that needs it (inline or on a given pool), assemble the `Document`."""
from __future__ import annotations

import time
from concurrent.futures import Executor, Future
from pathlib import Path

from pipeline.document import Document, Page
from pipeline.errors import IngestError
from pipeline.ingest import ocr as _ocr
from pipeline.ingest.images import _load_frame, _plan_image
from pipeline.ingest.pdfpages import _plan_pdf, _render_pdf_page
from pipeline.ingest.pdftext import DEFAULT_POLICY, TextLayerPolicy
from pipeline.ingest.sniff import Limits, RawInput, read_input
from pipeline.ingest.tasks import DEFAULT_DPI, PDFIUM_LOCK, _USE_DEFAULT, OcrTask, Plan, _make_page, _resolve_cache_dir
from pipeline.ingest.transfer import _in_worker, _unpack

# --- plan ---------------------------------------------------------------------------------


def plan(
    raw: RawInput,
    *,
    dpi: int,
    cache_dir: Path | None,
    limits: Limits,
    policy: TextLayerPolicy = DEFAULT_POLICY,
    lang: str | None = None,
    keep_data: bool = False,
    profile: str = _ocr.DEFAULT_PROFILE,
) -> Plan:
    t0 = time.perf_counter()
    pages: list[Page | OcrTask] = []
    reasons: dict[int, str] = {}
    hits = 0
    data = raw.data if keep_data else None

    budget = [limits.max_document_pixels]

    def ocr_or_cached(index: int, task_dpi: float, width: float, height: float, reason: str) -> None:
        nonlocal hits
        budget[0] -= width * height * (task_dpi / 72.0) ** 2  # pixels this page renders or decodes
        if budget[0] < 0:
            raise IngestError("too_large", f"pages to OCR need more than {limits.max_document_pixels} pixels "
                              "in all")
        key = _ocr.cache_key(raw.sha256, index + 1, task_dpi, lang, profile)
        reasons[index + 1] = reason
        hit = _ocr.cache_get(cache_dir, key)
        if hit is not None:
            hits += 1
            pages.append(_make_page(index + 1, hit.width, hit.height, "ocr", hit.words, rules=hit.rules))
            return
        pages.append(
            OcrTask(str(raw.path), raw.sha256, raw.format, index, task_dpi, width, height,
                    str(cache_dir) if cache_dir is not None else None, key, lang, limits, reason, data, profile)
        )

    if raw.format == "pdf":
        with PDFIUM_LOCK:
            _plan_pdf(raw, dpi, limits, policy, pages, ocr_or_cached)
    else:
        _plan_image(raw, limits, ocr_or_cached)
    return Plan(str(raw.path), raw.sha256, raw.format, len(raw.data), pages, dpi, hits, reasons, time.perf_counter() - t0,
                profile)

# --- ocr ----------------------------------------------------------------------------------


def run_ocr_task(task: OcrTask) -> Page:
    """Render or load the page, OCR it, write the cache. Runs in a worker process or inline."""
    data = task.data
    if data is None:
        raw = read_input(Path(task.path), task.limits)
        if raw.sha256 != task.sha256:
            raise IngestError("unreadable", "file changed while it was being ingested")
        data = raw.data
    if task.format == "pdf":
        img = _render_pdf_page(data, task)
        dpi = task.dpi
    else:
        img, dpi = _load_frame(data, task.index, task.limits)
    try:
        words, rules = _ocr.read_image(img, dpi, task.lang, profile=task.profile)  # a blank page never reaches Tesseract
    except IngestError:
        raise
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            raise IngestError("too_large", f"OCR of page {task.index + 1} timed out") from None
        raise IngestError("corrupt", f"OCR of page {task.index + 1} failed ({type(e).__name__})") from None
    except Exception as e:
        raise IngestError("corrupt", f"OCR of page {task.index + 1} failed ({type(e).__name__}: {e})") from None
    finally:
        img.close()
    width, height = task.width, task.height
    cache_dir = Path(task.cache_dir) if task.cache_dir is not None else None
    _ocr.cache_put(cache_dir, task.key, _ocr.OcrPage(width, height, words, rules))
    return _make_page(task.index + 1, width, height, "ocr", words, rules=rules)

# --- assemble -----------------------------------------------------------------------------


def assemble(p: Plan, pages: list[Page], ocr_seconds: float = 0.0) -> Document:
    if not any(pg.words for pg in pages):
        raise IngestError("empty", f"no text on any of {len(pages)} page(s), from text layer or OCR")
    n_ocr = sum(1 for pg in pages if pg.source == "ocr")
    meta = {
        "format": p.format,
        "bytes": p.n_bytes,
        "pages": len(pages),
        "pages_text_layer": len(pages) - n_ocr,
        "pages_ocr": n_ocr,
        "ocr_cache_hits": p.cache_hits,
        "ocr_reasons": dict(p.reasons),
        "dpi": p.dpi,
        "tesseract": _ocr.tesseract_version() if n_ocr else None,
        "ocr_profile": p.profile if n_ocr else None,
        "seconds": round(p.plan_seconds + ocr_seconds, 4),
    }
    return Document(source=p.path, sha256=p.sha256, pages=tuple(pages), meta=meta)


# --- public API ---------------------------------------------------------------------------


def ingest(
    path: Path,
    *,
    dpi: int = DEFAULT_DPI,
    cache_dir: Path | None = _USE_DEFAULT,  # type: ignore[assignment]
    ocr_pool: Executor | None = None,
    limits: Limits | None = None,
    policy: TextLayerPolicy = DEFAULT_POLICY,
    lang: str | None = None,
    profile: str = _ocr.DEFAULT_PROFILE,
) -> Document:
    """Read one document: text-layer pages through pdfium, the rest through Tesseract.

    `cache_dir` defaults to $DOCC_CACHE_DIR/ocr or ~/.cache/docc/ocr; None disables the cache.
    `ocr_pool` (an Executor, typically a ProcessPoolExecutor) spreads OCR pages over processes.
    Raises IngestError for every kind of bad input; nothing else for bad input.
    """
    cdir, limits = _resolve_cache_dir(cache_dir), limits or Limits()
    raw = read_input(Path(path), limits)
    p = plan(raw, dpi=dpi, cache_dir=cdir, limits=limits, policy=policy, lang=lang, keep_data=ocr_pool is None,
             profile=profile)
    t0 = time.perf_counter()
    if ocr_pool is None:
        pages = [pg if isinstance(pg, Page) else run_ocr_task(pg) for pg in p.pages]
    else:
        futs = [ocr_pool.submit(_in_worker, run_ocr_task, pg) if isinstance(pg, OcrTask) else pg for pg in p.pages]
        pages = [_unpack(f.result()) if isinstance(f, Future) else f for f in futs]
    return assemble(p, pages, time.perf_counter() - t0)
