"""PDF inputs: read each page's text layer or decide it needs OCR (and at which dpi, within the
pixel limits), and render a page for OCR. Every pdfium call here runs under `PDFIUM_LOCK`."""
from __future__ import annotations

from PIL import Image

from pipeline.errors import IngestError
from pipeline.ingest.caps import check_decompressed, page_image_pixels
from pipeline.ingest.pdftext import TextLayerPolicy, extract_page, flatten_annotations, needs_ocr, open_pdf
from pipeline.ingest.sniff import Limits, RawInput
from pipeline.ingest.tasks import PDFIUM_LOCK, OcrTask, _make_page

MIN_RENDER_DPI = 150.0  # never render a scanned page below this, whatever its image says


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
