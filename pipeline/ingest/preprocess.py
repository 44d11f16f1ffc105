"""Page-image cleanup before OCR: one function per repair, chains described by data.

Real scans carry grey table fills, white-on-dark label cells, photocopy shadows, moire,
skew, punch holes and speckle. Tesseract's own Otsu binarisation loses text on all of
them (a grey-filled name cell comes out as "I"). Each step here takes and returns an
8-bit gray numpy page (0 ink, 255 paper) and its dpi; `apply(chain, ...)` runs a named
sequence. Every step is deterministic (no randomness, fixed kernels scaled by dpi).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

Step = Callable[[np.ndarray, float], np.ndarray]

# docc runs one OCR worker per core (`ingest_many`); OpenCV's own thread pool on top of that
# oversubscribes the cores, so every page is cleaned on its worker's one thread
cv2.setNumThreads(1)

# sha256 of this module's source: part of the OCR cache key, so changing a step never
# serves pages cleaned by the old code
FINGERPRINT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

# a page with a smaller fraction of ink pixels (at 100 dpi, specks dropped) is blank:
# 0.00008 of a letter page is ~75 pixels, less than one short word
BLANK_INK_FRACTION = 0.00008

# light strokes a band needs to hold light text (`VITAL SIGNS` has a dozen; a lone light
# speck or rule in a dark band is no title)
MIN_STROKES = 3


def _odd(n: float) -> int:
    n = max(3, int(round(n)))
    return n if n % 2 else n + 1


def is_blank(gray: np.ndarray, dpi: float = 300.0) -> bool:
    """True when the page has (almost) no ink: then it costs no OCR.

    Ink is judged after removing the background (so a grey or shadowed empty page is still
    blank), after dropping isolated specks (dust) and ink that touches the page edge (a scanner
    border, the dark edge of a photocopy)."""
    small = gray
    scale = 100.0 / max(dpi, 1.0)
    if scale < 1.0:
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    bg = cv2.medianBlur(cv2.dilate(small, np.ones((7, 7), np.uint8)), 5)
    diff = bg.astype(np.int16) - small.astype(np.int16)
    ink = (diff > 60).astype(np.uint8)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    # ink touching the page edge is a scanner border or a photocopy shadow, not content
    _n, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    h_img, w_img = ink.shape
    inner = ~((x == 0) | (y == 0) | (x + w >= w_img) | (y + h >= h_img))
    return float(area[inner].sum()) / ink.size < BLANK_INK_FRACTION


def invert_dark_regions(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Find filled boxes whose text is lighter than their fill (white-on-dark or white-on-grey
    label cells, banners) and invert them, so all text is dark on a lighter ground.

    Candidates are areas whose local median is well below the nearby paper tone (dark text on
    paper never is: its strokes are thin); a candidate is inverted only when its outliers
    are lighter than its fill, so a grey fill under dark text is left to `normalize_background`."""
    f = 4 if dpi >= 150 else 1  # found at a quarter of the resolution: 16x cheaper
    small = gray if f == 1 else cv2.resize(gray, (gray.shape[1] // f, gray.shape[0] // f), interpolation=cv2.INTER_AREA)
    # the paper tone around each point (brightest within an inch): follows shadows and tints
    reach = _odd(dpi * 1.0 / f)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach))).astype(np.int16)
    med = cv2.medianBlur(small, _odd(dpi * 0.1 / f)).astype(np.int16)
    out = gray.copy()
    done = np.zeros(small.shape, np.uint8)  # cells already inverted (quarter resolution)
    # one depth below the paper tone; deeper passes (to separate a dark cell from the grey band
    # around it) read the dev set worse, see docs/scans.md
    for depth in (60,):
        cand = ((med < paper - depth) & (done == 0)).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
        for i in range(1, n):
            x, y, w, h = (int(v) for v in stats[i][:4])
            region = labels[y:y + h, x:x + w] == i
            if _invert_cell(gray, out, [x * f, y * f, w * f, h * f], int(stats[i][4]) * f * f, dpi,
                            region, float(np.median(paper[y:y + h, x:x + w][region]))):
                done[y:y + h, x:x + w] = 1
    return out


def _invert_cell(gray: np.ndarray, out: np.ndarray, box_xywh: list[int], area: int, dpi: float,
                 small_mask: np.ndarray | None = None, paper: float = 255.0) -> bool:
    """Invert one candidate region of `gray` into `out` when it is a filled cell holding light text.

    Only the region itself is inverted (`small_mask`, the candidate at the finding resolution,
    scaled to the box), not its bounding box: a fill beside or under a line of dark text on
    paper (a dark label column next to its values, a band touching the rows around it) would
    otherwise turn that text light on dark. A cell must also have solid rows of fill (the
    padding above and below its text): large bold type has dark blobs as wide as a word but
    every row of them has paper between the letters, and inverting it hollows the glyphs."""
    x, y, w, h = box_xywh
    h_img, w_img = gray.shape
    if h < dpi * 0.06 or w < dpi * 0.25 or area < 0.6 * w * h:
        return False  # too small to hold a line of text, or not a filled box
    if x <= 0 or y <= 0 or x + w >= w_img or y + h >= h_img:
        return False  # touches the page edge: a scanner border or shadow, not a cell
    box = gray[y:y + h, x:x + w]
    if small_mask is None:
        mask = np.ones(box.shape, bool)
    else:  # the region at full resolution, holes (light text wider than the median) closed
        m = cv2.resize(small_mask.astype(np.uint8), (box.shape[1], box.shape[0]), interpolation=cv2.INTER_NEAREST)
        k = _odd(dpi * 0.1)
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
        mask = m.astype(bool)
    # rows of the region whose median is paper are dark text on paper beside or against the
    # fill (the median that found the region spreads over them): they are not inverted
    with np.errstate(all="ignore"):
        row_med = np.nan_to_num(np.nanmedian(np.where(mask, box.astype(np.float32), np.nan), axis=1), nan=255.0)
    keep = row_med < paper - 40
    mask &= keep[:, None]
    # each band of kept rows of one tone is judged alone: a white-on-dark label row can touch a
    # rule, a dithered band or a grey band of values whose dark text must stay dark; a band
    # too thin to hold a line of text (a cell's dark rim) is never inverted
    done = False
    for r0, r1 in _bands(row_med, keep):
        if r1 - r0 >= dpi * 0.06 and _light_on_dark(box[r0:r1], mask[r0:r1], row_med[r0:r1], dpi):
            done = True
            _invert_rows(gray, out, x, y + r0, mask[r0:r1], dpi)
    return done


def _bands(row_med: np.ndarray, keep: np.ndarray, step: float = 40.0) -> list[tuple[int, int]]:
    """Runs of kept rows whose median tone stays within `step` of the run's first rows."""
    bands: list[tuple[int, int]] = []
    start, ref = -1, 0.0
    for i, (k, v) in enumerate(zip(keep.tolist(), row_med.tolist())):
        if start >= 0 and (not k or abs(v - ref) > step):
            bands.append((start, i))
            start = -1
        if k and start < 0:
            start, ref = i, v
        elif k and i - start < 4:  # the tone of a band: the median of its first rows
            ref = float(np.median(row_med[start:i + 1]))
    if start >= 0:
        bands.append((start, len(keep)))
    return bands


def _light_on_dark(box: np.ndarray, mask: np.ndarray, row_med: np.ndarray, dpi: float) -> bool:
    """Whether rows of a dark region hold light text on a solid fill (see `_invert_cell`)."""
    px = box[mask]
    if px.size == 0:
        return False
    fill = float(np.median(px))
    # light pixels count as text when they form strokes: the white dots of a dithered (faxed)
    # grey fill are specks, and a dithered band under dark text is no white-on-dark cell
    light_px = ((box > fill + 50) & mask).astype(np.uint8)
    _n, _lab, lstats, _ = cv2.connectedComponentsWithStats(light_px, connectivity=8)
    # (a light rim or rule along the fill, far wider than it is tall, is no stroke; nor is
    # what runs from the band's top row to its bottom one, a rule across it or a punch hole's
    # corners, nor what touches its left or right end, the paper beyond the fill; a title is
    # at least a few strokes)
    comps = lstats[1:]
    left, top = comps[:, cv2.CC_STAT_LEFT], comps[:, cv2.CC_STAT_TOP]
    width, height = comps[:, cv2.CC_STAT_WIDTH], comps[:, cv2.CC_STAT_HEIGHT]
    across = ((top == 0) & (top + height >= box.shape[0])) | (left == 0) | (left + width >= box.shape[1])
    strokes = comps[(comps[:, cv2.CC_STAT_AREA] >= max(4, int((dpi / 300.0) ** 2 * 30)))
                    & (width <= 8 * height) & ~across]
    if len(strokes) < MIN_STROKES:
        return False
    light = float(strokes[:, cv2.CC_STAT_AREA].sum()) / float(px.size)
    # ... measured over the columns the strokes span as well: a banner across the page with a
    # short title at its left (`VITAL SIGNS`) is mostly fill, however white its title
    x0 = int(strokes[:, cv2.CC_STAT_LEFT].min())
    x1 = int((strokes[:, cv2.CC_STAT_LEFT] + strokes[:, cv2.CC_STAT_WIDTH]).max())
    light_span = float(strokes[:, cv2.CC_STAT_AREA].sum()) / float(max(1, mask[:, x0:x1].sum()))
    # dark outliers count as text on the fill, except in rows darker than the fill as a whole
    # (a ruled border along the fill's edge, a table rule through it)
    in_row = mask.sum(axis=1)
    dark_row = ((box < fill - 50) & mask).sum(axis=1)
    rule = row_med < fill - 30
    dark = float(dark_row[~rule].sum()) / float(px.size)
    if light_span < 0.02 or light < 2 * dark:
        return False  # no light strokes, or dark text on a grey fill
    # solid rows: rows at least half the region wide and ≥ 95 % fill (not light): the padding
    # of a cell. Bold type and dithered fills have paper or white dots on every row
    solid_px = ((box <= fill + 50) & mask).sum(axis=1)
    solid = (in_row >= 0.5 * in_row.max()) & (solid_px >= 0.95 * np.maximum(in_row, 1)) & ~rule
    return int(solid.sum()) >= 2


def _invert_rows(gray: np.ndarray, out: np.ndarray, x: int, y: int, mask: np.ndarray, dpi: float) -> None:
    """Invert the masked pixels of `gray` at (x, y) into `out`; the fill's rim becomes paper."""
    h, w = mask.shape
    h_img, w_img = gray.shape
    box = gray[y:y + h, x:x + w]
    fill = float(np.median(box[mask]))
    rim = max(2, int(dpi * 0.02))
    x0, y0, x1, y1 = max(0, x - rim), max(0, y - rim), min(w_img, x + w + rim), min(h_img, y + h + rim)
    grown = np.zeros((y1 - y0, x1 - x0), np.uint8)
    grown[y - y0:y - y0 + h, x - x0:x - x0 + w] = mask
    grown = cv2.dilate(grown, np.ones((2 * rim + 1, 2 * rim + 1), np.uint8)).astype(bool)
    ring = out[y0:y1, x0:x1]
    ring[grown & (np.abs(ring.astype(np.int16) - fill) < 40)] = 255   # the fill's rim becomes paper
    cell = out[y:y + h, x:x + w]
    cell[mask] = 255 - box[mask]


def normalize_background(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Divide by the local paper tone: grey fills, coloured backgrounds and shadows become white.

    The paper tone is a morphological closing (text strokes, thinner than the kernel, vanish;
    the edges of fills stay where they are, so no halo is left around a shaded cell)."""
    k = _odd(dpi * 0.08)
    bg = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return cv2.divide(gray, np.maximum(bg, 1), scale=255)


def smooth_halftone(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Blur away fine periodic patterns (moire, halftone dots) smaller than a stroke."""
    sigma = max(0.6, dpi / 300.0 * 0.9)
    return cv2.GaussianBlur(gray, (0, 0), sigma)


def heal_strokes(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Blur a little more than `smooth_halftone` (sigma 1.5 px at 300 dpi): on fax-like bilevel
    pages it closes the breaks in thin strokes and turns dithered fills into a flat grey, which
    `normalize_background` then whitens instead of leaving speckle that OCR reads as words."""
    return cv2.GaussianBlur(gray, (0, 0), max(0.75, dpi / 300.0 * 1.5))


def enlarge(gray: np.ndarray, factor: int) -> np.ndarray:
    """The page resampled (bicubic) `factor` times larger. Tesseract misreads small glyphs
    (`ks` for `kg`, `mito)` for `mm[Hg]` in a 9 pt cell scanned at 200 dpi) that it reads right
    twice the size; a whole factor keeps every stroke's edges on the pixel grid (1.5 times
    gained a quarter of what twice did on real vendor scans)."""
    return cv2.resize(gray, (gray.shape[1] * factor, gray.shape[0] * factor), interpolation=cv2.INTER_CUBIC)


def binarize(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Adaptive (local mean) threshold: survives uneven lighting that a global Otsu does not."""
    block = _odd(dpi * 0.12)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 15)


def otsu(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Global Otsu threshold (after background normalisation this is often enough)."""
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return bw


def despeckle(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Remove isolated dark specks much smaller than a period (dust, noise, toner)."""
    ink = (gray < 128).astype(np.uint8)
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    min_area = max(2, int((dpi / 300.0) ** 2 * 6))
    drop = stats[:, cv2.CC_STAT_AREA] < min_area
    drop[0] = False
    out = gray.copy()
    out[drop[labels]] = 255
    return out


def remove_holes_and_borders(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Whiten dark blobs that touch the page edge (scanner borders, shadows) and solid round
    blobs in the margins (punch holes): they are not text and confuse page segmentation."""
    ink = (gray < 128).astype(np.uint8)
    _n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h_img, w_img = gray.shape
    x, y, w, h, area = (stats[:, i].astype(np.float64) for i in range(5))
    margin = dpi * 0.8
    touches = (x == 0) | (y == 0) | (x + w >= w_img) | (y + h >= h_img)
    big_edge = touches & ((w > dpi * 0.5) | (h > dpi * 0.5) | (area > (dpi * 0.1) ** 2))
    in_margin = (x < margin) | (y < margin) | (x + w > w_img - margin) | (y + h > h_img - margin)
    aspect = w / np.maximum(h, 1)
    roundish = (aspect > 0.7) & (aspect < 1.4) & (area > 0.6 * w * h)
    hole = in_margin & roundish & (w * h >= (dpi * 0.15) ** 2) & (w * h <= (dpi * 0.45) ** 2)
    # a hole is a solid disc (convex); a large bold capital in the margin (a name heading's
    # `N`, `E`) is as big and as dense but not convex
    for i in np.flatnonzero(hole):
        xi, yi, wi, hi = (int(v) for v in stats[i][:4])
        comp = (labels[yi:yi + hi, xi:xi + wi] == i).astype(np.uint8)
        contours, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.contourArea(cv2.convexHull(np.vstack(contours))) if contours else 0.0
        hole[i] = hull > 0 and area[i] >= 0.9 * hull
    drop = big_edge | hole
    drop[0] = False
    out = gray.copy()
    out[drop[labels]] = 255
    return out


def skew_angle(gray: np.ndarray, dpi: float) -> float:
    """The rotation (degrees, within 5) that makes text lines horizontal: the angle whose
    row projection of ink is sharpest, searched at 0.5 then 0.1 degree steps at 75 dpi. The
    fine search looks around the two sharpest coarse angles: on a page of few lines the long
    rules of a table make the sharpness peak narrow, and the 0.5 degree steps on either side of
    it can score alike (a page skewed -0.76 degrees was turned +0.5, doubling its skew)."""
    scale = min(1.0, 75.0 / max(dpi, 1.0))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else gray
    ink = (small < 160).astype(np.float32)
    if ink.sum() < 50:
        return 0.0
    h, w = ink.shape
    centre = (w / 2.0, h / 2.0)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rot = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        rows = rot.sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = sorted(np.arange(-5.0, 5.0001, 0.5), key=sharpness, reverse=True)[:2]
    best = max((a for c in coarse for a in np.arange(c - 0.4, c + 0.4001, 0.1)), key=sharpness)
    return round(float(best), 2)


def deskew(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Rotate so text lines are horizontal (see `skew_angle`); small angles are left alone."""
    angle = skew_angle(gray, dpi)
    if abs(angle) < 0.15:
        return gray
    m = cv2.getRotationMatrix2D((gray.shape[1] / 2.0, gray.shape[0] / 2.0), angle, 1.0)
    return cv2.warpAffine(gray, m, (gray.shape[1], gray.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


STEPS: dict[str, Step] = {
    "invert_dark_regions": invert_dark_regions,
    "normalize_background": normalize_background,
    "smooth_halftone": smooth_halftone,
    "heal_strokes": heal_strokes,
    "binarize": binarize,
    "otsu": otsu,
    "despeckle": despeckle,
    "remove_holes_and_borders": remove_holes_and_borders,
    "deskew": deskew,
}

# Named chains. "none" leaves cleanup to Tesseract (the old behaviour).
CHAINS: dict[str, tuple[str, ...]] = {
    "none": (),
    # deskew first: cells, fills and their edges are then axis-aligned boxes
    "clean": ("deskew", "invert_dark_regions", "normalize_background", "otsu",
              "remove_holes_and_borders", "despeckle"),
    # "clean" after a stroke-healing blur: for fax-like and dithered pages
    "clean_heal": ("deskew", "heal_strokes", "invert_dark_regions", "normalize_background", "otsu",
                   "remove_holes_and_borders", "despeckle"),
    "clean_smooth": ("deskew", "smooth_halftone", "invert_dark_regions", "normalize_background",
                     "binarize", "remove_holes_and_borders", "despeckle"),
}


def apply(chain: Sequence[str], gray: np.ndarray, dpi: float) -> np.ndarray:
    """Run the named steps in order on an 8-bit gray page."""
    out = gray
    for name in chain:
        out = STEPS[name](out, dpi)
    return out
