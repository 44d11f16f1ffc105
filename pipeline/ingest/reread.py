"""A second look at the words Tesseract was unsure of.

Tesseract reads a page as blocks of lines. Where a table's header cells wrap to different
heights (`Blood / Pressure- / Diastolic` beside `Heart / Rate` beside `Date`), or a line
runs close to a fill's edge, its line finder mixes two lines into one and reads neither:
`nea re` for `Heart Rate`, `Tom` for `Body`, and a word such as `Blood` is lost. The same
words cut out on their own read right.

So every word of MIN_CHARS or more read under DOUBTFUL confidence is looked at again: its box,
padded by two lines above and below and grown over every word it touches, is a region; regions
that touch merge; they are cut out, stacked with white between them in one image and read in
one Tesseract call, as a block of text. The two readings' words that overlap form groups; a
group holding a doubtful word takes the second reading when it reads surer (mean confidence,
itself not doubtful) and cuts no word in pieces along its line; a second-reading word that overlaps none is added
when it is SURE (a word the first reading missed); a word cut by a region's edge is not used.
A number read differently keeps the first reading's doubt. Words read with confidence are
never looked at again, so a clean page costs nothing more.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# this module's source: part of the OCR cache key, so words read by an older second look are never served
FINGERPRINT = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]

DOUBTFUL = 0.6        # a word read under this confidence is read again ...
MIN_CHARS = 3         # ... when it holds this many letters or digits or more
SURE = 0.9            # a word only the second look found is added from this confidence
PAD_LINES = 2.0       # a region reaches this many line heights above and below its words
WIDEN_LINES = 0.5     # and this many to its left and right (a misread word may be part of a longer one)
MAX_REGIONS = 24      # per page: a badly damaged page is not read twice over
GAP_LINES = 2.0       # white between two stacked regions, in line heights
EDGE_LINES = 0.25     # a word within this share of a line height of its region's edge may be cut: not used


@dataclass(frozen=True)
class PxWord:
    """A word as Tesseract returns it: box in pixels of the image read, conf 0..1."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    conf: float


Region = tuple[int, int, int, int]  # left, top, right, bottom in pixels


def _doubtful(w: PxWord) -> bool:
    """A word read under DOUBTFUL with three or more letters or digits: shorter ones are as
    often an icon or a checkbox read as letters (`Vv`, `(SF`), which a second look would only
    read more surely as letters."""
    return w.conf < DOUBTFUL and sum(ch.isalnum() for ch in w.text) >= MIN_CHARS


def _line_height(words: list[PxWord]) -> int:
    heights = sorted(w.bottom - w.top for w in words if any(ch.isalnum() for ch in w.text))
    return max(1, heights[len(heights) // 2]) if heights else 1


def regions(words: list[PxWord], shape: tuple[int, int]) -> list[Region]:
    """The padded boxes around the page's doubtful words, grown over the words they cut and
    merged where they touch; the MAX_REGIONS with the least sure words when there are more
    (in page order)."""
    line = _line_height(words)
    pad_y, pad_x = int(PAD_LINES * line), int(WIDEN_LINES * line)
    height, width = shape
    boxes = [[max(0, w.left - pad_x), max(0, w.top - pad_y), min(width, w.right + pad_x), min(height, w.bottom + pad_y), w.conf]
             for w in words if _doubtful(w)]
    margin = max(2, int(EDGE_LINES * line)) + 1
    for b in boxes:  # never cut a word the first reading saw: a region takes in every word it touches
        for w in words:
            if w.left < b[2] and b[0] < w.right and w.top < b[3] and b[1] < w.bottom:
                b[0], b[1] = max(0, min(b[0], w.left - margin)), max(0, min(b[1], w.top - margin))
                b[2], b[3] = min(width, max(b[2], w.right + margin)), min(height, max(b[3], w.bottom + margin))
    merged = True
    while merged:
        merged = False
        out: list[list[float]] = []
        for b in sorted(boxes):
            for m in out:
                if b[0] <= m[2] and m[0] <= b[2] and b[1] <= m[3] and m[1] <= b[3]:
                    m[:5] = [min(m[0], b[0]), min(m[1], b[1]), max(m[2], b[2]), max(m[3], b[3]), min(m[4], b[4])]
                    merged = True
                    break
            else:
                out.append(list(b))
        boxes = out
    boxes = sorted(boxes, key=lambda b: (b[4], b[1], b[0]))[:MAX_REGIONS]
    return sorted((int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in boxes)


def stack(arr: np.ndarray, boxes: list[Region], gap: int) -> tuple[np.ndarray, list[int]]:
    """The regions cut out of `arr`, one under another on white, and where each one starts."""
    width = max(r - l for l, _, r, _ in boxes) + 2 * gap
    height = sum(b - t for _, t, _, b in boxes) + gap * (len(boxes) + 1)
    sheet = np.full((height, width), 255, dtype=np.uint8)
    starts, y = [], gap
    for l, t, r, b in boxes:
        sheet[y:y + b - t, gap:gap + r - l] = arr[t:b, l:r]
        starts.append(y)
        y += b - t + gap
    return sheet, starts


def _overlaps(a: PxWord, b: PxWord) -> bool:
    """The two boxes share at least a third of the smaller one's area."""
    w = min(a.right, b.right) - max(a.left, b.left)
    h = min(a.bottom, b.bottom) - max(a.top, b.top)
    if w <= 0 or h <= 0:
        return False
    smaller = min((a.right - a.left) * (a.bottom - a.top), (b.right - b.left) * (b.bottom - b.top))
    return w * h * 3 >= max(1, smaller)


def placed(found: list[PxWord], boxes: list[Region], starts: list[int], gap: int, line: int) -> list[PxWord]:
    """Words read on the stacked sheet, moved back to the page; those cut by an edge left out."""
    edge = max(2, int(EDGE_LINES * line))
    out = []
    for w in found:
        for (l, t, r, b), y in zip(boxes, starts):
            if y - edge <= (w.top + w.bottom) / 2 <= y + b - t + edge:
                left, top = w.left - gap + l, w.top - y + t
                right, bottom = w.right - gap + l, w.bottom - y + t
                inside = (left > l + edge or l == 0) and (top > t + edge or t == 0) \
                    and right < r - edge and bottom < b - edge
                if inside:
                    out.append(PxWord(w.text, left, top, right, bottom, w.conf))
                break
    return out


def _split(word: PxWord, news: list[PxWord]) -> bool:
    """Whether the second reading cut one word of the first into pieces along its line
    (`PROBLEMS` as `PROB LEMS`: a heading's wide letter spacing): no misreading of lines, and
    the pieces match nothing. Pieces on different lines (`nea` over `Heart` and `Rate`) are the
    lines the first reading mixed."""
    pieces = sorted(((w.top + w.bottom) / 2, w.bottom - w.top) for w in news if _overlaps(w, word))
    return any(b[0] - a[0] < max(a[1], b[1]) / 2 for a, b in zip(pieces, pieces[1:]))


def _keeping_doubt(word: PxWord, doubt: float, first: list[str]) -> PxWord:
    """A number read again differently keeps the first reading's doubt (`99-2684808` then
    `99-2684608`: two readings that differ cannot both be right, and the gate weighs a value by
    its words' confidence); words, and numbers read the same, keep the second's."""
    if any(ch.isdigit() for ch in word.text) and word.text not in first:
        return PxWord(word.text, word.left, word.top, word.right, word.bottom, min(word.conf, doubt))
    return word


def _overlapping(first: list[PxWord], second: list[PxWord]) -> list[tuple[int, int]]:
    """(i, j) for every word `first[i]` that `second[j]` overlaps; only the first reading's
    words whose tops lie near a second word's line are tested (a page holds a thousand words)."""
    order = sorted(range(len(first)), key=lambda i: first[i].top)
    tops = [first[i].top for i in order]
    tallest = max((w.bottom - w.top for w in first), default=0)
    out = []
    for j, w in enumerate(second):
        for k in range(bisect_left(tops, w.top - tallest), bisect_left(tops, w.bottom)):
            if _overlaps(w, first[order[k]]):
                out.append((order[k], j))
    return sorted(out)


def merge(first: list[PxWord], second: list[PxWord]) -> list[PxWord]:
    """The first reading with the second's words where they read better: words of the two
    readings that overlap, directly or through others, are one group; a group holding a
    doubtful word of the first reading takes the second's words when their mean confidence is
    higher and not itself doubtful, and it cuts no word of the first in pieces along its line (`_split`), placed where
    the group's first word was (a number read differently keeps the first reading's doubt,
    `_keeping_doubt`). A word of the second reading that overlaps none is added at the end
    when it is SURE."""
    parent = list(range(len(first) + len(second)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _overlapping(first, second):
        parent[root(len(first) + j)] = root(i)
    groups: dict[int, tuple[list[int], list[PxWord]]] = {}
    for i in range(len(first)):
        groups.setdefault(root(i), ([], []))[0].append(i)
    for j, w in enumerate(second):
        groups.setdefault(root(len(first) + j), ([], []))[1].append(w)
    removed: set[int] = set()
    at: dict[int, list[PxWord]] = {}
    extra = []
    for olds, news in groups.values():
        if not news:
            continue
        if not olds:
            extra += [w for w in news if w.conf >= SURE and any(ch.isalnum() for ch in w.text)]
            continue
        mean_old = sum(first[i].conf for i in olds) / len(olds)
        mean_new = sum(w.conf for w in news) / len(news)
        surer = mean_new >= DOUBTFUL and mean_new > mean_old  # a doubtful guess for another is no better
        if surer and any(_doubtful(first[i]) for i in olds) and not any(_split(first[i], news) for i in olds):
            removed.update(olds)
            doubt = max(first[i].conf for i in olds)
            at[min(olds)] = [_keeping_doubt(w, doubt, [first[i].text for i in olds])
                             for w in sorted(news, key=lambda w: (w.top, w.left))]
    if not at and not extra:
        return first
    out = []
    for i, f in enumerate(first):
        out += at.get(i, [])
        if i not in removed:
            out.append(f)
    return out + sorted(extra, key=lambda w: (w.top, w.left))


def second_look(arr: np.ndarray, words: list[PxWord], read: Callable[[Image.Image], list[PxWord]]) -> list[PxWord]:
    """`words` (Tesseract's reading of the page image `arr`) with the doubtful ones read again
    (see the module docstring); `read` OCRs an image as a block of text."""
    boxes = regions(words, arr.shape[:2])
    if not boxes:
        return words
    line = _line_height(words)
    gap = int(GAP_LINES * line)
    sheet, starts = stack(arr, boxes, gap)
    return merge(words, placed(read(Image.fromarray(sheet, mode="L")), boxes, starts, gap, line))
