"""Characters a PDF prints twice at (almost) the same place, dropped from the text layer.

Report writers imitate bold type by drawing each string a second time a fraction of a point
away. Both copies land in the text layer, and pdfium interleaves them (`PPaattiieenntt`) or
keeps both words, so labels, headers and table cells stop reading as printed. The check is
pdfplumber's `dedupe_chars` (same text, font and size within a tolerance keep one copy),
run only on pages whose words look doubled, so ordinary pages cost nothing extra.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from pdfplumber.utils import dedupe_chars

from pipeline.document import Word

TOLERANCE = 1.0  # points (pdfplumber's default) ...
TOLERANCE_EM = 0.2  # ... but at most this share of the type size: tiny type packs glyphs tight

CharBox = tuple[float, float, float, float]


def _doubled(text: str) -> bool:
    """`HHeeaalltthh`: (nearly) every character repeated in place. Letters only count: rules
    (`======`), numbers (`4400`) and placeholders (`YYYY`) are printed so on purpose."""
    n = len(text) // 2
    if n < 2 or (text[0] != text[1] and text[2] != text[3]) or len({c for c in text[0::2] if c.isalpha()}) < 2:
        return False
    same = sum(1 for k in range(n) if text[2 * k] == text[2 * k + 1])
    return same >= 0.8 * n


def _repeated(text: str) -> bool:
    """`NameName`: one string twice over (with two letters or more)."""
    h = len(text) // 2
    return len(text) % 2 == 0 and text[:h] == text[h:] and len({c for c in text[:h] if c.isalpha()}) >= 2


def suspect(words: Sequence[Word]) -> bool:
    """True when the page may print characters twice: a word whose letters come in pairs,
    a word that is one string twice, or two equal words over each other. Cheap; a false
    alarm costs only the character-level check."""
    by_text: dict[str, list[Word]] = {}
    for w in words:
        t = w.text
        if (len(t) >= 4 and (t[0] == t[1] or t[2] == t[3] or t[0] == t[len(t) // 2])
                and (_doubled(t) or _repeated(t))):
            return True
        got = by_text.get(t)
        if got is None:
            by_text[t] = [w]
        else:
            got.append(w)
    for same in by_text.values():
        if len(same) < 2:
            continue
        same = sorted(same, key=lambda w: w.top)
        for k, o in enumerate(same):
            for w in same[k + 1:]:
                if w.top >= o.bottom:
                    break  # sorted by top: nothing further down overlaps `o`
                ix = min(o.x1, w.x1) - max(o.x0, w.x0)
                iy = min(o.bottom, w.bottom) - w.top
                if ix > 0 and iy > 0 and ix * iy >= 0.5 * min((o.x1 - o.x0) * (o.bottom - o.top),
                                                             (w.x1 - w.x0) * (w.bottom - w.top)):
                    return True
    return False


def kept_chars(text: str, char_box: Callable[[int], CharBox | None],
               char_font: Callable[[int], tuple[str, float, bool]]) -> list[int] | None:
    """Indices of `text` to keep once duplicated characters are dropped, or None when
    nothing is duplicated. Whitespace and characters without a box are always kept.

    `char_font(i)` is (font name, size, upright). Characters are handed to pdfplumber's
    `dedupe_chars` in bands of one size and nearby tops: its clusters never cross a gap in
    `top` wider than the tolerance, so the bands give exactly its result on the whole page
    while keeping its cost (quadratic in the characters it is given) small.
    """
    groups: dict[float, list[dict]] = defaultdict(list)
    for i, ch in enumerate(text):
        if ch.isspace():
            continue
        b = char_box(i)
        if b is None:
            continue
        name, size, upright = char_font(i)
        size = round(size, 1)
        groups[size].append({"i": i, "text": ch, "upright": upright, "fontname": name, "size": size,
                             "x0": round(b[0], 3), "doctop": round(b[1], 3)})
    dropped: set[int] = set()
    for size, chars in groups.items():
        tol = min(TOLERANCE, TOLERANCE_EM * size) if size > 0 else TOLERANCE
        chars.sort(key=lambda c: (c["doctop"], c["i"]))
        band: list[dict] = []
        for c in chars + [None]:  # type: ignore[list-item]
            if c is not None and (not band or c["doctop"] - band[-1]["doctop"] <= tol):
                band.append(c)
                continue
            if len(band) > 1:
                band.sort(key=lambda d: d["i"])
                kept = {d["i"] for d in dedupe_chars(band, tolerance=tol, extra_attrs=("fontname", "size"))}
                dropped.update(d["i"] for d in band if d["i"] not in kept)
            band = [c] if c is not None else []
    if not dropped:
        return None
    return [i for i in range(len(text)) if i not in dropped]
