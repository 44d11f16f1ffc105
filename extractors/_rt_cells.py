"""Runtime helpers, part of `extractors.runtime`: a line split into cells, and the label/value
pairs read from cells (colon, right of, below, inline, trailing labels). A separate module only
to keep runtime.py small; it imports nothing above the base layer."""
from __future__ import annotations

import re

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

from pipeline.document import BBox, Document, Line, Word

from extractors._rt_values import ITEM_NUMBER, norm, norm_phrase, stem

# ---------------------------------------------------------------- cells and label/value pairs

@dataclass(frozen=True, slots=True)
class Cell:
    """Words of one line that sit together (no wide gap between them)."""

    page: int
    line: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def bbox(self) -> BBox:
        return (self.words[0].x0, min(w.top for w in self.words), self.words[-1].x1, max(w.bottom for w in self.words))

    @property
    def conf(self) -> float:
        return min(w.conf for w in self.words)


def centre_inside(box, boxes) -> bool:
    """Whether the centre of `box` lies in one of `boxes` (x0, top, x1, bottom)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)


_DESCENDING = frozenset("gjpqyJQ()[]{},;|$@/")  # J and Q reach under the line in many faces (DejaVu)


def _line_height(line: Line) -> float:
    """The line's type size: the median height of its words, read on the words without a
    descender or bracket where it has some. An OCR word's box is its ink, so `(Disorder)` or
    `hypertension` stand taller than `Problem`; a text layer's boxes are alike either way."""
    flat = [w for w in line.words if not _DESCENDING & set(w.text)]
    hs = sorted(w.bottom - w.top for w in (flat or line.words))
    return max(hs[len(hs) // 2], 4.0)


def sized_by_ink(line: Line) -> bool:
    """An OCR'd line whose every word has a descender or bracket (`Overweight (finding)`): its
    height says nothing of its type size."""
    return line.conf < 1.0 and all(_DESCENDING & set(w.text) for w in line.words)


def _char_width(line: Line) -> float:
    return char_width(line.words)


def char_width(words) -> float:
    """The mean width of a character of `words` (at least 1.5 pt)."""
    chars = sum(len(w.text) for w in words)
    return max(sum(w.x1 - w.x0 for w in words) / max(chars, 1), 1.5)


def split_cells(line: Line, page: int, index: int, gap: float = 1.0) -> list[Cell]:
    """Split a line at horizontal gaps wider than about two characters (`gap` scales it).

    Character width, not box height, sets the scale: OCR boxes of capitals are short, so a
    height-based limit would split names at ordinary spaces.
    """
    limit = 2.2 * _char_width(line) * gap
    cells: list[list[Word]] = [[line.words[0]]] if line.words else []
    for prev, w in zip(line.words, line.words[1:]):
        if w.x0 - prev.x1 > limit:
            cells.append([w])
        else:
            cells[-1].append(w)
    return [Cell(page, index, tuple(ws)) for ws in cells]


@dataclass(frozen=True, slots=True)
class Pair:
    """A label and the words read as its value; relation is 'colon', 'right' or 'below'."""

    label: str
    label_words: tuple[Word, ...]
    value_words: tuple[Word, ...]
    relation: str
    page: int
    mid: bool = False  # the label follows other words of its own cell (`HEALTH INSURANCE CLAIM FORM`)

    @property
    def value_text(self) -> str:
        return " ".join(w.text for w in self.value_words)

    @property
    def value_bbox(self) -> BBox:
        ws = self.value_words
        return (min(w.x0 for w in ws), min(w.top for w in ws), max(w.x1 for w in ws), max(w.bottom for w in ws))

    @property
    def conf(self) -> float:
        return min(w.conf for w in self.value_words)


def _split_colons(words: tuple[Word, ...], vocabulary: frozenset[str] = frozenset()) -> list[tuple[tuple[Word, ...], tuple[Word, ...]]]:
    """Split 'A: x y B: z' into [(A, x y), (B, z)]; the label before each colon is short.

    Where a value runs into the next label ('FLORES, GEORGE ACCESSION:'), the longest known
    label (from `vocabulary`) ending at the colon wins; otherwise the label is one word.
    """
    colon_idx = [i for i, w in enumerate(words) if w.text.endswith(":") or (i + 1 < len(words) and words[i + 1].text == ":")]
    if not colon_idx:
        return []
    out = []
    prev_end = 0
    for k, ci in enumerate(colon_idx):
        nxt = colon_idx[k + 1] if k + 1 < len(colon_idx) else None
        start = prev_end
        label = words[start:ci + 1]
        if nxt is None:
            value = words[ci + 1:]
            prev_end = len(words)
        else:
            between = words[ci + 1:nxt + 1]
            # the next label takes at most 3 words (and leaves the value at least one)
            take = _label_len(between, vocabulary)
            value = between[: len(between) - take]
            prev_end = ci + 1 + len(value)
        value = tuple(w for w in value if w.text != ":")
        label = tuple(w for w in label if w.text != ":")
        if label:
            out.append((label, value))
    return out


def _label_len(words: tuple[Word, ...], vocabulary: frozenset[str]) -> int:
    """How many trailing words of `words` form the next label (leaving the value one word)."""
    most = min(4, len(words) - 1)
    for n in range(most, 1, -1):
        if norm_phrase(" ".join(w.text for w in words[-n:])) in vocabulary:
            return n
    # 'NPI #:' or 'Acct. No.:' — a bare mark or abbreviation needs the word before it
    if most >= 2 and (not norm(words[-1].text) or norm(words[-1].text) in ("no", "num", "nbr", "id", "date")):
        return 2
    return 1


def _is_label_like(cell: Cell) -> bool:
    """Short and mostly letters ('ICD-10' qualifies, '12/03/2024' does not)."""
    return len(cell.words) <= 6 and _label_like_text(cell.text)


def _numbered(cell: Cell) -> bool:
    """Whether a cell starts with a form's item number ('2.', '1a.', '24.') and words."""
    return len(cell.words) > 1 and bool(ITEM_NUMBER.match(cell.words[0].text))


def _caption(cell: Cell) -> tuple[Word, ...]:
    """The label words of a cell that reads as a label (else none). A form box's caption
    ('2. PATIENT'S NAME (Last Name, First Name, Middle Initial)') loses its item number and, when
    it is too long for a label, the instructions in brackets after it."""
    words = cell.words
    if _numbered(cell):
        words = words[1:]
    elif _is_label_like(cell):
        return cell.words
    if len(words) > 6:
        words = words[:next((i for i, w in enumerate(words) if i and w.text.startswith("(")), len(words))]
    return tuple(words) if len(words) <= 6 and _label_like_text(" ".join(w.text for w in words)) else ()


@lru_cache(maxsize=65536)
def _label_like_text(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    digits = sum(c.isdigit() for c in text)
    return letters >= 2 and letters >= digits


def page_cells(doc: Document) -> list[list[list[Cell]]]:
    """Cells of every line of every page: [page][line] -> cells."""
    return [[split_cells(line, page.number, i) for i, line in enumerate(page.lines)] for page in doc.pages]


def iter_pairs(doc: Document, vocabulary: Iterable[str] = (), cells: list[list[list[Cell]]] | None = None) -> Iterator[Pair]:
    """Every plausible (label, value) pair in the document, in reading order.

    A pair is a 'Label: value' inside a cell, a label cell followed by a value cell on the same
    line, a label cell with a value cell below it that overlaps it horizontally, or a known
    label inside a run of words. A value made of label words ('Billing Provider NPI' under
    'Billing Provider') is another label, not a value, and is left out.
    """
    vocabulary = frozenset(vocabulary)
    label_stems, label_words = _vocabulary_stems(vocabulary), _vocabulary_words(vocabulary)
    for pair in _raw_pairs(doc, vocabulary, cells):
        if pair.relation != "colon" and label_stems and _label_words(
                pair.value_words, label_stems, label_words if pair.relation in ("right", "below") else None):
            continue
        yield pair


@lru_cache(maxsize=64)
def _vocabulary_stems(vocabulary: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(t) for phrase in vocabulary for t in phrase.split())


@lru_cache(maxsize=64)
def _vocabulary_words(vocabulary: frozenset[str]) -> frozenset[str]:
    return frozenset(norm(t) for phrase in vocabulary for t in phrase.split())


@lru_cache(maxsize=64)
def _vocabulary_heads(vocabulary: frozenset[str]) -> frozenset[str]:
    """First words of the known labels: where a label can start."""
    return frozenset(phrase.split()[0] for phrase in vocabulary if phrase)


def _label_words(words: tuple[Word, ...], label_stems: frozenset[str], label_words: frozenset[str] | None) -> bool:
    """Whether `words` read as label text: no digits, and most words are known label stems.
    One word alone in a cell of its own (`label_words` given) reads as a label only when it is
    a known label word itself (plural or not): a payer `Medicaid` or `UnitedHealthcare` beside
    `Insurance` merely shares a prefix with `medical` and `unit`; inside the label's own cell
    (`Lab Reference`) a shared stem is enough, as the cell is one caption."""
    if any(ch.isdigit() for w in words for ch in w.text):
        return False
    alpha = [w for w in words if norm(w.text)]
    if len(alpha) == 1 and label_words is not None:
        t = norm(alpha[0].text)
        return bool({t, t.removesuffix("s")} & label_words)
    hits = sum(1 for w in alpha if stem(w.text) in label_stems)
    return bool(alpha) and hits * 2 > len(alpha)


def _raw_pairs(doc: Document, vocabulary: frozenset[str], cells: list[list[list[Cell]]] | None) -> Iterator[Pair]:
    cells = cells if cells is not None else page_cells(doc)
    for page_lines in cells:
        for li, line_cells in enumerate(page_lines):
            for ci, cell in enumerate(line_cells):
                yield from _trailing_pairs(page_lines, li, ci, cell)
                splits = _split_colons(cell.words, vocabulary)
                if splits:
                    for label, value in splits:
                        if value:
                            yield Pair(" ".join(w.text for w in label), label, value, "colon", cell.page)
                    last_label, last_value = splits[-1]
                    if last_value:
                        continue
                    label_words = last_label
                else:
                    left = line_cells[ci - 1] if ci else None
                    yield from _inline_pairs(cell, vocabulary, guess=left is None or not _is_label(left, vocabulary),
                                             announced=left is not None and left.words[-1].text.endswith(":"))
                    label_words = _caption(cell)
                    if not label_words:
                        continue
                label_text = " ".join(w.text for w in label_words)
                numbered = _numbered(cell)
                right = line_cells[ci + 1] if ci + 1 < len(line_cells) else None
                if right is not None and not _is_label(right, vocabulary) and not (numbered and _numbered(right)):
                    yield Pair(label_text, label_words, right.words, "right", cell.page)
                below = _cell_below(page_lines, li, cell)
                if below is not None and not _is_label(below, vocabulary) and not (numbered and _numbered(below)):
                    yield Pair(label_text, label_words, _in_column(below.words, right), "below", cell.page)


TRAILING_RELATIONS = ("before", "above")


def _in_column(words: tuple[Word, ...], right: Cell | None) -> tuple[Word, ...]:
    """The words of a value row under a label that stay left of the next label of the label's
    row: in a header row over a value row, `Morales Internal Medicine Associates 2456346826`
    printed tight under `Billing Provider | Billing Provider NPI` is the provider and the NPI."""
    if right is None or not _label_like_text(right.text):
        return words
    edge = right.words[0].x0 - 1.0
    kept = tuple(w for w in words if w.x0 < edge)
    return kept if kept and len(kept) < len(words) and words[len(kept)].x0 >= edge else words


def _leading_label(cell: Cell) -> tuple[Word, ...]:
    """The label words a cell starts with ('NPI' of 'NPI 1014190577', all of 'Prescriber
    signature'): up to four words, ending before the first word with a digit or at a colon."""
    out: list[Word] = []
    for w in cell.words[:4]:
        if any(ch.isdigit() for ch in w.text):
            break
        out.append(w)
        if w.text.endswith(":"):
            break
    return tuple(out) if out and _label_like_text(" ".join(w.text for w in out)) else ()


def _trailing_pairs(page_lines: list[list[Cell]], li: int, ci: int, cell: Cell) -> Iterator[Pair]:
    """A value printed before its label: `cell` read as the value of the label that starts the
    next cell on its line ('before': 'Darrell Jenkins, MD   NPI 1014190577') or the cell below
    it ('above': a name over 'Attending physician'). Only fields whose samples print a label
    after its value read these pairs (`field(trailing=...)`)."""
    if cell.words[-1].text.endswith(":"):
        return
    if ci + 1 < len(page_lines[li]):
        label = _leading_label(page_lines[li][ci + 1])
        if label:
            yield Pair(" ".join(w.text for w in label), label, cell.words, "before", cell.page)
    below = _cell_below(page_lines, li, cell)
    if below is not None:
        label = _leading_label(below)
        if label:
            yield Pair(" ".join(w.text for w in label), label, cell.words, "above", cell.page)


def _inline_pairs(cell: Cell, vocabulary: frozenset[str], guess: bool = True, announced: bool = False) -> Iterator[Pair]:
    """'Name Jill Williams DOB 11/16/1992' with no colons: known labels split the cell; failing
    that, its first one to three words are tried as a label for the rest, unless (`guess`
    False) the cell is the value of a known label left of it (`Patient Name | Preston R.
    Atkins`: `Preston` is no label). In a cell a colon label left of it announces as its value
    (`announced`), a known label after the cell's first words is part of that value
    (`Preferred pharmacy: | Kroger Pharmacy #7424`: `Pharmacy` labels nothing)."""
    words = cell.words
    if len(words) < 2:
        return
    cuts = []  # (start, end) of known labels inside the cell, longest first, left to right
    heads = _vocabulary_heads(vocabulary)
    i = 0
    while i < len(words):
        if norm(words[i].text) not in heads:
            i += 1
            continue
        if i > 0 and not words[i].text[:1].isupper():  # 'released by the laboratory director': prose, no label
            i += 1
            continue
        for n in (4, 3, 2, 1):
            if i + n <= len(words) and norm_phrase(" ".join(w.text for w in words[i:i + n])) in vocabulary:
                cuts.append((i, i + n))
                i += n
                break
        else:
            i += 1
    if cuts and announced and cuts[0][0] > 0:
        cuts = cuts[1:]
    if cuts:
        if cuts[0][0] > 0:  # 'Darrell Jenkins, MD NPI 1014190577': words before the first label
            a, b = cuts[0]
            yield Pair(" ".join(w.text for w in words[a:b]), words[a:b], words[:a], "before", cell.page)
        for k, (a, b) in enumerate(cuts):
            end = cuts[k + 1][0] if k + 1 < len(cuts) else len(words)
            if end > b:
                yield Pair(" ".join(w.text for w in words[a:b]), words[a:b], words[b:end], "inline", cell.page,
                           mid=k == 0 and a > 0)
        return
    if not guess:
        return
    for k in range(1, min(3, len(words) - 1) + 1):
        label = words[:k]
        if any(any(ch.isdigit() for ch in w.text) for w in label) or not label[0].text[:1].isalpha():
            break
        yield Pair(" ".join(w.text for w in label), label, words[k:], "inline", cell.page)


def _is_label(cell: Cell, vocabulary: frozenset[str]) -> bool:
    """A cell that prints a known label (or ends with a colon) is not anyone's value."""
    return cell.words[-1].text.endswith(":") or norm_phrase(cell.text) in vocabulary


_FORMAT_HINT = re.compile(r"^(?:MM|DD|YY|YYYY|CCYY)(?:[\s/.-]+(?:MM|DD|YY|YYYY|CCYY)){1,2}$", re.I)  # 'MM DD YYYY' under a caption


def _cell_below(page_lines: list[list[Cell]], li: int, cell: Cell) -> Cell | None:
    """The cell on one of the next two lines that overlaps `cell` horizontally the most; in a
    form box whose caption is followed by lines elsewhere on the row (`MM DD YYYY` beside it),
    the first overlapping cell within two line heights below it."""
    bottom = max(w.bottom for w in cell.words)
    height = max(w.bottom - w.top for w in cell.words)
    for lj in range(li + 1, min(li + 5, len(page_lines))):
        best, best_overlap = None, 0.0
        for other in page_lines[lj]:
            overlap = min(cell.x1, other.x1) - max(cell.x0, other.x0)
            if overlap > best_overlap:
                best, best_overlap = other, overlap
        if best is None or _FORMAT_HINT.match(best.text):
            continue
        if lj > li + 2 and best.words[0].top - bottom > 2.0 * max(height, best.words[0].bottom - best.words[0].top):
            return None
        return best if abs(best.x0 - cell.x0) < max(40.0, (cell.x1 - cell.x0)) else None
    return None
