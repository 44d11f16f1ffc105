"""Ingest: any supported file in, one `Document` out (or an `IngestError` with its kind).

Work is split in two steps so pages of one document can be spread over processes:
  plan  - read, hash, sniff, open; read text-layer pages; decide which pages need OCR;
          answer those from the OCR cache where possible (cheap, one per document)
  ocr   - render one page (or take one image frame) and run Tesseract (expensive, one per page)
`ingest` runs both in this process (or OCR on a given pool); `ingest_many` runs both on a
process pool and yields documents in input order.
"""
from __future__ import annotations

import io
import logging
import os
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

import pypdfium2 as pdfium

from pipeline.document import Document, Grid, GridCell, Line, Page, Word, group_lines
from pipeline.errors import IngestError
from pipeline.ingest.caps import check_decompressed, page_image_pixels
from pipeline.ingest.grids import find_grids
from pipeline.ingest import ocr as _ocr
from pipeline.ingest.pdftext import DEFAULT_POLICY, TextLayerPolicy, extract_page, flatten_annotations, needs_ocr, open_pdf
from pipeline.ingest.sniff import Limits, RawInput, read_input
from pipeline.pool import MAX_ATTEMPTS, crash_error, new_process_pool
from pipeline.settings import settings

log = logging.getLogger(__name__)

DEFAULT_DPI = 300
MIN_RENDER_DPI = 150.0  # never render a scanned page below this, whatever its image says
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
               pdf_page: pdfium.PdfPage | None = None) -> Page:
    words_t = tuple(words)
    tables = find_grids(pdf_page, words_t) if pdf_page is not None else ()
    return Page(number=number, width=round(width, 2), height=round(height, 2), source=source, words=words_t,
                lines=group_lines(words_t), tables=tables)


def _image_dpi(img: Image.Image) -> float:
    """The image's dpi from its metadata when plausible, else 300."""
    dpi = img.info.get("dpi")
    try:
        x = float(dpi[0]) if isinstance(dpi, (tuple, list)) else float(dpi)
    except (TypeError, ValueError, IndexError):
        return float(DEFAULT_DPI)
    if not (50 <= x <= 2400):
        return float(DEFAULT_DPI)
    # A full-resolution scan tagged 72 dpi by its software would make a poster-sized page.
    if max(img.size) / x > 20:
        return float(DEFAULT_DPI)
    return x


def _open_image(data: bytes, limits: Limits) -> Image.Image:
    # Pillow's own guard: we check pixel counts ourselves first and keep Pillow's bomb error
    # as a second line, raised for anything over twice the configured limit.
    Image.MAX_IMAGE_PIXELS = settings().max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "Corrupt EXIF data": we judge by decoding
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise IngestError("too_large", f"image pixel count over the limit ({e})") from None
    except Image.UnidentifiedImageError:
        raise IngestError("corrupt", "image data cannot be decoded") from None
    except Exception as e:
        raise IngestError("corrupt", f"image cannot be opened ({type(e).__name__})") from None
    w, h = img.size
    if w * h > limits.max_image_pixels:
        raise IngestError("too_large", f"image is {w}x{h} pixels, limit {limits.max_image_pixels}")
    if w == 0 or h == 0:
        raise IngestError("corrupt", "image has zero size")
    return img


def _frame_count(img: Image.Image) -> int:
    return int(getattr(img, "n_frames", 1) or 1)


def _load_frame(data: bytes, index: int, limits: Limits) -> tuple[Image.Image, float]:
    img = _open_image(data, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if index:
                img.seek(index)
            w, h = img.size
            if w * h > limits.max_image_pixels:
                raise IngestError("too_large", f"frame {index + 1} is {w}x{h} pixels, limit {limits.max_image_pixels}")
            img.load()
            dpi = _image_dpi(img)
            frame = img.copy()
    except IngestError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise IngestError("too_large", f"image pixel count over the limit ({e})") from None
    except MemoryError:
        raise IngestError("too_large", "image does not fit in memory") from None
    except Exception as e:  # truncated or broken image data
        raise IngestError("corrupt", f"image frame {index + 1} cannot be decoded ({type(e).__name__}: {e})") from None
    return frame, dpi


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
            pages.append(_make_page(index + 1, hit.width, hit.height, "ocr", hit.words))
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


def _plan_pdf(raw: RawInput, dpi: int, limits: Limits, policy: TextLayerPolicy, pages: list, ocr_or_cached) -> None:
    check_decompressed(raw.data, limits.max_decompressed_bytes)  # before pdfium inflates anything
    pdf = open_pdf(raw.data)
    try:
        n = len(pdf)
        if n == 0:
            raise IngestError("empty", "PDF has no pages")
        if n > limits.max_pages:
            raise IngestError("too_large", f"PDF has {n} pages, limit {limits.max_pages}")
        for i in range(n):
            try:
                page = pdf[i]
                page = flatten_annotations(pdf, page, i)
            except Exception as e:
                raise IngestError("corrupt", f"page {i + 1} cannot be loaded ({type(e).__name__})") from None
            try:
                try:
                    pt = extract_page(page)
                except IngestError:
                    raise
                except Exception as e:
                    raise IngestError("corrupt", f"page {i + 1} text cannot be read ({type(e).__name__})") from None
                why = needs_ocr(pt, page, policy)
                if why is None:
                    try:
                        page_out = _make_page(i + 1, pt.width, pt.height, "text-layer", pt.words, page)
                    except Exception:  # an odd drawing must not sink the text layer: no grids then
                        page_out = _make_page(i + 1, pt.width, pt.height, "text-layer", pt.words)
                    pages.append(page_out)
                else:
                    if pt.width <= 0 or pt.height <= 0:
                        raise IngestError("corrupt", f"page {i + 1} has no size")
                    img_px = page_image_pixels(page)
                    if img_px > limits.max_image_pixels:
                        raise IngestError("too_large", f"page {i + 1} draws an image of {img_px} pixels, "
                                          f"limit {limits.max_image_pixels}")
                    rdpi = float(dpi)
                    cover, image_dpi = pt.image_info(page)
                    if cover >= 0.8 and image_dpi:
                        # A scanned page: render at the scan's own resolution when lower
                        # than asked, so Tesseract reads real pixels, not interpolated ones.
                        rdpi = min(rdpi, max(MIN_RENDER_DPI, image_dpi))
                    ocr_or_cached(i, _render_dpi(pt.width, pt.height, rdpi, limits), pt.width, pt.height, why)
            finally:
                page.close()
    finally:
        pdf.close()


def _plan_image(raw: RawInput, limits: Limits, ocr_or_cached) -> None:
    img = _open_image(raw.data, limits)
    try:
        n = _frame_count(img)
        if n > limits.max_pages:
            raise IngestError("too_large", f"image has {n} frames, limit {limits.max_pages}")
        for i in range(n):
            try:
                if i:
                    img.seek(i)
                w, h = img.size
            except EOFError:
                raise IngestError("corrupt", f"image frame {i + 1} is missing") from None
            except Exception as e:
                raise IngestError("corrupt", f"image frame {i + 1} cannot be read ({type(e).__name__})") from None
            if w * h > limits.max_image_pixels:
                raise IngestError("too_large", f"frame {i + 1} is {w}x{h} pixels, limit {limits.max_image_pixels}")
            idpi = _image_dpi(img)
            ocr_or_cached(i, idpi, w * 72.0 / idpi, h * 72.0 / idpi, "image")
    finally:
        img.close()


MIN_OCR_DPI = 36.0  # below this no text is legible: a page that needs less to fit is too large


def _render_dpi(width_pt: float, height_pt: float, dpi: float, limits: Limits) -> float:
    """The requested dpi, lowered when the page would render to more pixels than allowed;
    `too_large` when even MIN_OCR_DPI would (nothing is rendered)."""
    px = width_pt * height_pt * (dpi / 72.0) ** 2
    if px <= limits.max_image_pixels:
        return round(float(dpi), 3)
    fit = dpi * (limits.max_image_pixels / px) ** 0.5 * 0.999
    if fit < MIN_OCR_DPI:
        raise IngestError("too_large", f"a {width_pt:.0f}x{height_pt:.0f} pt page needs more than "
                          f"{limits.max_image_pixels} pixels even at {MIN_OCR_DPI:g} dpi")
    return fit


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
        words = _ocr.ocr_image(img, dpi, task.lang, profile=task.profile)  # a blank page never reaches Tesseract
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
    _ocr.cache_put(cache_dir, task.key, _ocr.OcrPage(width, height, words))
    return _make_page(task.index + 1, width, height, "ocr", words)


def _render_pdf_page(data: bytes, task: OcrTask) -> Image.Image:
    with PDFIUM_LOCK:
        return _render_pdf_page_locked(data, task)


def _render_pdf_page_locked(data: bytes, task: OcrTask) -> Image.Image:
    pdf = open_pdf(data)
    try:
        page = pdf[task.index]
        try:
            bitmap = page.render(scale=task.dpi / 72.0, grayscale=True, draw_annots=True)
            img = bitmap.to_pil().copy()
            bitmap.close()
        finally:
            page.close()
    except IngestError:
        raise
    except MemoryError:
        raise IngestError("too_large", f"page {task.index + 1} does not fit in memory when rendered") from None
    except Exception as e:
        raise IngestError("corrupt", f"page {task.index + 1} cannot be rendered ({type(e).__name__})") from None
    finally:
        pdf.close()
    return img


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


def _plan_path(path: str, dpi: int, cache_dir: Path | None, limits: Limits, policy: TextLayerPolicy, lang: str,
               profile: str = _ocr.DEFAULT_PROFILE) -> Plan:
    raw = read_input(Path(path), limits)
    return plan(raw, dpi=dpi, cache_dir=cache_dir, limits=limits, policy=policy, lang=lang, profile=profile)


def _pack_page(pg: Page) -> tuple:
    """A Page as plain tuples: pickles about 6x faster than the frozen dataclasses."""
    index = {id(w): i for i, w in enumerate(pg.words)}
    return (
        pg.number, pg.width, pg.height, pg.source,
        [(w.text, w.x0, w.top, w.x1, w.bottom, w.conf) for w in pg.words],
        [[index[id(w)] for w in line.words] for line in pg.lines],
        [(g.bbox, [[None if c is None else (c.bbox, [index[id(w)] for w in c.words]) for c in row] for row in g.rows])
         for g in pg.tables],
    )


def _unpack_page(t: tuple) -> Page:
    number, width, height, source, words, lines, grids = t
    ws = tuple(Word(*w) for w in words)
    tables = tuple(Grid(bbox, tuple(tuple(None if c is None else GridCell(c[0], tuple(ws[i] for i in c[1])) for c in row)
                                    for row in rows)) for bbox, rows in grids)
    return Page(number, width, height, source, ws, tuple(Line(tuple(ws[i] for i in line)) for line in lines), tables)


def _pack(result):
    if isinstance(result, Page):
        return ("page", _pack_page(result))
    if isinstance(result, Plan):
        result.pages = [("page", _pack_page(pg)) if isinstance(pg, Page) else pg for pg in result.pages]
        return ("plan", result)
    return ("raw", result)


def _unpack(packed):
    kind, value = packed
    if kind == "page":
        return _unpack_page(value)
    if kind == "plan":
        value.pages = [_unpack_page(pg[1]) if isinstance(pg, tuple) else pg for pg in value.pages]
    return value


def _in_worker(fn, *args):
    """Run fn in a pool worker; pack the result for cheap transfer and make sure whatever
    it raises survives pickling back."""
    try:
        return _pack(fn(*args))
    except IngestError:
        raise
    except Exception as e:
        raise RuntimeError(f"{type(e).__name__}: {e}\n{''.join(traceback.format_exception(e))}") from None


def _internal_error(path, exc: BaseException) -> IngestError:
    log.error("ingest of %s failed unexpectedly: %s", path, "".join(traceback.format_exception(exc)).rstrip())
    return IngestError("corrupt", f"unexpected {type(exc).__name__} while reading (see log)")


@dataclass
class _Slot:
    path: Path
    plan: Future | None = None
    p: Plan | None = None
    pages: list = field(default_factory=list)
    error: IngestError | None = None
    t0: float = 0.0
    attempts: int = 0
    waiting: bool = True  # not submitted (yet, or again after a worker crash)

    def done(self) -> bool:
        if self.error is not None:
            return True
        if self.p is None:
            return False
        return all(not isinstance(x, Future) or x.done() for x in self.pages)

    def futures(self) -> list[Future]:
        return ([self.plan] if self.plan is not None else []) + [x for x in self.pages if isinstance(x, Future)]

    def crashed(self) -> bool:
        """Has any of this document's work failed because the pool broke?"""
        return any(f.done() and not f.cancelled() and isinstance(f.exception(), BrokenProcessPool) for f in self.futures())

    def hit_by_crash(self) -> bool:
        """After the pool broke: was this document's work lost (failed or never finished)?"""
        for f in self.futures():
            if f.cancelled() or not f.done():
                return True
            if isinstance(f.exception(), BrokenProcessPool):
                return True
        return False


def _broken_future() -> Future:
    f: Future = Future()
    f.set_exception(BrokenProcessPool("worker pool broke"))
    return f


def ingest_many(
    paths: Iterable[Path],
    workers: int = max(1, os.cpu_count() or 1),
    *,
    dpi: int = DEFAULT_DPI,
    cache_dir: Path | None = _USE_DEFAULT,  # type: ignore[assignment]
    limits: Limits | None = None,
    policy: TextLayerPolicy = DEFAULT_POLICY,
    lang: str | None = None,
    window: int | None = None,
    pool: Executor | None = None,
    profile: str = _ocr.DEFAULT_PROFILE,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
) -> Iterator[tuple[Path, Document | IngestError]]:
    """Ingest many documents on `workers` processes; yield (path, Document | IngestError) in input order.

    Documents and their OCR pages are spread over the pool; at most `window` documents are
    in flight, so memory stays bounded however long `paths` is. Every input yields exactly once.
    A worker's death is handled by `pipeline.pool`'s rule (retry alone, then `crashed`).
    `initializer(*initargs)` runs in each worker process as it starts (resource limits, and
    the tests' fault injection, which lives in the tests).
    """
    cdir, limits = _resolve_cache_dir(cache_dir), limits or Limits()
    if pool is None and workers <= 1:
        for path in paths:
            path = Path(path)
            try:
                yield path, ingest(path, dpi=dpi, cache_dir=cdir, limits=limits, policy=policy, lang=lang, profile=profile)
            except IngestError as e:
                yield path, e
            except Exception as e:  # a bug, not bad input: account for the file anyway
                yield path, _internal_error(path, e)
        return

    own_pool = pool is None
    ex = pool if pool is not None else new_process_pool(workers, initializer, initargs)
    window = window or max(4, 4 * workers)
    it = iter(paths)
    slots: deque[_Slot] = deque()
    exhausted = False

    def submit_plan(slot: _Slot) -> None:
        slot.t0 = time.perf_counter()
        slot.attempts += 1
        slot.waiting = False
        try:
            slot.plan = ex.submit(_in_worker, _plan_path, str(slot.path), dpi, cdir, limits, policy, lang, profile)
        except BrokenProcessPool as e:
            slot.error = IngestError("unreadable", f"worker pool broke ({e})")

    def advance(slot: _Slot) -> None:
        """Move a slot whose plan finished into its OCR stage."""
        if slot.p is not None or slot.error is not None or slot.plan is None or not slot.plan.done():
            return
        if own_pool and slot.crashed():
            return  # recover() retries it
        try:
            slot.p = _unpack(slot.plan.result())
        except IngestError as e:
            slot.error = e
            return
        except BrokenProcessPool:
            slot.error = crash_error()
            return
        except Exception as e:
            slot.error = _internal_error(slot.path, e)
            return
        for pg in slot.p.pages:
            if isinstance(pg, OcrTask):
                try:
                    slot.pages.append(ex.submit(_in_worker, run_ocr_task, pg))
                except BrokenProcessPool:
                    slot.pages.append(_broken_future())
            else:
                slot.pages.append(pg)

    def finish(slot: _Slot) -> Document | IngestError:
        if slot.error is not None:
            return slot.error
        pages: list[Page] = []
        for x in slot.pages:
            if isinstance(x, Future):
                try:
                    pages.append(_unpack(x.result()))
                except IngestError as e:
                    return e
                except BrokenProcessPool:
                    return crash_error()
                except Exception as e:
                    return _internal_error(slot.path, e)
            else:
                pages.append(x)
        try:
            return assemble(slot.p, pages, time.perf_counter() - slot.t0 - slot.p.plan_seconds)
        except IngestError as e:
            return e

    def recover() -> None:
        """A worker died (pdfium crash, OOM kill). Start a fresh pool; retry each document
        that was in flight, one at a time, so only the one that crashes again fails."""
        nonlocal ex
        ex.shutdown(wait=False, cancel_futures=True)
        ex = new_process_pool(workers, initializer, initargs)
        for s in slots:
            if s.error is None and s.hit_by_crash():
                if s.attempts >= MAX_ATTEMPTS:
                    s.error = crash_error()
                else:
                    log.warning("a worker process died; retrying %s on its own", s.path.name)
                    s.plan, s.p, s.pages, s.waiting = None, None, [], True

    try:
        while True:
            retrying = [s for s in slots if s.attempts >= 1 and s.waiting and s.error is None]
            isolating = any(s.attempts > 1 and not s.done() for s in slots) or bool(retrying)
            if isolating:
                # Retry suspects one at a time with nothing else in flight.
                in_flight = any(not s.waiting and not s.done() for s in slots)
                if retrying and not in_flight:
                    submit_plan(retrying[0])
            else:
                while not exhausted and len(slots) < window:
                    try:
                        path = Path(next(it))
                    except StopIteration:
                        exhausted = True
                        break
                    slot = _Slot(path)
                    submit_plan(slot)
                    slots.append(slot)
            if not slots:
                break
            for s in slots:
                advance(s)
            while slots and slots[0].done():
                s = slots.popleft()
                yield s.path, finish(s)
            if not slots:
                continue
            outstanding = [f for s in slots if s.error is None and not s.waiting for f in s.futures() if not f.done()]
            if outstanding:
                wait(outstanding, return_when=FIRST_COMPLETED)
            if own_pool and (getattr(ex, "_broken", False) or any(s.error is None and s.crashed() for s in slots)):
                recover()
    finally:
        if own_pool:
            ex.shutdown(wait=True, cancel_futures=True)
