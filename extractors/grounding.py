"""Where a sample prints a golden value: the lines that hold it, tolerant of OCR noise.

The compiler learns from these places (a table's heading and row shape, how a cell is
printed), so a golden value must be found even when OCR garbled a character or a line break
split it; rapidfuzz's partial ratio does the tolerant comparison.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from extractors import runtime
from pipeline.document import Document, Line

MIN_RATIO = 90.0


@dataclass(frozen=True)
class Place:
    """One line printing a golden text: page number, line index, the line, and match quality."""

    page: int
    index: int
    line: Line
    score: float


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def ground(doc: Document, text: str, *, min_ratio: float = MIN_RATIO) -> list[Place]:
    """Lines printing `text` (exactly as a whole-word span, or fuzzily when long enough), best first."""
    want = _key(text)
    if not want:
        return []
    out: list[Place] = []
    for page in doc.pages:
        for li, line in enumerate(page.lines):
            have = _key(line.text)
            if f" {want} " in f" {have} ":
                out.append(Place(page.number, li, line, 100.0))
            elif len(want) >= 6 and len(have) >= 0.6 * len(want):
                score = fuzz.partial_ratio(want, have)
                if score >= min_ratio:
                    out.append(Place(page.number, li, line, score))
    out.sort(key=lambda p: (-p.score, p.page, p.index))
    return out


def heading_above(doc: Document, place: Place, max_lines: int = 12) -> str | None:
    """The normalised text of the nearest section heading above `place` on its page
    (`runtime.heading_over`)."""
    line = runtime.heading_over(doc.pages[place.page - 1].lines, place.index, max_lines)
    return runtime.norm_phrase(line.text) if line is not None else None
