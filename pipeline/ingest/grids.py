"""Ruled and filled table grids, as typed records on the Page: from a text layer's drawn paths, or
from the ruling lines found on a scanned page's image (`rules.find_rules`).

Browsers and report writers draw table borders as thin filled rectangles or stroked lines.
The grid they form is the most reliable reading of a printed table: it keeps a multi-line
cell in one cell and a header wrapped over lines in one header cell, where word geometry
alone splits them. We read the drawn paths' boxes through pdfium (pages without path objects
cost one call), turn them into edges and let pdfplumber's table geometry (snap, join,
intersections, cells, tables) find the grids. Cell text comes from our own pdfium words, so
a cell's text is exactly the page's text.
"""
from __future__ import annotations

from collections.abc import Iterable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfplumber import table as _pt
from pdfplumber.utils import filter_edges

from pipeline.document import Grid, GridCell, Word

SNAP = 3.0  # points: edges closer than this are one edge (pdfplumber's default)
JOIN = 3.0
MIN_EDGE = 3.0
MAX_PATHS = 5000  # a page drawing more paths than this is a picture, not a table
_PATH = pdfium_c.FPDF_PAGEOBJ_PATH


def _edges(page: pdfium.PdfPage, rotation: int, crop: tuple[float, float, float, float]) -> list[dict]:
    """Edges (pdfplumber's dicts) of every drawn path's box, in the top-left frame."""
    cl, cb, cr, ct = crop
    out: list[dict] = []
    n = 0
    for obj in page.get_objects(filter=(_PATH,), max_depth=3):
        n += 1
        if n > MAX_PATHS:
            return []
        l, b, r, t = obj.get_bounds()
        if rotation == 90:
            x0, top, x1, bottom = b - cb, l - cl, t - cb, r - cl
        elif rotation == 180:
            x0, top, x1, bottom = cr - r, b - cb, cr - l, t - cb
        elif rotation == 270:
            x0, top, x1, bottom = ct - t, cr - r, ct - b, cr - l
        else:
            x0, top, x1, bottom = l - cl, ct - t, r - cl, ct - b
        out += _box_edges(x0, top, x1, bottom)
    return out


def _box_edges(x0: float, top: float, x1: float, bottom: float) -> list[dict]:
    """pdfplumber edges of one drawn box: a thin box is one rule, a wider one its four sides."""
    x0, x1 = min(x0, x1), max(x0, x1)
    top, bottom = min(top, bottom), max(top, bottom)
    w, h = x1 - x0, bottom - top
    if w < MIN_EDGE and h < MIN_EDGE:
        return []
    if h <= 2.0:  # a horizontal rule (thin rect or stroked line)
        y = (top + bottom) / 2
        return [{"object_type": "rect_edge", "x0": x0, "x1": x1, "top": y, "bottom": y,
                 "width": w, "height": 0, "orientation": "h"}]
    if w <= 2.0:
        x = (x0 + x1) / 2
        return [{"object_type": "rect_edge", "x0": x, "x1": x, "top": top, "bottom": bottom,
                 "width": 0, "height": h, "orientation": "v"}]
    # a filled box (cell background or bordered box): its four sides
    return [
        {"object_type": "rect_edge", "x0": x0, "x1": x1, "top": top, "bottom": top, "width": w, "height": 0,
         "orientation": "h"},
        {"object_type": "rect_edge", "x0": x0, "x1": x1, "top": bottom, "bottom": bottom, "width": w,
         "height": 0, "orientation": "h"},
        {"object_type": "rect_edge", "x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0, "height": h,
         "orientation": "v"},
        {"object_type": "rect_edge", "x0": x1, "x1": x1, "top": top, "bottom": bottom, "width": 0, "height": h,
         "orientation": "v"},
    ]


def _has_paths(page: pdfium.PdfPage) -> bool:
    raw = page.raw
    for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
        t = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(raw, i))
        if t in (_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            return True
    return False


def find_grids(page: pdfium.PdfPage, words: tuple[Word, ...]) -> tuple[Grid, ...]:
    """The page's table grids (two cells or more) with each cell's words, top to bottom."""
    if not words or not _has_paths(page):
        return ()
    return grids_from_edges(_edges(page, page.get_rotation() % 360, page.get_cropbox()), words)


def grids_from_rules(rules: Iterable[tuple[float, float, float, float]], words: tuple[Word, ...]) -> tuple[Grid, ...]:
    """The grids that ruling lines found on a page image (`rules.find_rules`) draw, read like a
    text layer's drawn paths."""
    if not words:
        return ()
    return grids_from_edges([e for box in rules for e in _box_edges(*box)], words)


def grids_from_edges(edges: list[dict], words: tuple[Word, ...]) -> tuple[Grid, ...]:
    """pdfplumber's table geometry (snap, join, intersections, cells, tables) over `edges`."""
    if len(edges) < 4:
        return ()
    edges = _pt.merge_edges(edges, SNAP, SNAP, JOIN, JOIN)
    edges = filter_edges(edges, min_length=MIN_EDGE)
    cells = _pt.intersections_to_cells(_pt.edges_to_intersections(edges, 1, 1))
    grids: list[Grid] = []
    for group in _pt.cells_to_tables(cells):
        rows = _pt.Table(None, group).rows
        built = []
        for row in rows:
            built.append(tuple(None if c is None else GridCell(tuple(round(v, 2) for v in c), _inside(words, c))
                               for c in row.cells))
        if not any(c is not None and c.words for r in built for c in r):
            continue
        bbox = _pt.Table(None, group).bbox
        grids.append(Grid(tuple(round(v, 2) for v in bbox), tuple(built)))
    return tuple(grids)


def _inside(words: tuple[Word, ...], box: tuple[float, float, float, float]) -> tuple[Word, ...]:
    x0, top, x1, bottom = box
    return tuple(w for w in words
                 if x0 <= (w.x0 + w.x1) / 2 <= x1 and top <= (w.top + w.bottom) / 2 <= bottom)
