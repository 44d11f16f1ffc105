"""Ruling lines OCR read as letters: a table's vertical border taken for the first or last glyph
of the word beside it (`IHeight`, `lo2`, `BMI!`).

A cell pads its text away from its borders, so a word whose first (last) glyph lies on a
vertical rule found on the page image (`rules.find_rules`) did not print that glyph: it is the
rule. Those glyphs are dropped when they are ones a thin vertical stroke reads as (`||Inactive`), and a word made of
such glyphs only, lying on a rule, is dropped whole. Digits are never touched (`1` beside a
rule may be printed), nor is a word left shorter than two characters."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pipeline.document import Word

# what Tesseract reads a thin vertical stroke as
STROKE_GLYPHS = frozenset("Il|[]!")
MARKS = frozenset("|[]!")  # of those, the ones no word starts or ends with
# how far outside a word's box a rule may lie and still be the glyph OCR read (points)
SLACK = 1.0

Rule = tuple[float, float, float, float]


def trim_rule_glyphs(words: Iterable[Word], rules: Iterable[Rule]) -> list[Word]:
    """`words` with the glyphs that are vertical rules taken off (see the module docstring)."""
    verticals = [r for r in rules if r[0] == r[2]]
    out: list[Word] = []
    for w in words:
        near = [r[0] for r in verticals if r[1] <= (w.top + w.bottom) / 2 <= r[3] and w.x0 - SLACK <= r[0] <= w.x1 + SLACK]
        if not near:
            out.append(w)
            continue
        glyph = (w.x1 - w.x0) / max(1, len(w.text))
        if all(ch in STROKE_GLYPHS for ch in w.text):
            continue  # the rule alone, read as `I]` or `|`
        lead = _stroke_run(w.text, [(x - w.x0) / glyph for x in near])
        if lead:
            w = replace(w, text=w.text[lead:], x0=round(w.x0 + lead * glyph, 2))
        trail = _stroke_run(w.text[::-1], [(w.x1 - x) / glyph for x in near])
        if trail:
            w = replace(w, text=w.text[:-trail], x1=round(w.x1 - trail * glyph, 2))
        out.append(w)
    return out


def _stroke_run(text: str, at: list[float]) -> int:
    """How many leading glyphs of `text` are a rule lying `at` glyph widths from its start: the
    glyph the rule falls on (a stroke glyph), and the marks after it that no word starts with
    (`||Inactive` loses `||`, `IHeight` its `I`); 0 when that would leave under two characters."""
    hits = [int(max(a, 0.0)) for a in at if a < len(text)]
    if not hits:
        return 0
    first = min(hits)
    if any(ch not in STROKE_GLYPHS for ch in text[:first + 1]):
        return 0
    n = first + 1
    while n < len(text) and text[n] in MARKS:
        n += 1
    return n if len(text) - n >= 2 else 0
