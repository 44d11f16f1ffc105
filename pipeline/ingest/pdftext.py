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
from pipeline.ingest import dedupe as _dedupe

_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open PDF bytes with pdfium, mapping failures to IngestError kinds."""
    tail = data[-8192:].rstrip(b"\x00\t\n\x0c\r ")[-2048:]  # some systems pad files with NULs
    if b"%%EOF" not in tail:
        # pdfium would repair a cut-off file and silently return the pages it could find;
        # a partial medical record must not pass as whole.
        raise IngestError("corrupt", "truncated PDF (no %%EOF marker at the end)")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise IngestError("encrypted", "PDF needs a password") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise IngestError("encrypted", "unsupported PDF security handler") from None
        raise IngestError("corrupt", f"pdfium cannot load the PDF ({e})") from None
    except Exception as e:  # ctypes/ValueError surprises from odd files
        raise IngestError("corrupt", f"pdfium cannot load the PDF ({type(e).__name__})") from None
    try:
        # Interactive forms: set up pdfium's form environment before any page is loaded so
        # field appearances exist for flattening (text layer) and rendering (OCR).
        pdf.init_forms()
    except Exception:  # a broken form must not make the document unreadable
        pass
    return pdf


def flatten_annotations(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, index: int) -> pdfium.PdfPage:
    """Fold filled form fields and visible annotations (typed comments, stamps) into the page
    content, in memory, so their text appears in the text layer. Returns the page to use."""
    if pdfium_c.FPDFPage_GetAnnotCount(page.raw) <= 0:
        return page
    rc = pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY)
    if rc != pdfium_c.FLATTEN_SUCCESS:
        return page
    page.close()
    return pdf[index]  # flattening invalidates the loaded page: reload it


@dataclass
class PageText:
    """A page's text-layer words plus the evidence used to decide whether to trust them."""

    width: float
    height: float
    rotation: int
    words: list[Word]
    n_chars: int  # non-space characters
    n_invisible: int  # non-space characters drawn with text render mode 3 (invisible)
    image_cover: float | None = None  # largest image's share of the page area, 0..1 (lazy)
    image_dpi: float | None = None  # that image's own resolution

    def image_info(self, page: pdfium.PdfPage) -> tuple[float, float | None]:
        """(image cover, image dpi), computed on first use: walking page objects costs time."""
        if self.image_cover is None:
            self.image_cover, self.image_dpi = largest_image(page, self.width * self.height)
        return self.image_cover, self.image_dpi

    @property
    def invisible_ratio(self) -> float:
        return self.n_invisible / self.n_chars if self.n_chars else 0.0


def largest_image(page: pdfium.PdfPage, page_area: float) -> tuple[float, float | None]:
    """(share of the page covered by its largest image, that image's resolution in dpi).

    Looks at top-level images and those inside form XObjects. The dpi is None when unknown.
    """
    best, best_dpi = 0.0, None
    if page_area <= 0:
        return 0.0, None
    try:
        for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
            left, bottom, right, top = obj.get_bounds()
            bw, bh = abs(right - left), abs(top - bottom)
            cover = bw * bh / page_area
            if cover > best:
                best = cover
                try:
                    pw, ph = obj.get_px_size()
                    best_dpi = max(pw, ph) / (max(bw, bh) / 72.0) if max(bw, bh) > 0 else None
                except Exception:
                    best_dpi = None
            if best >= 0.999:
                break
    except Exception:  # a broken object tree must not sink the text layer
        pass
    return min(best, 1.0), best_dpi


def _transform(rotation: int, cl: float, cb: float, cr: float, ct: float):
    """Return f(l, b, r, t) -> (x0, top, x1, bottom) in the displayed page's top-left frame."""
    if rotation == 90:
        return lambda l, b, r, t: (b - cb, l - cl, t - cb, r - cl)
    if rotation == 180:
        return lambda l, b, r, t: (cr - r, b - cb, cr - l, t - cb)
    if rotation == 270:
        return lambda l, b, r, t: (ct - t, cr - r, ct - b, cr - l)
    return lambda l, b, r, t: (l - cl, ct - t, r - cl, ct - b)


def _proto(name: str, restype, *argtypes):
    """A direct prototype for a pdfium function with plain C types (no pointer wrappers),
    so hot loops pass and compare handles as ints."""
    addr = ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value
    return ctypes.CFUNCTYPE(restype, *argtypes)(addr)


_VP, _I, _D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
_GetText = _proto("FPDFText_GetText", _I, _VP, _I, _I, _VP)
_GetUnicode = _proto("FPDFText_GetUnicode", ctypes.c_uint, _VP, _I)
_GetLooseCharBox = _proto("FPDFText_GetLooseCharBox", _I, _VP, _I, ctypes.POINTER(pdfium_c.FS_RECTF))
_GetTextObject = _proto("FPDFText_GetTextObject", _VP, _VP, _I)
_GetRenderMode = _proto("FPDFTextObj_GetTextRenderMode", _I, _VP)
_GetMatrix = _proto("FPDFText_GetMatrix", _I, _VP, _I, ctypes.POINTER(pdfium_c.FS_MATRIX))
_GetFontSize = _proto("FPDFText_GetFontSize", _D, _VP, _I)
_INVISIBLE = pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE

# Separators pdfium may emit that Python's str.split() does not treat as whitespace.
_SEP_TABLE = str.maketrans({c: " " for c in "\x00\x03\ufffe\u200b\ufeff"} | {"\x02": "-"})
_TOKEN = re.compile(r"\S+")


def _page_text(tp: int, n: int) -> str:
    """All n characters of the text page, index-aligned with pdfium's char list."""
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = _GetText(tp, 0, n, ctypes.addressof(buf))
    if got == n + 1:
        text = buf.raw[: n * 2].decode("utf-16-le", errors="replace")
        if len(text) == n:  # no surrogate pairs: indices line up
            return text
    # Rare: inserted/excluded chars or astral code points; ask char by char.
    out = []
    for i in range(n):
        cp = _GetUnicode(tp, i)
        try:
            out.append(chr(cp) if cp else " ")
        except (ValueError, OverflowError):
            out.append("\ufffd")
    return "".join(out)


class _ObjInfo:
    __slots__ = ("invisible", "em")

    def __init__(self, invisible: bool, em: float) -> None:
        self.invisible = invisible
        self.em = em


def extract_page(page: pdfium.PdfPage) -> PageText:
    """All words on one page with boxes in points, origin top-left of the displayed page.

    Words are pdfium's characters split on whitespace, including the spaces and line breaks
    pdfium generates itself where glyphs are far apart. A word's box comes from its first and
    last characters; a word whose box looks implausible (wider than its characters could be,
    or running backwards) is re-split character by character on horizontal gaps.
    """
    width, height = page.get_size()  # displayed size (rotation applied)
    rotation = page.get_rotation() % 360
    cl, cb, cr, ct = page.get_cropbox()
    to_top_left = _transform(rotation, cl, cb, cr, ct)

    textpage = page.get_textpage()
    try:
        tp = ctypes.cast(textpage.raw, ctypes.c_void_p).value
        n = pdfium_c.FPDFText_CountChars(textpage.raw)
        if n <= 0:
            return PageText(width, height, rotation, [], 0, 0)
        text = _page_text(tp, n).translate(_SEP_TABLE)
        rect = pdfium_c.FS_RECTF()
        rect_ref = ctypes.pointer(rect)
        matrix = pdfium_c.FS_MATRIX()
        matrix_ref = ctypes.pointer(matrix)
        objs: dict[int, _ObjInfo] = {}
        none_info = _ObjInfo(False, 0.0)

        def info(i: int) -> _ObjInfo:
            obj = _GetTextObject(tp, i)
            if not obj:
                return none_info
            inf = objs.get(obj)
            if inf is None:
                em = 0.0
                if _GetMatrix(tp, i, matrix_ref) and abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6 and matrix.d > 0:
                    em = _GetFontSize(tp, i) * matrix.d
                inf = objs[obj] = _ObjInfo(_GetRenderMode(obj) == _INVISIBLE, em)
            return inf

        def box(i: int, em: float | None = None):
            """(x0, top, x1, bottom) of char i in display coordinates, or None."""
            if not _GetLooseCharBox(tp, i, rect_ref):
                return None
            l, b, r, t = rect.left, rect.bottom, rect.right, rect.top
            if l > r:
                l, r = r, l
            if b > t:
                b, t = t, b
            if em is None:
                em = info(i).em
            if em > 0:
                # Upright text: the loose box's bottom is baseline + descent; make the box one
                # em tall from there (pdfminer/pdfplumber's convention) instead of pdfium's
                # font-bbox height, which sits well above the glyphs.
                t = b + em
            x0, y0, x1, y1 = to_top_left(l, b, r, t)
            if x0 > x1:
                x0, x1 = x1, x0
            if y0 > y1:
                y0, y1 = y1, y0
            return x0, y0, x1, y1

        fonts: dict[int, tuple[str, float, bool]] = {}

        def font(i: int) -> tuple[str, float, bool]:
            """(font name, size, upright) of char i's text object, for telling duplicated
            glyphs apart."""
            obj = _GetTextObject(tp, i)
            got = fonts.get(obj)
            if got is None:
                buf = ctypes.create_string_buffer(256)
                k = pdfium_c.FPDFText_GetFontInfo(textpage.raw, i, buf, 256, None)
                name = buf.raw[: max(0, min(k, 256) - 1)].decode("utf-8", "replace") if k else ""
                got = fonts[obj] = (name, _GetFontSize(tp, i), info(i).em > 0)
            return got

        fix = _fix if _LIG_RE.search(text) else _same
        if rotation == 0 and _FAST:
            words, n_chars, n_invisible = _words_upright(tp, text, info, box, fix, cl, ct)
        else:
            words, n_chars, n_invisible = _words_generic(text, info, box, fix)
        if _dedupe.suspect(words):
            keep = _dedupe.kept_chars(text, box, font)
            if keep is not None:  # glyphs printed twice (bold imitated by a second copy): read each once
                words, n_chars, n_invisible = _words_generic(
                    "".join(text[i] for i in keep), lambda j: info(keep[j]),
                    lambda j, em=None: box(keep[j], em), fix)
    finally:
        textpage.close()

    return PageText(width, height, rotation, words, n_chars, n_invisible)


def _words_generic(text: str, info, box, fix) -> tuple[list[Word], int, int]:
    """Words of any page (rotated ones too): a token's box from its first and last
    characters, re-split character by character when that box is implausible."""
    words: list[Word] = []
    n_chars = n_invisible = 0
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        token = m.group()
        n_chars += e - s
        inf = info(s)
        if inf.invisible:
            n_invisible += e - s
        b0 = box(s, inf.em)
        b1 = box(e - 1, inf.em) if e - 1 > s else b0
        if b0 is None or b1 is None:
            words.extend(_split_by_chars(token, s, box))
            continue
        x0, x1 = b0[0], b1[2]
        top = b0[1] if b0[1] < b1[1] else b1[1]
        bottom = b0[3] if b0[3] > b1[3] else b1[3]
        h = bottom - top if bottom - top > 1.0 else 1.0
        if x1 < x0 - 0.5 or (x1 - x0) > (e - s) * h * 1.6 + h or abs(b0[1] - b1[1]) > 0.5 * h:
            words.extend(_split_by_chars(token, s, box))
            continue
        words.append(Word(fix(token), round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2), 1.0))
    return words, n_chars, n_invisible


_FAST = True


def _words_upright(tp: int, text: str, info, box, fix, cl: float, ct: float) -> tuple[list[Word], int, int]:
    """The hot loop for unrotated pages (nearly all): same result as the generic loop in
    extract_page, with the box arithmetic inlined. Two pdfium calls per word, plus one per
    text object."""
    r0, r1 = pdfium_c.FS_RECTF(), pdfium_c.FS_RECTF()
    p0, p1 = ctypes.pointer(r0), ctypes.pointer(r1)
    get_box, get_obj = _GetLooseCharBox, _GetTextObject
    words: list[Word] = []
    append = words.append
    n_chars = n_invisible = 0
    last_obj = -1
    em = 0.0
    invisible = False
    for m in _TOKEN.finditer(text):
        s, e = m.span()
        k = e - s
        n_chars += k
        obj = get_obj(tp, s)
        if obj != last_obj:
            last_obj = obj
            inf = info(s)
            em, invisible = inf.em, inf.invisible
        if invisible:
            n_invisible += k
        if not get_box(tp, s, p0) or (k > 1 and not get_box(tp, e - 1, p1)):
            words.extend(_split_by_chars(m.group(), s, box))
            continue
        rr = r1 if k > 1 else r0
        x0 = r0.left
        x1 = rr.right
        b0, b1 = r0.bottom, rr.bottom
        if em > 0:
            lo, hi = (b0, b1) if b0 < b1 else (b1, b0)
            hi += em
            h = em
        else:
            lo = b0 if b0 < b1 else b1
            hi = r0.top if r0.top > rr.top else rr.top
            h = hi - lo
        if h < 1.0:
            h = 1.0
        if x1 < x0 - 0.5 or (x1 - x0) > k * h * 1.6 + h or abs(b0 - b1) > 0.5 * h or r0.left > r0.right:
            words.extend(_split_by_chars(m.group(), s, box))
            continue
        append(Word(fix(m.group()), round(x0 - cl, 2), round(ct - hi, 2), round(x1 - cl, 2), round(ct - lo, 2), 1.0))
    return words, n_chars, n_invisible


_LIG_RE = re.compile("[" + "".join(_LIGATURES) + "]")
_LIG_TABLE = str.maketrans(_LIGATURES)


def _fix(token: str) -> str:
    return token.translate(_LIG_TABLE)


def _same(token: str) -> str:
    return token


def _split_by_chars(token: str, start: int, box) -> list[Word]:
    """Split one whitespace-free run into words on horizontal gaps, jumps back or line changes."""
    out: list[Word] = []
    buf: list[str] = []
    x0 = top = x1 = bottom = 0.0
    prev_x1 = prev_cy = prev_h = 0.0

    def flush() -> None:
        if buf:
            out.append(Word(_fix("".join(buf)), round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2), 1.0))
            buf.clear()

    for k, ch in enumerate(token):
        bx = box(start + k)
        if bx is None:
            flush()
            continue
        cx0, ctop, cx1, cbottom = bx
        h = cbottom - ctop
        cy = (ctop + cbottom) / 2
        if buf:
            lim = max(h, prev_h, 1.0)
            if cx0 - prev_x1 > 0.35 * lim or cx1 < x0 - 0.5 or abs(cy - prev_cy) > 0.5 * lim:
                flush()
        if not buf:
            x0, top, x1, bottom = cx0, ctop, cx1, cbottom
        else:
            x0, top, x1, bottom = min(x0, cx0), min(top, ctop), max(x1, cx1), max(bottom, cbottom)
        buf.append(ch)
        prev_x1, prev_cy, prev_h = cx1, cy, h
    flush()
    return out


# --- is this text layer worth trusting? -------------------------------------------------

_CORE = re.compile(
    r"""^[("'\[<>≤≥=+\-−±~$€£#*•·]*          # leading brackets, comparators, currency, bullets
    ([A-Za-zÀ-ÖØ-öø-ÿµ0-9]+(?:[./\-'’^:+,×°][A-Za-zÀ-ÖØ-öø-ÿµ0-9]+)*)   # alnum parts with light joins
    [%°)"'\].,:;!?*]*$""",
    re.VERBOSE,
)
_VOWEL = re.compile(r"[AEIOUYaeiouyÀ-ÖØ-öø-ÿ0-9]")
_SYMBOLS_ONLY = re.compile(r"^[^\w\s]{1,3}$")


def _wordlike(t: str) -> bool:
    """A real word, number, date, value with unit, code or abbreviation (not keyboard mash)."""
    m = _CORE.match(t)
    if m is None:
        return bool(_SYMBOLS_ONLY.match(t))  # bullets, dashes, a lone %
    core = m.group(1)
    if _VOWEL.search(core) or core.isupper():
        return True
    return all(len(part) <= 5 for part in re.split(r"[./\-'’^:+,×°]", core))  # mg, dL, mmHg, Rx


_BAD_CHARS = re.compile("[\ufffd\ue000-\uf8ff\x00-\x1f]")


def text_quality(words: list[Word], sample: int = 400) -> float:
    """0..1: share of tokens that look like real words, numbers or codes (junk layers score low).

    Looks at up to `sample` words spread evenly over the page.
    """
    if not words:
        return 0.0
    step = max(1, len(words) // sample)
    texts = [w.text for w in words[::step]]
    good = sum(1 for t in texts if _wordlike(t))
    score = good / len(texts)
    joined = "".join(texts)
    bad = len(_BAD_CHARS.findall(joined))
    if joined and bad / len(joined) > 0.1:
        score = min(score, 1.0 - bad / len(joined))
    return score


@dataclass(frozen=True)
class TextLayerPolicy:
    min_chars: int = 3  # fewer non-space characters than this means "no text layer"
    min_quality: float = 0.5  # below this share of word-like tokens the layer is junk
    min_words_for_quality: int = 4  # too few words to judge: accept them
    invisible_ratio: float = 0.5  # mostly invisible text ...
    image_cover: float = 0.5  # ... over a page-sized image is a scan's OCR layer: redo it


DEFAULT_POLICY = TextLayerPolicy()


def needs_ocr(pt: PageText, page: pdfium.PdfPage, policy: TextLayerPolicy = DEFAULT_POLICY) -> str | None:
    """Why the page must be OCR'd instead of read from its text layer, or None to trust it."""
    if pt.n_chars < policy.min_chars or not pt.words:
        return "no text layer"
    if pt.invisible_ratio >= policy.invisible_ratio and pt.image_info(page)[0] >= policy.image_cover:
        return "invisible text over a scanned image"
    if len(pt.words) >= policy.min_words_for_quality and text_quality(pt.words) < policy.min_quality:
        return "text layer looks like junk"
    return None
