"""Tesseract OCR of one page image (its words and ruling lines), its preprocessing, and the on-disk OCR cache.

Tesseract runs single-threaded (`OMP_THREAD_LIMIT=1`): on a 2-core machine two one-thread
processes beat one two-thread process. Parallelism comes from worker processes.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from pipeline.document import Word
from pipeline.ingest import preprocess as _pre
from pipeline.ingest import rules as _rules
from pipeline.ingest import reread as _reread
from pipeline.ingest.reread import PxWord, second_look
from pipeline.ingest.rules import Box as Rule, find_rules
from pipeline.settings import settings

log = logging.getLogger(__name__)

# Bump when preprocessing or word handling changes: old cache entries stop matching.
PREPROCESS_VERSION = "gray11"  # gray11: doubtful words read a second time (`reread`)


@dataclass(frozen=True)
class OcrProfile:
    """How a page is OCR'd: engine, render dpi for PDF pages, Tesseract page segmentation
    mode and the cleanup chain (a name in preprocess.CHAINS). The compiler picks one per doc
    type by held-out accuracy on scanned samples; the lock records its name."""

    name: str
    engine: str = "tesseract"
    dpi: int = 300
    psm: int = 3
    chain: str = "none"
    min_dpi: int = 0  # a page image under this resolution is enlarged, by a whole factor, before cleanup
    auto: bool = True  # offered to the compiler's choice (else only by name, e.g. `docc eval --ocr-profile`)


# Few on purpose: the compiler tries each on a few scanned samples per doc type. (The
# "clean_smooth" chain, with halftone smoothing and adaptive thresholding, read the dev set
# worse than "clean" and is kept out of the default list.)
PROFILES: dict[str, OcrProfile] = {
    p.name: p
    for p in (
        OcrProfile("default"),                       # Tesseract on the gray page, as before
        OcrProfile("clean", chain="clean"),          # deskew, inverted cells, background, holes, specks
        # "clean" after a stroke-healing blur: fax-like pages, dithered fills. On the dev set's
        # scans (12 layouts, heavy damage) it read 0.34 field F1 against 0.27 for "clean"
        OcrProfile("clean_heal", chain="clean_heal"),
        # forms: scattered label/value text. Not chosen automatically: on a handful of samples
        # it looked best for lab reports and discharge summaries (0.86 vs 0.72 for default),
        # but on layouts the compile never saw it lost whole tables (held-out lab scans 0.38,
        # against 0.89 default and 0.91 clean).
        OcrProfile("clean_sparse", psm=11, chain="clean", auto=False),
        # "clean" on a page scanned under 300 dpi enlarged twice first: small type (9 pt cells
        # at 200 dpi) reads right (`kg`, `mm[Hg]`, `Cel` where "clean" read `ks`, `mito)`, `cer`).
        # Real vendor documents, light scans at 200 dpi: 0.853 field F1 against 0.825 "clean";
        # heavy damage: 16 of 42 header values right against 14. 1.6 to 1.9 times the OCR time.
        OcrProfile("clean_hires", chain="clean", min_dpi=300),
    )
}
AUTO_PROFILES = tuple(name for name, p in PROFILES.items() if p.auto)
DEFAULT_PROFILE = "default"


def get_profile(name: str | None) -> OcrProfile:
    """The named profile; an unknown name is an error (a lock naming one must not run silently)."""
    name = name or DEFAULT_PROFILE
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown OCR profile {name!r} (known: {', '.join(PROFILES)})") from None

SECOND_LOOK_PSM = 6  # the doubtful regions, stacked, are read as one block of text
# Number of pages Tesseract read in this process (tests use it to prove cache hits); a page's
# second look at its doubtful words is part of its reading.
OCR_CALLS = 0



class _TesseractEnv(Mapping):
    """os.environ as it is at each call, with OMP_THREAD_LIMIT=1: Tesseract runs one thread
    (parallelism comes from worker processes) without changing this process's environment."""

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["OMP_THREAD_LIMIT"] = "1"
        return env

    def __getitem__(self, key: str) -> str:
        return self._env()[key]

    def __iter__(self):
        return iter(self._env())

    def __len__(self) -> int:
        return len(self._env())

    def items(self):  # subprocess reads the environment through items()
        return self._env().items()


def _pytesseract():
    import pytesseract
    import pytesseract.pytesseract as impl

    if not isinstance(impl.environ, _TesseractEnv):
        impl.environ = _TesseractEnv()  # pytesseract passes this module global as the child's env
    return pytesseract


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    pytesseract = _pytesseract()
    try:
        return str(pytesseract.get_tesseract_version())
    except Exception:  # not installed: OCR will fail later with a clear error
        return "unknown"


def default_cache_dir() -> Path:
    return settings().cache_root() / "ocr"


def preprocess(img: Image.Image) -> Image.Image:
    """Grayscale, alpha flattened on white. Cheap on purpose: Tesseract binarizes itself."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        img = ImageOps.autocontrast(img.convert("I").point(lambda v: v / 256).convert("L"))
    if img.mode != "L":
        img = img.convert("L")
    return img


# symbols that are values or units on their own (a "%" unit column, a "*" or "<" flag)
_SYMBOLS = frozenset("%#$&*+-/<>=")


def is_noise(text: str, conf: float) -> bool:
    """A word Tesseract made of specks, hole edges or fill borders: no letter or digit at all.
    Kept, such words sit between a label and its value ("Rx ! Atorvastatin") and are taken for
    the value. A short word with a letter is kept however unsure: on a lab report `H`, `L` and
    `s` are a flag and a unit, and losing them loses the value (`conf` is for callers that
    weigh words; it does not decide here)."""
    del conf
    if not any(ch.isalnum() for ch in text):
        return text not in _SYMBOLS
    return False


def is_rule_fragment(text: str, height_px: int) -> bool:
    """A symbol read from a sliver of a ruled or dotted line: no letter or digit, one pixel
    tall. No printed glyph is one pixel tall after rendering; kept, such a word (`=` from a
    dotted row separator) sits between two text lines and `group_lines` joins them through it,
    so a birth date lands in the line of the name above it."""
    return height_px <= 1 and not any(ch.isalnum() for ch in text)


# a word with a letter or digit whose box is flatter than this share of the page's median word
# height is read from a rule, not printed: the smallest glyph with a letter (an `x` of a footnote)
# stands taller than a quarter of body text's word height
FLAT_WORD_SHARE = 0.25


def drop_flat_words(words: list[Word]) -> list[Word]:
    """Words Tesseract read from a ruled line or a row separator (`eee`, `7`, `“=a`, a box 1–2
    points tall at y of the rule). Kept, they sit between a row of values and the row of labels
    under it, and `group_lines` (which joins words by vertical centre) chains both rows into one
    line through them, so a value's cell is cut or glued to the next label. Measured against the
    page's median word height, so no print size is assumed."""
    heights = sorted(w.bottom - w.top for w in words if any(ch.isalnum() for ch in w.text))
    if len(heights) < 5:
        return words
    floor = FLAT_WORD_SHARE * heights[len(heights) // 2]
    return [w for w in words if w.bottom - w.top >= floor or not any(ch.isalnum() for ch in w.text)]


def ocr_image(img: Image.Image, dpi: float, lang: str | None = None, timeout: float = 300,
              profile: str | None = None) -> list[Word]:
    """The words of `read_image` alone."""
    return read_image(img, dpi, lang, timeout, profile)[0]


def enlargement(pixels: int, dpi: float, min_dpi: int) -> int:
    """The whole factor a page of `pixels` scanned at `dpi` is enlarged by before OCR to reach
    `min_dpi` (1: as it is). Never past the pixel limit of a decoded page: a page that would
    grow over it (a poster scanned at 150 dpi) is read at its own size."""
    if not min_dpi or dpi >= min_dpi:
        return 1
    factor = math.ceil(min_dpi / dpi)
    return factor if pixels * factor * factor <= settings().max_image_pixels else 1


@dataclass(frozen=True)
class PreparedPage:
    """A page image as Tesseract reads it under a profile: enlarged and cleaned (`pixels`, at
    `dpi`), with the ruling lines found on it."""

    pixels: np.ndarray
    dpi: float
    rules: list[Rule]


def prepare_page(img: Image.Image, dpi: float, profile: str | None = None) -> PreparedPage | None:
    """The page image a profile's reading starts from; None for a blank page (no OCR)."""
    prof = get_profile(profile)
    arr = np.asarray(preprocess(img), dtype=np.uint8)
    if _pre.is_blank(arr, dpi):
        return None
    factor = enlargement(arr.size, dpi, prof.min_dpi)
    if factor > 1:
        arr, dpi = _pre.enlarge(arr, factor), dpi * factor
    if prof.chain != "none":
        arr = _pre.apply(_pre.CHAINS[prof.chain], arr, dpi)
        rules = find_rules(arr, dpi)
    else:
        rules = find_rules(_pre.otsu(arr, dpi), dpi)  # the rules of the page as binarised for cleanup
    return PreparedPage(arr, dpi, rules)


def read_image(img: Image.Image, dpi: float, lang: str | None = None, timeout: float = 300,
               profile: str | None = None) -> tuple[list[Word], list[Rule]]:
    """OCR a page image with a profile's cleanup chain and page segmentation mode, then give
    its doubtful words a second look (`reread`); word boxes come back in points (px * 72 /
    dpi), conf 0..1, with the ruling lines of the image Tesseract read (`rules.find_rules`: a
    scanned table's grid). A blank page returns ([], []) without OCR."""
    global OCR_CALLS
    page = prepare_page(img, dpi, profile)
    if page is None:
        return [], []
    dpi, psm = page.dpi, get_profile(profile).psm
    OCR_CALLS += 1
    boxes = tesseract_boxes(Image.fromarray(page.pixels, mode="L"), dpi, lang, psm, timeout)
    boxes = second_look(page.pixels, boxes, lambda sheet: tesseract_boxes(sheet, dpi, lang, SECOND_LOOK_PSM, timeout))
    scale = 72.0 / dpi
    words = [Word(b.text, round(b.left * scale, 2), round(b.top * scale, 2), round(b.right * scale, 2),
                  round(b.bottom * scale, 2), b.conf) for b in boxes]
    return drop_flat_words(words), page.rules


def tesseract_boxes(gray: Image.Image, dpi: float, lang: str | None, psm: int, timeout: float) -> list[PxWord]:
    """Tesseract's words of a grayscale image, in pixels, conf 0..1; specks (`is_noise`) and
    rule slivers (`is_rule_fragment`) left out."""
    pytesseract = _pytesseract()
    gray.format = "PPM"  # pytesseract writes an uncompressed PGM: much cheaper than PNG
    data = pytesseract.image_to_data(
        gray,
        lang=lang or settings().ocr_lang,
        config=f"--psm {psm} --dpi {int(round(dpi))}",
        output_type=pytesseract.Output.DICT,
        timeout=timeout,
    )
    out: list[PxWord] = []
    for i, text in enumerate(data["text"]):
        if data["level"][i] != 5:
            continue
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            continue
        text = (text or "").strip()
        if conf < 0 or not text or is_noise(text, conf / 100.0) or is_rule_fragment(text, data["height"][i]):
            continue
        left, top = data["left"][i], data["top"][i]
        out.append(PxWord(text, left, top, left + data["width"][i], top + data["height"][i],
                          round(min(max(conf / 100.0, 0.0), 1.0), 4)))
    return out


# --- cache --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OcrPage:
    width: float
    height: float
    words: list[Word]
    rules: list[Rule] = field(default_factory=list)


def cache_key(sha256: str, page: int, dpi: float, lang: str | None = None, profile: str | None = None) -> str:
    """Content hash + page + the dpi the page is OCR'd at + Tesseract version + preprocessing
    + OCR profile (its engine, psm and chain) + the cleanup, rule-finding and second-look
    code's fingerprints, so editing a profile, a cleanup step, how rules are found or how
    doubtful words are read again invalidates the entries it would have produced."""
    prof = get_profile(profile)
    extra = (f"{float(dpi):.2f}|{tesseract_version()}|{PREPROCESS_VERSION}|{lang or settings().ocr_lang}"
             f"|{prof.name}:{prof.engine}:{prof.psm}:{prof.chain}:{prof.min_dpi}|{_pre.FINGERPRINT}|{_rules.FINGERPRINT}"
             f"|{_reread.FINGERPRINT}")
    return f"{sha256}-p{page}-{hashlib.sha256(extra.encode()).hexdigest()[:16]}"


def _cache_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.json"


def cache_get(cache_dir: Path | None, key: str) -> OcrPage | None:
    if cache_dir is None:
        return None
    p = _cache_path(cache_dir, key)
    try:
        with open(p, "rb") as f:
            obj = json.loads(f.read())
        words = [Word(t, x0, tp, x1, bt, c) for t, x0, tp, x1, bt, c in obj["words"]]
        rules = [tuple(r) for r in obj["rules"]]  # an entry written before rules were kept: recomputed
        return OcrPage(float(obj["width"]), float(obj["height"]), words, rules)
    except FileNotFoundError:
        return None
    except Exception:  # unreadable or stale-format entry: recompute
        log.debug("ignoring bad OCR cache entry %s", p)
        return None


def cache_put(cache_dir: Path | None, key: str, page: OcrPage) -> None:
    """Write atomically (tmp file in the same folder, then os.replace); failures only log."""
    if cache_dir is None:
        return
    p = _cache_path(cache_dir, key)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {
                "v": 2,
                "width": page.width,
                "height": page.height,
                "words": [[w.text, w.x0, w.top, w.x1, w.bottom, w.conf] for w in page.words],
                "rules": [list(r) for r in page.rules],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            os.replace(tmp, p)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as e:
        log.warning("cannot write OCR cache entry: %s", e.strerror or e)
