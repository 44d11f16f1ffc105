"""Keyed inline lists: rows printed as `key value` pairs along a line.

Claim forms print their diagnoses so: `A: J45.909  B: K21.9`, `A. F329  B. E669  C. ____`,
`(A) I10`, or a `Ref | ICD-10-CM` table whose rows read `A I10 Essential hypertension`. Each
pair is a short key token (a letter, two letters or a number, bracketed or followed by `.`, `:` or
`)`) and, right after it, a value that parses as the column's kind. Kept apart from
`runtime.py` like the other readers; it imports nothing above the base layer.
"""
from __future__ import annotations

import re
from decimal import Decimal
from types import MappingProxyType

from pipeline.document import BBox, Document, Word

from extractors._rt_values import Found, fix_icd10, parse_value

KEY_SHAPES = MappingProxyType({"letter": r"[A-Za-z]", "letters": r"[A-Za-z]{2}", "number": r"\d{1,2}"})
# a key token of each shape, bare or bracketed, or followed by `.`, `:` or `)`
_KEY_TOKENS = MappingProxyType({shape: re.compile(rf"^\(?({body})\)?[.:)]?$") for shape, body in KEY_SHAPES.items()})
# a key and its value printed without a space between them (`B:E78.5`)
_GLUED = MappingProxyType({shape: re.compile(rf"^\(?({body})\)?[.:)](\S+)$") for shape, body in KEY_SHAPES.items()})


def _pairs(words: tuple[Word, ...], key_shape: str):
    """(key match, key word, value text, value word) for every key token followed by a value
    word, and every key glued to its value in one word."""
    pattern, glued = _KEY_TOKENS[key_shape], _GLUED[key_shape]
    for i, w in enumerate(words):
        m = pattern.match(w.text)
        if m is not None and i + 1 < len(words) and not pattern.match(words[i + 1].text):
            yield m, w, words[i + 1].text, words[i + 1]
        elif m is None and (g := glued.match(w.text)) is not None:
            yield g, w, g.group(2), w


def _read(text: str, word: Word, kind: str, system: str | None, order: str):
    """The value a word prints, whole (not a part of it); an OCR'd ICD-10-CM code with its
    shape repaired (`RO7.9`) when it does not read as printed."""
    def whole(candidate: str):
        parsed = parse_value(candidate, kind, order=order, system=system)
        return parsed if parsed is not None and parsed[1] == candidate.strip(".,;") else None

    parsed = whole(text)
    if parsed is None and system == "icd10cm" and word.conf < 1.0:
        parsed = whole(fix_icd10(text))
    return parsed


def keyed_list(doc: Document, *, key: str, value: str, kind: str, key_shape: str = "letter",
               system: str | None = None, order: str = "mdy") -> Found | None:
    """Rows `{key: Found, value: Found}` for every key token followed by a value of `kind`, in
    reading order; a pair printed again (a form repeated on a later page) is read once. The key
    comes back bare (`(A)` -> `A`). Other columns of the table stay empty."""
    rows: list[dict[str, Found | None]] = []
    boxes: list[BBox] = []
    first_page: int | None = None
    seen: set[tuple[str, object]] = set()
    for page in doc.pages:
        for line in page.lines:
            for m, w, text, nxt in _pairs(line.words, key_shape):
                parsed = _read(text, nxt, kind, system, order)
                if parsed is None:
                    continue
                val = float(parsed[0]) if isinstance(parsed[0], Decimal) else parsed[0]
                k = m.group(1) if key_shape == "number" else m.group(1).upper()
                if (k, val) in seen:
                    continue
                seen.add((k, val))
                conf = round(min(w.conf, nxt.conf), 3)
                rows.append({key: Found(k, page.number, w.bbox, w.text, conf),
                             value: Found(val, page.number, nxt.bbox, parsed[1], conf)})
                boxes += [w.bbox, nxt.bbox]
                first_page = first_page or page.number
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Found(rows, first_page, bbox, "", 0.9)
