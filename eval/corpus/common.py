"""Shared bits for layouts: date formats, the layout registry, two-pass rendering."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from .draw import Flow


def fdate(d: dt.date | None, fmt: str) -> str:
    """Format a date; `fmt` is strftime, plus UPPER: prefix for upper-case month names."""
    if d is None:
        return ""
    if fmt.startswith("UPPER:"):
        return d.strftime(fmt[6:]).upper()
    if fmt == "MM DD YYYY":
        return d.strftime("%m %d %Y")
    return d.strftime(fmt)


@dataclass(frozen=True)
class Layout:
    """One visual layout of a document type (one hospital's / vendor's form)."""

    doc_type: str
    name: str                      # e.g. lab_a
    render: Callable[[dict[str, Any], dict[str, Any], int | None], Flow]
    style: dict[str, Any] = field(default_factory=dict)
    heldout: bool = False          # held-out layouts go to tests/heldout, never data/samples


def run(layout: Layout, rec: dict[str, Any]) -> tuple[bytes, int]:
    """Render twice: once to count pages, once with 'Page n of m' filled in."""
    first = layout.render(rec, layout.style, None)
    pages = first.page
    first.finish()
    second = layout.render(rec, layout.style, pages)
    return second.finish(), pages


def page_footer(text_fn: Callable[[Flow], str], font: str = "Helvetica", size: float = 8,
                align: str = "c", rule: bool = False) -> Callable[[Flow], None]:
    def footer(f: Flow) -> None:
        y = f.h - 40
        if rule:
            f.line(f.left, y - 4, f.right, y - 4, lw=0.4)
        x = {"c": f.w / 2, "r": f.right, "l": f.left}[align]
        f.text(x, y, text_fn(f), font, size, align=align, gray=0.2)
    return footer
