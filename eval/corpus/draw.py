"""A small drawing toolkit over a reportlab canvas, with top-left coordinates and page flow.

Layouts describe documents with these primitives: text, label/value pairs in several
arrangements, wrapped paragraphs and tables that continue on the next page.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable, Sequence

from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

PAGE_SIZES = {"letter": letter, "a4": A4}

BOLD = {
    "Helvetica": "Helvetica-Bold",
    "Times-Roman": "Times-Bold",
    "Courier": "Courier-Bold",
}


def bold(font: str) -> str:
    return BOLD.get(font, font)


def width(s: str, font: str, size: float) -> float:
    return stringWidth(s, font, size)


@dataclass
class Col:
    """A table column: header text, width in points, alignment (l, r, c)."""

    header: str
    width: float
    align: str = "l"


@dataclass
class Flow:
    """A canvas plus a cursor `y` (points from the top) that moves down the page.

    `on_new_page(flow)` draws the running header of continuation pages and must leave
    `flow.y` below it; `on_page_end(flow)` draws the footer (page numbers).
    """

    pagesize: str = "letter"
    margin: float = 54
    bottom_margin: float = 60
    on_new_page: Callable[["Flow"], None] | None = None
    on_page_end: Callable[["Flow"], None] | None = None
    total_pages: int | None = None
    page: int = 1
    y: float = 0
    buf: io.BytesIO = field(default_factory=io.BytesIO)

    def __post_init__(self) -> None:
        self.w, self.h = PAGE_SIZES[self.pagesize]
        self.c = Canvas(self.buf, pagesize=(self.w, self.h), invariant=1, pageCompression=1)
        self.c.setTitle("")
        self.c.setAuthor("")
        self.c.setCreator("")
        self.c.setProducer("")
        self.y = self.margin

    # -- page management
    @property
    def left(self) -> float:
        return self.margin

    @property
    def right(self) -> float:
        return self.w - self.margin

    @property
    def content_width(self) -> float:
        return self.w - 2 * self.margin

    def ensure(self, height: float) -> bool:
        """Start a new page if `height` points do not fit; True when a page was started."""
        if self.y + height > self.h - self.bottom_margin:
            self.new_page()
            return True
        return False

    def new_page(self) -> None:
        if self.on_page_end:
            self.on_page_end(self)
        self.c.showPage()
        self.page += 1
        self.y = self.margin
        if self.on_new_page:
            self.on_new_page(self)

    def finish(self) -> bytes:
        if self.on_page_end:
            self.on_page_end(self)
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()

    # -- primitives (y is the top of the text line)
    def text(self, x: float, y: float, s: str, font: str = "Helvetica", size: float = 10,
             align: str = "l", gray: float = 0.0) -> float:
        """Draw one line with its top at y; returns its width."""
        c = self.c
        c.setFont(font, size)
        c.setFillGray(gray)
        base = self.h - y - size * 0.8
        wd = width(s, font, size)
        if align == "r":
            c.drawRightString(x, base, s)
        elif align == "c":
            c.drawCentredString(x, base, s)
        else:
            c.drawString(x, base, s)
        c.setFillGray(0)
        return wd

    def line(self, x0: float, y0: float, x1: float, y1: float, lw: float = 0.5, gray: float = 0) -> None:
        self.c.setLineWidth(lw)
        self.c.setStrokeGray(gray)
        self.c.line(x0, self.h - y0, x1, self.h - y1)
        self.c.setStrokeGray(0)

    def rect(self, x: float, y: float, w: float, h: float, lw: float = 0.5, fill: float | None = None,
             stroke: bool = True) -> None:
        c = self.c
        c.setLineWidth(lw)
        if fill is not None:
            c.setFillGray(fill)
        c.rect(x, self.h - y - h, w, h, stroke=1 if stroke else 0, fill=1 if fill is not None else 0)
        c.setFillGray(0)

    def para(self, x: float, text: str, wdt: float, font: str = "Helvetica", size: float = 10,
             leading: float | None = None) -> None:
        """Wrapped paragraph at the cursor; flows onto new pages."""
        leading = leading or size * 1.3
        for ln in simpleSplit(text, font, size, wdt):
            self.ensure(leading)
            self.text(x, self.y, ln, font, size)
            self.y += leading

    # -- label/value pairs
    def pair(self, x: float, y: float, label: str, value: str, style: str, font: str, size: float,
             label_w: float = 90, box_w: float = 150, label_font: str | None = None) -> float:
        """Draw a label and its value; returns the height used.

        style: inline ("Label: value"), left (label column, value column at x+label_w),
        above (small label over the value), boxed (label over value inside a ruled box).
        """
        lf = label_font or bold(font)
        if style == "inline":
            wd = self.text(x, y, label, lf, size)
            self.text(x + wd + size * 0.35, y, value, font, size)
            return size * 1.45
        if style == "left":
            self.text(x, y, label, lf, size)
            self.text(x + label_w, y, value, font, size)
            return size * 1.45
        if style == "above":
            self.text(x, y, label, lf, size * 0.72, gray=0.25)
            self.text(x, y + size * 0.9, value, font, size)
            return size * 2.2
        if style == "boxed":
            h = size * 2.5
            self.rect(x, y, box_w, h, lw=0.6)
            self.text(x + 3, y + 2, label, lf, size * 0.62)
            self.text(x + 4, y + size * 1.15, value, font, size)
            return h
        raise ValueError(style)

    # -- tables
    def table(self, cols: Sequence[Col], rows: Sequence[Sequence[str]], *, style: str = "grid",
              font: str = "Helvetica", size: float = 9, header_font: str | None = None,
              header_fill: float | None = None, x: float | None = None, row_h: float | None = None,
              continued_label: str | None = "(continued)", header_upper: bool = False,
              bold_cells: Callable[[int, int], bool] | None = None) -> None:
        """A table at the cursor; rows that do not fit go to the next page with the header repeated.

        style: grid (every cell ruled), lines (rules under header and between rows),
        plain (no rules, a rule under the header only), zebra (shaded alternate rows).
        """
        x0 = self.left if x is None else x
        hf = header_font or bold(font)
        rh = row_h or size * 1.7
        total_w = sum(c.width for c in cols)

        def cell_x(ci: int, col: Col) -> tuple[float, str]:
            cx = x0 + sum(c.width for c in cols[:ci])
            if col.align == "r":
                return cx + col.width - 3, "r"
            if col.align == "c":
                return cx + col.width / 2, "c"
            return cx + 3, "l"

        def header() -> None:
            top = self.y
            if header_fill is not None:
                self.rect(x0, top, total_w, rh, lw=0, fill=header_fill, stroke=False)
            for ci, col in enumerate(cols):
                tx, al = cell_x(ci, col)
                label = col.header.upper() if header_upper else col.header
                self.text(tx, top + (rh - size) / 2, label, hf, size, align=al)
            if style == "grid":
                self._grid_row(x0, top, cols, rh, lw=0.7)
            elif style in ("lines", "plain", "zebra"):
                self.line(x0, top + rh, x0 + total_w, top + rh, lw=0.9)
                if style == "lines":
                    self.line(x0, top, x0 + total_w, top, lw=0.9)
            self.y += rh

        self.ensure(rh * 2)
        header()
        for ri, row in enumerate(rows):
            if self.ensure(rh):
                if continued_label:
                    self.text(x0, self.y, continued_label, font, size * 0.9, gray=0.3)
                    self.y += size * 1.5
                header()
            top = self.y
            if style == "zebra" and ri % 2 == 1:
                self.rect(x0, top, total_w, rh, lw=0, fill=0.9, stroke=False)
            for ci, col in enumerate(cols):
                val = row[ci] if ci < len(row) else ""
                if not val:
                    continue
                tx, al = cell_x(ci, col)
                f = bold(font) if bold_cells and bold_cells(ri, ci) else font
                self.text(tx, top + (rh - size) / 2, val, f, size, align=al)
            if style == "grid":
                self._grid_row(x0, top, cols, rh)
            elif style == "lines":
                self.line(x0, top + rh, x0 + total_w, top + rh, lw=0.3, gray=0.4)
            self.y += rh
        if style == "plain":
            self.line(x0, self.y + 1, x0 + total_w, self.y + 1, lw=0.5)

    def _grid_row(self, x0: float, top: float, cols: Sequence[Col], rh: float, lw: float = 0.5) -> None:
        total_w = sum(c.width for c in cols)
        self.rect(x0, top, total_w, rh, lw=lw)
        cx = x0
        for col in cols[:-1]:
            cx += col.width
            self.line(cx, top, cx, top + rh, lw=lw)

