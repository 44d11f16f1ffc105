"""Words and boxes from a PDF's text layer through pdfium's text page, and the test of
whether that layer can be trusted or the page must be OCR'd instead.

pdfium yields every character with its box (loose box: advance width by font ascent and
descent, like pdfplumber's char boxes) at several hundred pages per second per core; we call
the raw C API with reused ctypes buffers to keep per-character overhead small.
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipeline.document import Word
from pipeline.errors import IngestError

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
# Characters that separate words even though pdfium did not mark them as spaces.
_SEPARATORS = {"\r", "\n", "\t", "\x00", "\x02", "\x03", "\ufffe", "\u00a0", "\u2002", "\u2003", "\u2009", "\u200b", "\u3000"}


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open PDF bytes with pdfium, mapping failures to IngestError kinds."""
    tail = data[-2048:]
    if b"%%EOF" not in tail:
        # pdfium would repair a cut-off file and silently return the pages it could find;
        # a partial medical record must not pass as whole.
        raise IngestError("corrupt", "truncated PDF (no %%EOF marker at the end)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise IngestError("encrypted", "PDF needs a password") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise IngestError("encrypted", "unsupported PDF security handler") from None
        raise IngestError("corrupt", f"pdfium cannot load the PDF ({e})") from None
    except Exception as e:  # ctypes/ValueError surprises from odd files
        raise IngestError("corrupt", f"pdfium cannot load the PDF ({type(e).__name__})") from None


@dataclass
class PageText:
    """A page's text-layer words plus the evidence used to decide whether to trust them."""

    width: float
    height: float
    rotation: int
    words: list[Word]
    n_chars: int  # non-space characters
    n_invisible: int  # non-space characters drawn with text render mode 3 (invisible)
    image_cover: float  # largest image's share of the page area, 0..1

    @property
    def invisible_ratio(self) -> float:
        return self.n_invisible / self.n_chars if self.n_chars else 0.0


def _image_cover(page: pdfium.PdfPage, page_area: float) -> float:
    """Share of the page covered by its largest image (top-level or inside form XObjects)."""
    best = 0.0
    if page_area <= 0:
        return 0.0
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            best = max(best, abs(right - left) * abs(top - bottom) / page_area)
            if best >= 0.999:
                break
    except Exception:  # a broken object tree must not sink the text layer
        return best
    return min(best, 1.0)


def _transform(rotation: int, cl: float, cb: float, cr: float, ct: float):
    """Return f(l, b, r, t) -> (x0, top, x1, bottom) in the displayed page's top-left frame."""
    if rotation == 90:
        return lambda l, b, r, t: (b - cb, l - cl, t - cb, r - cl)
    if rotation == 180:
        return lambda l, b, r, t: (cr - r, b - cb, cr - l, t - cb)
    if rotation == 270:
        return lambda l, b, r, t: (ct - t, cr - r, ct - b, cr - l)
    return lambda l, b, r, t: (l - cl, ct - t, r - cl, ct - b)


def extract_page(page: pdfium.PdfPage) -> PageText:
    """All words on one page with boxes in points, origin top-left of the displayed page."""
    width, height = page.get_size()  # displayed size (rotation applied)
    rotation = page.get_rotation() % 360
    cl, cb, cr, ct = page.get_cropbox()
    to_top_left = _transform(rotation, cl, cb, cr, ct)

    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        n = pdfium_c.FPDFText_CountChars(tp)
        words: list[Word] = []
        n_chars = n_invisible = 0
        rect = pdfium_c.FS_RECTF()
        rect_ref = ctypes.byref(rect)
        get_unicode = pdfium_c.FPDFText_GetUnicode
        get_box = pdfium_c.FPDFText_GetLooseCharBox
        get_obj = pdfium_c.FPDFText_GetTextObject
        render_mode = pdfium_c.FPDFTextObj_GetTextRenderMode
        invisible_mode = pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
        get_matrix = pdfium_c.FPDFText_GetMatrix
        get_size = pdfium_c.FPDFText_GetFontSize
        matrix = pdfium_c.FS_MATRIX()
        matrix_ref = ctypes.byref(matrix)
        em = 0.0  # effective font size of the current text object, 0 when not upright

        buf: list[str] = []
        x0 = top = x1 = bottom = 0.0
        last_obj = None
        last_invisible = False
        prev_x1 = prev_cy = prev_h = 0.0

        def flush() -> None:
            if buf:
                text = "".join(buf)
                if text.strip():
                    words.append(Word(text, round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2), 1.0))
                buf.clear()

        for i in range(max(n, 0)):
            cp = get_unicode(tp, i)
            if cp == 0:
                flush()
                continue
            try:
                ch = chr(cp)
            except (ValueError, OverflowError):
                ch = "\ufffd"
            if ch.isspace() or ch in _SEPARATORS:
                flush()
                continue
            if not get_box(tp, i, rect_ref):
                flush()
                continue
            obj = get_obj(tp, i)
            if obj:
                addr = ctypes.cast(obj, ctypes.c_void_p).value
                if addr != last_obj:
                    last_obj = addr
                    last_invisible = render_mode(obj) == invisible_mode
                    em = 0.0
                    if get_matrix(tp, i, matrix_ref) and abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6 and matrix.d > 0:
                        em = get_size(tp, i) * matrix.d
            else:
                last_obj, last_invisible, em = None, False, 0.0
            l, b, r, t = rect.left, rect.bottom, rect.right, rect.top
            if l > r:
                l, r = r, l
            if b > t:
                b, t = t, b
            if em > 0:
                # Upright text: the loose box's bottom is baseline + descent; make the box one
                # em tall from there (pdfminer/pdfplumber's convention) instead of pdfium's
                # font-bbox height, which sits well above the glyphs.
                t = b + em
            cx0, ctop, cx1, cbottom = to_top_left(l, b, r, t)
            if cx0 > cx1:
                cx0, cx1 = cx1, cx0
            if ctop > cbottom:
                ctop, cbottom = cbottom, ctop
            h = cbottom - ctop
            cy = (ctop + cbottom) / 2
            if buf:
                # New word on a large horizontal gap, a jump back, or a change of line.
                gap = cx0 - prev_x1
                lim = max(h, prev_h, 1.0)
                if gap > 0.35 * lim or cx1 < x0 - 0.5 or abs(cy - prev_cy) > 0.5 * lim:
                    flush()
            n_chars += 1
            if last_invisible:
                n_invisible += 1
            ch = _LIGATURES.get(ch, ch)
            if not buf:
                x0, top, x1, bottom = cx0, ctop, cx1, cbottom
            else:
                x0 = min(x0, cx0)
                top = min(top, ctop)
                x1 = max(x1, cx1)
                bottom = max(bottom, cbottom)
            buf.append(ch)
            prev_x1, prev_cy, prev_h = cx1, cy, h
        flush()
    finally:
        textpage.close()

    cover = _image_cover(page, width * height) if n_chars else 0.0
    return PageText(width, height, rotation, words, n_chars, n_invisible, cover)


# --- is this text layer worth trusting? -------------------------------------------------

_WORDLIKE = re.compile(
    r"""^[("'\[]*(
        [A-Za-zÀ-ÿ]{1,2}                         # short words, initials, units
      | [A-Za-zÀ-ÿ]*[AEIOUYaeiouyÀ-ÿ][A-Za-zÀ-ÿ'’\-]*  # words with a vowel
      | [A-Z0-9]{2,}                             # codes, IDs, abbreviations
      | [<>≤≥=+\-−±~]?[$€£]?\d[\d.,:/\-]*%?[A-Za-zµ/%]{0,6}  # numbers, dates, values with units
      | [A-Za-z]+\d[\w\-]*                       # alphanumeric codes (A1c, E11.9)
      | [^\w\s]{1,3}                             # bullets, dashes, ellipses
    )[)"'\]]*[.,:;!?)]*$""",
    re.VERBOSE,
)


def text_quality(words: list[Word]) -> float:
    """0..1: share of tokens that look like real words, numbers or codes (junk layers score low)."""
    if not words:
        return 0.0
    good = 0
    total = 0
    bad_chars = 0
    n_chars = 0
    for w in words:
        t = w.text
        total += 1
        n_chars += len(t)
        bad_chars += sum(1 for c in t if c == "\ufffd" or (0xE000 <= ord(c) <= 0xF8FF) or ord(c) < 0x20)
        if _WORDLIKE.match(t):
            good += 1
    score = good / total
    if n_chars and bad_chars / n_chars > 0.1:
        score = min(score, 1.0 - bad_chars / n_chars)
    return score


@dataclass(frozen=True)
class TextLayerPolicy:
    min_chars: int = 3  # fewer non-space characters than this means "no text layer"
    min_quality: float = 0.5  # below this share of word-like tokens the layer is junk
    min_words_for_quality: int = 4  # too few words to judge: accept them
    invisible_ratio: float = 0.5  # mostly invisible text ...
    image_cover: float = 0.5  # ... over a page-sized image is a scan's OCR layer: redo it


DEFAULT_POLICY = TextLayerPolicy()


def needs_ocr(pt: PageText, policy: TextLayerPolicy = DEFAULT_POLICY) -> str | None:
    """Why the page must be OCR'd instead of read from its text layer, or None to trust it."""
    if pt.n_chars < policy.min_chars or not pt.words:
        return "no text layer"
    if pt.invisible_ratio >= policy.invisible_ratio and pt.image_cover >= policy.image_cover:
        return "invisible text over a scanned image"
    if len(pt.words) >= policy.min_words_for_quality and text_quality(pt.words) < policy.min_quality:
        return "text layer looks like junk"
    return None
