"""The helper API that generated extraction code may call.

Every helper returns `Found` (a value plus where it was read: page, bbox, source text,
confidence) or None. Generated `extract(doc)` functions return `{field: Found | None}`;
a table field's Found holds a list of rows, each `{column: Found | None}`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.document import BBox


@dataclass(frozen=True, slots=True)
class Found:
    """A value read from a document, with its provenance."""

    value: Any
    page: int | None = None
    bbox: BBox | None = None
    text: str = ""
    confidence: float = 1.0
