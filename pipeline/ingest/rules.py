"""Ruling lines on a page image: the drawn borders of a table, found on scans.

A text-layer page gives its table grids through the drawn paths (`grids.find_grids`). A scanned
page has only pixels, and without the grid a table is read from word geometry alone, which
splits multi-line cells and wrapped headers into rows of their own. Long thin runs of ink are
the same borders: morphological opening with a long horizontal (vertical) bar keeps exactly the
runs at least that long, and each kept run becomes one rule, in points, in the frame of the
image Tesseract read (after the profile's cleanup, deskew included), so
`grids.grids_from_rules` builds the grid with the same geometry as on a text layer.

Borders printed as light grey lines or as white gaps between grey cell fills do not survive
binarisation and are not found here (most C-CDA stylesheet renderings draw their tables so).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

# sha256 of this module's source: part of the OCR cache key (rules are cached with the words), so
# changing how rules are found never serves rules found by the old code
FINGERPRINT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

# shortest rule kept, in inches: longer than any glyph stroke of body text (a 12 pt `l` is about
# 0.12 in tall), shorter than the narrowest table cell a form prints
MIN_RULE_INCHES = 0.2
# thickest rule kept, in inches (about 3 pt): thicker runs are fills or bars, not borders
MAX_RULE_INCHES = 0.045
# gaps a rule may have and still be one rule (scan noise, a binarised light line), inches
GAP_INCHES = 0.02

Box = tuple[float, float, float, float]


def find_rules(binary: np.ndarray, dpi: float) -> list[Box]:
    """Horizontal and vertical rules of a binarised 8-bit page (0 ink, 255 paper) as
    (x0, top, x1, bottom) boxes in points; a horizontal rule has top == bottom, a vertical one
    x0 == x1."""
    ink = (binary < 128).astype(np.uint8)
    if not ink.any():
        return []
    scale = 72.0 / dpi
    long_px = max(8, int(round(MIN_RULE_INCHES * dpi)))
    thick_px = max(2, int(round(MAX_RULE_INCHES * dpi)))
    gap_px = max(1, int(round(GAP_INCHES * dpi)))
    rules: list[Box] = []
    for horizontal in (True, False):
        bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (gap_px, 1) if horizontal else (1, gap_px))
        bar = cv2.getStructuringElement(cv2.MORPH_RECT, (long_px, 1) if horizontal else (1, long_px))
        runs = cv2.morphologyEx(cv2.morphologyEx(ink, cv2.MORPH_CLOSE, bridge), cv2.MORPH_OPEN, bar)
        n, _, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:  # the opening left no run shorter than the bar
            if (h if horizontal else w) > thick_px:
                continue
            if horizontal:
                mid = round(float(y + h / 2) * scale, 2)
                rules.append((round(float(x) * scale, 2), mid, round(float(x + w) * scale, 2), mid))
            else:
                mid = round(float(x + w / 2) * scale, 2)
                rules.append((mid, round(float(y) * scale, 2), mid, round(float(y + h) * scale, 2)))
    return sorted(rules, key=lambda b: (b[1], b[0], b[3], b[2]))
