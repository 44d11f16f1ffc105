"""The document model every stage shares.

Coordinates are PDF points (1/72 inch) with the origin at the top-left of the page,
for text-layer and OCR pages alike, so extractors never care where a word came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PageSource = Literal["text-layer", "ocr"]
BBox = tuple[float, float, float, float]
STACKED_SHARE = 0.5  # share of the narrower word's width two words one above the other share
STACKED_DROP = 1 / 3  # share of the taller word's height the lower one's centre sits below the other's


@dataclass(frozen=True, slots=True)
class Word:
    """One word with its box (x0, top, x1, bottom) in points and a 0..1 confidence."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    conf: float = 1.0

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.top, self.x1, self.bottom)


@dataclass(frozen=True, slots=True)
class Line:
    """Words on one visual line, left to right."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return (
            min(w.x0 for w in self.words),
            min(w.top for w in self.words),
            max(w.x1 for w in self.words),
            max(w.bottom for w in self.words),
        )

    @property
    def conf(self) -> float:
        return min(w.conf for w in self.words)


@dataclass(frozen=True, slots=True)
class GridCell:
    """One cell of a drawn table grid: its box and the page's words whose centre lies in it."""

    bbox: BBox
    words: tuple[Word, ...]

    @property
    def lines(self) -> tuple[Line, ...]:
        return group_lines(self.words)

    @property
    def text(self) -> str:
        """The cell's text, its visual lines joined with single spaces."""
        return " ".join(line.text for line in self.lines)


@dataclass(frozen=True, slots=True)
class Grid:
    """A table the page draws with ruled or filled borders: rows top to bottom, each row's
    cells left to right on the grid's columns (None where a neighbouring cell spans it)."""

    bbox: BBox
    rows: tuple[tuple[GridCell | None, ...], ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its words, its lines in reading order, where the text came from, and the
    table grids it draws (text-layer pages only; empty for OCR pages)."""

    number: int  # 1-based
    width: float
    height: float
    source: PageSource
    words: tuple[Word, ...]
    lines: tuple[Line, ...]
    tables: tuple[Grid, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True, slots=True)
class Document:
    """A whole input document, identified by the sha256 of its bytes."""

    source: str
    sha256: str
    pages: tuple[Page, ...]
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


def _stacked(word: Word, line: list[Word]) -> bool:
    """Whether `word` lies under a word of `line`: most of the narrower one's width is shared
    and its centre is lower by a third of the taller one's height (two words of one visual line
    never share their width; OCR's boxes read twice from one damaged word sit at one height).
    Header cells of a table wrapped over two or three lines each, vertically centred at
    different heights, would otherwise chain into one line by their centres (`Oximetry` beside
    `BldC` above it)."""
    return any(min(word.x1, o.x1) - max(word.x0, o.x0) > STACKED_SHARE * min(word.x1 - word.x0, o.x1 - o.x0)
               and (word.top + word.bottom - o.top - o.bottom) / 2 > STACKED_DROP * max(word.bottom - word.top, o.bottom - o.top)
               for o in line)


def group_lines(words: list[Word] | tuple[Word, ...], tolerance: float = 0.5) -> tuple[Line, ...]:
    """Group words into visual lines in reading order.

    A word joins the current line when its vertical centre lies within `tolerance`
    times the line height of the line's centre, unless it lies under one of the line's words
    (`_stacked`). Sorting is deterministic.
    """
    if not words:
        return ()
    ordered = sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0))
    lines: list[list[Word]] = []
    centre = height = 0.0
    for w in ordered:
        c = (w.top + w.bottom) / 2
        h = max(w.bottom - w.top, 1.0)
        if lines and abs(c - centre) <= tolerance * max(height, h) and not _stacked(w, lines[-1]):
            lines[-1].append(w)
            n = len(lines[-1])
            centre = centre + (c - centre) / n
            height = max(height, h)
        else:
            lines.append([w])
            centre, height = c, h
    return tuple(Line(tuple(sorted(ws, key=lambda w: w.x0))) for ws in lines)
