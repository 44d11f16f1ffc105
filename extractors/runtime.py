"""The helper API that generated extraction code may call.

Generated `extract(doc)` functions are short: they name, per field, the label wording and
keywords learned from the samples and the kind of value expected, and call the helpers here.
The helpers do the geometry (cells, label-right-of / label-above value, table columns) and
the parsing (dates with a learned day/month order, numbers, names, codes with check digits).

Every helper returns `Found` (a value plus where it was read: page, bbox, source text,
confidence) or None. `extract(doc)` returns `{field: Found | None}`; a table field's Found
holds a list of rows, each `{column: Found | None}`.

`__all__` is the allow-list of what generated code may name (`runtime.<name>`); the gate
reads it, so anything else here (imports, private helpers) stays out of reach. Module-level
tables are read-only (mapping proxies, tuples): one doc type's extractor cannot change
another's results by mutating them.
"""
from __future__ import annotations

import re
from types import MappingProxyType
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Iterator

from nameparser import HumanName

from extractors.codes import CODE_PATTERNS, npi_valid  # noqa: F401  (part of the helper API, see __all__)

from pipeline.document import BBox, Document, Line, Word

__all__ = (
    "Found", "Cell", "Pair", "PairIndex", "Column",
    "norm", "stem", "norm_phrase", "phrase_stems", "collapse", "label_score",
    "DATE_PATTERNS", "CODE_PATTERNS", "RELATION_PENALTY",
    "find_date", "parse_date", "parse_decimal", "parse_int", "parse_phone", "npi_valid", "parse_value",
    "split_cells", "page_cells", "iter_pairs", "pair_index", "field", "search", "first", "table",
    "date_order", "heading", "block_title", "CONTEXT_BONUS", "section_rows", "is_heading_line", "ROW_CUTS",
    "grid_rows", "cell_part", "GRID_PARTS",
    "LEXICON_LABEL_SCORE",
)


@dataclass(frozen=True, slots=True)
class Found:
    """A value read from a document, with its provenance."""

    value: Any
    page: int | None = None
    bbox: BBox | None = None
    text: str = ""
    confidence: float = 1.0


# ---------------------------------------------------------------- text normalisation

_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")


@lru_cache(maxsize=65536)
def norm(token: str) -> str:
    """Lower-case a token and strip punctuation at its ends ('Birth:' -> 'birth', 'D.O.B.' -> 'dob')."""
    t = _EDGE_PUNCT.sub("", token.casefold())
    return t.replace(".", "") if "." in t and len(t) <= 8 else t


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A crude prefix stem, so 'admission', 'admit' and 'admitted' share a key."""
    t = norm(token)
    return t[:4] if len(t) > 4 else t


@lru_cache(maxsize=65536)
def norm_phrase(text: str) -> str:
    return " ".join(t for t in (norm(w) for w in text.split()) if t)


# ---------------------------------------------------------------- value parsers

_MONTHS = MappingProxyType({
    m: i + 1
    for i, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")]
    )
    for m in names
})
_MON = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_PATTERNS = (
    re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"),                       # ISO y-m-d
    re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b"),                  # a/b/yyyy
    re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*({_MON})[\s\-/.,]*(\d{{4}})\b", re.I),  # 12 Mar 2024
    re.compile(rf"\b({_MON})[\s\-/.]*(\d{{1,2}})(?:st|nd|rd|th)?[\s,]*(\d{{4}})\b", re.I),     # Mar 12, 2024
)


def _mk_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 50 else 1900
    return y


def find_date(text: str, order: str = "mdy") -> tuple[str, int, int] | None:
    """The first date in `text` as (ISO string, start, end); `order` resolves 03/04/2024."""
    best: tuple[str, int, int] | None = None
    for i, pat in enumerate(DATE_PATTERNS):
        for m in pat.finditer(text):
            iso: str | None = None
            if i == 0:
                iso = _mk_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif i == 1:
                a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
                if a > 12 >= b:
                    iso = _mk_date(y, b, a)
                elif b > 12 >= a:
                    iso = _mk_date(y, a, b)
                else:
                    iso = _mk_date(y, b, a) if order == "dmy" else _mk_date(y, a, b)
            elif i == 2:
                iso = _mk_date(int(m.group(3)), _MONTHS.get(norm(m.group(2))[:3] if norm(m.group(2))[:4] != "sept" else "sep", 0), int(m.group(1)))
            else:
                iso = _mk_date(int(m.group(3)), _MONTHS.get(norm(m.group(1))[:3] if norm(m.group(1))[:4] != "sept" else "sep", 0), int(m.group(2)))
            if iso and (best is None or m.start() < best[1]):
                best = (iso, m.start(), m.end())
            if iso:
                break
    return best


def parse_date(text: str, order: str = "mdy") -> str | None:
    """ISO `YYYY-MM-DD` for the first date in `text`, or None."""
    hit = find_date(text, order)
    return hit[0] if hit else None


_DECIMAL = re.compile(r"[-+]?\$?\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\$?\s?\d+(?:\.\d+)?|[-+]?\.\d+")


def parse_decimal(text: str) -> Decimal | None:
    """The first number in `text` ('$1,234.50' -> Decimal('1234.50')), or None."""
    m = _DECIMAL.search(text)
    if not m:
        return None
    try:
        return Decimal(m.group(0).replace(",", "").replace("$", "").replace(" ", ""))
    except InvalidOperation:
        return None


def parse_int(text: str) -> int | None:
    m = re.search(r"[-+]?\d[\d,]*", text)
    if not m:
        return None
    try:
        return int(m.group(0).replace(",", ""))
    except ValueError:
        return None


_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")


def parse_phone(text: str) -> str | None:
    m = _PHONE.search(text)
    return collapse(m.group(0)) if m else None


_IDENTIFIER = re.compile(r"\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,}[A-Z0-9]\b", re.I)


def collapse(text: str) -> str:
    return " ".join(text.split())


_NUMBERED_LABEL = re.compile(r"\d{1,2}[A-Za-z]?\.\s+[A-Za-z]{3,}")


def parse_value(text: str, kind: str, *, order: str = "mdy", system: str | None = None,
                pattern: str | None = None) -> tuple[Any, str] | None:
    """Parse a value of `kind` out of `text`; returns (value, the text it came from) or None.

    `pattern`, when given, is a regex learned from the samples; its first group (or whole
    match) is the value's text.
    """
    text = collapse(text)
    if not text:
        return None
    if pattern:
        m = re.search(pattern, text)
        if not m:
            return None
        text = m.group(1) if m.groups() and m.group(1) is not None else m.group(0)
    if kind in ("date", "datetime"):
        hit = find_date(text, order)
        return (hit[0], text[hit[1]:hit[2]]) if hit else None
    if kind in ("decimal", "integer") and _NUMBERED_LABEL.match(text):
        return None  # '29. AMOUNT PAID': the next box's number and label, not an amount
    if kind == "decimal":
        v = parse_decimal(text)
        return (v, text) if v is not None else None
    if kind == "integer":
        v = parse_int(text)
        return (v, text) if v is not None else None
    if kind == "phone":
        v = parse_phone(text)
        return (v, v) if v else None
    if kind == "code":
        pat = CODE_PATTERNS.get(system or "", None)
        if pat is None:
            m = _IDENTIFIER.search(text)
            return (m.group(0), m.group(0)) if m else None
        for m in pat.finditer(text.upper() if system == "icd10cm" else text):
            if system == "npi" and not npi_valid(m.group(0)):
                continue
            return (m.group(0), m.group(0))
        return None
    if kind == "identifier":
        m = _IDENTIFIER.search(text)
        return (m.group(0), m.group(0)) if m else None
    if kind == "person_name":
        cleaned = re.sub(r"[^\w\s,.'-]", "", text).strip(" ,.-")
        if not re.search(r"[A-Za-z]{2}", cleaned) or re.search(r"\d", cleaned):
            return None
        return (cleaned, cleaned)
    return (text, text)


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


def _line_height(line: Line) -> float:
    hs = sorted(w.bottom - w.top for w in line.words)
    return max(hs[len(hs) // 2], 4.0)


def _char_width(line: Line) -> float:
    chars = sum(len(w.text) for w in line.words)
    return max(sum(w.x1 - w.x0 for w in line.words) / max(chars, 1), 1.5)


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
    label_stems = _vocabulary_stems(vocabulary)
    for pair in _raw_pairs(doc, vocabulary, cells):
        if pair.relation != "colon" and label_stems and _label_words(pair.value_words, label_stems):
            continue
        yield pair


@lru_cache(maxsize=64)
def _vocabulary_stems(vocabulary: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(t) for phrase in vocabulary for t in phrase.split())


@lru_cache(maxsize=64)
def _vocabulary_heads(vocabulary: frozenset[str]) -> frozenset[str]:
    """First words of the known labels: where a label can start."""
    return frozenset(phrase.split()[0] for phrase in vocabulary if phrase)


def _label_words(words: tuple[Word, ...], label_stems: frozenset[str]) -> bool:
    """Whether `words` read as label text: no digits, and most words are known label stems."""
    if any(ch.isdigit() for w in words for ch in w.text):
        return False
    alpha = [w for w in words if norm(w.text)]
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
                    yield from _inline_pairs(cell, vocabulary)
                    if not _is_label_like(cell):
                        continue
                    label_words = cell.words
                label_text = " ".join(w.text for w in label_words)
                if ci + 1 < len(line_cells) and not _is_label(line_cells[ci + 1], vocabulary):
                    yield Pair(label_text, label_words, line_cells[ci + 1].words, "right", cell.page)
                below = _cell_below(page_lines, li, cell)
                if below is not None and not _is_label(below, vocabulary):
                    yield Pair(label_text, label_words, below.words, "below", cell.page)


TRAILING_RELATIONS = ("before", "above")


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


def _inline_pairs(cell: Cell, vocabulary: frozenset[str]) -> Iterator[Pair]:
    """'Name Jill Williams DOB 11/16/1992' with no colons: known labels split the cell; failing
    that, its first one to three words are tried as a label for the rest."""
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
        for n in (4, 3, 2, 1):
            if i + n <= len(words) and norm_phrase(" ".join(w.text for w in words[i:i + n])) in vocabulary:
                cuts.append((i, i + n))
                i += n
                break
        else:
            i += 1
    if cuts:
        if cuts[0][0] > 0:  # 'Darrell Jenkins, MD NPI 1014190577': words before the first label
            a, b = cuts[0]
            yield Pair(" ".join(w.text for w in words[a:b]), words[a:b], words[:a], "before", cell.page)
        for k, (a, b) in enumerate(cuts):
            end = cuts[k + 1][0] if k + 1 < len(cuts) else len(words)
            if end > b:
                yield Pair(" ".join(w.text for w in words[a:b]), words[a:b], words[b:end], "inline", cell.page)
        return
    for k in range(1, min(3, len(words) - 1) + 1):
        label = words[:k]
        if any(any(ch.isdigit() for ch in w.text) for w in label) or not label[0].text[:1].isalpha():
            break
        yield Pair(" ".join(w.text for w in label), label, words[k:], "inline", cell.page)


def _is_label(cell: Cell, vocabulary: frozenset[str]) -> bool:
    """A cell that prints a known label (or ends with a colon) is not anyone's value."""
    return cell.words[-1].text.endswith(":") or norm_phrase(cell.text) in vocabulary


def _cell_below(page_lines: list[list[Cell]], li: int, cell: Cell) -> Cell | None:
    """The cell on one of the next two lines that overlaps `cell` horizontally the most."""
    for lj in range(li + 1, min(li + 3, len(page_lines))):
        best, best_overlap = None, 0.0
        for other in page_lines[lj]:
            overlap = min(cell.x1, other.x1) - max(cell.x0, other.x0)
            if overlap > best_overlap:
                best, best_overlap = other, overlap
        if best is not None:
            return best if abs(best.x0 - cell.x0) < max(40.0, (cell.x1 - cell.x0)) else None
    return None


# ---------------------------------------------------------------- field lookup

@lru_cache(maxsize=65536)
def phrase_stems(phrase: str) -> frozenset[str]:
    return frozenset(stem(t) for t in phrase.split())


LEXICON_LABEL_SCORE = 1.9


def label_score(label: str, labels: Iterable[str], keywords: dict[str, float], foes: dict[str, float],
                lex_labels: Iterable[str] = ()) -> float:
    """How well a printed label names the field: 2.0 for a learned variant, 1.9 for a lexicon
    synonym (so a wording the samples printed always wins over one the lexicon guessed), else
    keyword evidence."""
    phrase = norm_phrase(label)
    if not phrase:
        return 0.0
    if phrase in labels:
        return 2.0
    if phrase in lex_labels:
        return LEXICON_LABEL_SCORE
    stems = phrase_stems(phrase)
    good = sum(keywords.get(s, 0.0) for s in stems)
    bad = sum(foes.get(s, 0.0) for s in stems if s not in keywords)
    return good - bad


RELATION_PENALTY = MappingProxyType({"colon": 0.0, "right": 0.0, "below": 0.05, "inline": 0.1, "before": 0.2, "above": 0.2})
CONTEXT_BONUS = 0.5


def _is_block_title(line: Line) -> bool:
    """A line that titles the block below it: a few words, no digits, no colon, one cell."""
    text = line.text
    words = text.split()
    return (0 < len(words) <= 3 and ":" not in text and not any(c.isdigit() for c in text)
            and sum(c.isalpha() for c in text) >= 3 and len(split_cells(line, 0, 0)) == 1)


def block_title(doc: Document, pair: Pair, max_lines: int = 12) -> str | None:
    """The title of the block a pair's label sits in (`Prescriber` above `Name  Sherry Cooper`):
    the nearest title line above the label on its page, normalised."""
    if not pair.label_words or not 0 < pair.page <= len(doc.pages):
        return None
    lines = doc.pages[pair.page - 1].lines
    first = pair.label_words[0]
    at = next((i for i, ln in enumerate(lines) if first in ln.words), None)
    if at is None:
        return None
    for li in range(at - 1, max(-1, at - 1 - max_lines), -1):
        if _is_block_title(lines[li]):
            return norm_phrase(lines[li].text) or None
    return None


class PairIndex:
    """A document's pairs, indexed by normalised label and by label stem.

    `field` looks only at pairs whose label is a wanted wording or carries a wanted keyword
    (the only ones that can score above zero), so reading a field does not scan every pair.
    Iterating it yields the pairs in reading order, like the list it wraps.
    """

    __slots__ = ("pairs", "by_phrase", "by_stem")

    def __init__(self, pairs: list[Pair]):
        self.pairs = pairs
        self.by_phrase: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        for i, pair in enumerate(pairs):
            phrase = norm_phrase(pair.label)
            self.by_phrase.setdefault(phrase, []).append(i)
            for s in phrase_stems(phrase):
                self.by_stem.setdefault(s, []).append(i)

    def __iter__(self) -> Iterator[Pair]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> Pair:
        return self.pairs[i]

    def candidates(self, labels: set[str], keywords: dict[str, float] | None) -> list[int]:
        """Indices of pairs labelled by one of `labels` or a stem in `keywords` (all when None)."""
        if keywords is None:
            return list(range(len(self.pairs)))
        found: set[int] = set()
        for label in labels:
            found.update(self.by_phrase.get(label, ()))
        for s, w in keywords.items():
            if w > 0:
                found.update(self.by_stem.get(s, ()))
        return sorted(found)


def pair_index(doc: Document, vocabulary: Iterable[str] = ()) -> PairIndex:
    """Every pair of `doc` (see `iter_pairs`), indexed for `field`."""
    return PairIndex(list(iter_pairs(doc, vocabulary)))


def field(doc: Document, *, kind: str, labels: Iterable[str] = (), keywords: dict[str, float] | None = None,
          foes: dict[str, float] | None = None, relations: Iterable[str] = ("colon", "right", "below", "inline"),
          order: str = "mdy", system: str | None = None, pattern: str | None = None,
          min_score: float = 1.0, max_words: int = 8, pairs: "PairIndex | list[Pair] | None" = None,
          context: Iterable[str] = (), lex_labels: Iterable[str] = (), trailing: Iterable[str] = (),
          needs_context: Iterable[str] = (), name_order: str | None = None) -> Found | None:
    """The value of one field: the best-labelled pair whose value parses as `kind`.

    Learned label variants score highest; otherwise keywords learned from the samples (and
    their stems) must outweigh keywords of other fields. A pair in a block titled as the
    samples' (`context`: `Prescriber` for the prescriber's `Name`) ranks above an equally
    labelled one elsewhere; a label in `needs_context` (one another field shares, such as
    `Name`) counts only inside such a block. `trailing` labels are printed after or below
    their value. Ties go to the earliest pair. Person names come back without titles and
    suffixes, in `name_order` when one was learned (see `person_name`).
    """
    context = frozenset(context)
    labels = set(labels)
    lex_labels = set(lex_labels) - labels
    trailing = frozenset(trailing)
    needs_context = frozenset(needs_context)
    keywords = keywords or {}
    foes = foes or {}
    relations = tuple(relations)
    best: tuple[float, int] | None = None
    best_found: Found | None = None
    if pairs is None:
        pairs = PairIndex(list(iter_pairs(doc)))
    elif not isinstance(pairs, PairIndex):
        pairs = PairIndex(list(pairs))
    if any(p.source == "ocr" for p in doc.pages):  # scans: OCR-confusion tolerant reading and voting
        found = _ocr_tolerance.ocr_field(doc, pairs, kind=kind, labels=labels, keywords=keywords, foes=foes, relations=relations,
                                         order=order, system=system, pattern=pattern, min_score=min_score, max_words=max_words,
                                         lex_labels=lex_labels, context=context, trailing=trailing, needs_context=needs_context,
                                         name_order=name_order)
        return _tidy_name(found, kind, name_order)
    for i in pairs.candidates(labels | lex_labels | trailing, keywords if min_score > 0 else None):
        pair = pairs.pairs[i]
        if len(pair.value_words) > max_words * 3:
            continue
        if pair.relation in TRAILING_RELATIONS:
            if norm_phrase(pair.label) not in trailing:
                continue
            score = 2.0
        elif pair.relation not in relations:
            continue
        else:
            score = label_score(pair.label, labels, keywords, foes, lex_labels)
        if score < min_score or not _context_allows(doc, pair, needs_context, context):
            continue
        value_words = pair.value_words[:max_words] if kind not in ("string",) else pair.value_words
        parsed = parse_value(" ".join(w.text for w in value_words), kind, order=order, system=system, pattern=pattern)
        if parsed is None or not _name_shaped(parsed[0], kind, name_order):
            continue
        bonus = CONTEXT_BONUS if context and block_title(doc, pair) in context else 0.0
        rank = (score - RELATION_PENALTY.get(pair.relation, 0.0) + bonus, -i)
        if best is None or rank > best:
            best = rank
            value, text = parsed
            if isinstance(value, Decimal) and kind == "decimal":
                value = float(value)
            confidence = min(1.0, score / 2.0) * pair.conf
            best_found = Found(value, pair.page, pair.value_bbox, text, round(confidence, 3))
    return _tidy_name(best_found, kind, name_order)


def _context_allows(doc: Document, pair: Pair, needs_context: frozenset[str], context: frozenset[str]) -> bool:
    """False for a label shared with another field (`needs_context`) outside the field's blocks."""
    return not needs_context or norm_phrase(pair.label) not in needs_context or block_title(doc, pair) in context


_NAME_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "bin", "ibn", "y"})


def name_shaped(text: str) -> bool:
    """Two words or more, each capitalised (or a particle such as 'van'): 'Jill Williams',
    'HENDERSON, JENNIFER S'; not 'signature' nor 'was found to have fever'."""
    words = [w for w in re.split(r"[\s,]+", text) if w]
    return len(words) >= 2 and all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES for w in words if w[:1].isalpha())


def _name_shaped(value: Any, kind: str, name_order: str | None) -> bool:
    """A learned name order means every sample's name was name-shaped (`name_shaped`): a lone
    word ('signature' after 'Prescriber') or a sentence is then no name."""
    return kind != "person_name" or name_order is None or name_shaped(str(value))


def person_name(text: str, order: str | None = None) -> str:
    """A printed person name without titles and suffixes (`Dr. Jessica Aguilar, MD` ->
    `Jessica Aguilar`); `order='first_last'` turns `LAST, First M` round to `First M LAST`,
    `order='last_first'` prints `LAST, First M`; None keeps the printed order."""
    name = HumanName(" ".join(t for t in text.split() if any(c.isalpha() for c in t)))  # OCR specks ('_') out
    initials = [t for t in name.suffix.replace(",", " ").split() if len(t.strip(".")) == 1]  # 'V' of 'Wise, Tiffany V'
    given = " ".join(p for p in (name.first, name.middle, *initials) if p)
    if not name.last or not given:
        return " ".join(p for p in (name.first, name.middle, name.last) if p) or text
    printed_last_first = "," in text and text.split(",")[0].strip().casefold() == name.last.casefold()
    if order == "first_last" or (order is None and not printed_last_first):
        return f"{given} {name.last}"
    return f"{name.last}, {given}"


# nameparser imports its word lists on first use; parse once now so that import happens here,
# not inside the sandbox that runs candidate code (where any import is refused)
HumanName("Dr. Ann B. de la Cruz-Lee, Jr., MD")


def _tidy_name(found: Found | None, kind: str, order: str | None) -> Found | None:
    if found is None or kind != "person_name" or not isinstance(found.value, str):
        return found
    return Found(person_name(found.value, order), found.page, found.bbox, found.text, found.confidence)


def search(doc: Document, pattern: str, *, kind: str = "string", order: str = "mdy", system: str | None = None,
           flags: int = re.I) -> Found | None:
    """The first line matching `pattern` anywhere; its group 1 (or match) parsed as `kind`."""
    rx = re.compile(pattern, flags)
    for page in doc.pages:
        for line in page.lines:
            m = rx.search(line.text)
            if not m:
                continue
            text = m.group(1) if m.groups() and m.group(1) is not None else m.group(0)
            parsed = parse_value(text, kind, order=order, system=system)
            if parsed is not None:
                value = float(parsed[0]) if isinstance(parsed[0], Decimal) else parsed[0]
                return Found(value, page.number, line.bbox, parsed[1], round(0.8 * line.conf, 3))
    return None


def first(*candidates: Found | None) -> Found | None:
    """The first candidate that was found."""
    for c in candidates:
        if c is not None:
            return c
    return None


# ---------------------------------------------------------------- tables

@dataclass(frozen=True, slots=True)
class Column:
    """A table column: how its header reads and what its cells hold."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    keywords: tuple[tuple[str, float], ...] = ()
    system: str | None = None
    required: bool = False
    shape: str | None = None


def _header_matches(cells: list[Cell], columns: list[Column]) -> dict[str, Cell]:
    """Assign header cells to columns (each cell to at most one column, best score first)."""
    scored = []
    for ci, cell in enumerate(cells):
        phrase = norm_phrase(cell.text)
        if not phrase:
            continue
        stems = {stem(t) for t in phrase.split()}
        for col in columns:
            kw = dict(col.keywords)
            s = 2.0 if phrase in col.labels else sum(kw.get(t, 0.0) for t in stems)
            if s >= 1.0:
                scored.append((s, -cell.x0, col.name, ci))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    taken_cells: set[int] = set()
    out: dict[str, Cell] = {}
    for s, _, name, ci in scored:
        if name in out or ci in taken_cells:
            continue
        out[name] = cells[ci]
        taken_cells.add(ci)
    return out


def _split_header_cells(line: Line, page: int, index: int) -> list[Cell]:
    """Header cells: split at narrower gaps than body text, since headers are short words."""
    return split_cells(line, page, index, gap=0.8)


def table(doc: Document, columns: list[Column], *, order: str = "mdy", min_columns: int = 2,
          max_gap: float = 3.0) -> Found | None:
    """Rows of every table whose header names at least `min_columns` of `columns`.

    Column spans come from the header cells; each body word goes to the column whose span it
    overlaps most. A table ends at a wide vertical gap, a line with no word in a key column,
    or the page end; a header repeated on a later page continues the table.
    """
    rows: list[dict[str, Found | None]] = []
    first_page: int | None = None
    boxes: list[BBox] = []
    need = min(min_columns, len(columns))
    header_stems = frozenset(t for c in columns for t in (*(k for k, _ in c.keywords), *(x for l in c.labels for x in phrase_stems(l))))
    for page in doc.pages:
        lines = page.lines
        li = 0
        while li < len(lines):
            if not any(stem(w.text) in header_stems for w in lines[li].words):
                li += 1  # no word of any column header: cannot be a header line
                continue
            header_cells = _split_header_cells(lines[li], page.number, li)
            header = _header_matches(header_cells, columns)
            if len(header) < need:
                li += 1
                continue
            named = _name_unmatched(header, header_cells, columns, lines[li + 1] if li + 1 < len(lines) else None, order)
            spans = _column_spans(named, page.width)
            body_start = li + 1
            li = body_start
            prev_bottom = lines[body_start - 1].bbox[3]
            line_h = _line_height(lines[body_start - 1])
            while li < len(lines):
                line = lines[li]
                top = line.bbox[1]
                if top - prev_bottom > max_gap * line_h:
                    break
                if len(_header_matches(_split_header_cells(line, page.number, li), columns)) >= need:
                    break
                row = _read_row(line, spans, columns, page.number, order)
                if row is None:
                    break
                rows.append(row)
                boxes.append(line.bbox)
                prev_bottom = line.bbox[3]
                li += 1
            if first_page is None and rows:
                first_page = page.number
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Found(rows, first_page, bbox, "", 1.0)


def _name_unmatched(header: dict[str, Cell], cells: list[Cell], columns: list[Column], first_row: Line | None,
                    order: str) -> dict[str, Cell]:
    """Give header cells no column claimed (unseen wording) to columns no cell claimed.

    Each unclaimed column takes the first unclaimed cell whose text in the first body row
    parses as the column's kind (typed columns choose first). Cells left over keep a span
    named '?<n>', so their words do not spill into a neighbour.
    """
    named = dict(header)
    used = {id_ for id_, c in enumerate(cells) if any(c is h for h in header.values())}
    free = [i for i in range(len(cells)) if i not in used and _is_label_like(cells[i])]
    todo = [c for c in columns if c.name not in header]
    if free and todo and first_row is not None:
        spans = _column_spans({**named, **{f"?{i}": cells[i] for i in free}}, 1e9)
        texts: dict[str, str] = {}
        for w in first_row.words:
            best = max(spans, key=lambda sp: min(w.x1, sp[2]) - max(w.x0, sp[1]))
            texts[best[0]] = (texts.get(best[0], "") + " " + w.text).strip()
        todo.sort(key=lambda c: c.kind in ("string", "person_name"))
        for col in todo:
            for i in free:
                text = texts.get(f"?{i}", "")
                if col.shape and not re.search(col.shape, text):
                    continue
                if text and parse_value(text, col.kind, order=order, system=col.system) is not None:
                    named[col.name] = cells[i]
                    free.remove(i)
                    break
    for i in free:
        named[f"?{i}"] = cells[i]
    return named


def _column_spans(header: dict[str, Cell], page_width: float) -> list[tuple[str, float, float]]:
    """Each column's x-span: from its header's left edge (less a margin) to the next header."""
    ordered = sorted(header.items(), key=lambda kv: kv[1].x0)
    spans = []
    for i, (name, cell) in enumerate(ordered):
        left = cell.x0 - 4.0 if i else 0.0
        right = ordered[i + 1][1].x0 - 4.0 if i + 1 < len(ordered) else page_width
        spans.append((name, left, right))
    return spans


def _read_row(line: Line, spans: list[tuple[str, float, float]], columns: list[Column], page: int,
              order: str) -> dict[str, Found | None] | None:
    by_col: dict[str, list[Word]] = {name: [] for name, _, _ in spans}
    for w in line.words:
        best, best_overlap = None, -1e9
        for name, left, right in spans:
            overlap = min(w.x1, right) - max(w.x0, left)
            if overlap > best_overlap:
                best, best_overlap = name, overlap
        if best is not None:
            by_col[best].append(w)
    kinds = {c.name: c for c in columns}
    row: dict[str, Found | None] = {}
    parsed_any = 0
    typed_fail = 0
    for col in columns:
        words = by_col.get(col.name, [])
        if not words:
            row[col.name] = None
            continue
        text = " ".join(w.text for w in words)
        parsed = parse_value(text, kinds[col.name].kind, order=order, system=col.system)
        if parsed is None:
            row[col.name] = None
            if col.kind not in ("string", "person_name"):
                typed_fail += 1
            continue
        value = float(parsed[0]) if isinstance(parsed[0], Decimal) else parsed[0]
        bbox = (min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words), max(w.bottom for w in words))
        row[col.name] = Found(value, page, bbox, parsed[1], round(min(w.conf for w in words), 3))
        parsed_any += 1
    required = [c.name for c in columns if c.required and c.name in by_col]
    if required:
        return row if all(row.get(name) is not None for name in required) else None
    real = sum(1 for name, _, _ in spans if not name.startswith("?"))
    if parsed_any < max(1, (real + 1) // 2) or typed_fail > parsed_any:
        return None
    return row


def date_order(doc: Document, default: str = "mdy") -> str:
    """'dmy' or 'mdy' for this document: decided by any unambiguous a/b/yyyy date, else `default`."""
    votes = {"dmy": 0, "mdy": 0}
    pat = DATE_PATTERNS[1]
    for page in doc.pages:
        for line in page.lines:
            for m in pat.finditer(line.text):
                a, b = int(m.group(1)), int(m.group(2))
                if a > 12 >= b:
                    votes["dmy"] += 1
                elif b > 12 >= a:
                    votes["mdy"] += 1
    if votes["dmy"] == votes["mdy"]:
        return default
    return "dmy" if votes["dmy"] > votes["mdy"] else "mdy"


def heading(doc: Document, *, largest: bool = True, rank: int = 0, top_lines: int = 6) -> Found | None:
    """A letterhead value (an organisation's name): among the first `top_lines` lines of page 1,
    the first cell of the line in the largest type, or of the `rank`-th line."""
    if not doc.pages or not doc.pages[0].lines:
        return None
    page = doc.pages[0]
    lines = [ln for ln in page.lines[:top_lines] if sum(c.isalpha() for c in ln.text) >= 3]
    if not lines:
        return None
    if largest:
        line = max(lines, key=lambda ln: (round(_line_height(ln), 1), -ln.bbox[1]))
    elif rank < len(lines):
        line = lines[rank]
    else:
        return None
    cell = split_cells(line, page.number, 0)[0]
    text = collapse(cell.text)
    return Found(text, page.number, cell.bbox, text, round(0.6 * cell.conf, 3))


# ---------------------------------------------------------------- section lists

_ROW_VALUE = re.compile(r"^([<>]?[-+]?\d+(?:\.\d+)?)(?:\s+(\S+))?(?:\s|$)")
_UNIT = re.compile(r"^(?=.*[A-Za-z%\[\]])(?!\d{1,2}[-/])[\w%\[\]/*^.µμ-]{1,16}$")
_LEADING_DATE = re.compile(r"^(?:\d{1,2}[-/](?:\d{1,2}|[A-Za-z]{3})[-/]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{8})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?\s+")
ROW_CUTS = (r"\(", r"\s\S+:", r"\s\[", r"\s\d{1,2}[-/]\d", r",\s")


def _page_median_height(lines: tuple[Line, ...]) -> float:
    hs = sorted(_line_height(ln) for ln in lines) or [10.0]
    return hs[len(hs) // 2]


def is_heading_line(line: Line, median_height: float) -> bool:
    """A section heading: a short line without digits, taller than body text or in capitals."""
    text = line.text
    words = text.split()
    if not words or len(words) > 7 or any(c.isdigit() for c in text) or sum(c.isalpha() for c in text) < 3:
        return False
    letters = [c for c in text if c.isalpha()]
    return _line_height(line) >= 1.1 * median_height or (len(words) <= 5 and all(c.isupper() for c in letters))


def _same_style(line: Line, heading: tuple[float, bool], median_height: float) -> bool:
    """Whether a heading-like `line` is printed like the section's own heading (so it ends the
    section), rather than a capitalised panel row inside it."""
    height, caps = heading
    letters = [c for c in line.text if c.isalpha()]
    if caps and letters and all(c.isupper() for c in letters):
        return True
    return _line_height(line) >= 1.1 * median_height and _line_height(line) >= 0.9 * height


def _matches_heading(line: Line, headings: frozenset[str]) -> bool:
    phrase = norm_phrase(line.text)
    return any(phrase == h or phrase.startswith(h + " ") for h in headings)


def _repeated_lines(doc: Document) -> frozenset[str]:
    """Texts printed on more than one page (page headers and footers), digits ignored."""
    seen: dict[str, set[int]] = {}
    for page in doc.pages:
        for ln in page.lines:
            key = re.sub(r"\d+", "#", norm_phrase(ln.text))
            seen.setdefault(key, set()).add(page.number)
    return frozenset(k for k, pages in seen.items() if len(pages) > 1 and k)


def _value_row(line: Line, page: int, roles: dict[str, str], carry: str) -> dict[str, str | None] | None:
    """Split `name value unit` the way the samples print it (`135 mmol/L` is value and unit).

    The value is the first number standing alone in a cell after the first cell; the name is
    the nearest cell before it that is not a date (or, when the value opens the line, the
    wrapped name carried from the lines above).
    """
    cells = split_cells(line, page, 0)
    for ci, cell in enumerate(cells):
        m = _ROW_VALUE.match(cell.text)
        if m is None or _LEADING_DATE.match(cell.text + " "):
            continue  # no number, or a date
        names = [c.text for c in cells[:ci] if not _LEADING_DATE.match(c.text + " ")]
        name = collapse(names[-1] if names else carry)
        if not re.search(r"[A-Za-z]", name):
            return None
        unit = m.group(2) if m.group(2) and _UNIT.match(m.group(2)) else None
        if unit is None and ci + 1 < len(cells) and _UNIT.match(cells[ci + 1].text) and not m.group(2):
            unit = cells[ci + 1].text
        values = {"name": name, "value": m.group(1), "unit": unit}
        return {col: values.get(role) for col, role in roles.items()}
    return None


def section_rows(doc: Document, *, headings: Iterable[str], roles: dict[str, str], cut: str | None = None,
                 max_misses: int = 10) -> Found | None:
    """Rows of the list printed under a section heading, to the next heading.

    `roles` maps each column to 'name', 'value' or 'unit' (learned from where the samples print
    golden cells). With a value column a row is `name value [unit]` on one line (a name may wrap
    onto the lines before its value); without one, each row is the leading text of a line that
    starts at the list's left edge, cut where `cut` (a learned regex) first matches. Page headers
    and footers are skipped, so a list continues across pages; lines that do not parse (panel
    rows, repeated header rows) are skipped, up to `max_misses` in a row.
    """
    heads = frozenset(norm_phrase(h) for h in headings)
    has_value = "value" in roles.values()
    repeated = _repeated_lines(doc)
    rows: list[dict[str, Found | None]] = []
    boxes: list[BBox] = []
    first_page: int | None = None
    active, misses, carry, left = False, 0, "", None
    style: tuple[float, bool] = (0.0, False)
    for page in doc.pages:
        median = _page_median_height(page.lines)
        for line in page.lines:
            if re.sub(r"\d+", "#", norm_phrase(line.text)) in repeated and not _matches_heading(line, heads):
                continue
            if _matches_heading(line, heads) and (is_heading_line(line, median) or norm_phrase(line.text) in heads):
                active, misses, carry, left = True, 0, "", None
                letters = [c for c in line.text if c.isalpha()]
                style = (_line_height(line), bool(letters) and all(c.isupper() for c in letters))
                continue
            if not active:
                continue
            if is_heading_line(line, median) and _same_style(line, style, median):
                active = False
                continue
            if has_value:
                parsed = _value_row(line, page.number, roles, carry)
                if parsed is None:
                    misses += 1
                    carry = (carry + " " + line.text).strip() if len(line.words) <= 4 else ""
                    carry = " ".join(carry.split()[-6:])
                    if misses > max_misses:
                        active = False
                    continue
                carry = ""
            else:
                x0 = line.words[0].x0
                if left is None:
                    left = x0
                if x0 > left + 3.0:
                    continue  # a continuation line or a detail column
                text = split_cells(line, page.number, 0)[0].text
                if cut:
                    m = re.search(cut, text)
                    if m is not None and m.start() > 0:
                        text = text[: m.start()]
                text = collapse(text)
                if not text:
                    continue
                parsed = {col: (text if role == "name" else None) for col, role in roles.items()}
            misses = 0
            row = {col: (Found(v, page.number, line.bbox, v, round(line.conf, 3)) if v else None)
                   for col, v in parsed.items()}
            rows.append(row)
            boxes.append(line.bbox)
            if first_page is None:
                first_page = page.number
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Found(rows, first_page, bbox, "", 0.9)


# ---------------------------------------------------------------- drawn table grids

GRID_PARTS = ("all", "num", "rest")
_LEAD_NUMBER = re.compile(r"^([<>≤≥=~]{0,2}\s?[-+]?\d[\d,]*(?:\.\d+)?(?:/\d[\d,]*(?:\.\d+)?)?)(?:\s+|$)(.*)$")


def cell_part(text: str, part: str) -> str | None:
    """One part of a printed cell that holds several columns: 'all' the whole text, 'num' its
    leading number (`135` of `135 mmol/L`, `145/88` of `145/88 mm[Hg]`; the whole text when it
    does not start with one), 'rest' what follows that number (None when nothing does)."""
    text = collapse(text)
    if part == "all" or not text:
        return text or None
    m = _LEAD_NUMBER.match(text)
    if part == "num":
        return m.group(1).replace(" ", "") if m else text
    return (m.group(2).strip() or None) if m else None


def _grid_cell(row, j: int):
    """The cell at grid column j, or the cell spanning it from the left."""
    for k in range(min(j, len(row) - 1), -1, -1):
        if row[k] is not None:
            return row[k]
    return None


def _header_score(text: str, phrases: tuple[str, ...], learned: int) -> int:
    """3 for a learned header printed as is, 2 for a lexicon wording, 1 for a header that holds
    one of them as whole words (`Medication Name`), 0 otherwise."""
    t = norm_phrase(text)
    if not t:
        return 0
    for i, ph in enumerate(phrases):
        if t == ph:
            return 3 if i < learned else 2
    padded = f" {t} "
    return 1 if any(ph and f" {ph} " in padded for ph in phrases) and len(t.split()) <= 4 else 0


def _map_header(row, columns: dict[str, dict], anchor: str) -> dict[str, tuple[int, str]] | None:
    """Column name -> (grid column, part) when `row` reads as the table's header row."""
    cells = [(j, c.text) for j, c in enumerate(row) if c is not None and c.words]
    if not cells:
        return None
    found: dict[str, tuple[int, str]] = {}
    used: set[int] = set()
    for name in sorted(columns, key=lambda n: n != anchor):
        spec = columns[name]
        phrases, learned = tuple(spec["headers"]), int(spec.get("learned", 0))
        best = max(((_header_score(t, phrases, learned), -j, j) for j, t in cells if j not in used), default=(0, 0, -1))
        if best[0] > 0:
            found[name] = (best[2], spec.get("part", "all"))
            used.add(best[2])
    if anchor not in found:
        return None
    for name, spec in columns.items():  # a column printed inside another's cell (value and unit in one)
        if name not in found and spec.get("within") and spec["within"][0] in found:
            found[name] = (found[spec["within"][0]][0], spec["within"][1])
            if spec["within"][0] != anchor and found[spec["within"][0]][1] == "all":
                found[spec["within"][0]] = (found[spec["within"][0]][0], "num")
    return found


def grid_rows(doc: Document, *, columns: dict[str, dict], anchor: str, required: Iterable[str] = (),
              max_header_row: int = 2) -> Found | None:
    """Rows of the drawn table grids (Page.tables) whose header row names the field's columns.

    `columns` maps each column to its header wordings (`headers`: learned as printed first,
    `learned` of them, then the lexicon's), the `part` of its cell it reads (see cell_part) and
    optionally `within`: (column, part) to read when its own header is not printed. A grid is
    read when its first rows hold a header naming `anchor`; a multi-line cell is one value. Rows
    missing a `required` column (panel or group rows) are skipped, as are repeated header rows.
    The first grid of the next page continues the table when it has no header of its own and
    the same number of columns; every matching grid in the document is read.
    """
    req = tuple(required)
    rows: list[dict[str, Found | None]] = []
    boxes: list[BBox] = []
    first_page: int | None = None
    active: tuple[dict[str, tuple[int, str]], int] | None = None
    for page in doc.pages:
        for gi, grid in enumerate(page.tables):
            mapping, start = None, 0
            for r in range(min(max_header_row + 1, len(grid.rows))):
                mapping = _map_header(grid.rows[r], columns, anchor)
                if mapping is not None:
                    start = r + 1
                    break
            ncols = max((len(r) for r in grid.rows), default=0)
            if mapping is None:
                if active is not None and gi == 0 and ncols == active[1]:
                    mapping = active[0]
                else:
                    active = None
                    continue
            active = (mapping, ncols)
            for row in grid.rows[start:]:
                if _map_header(row, columns, anchor) is not None:
                    continue  # a header repeated inside the grid
                got: dict[str, Found | None] = {}
                for name in columns:
                    if name not in mapping:
                        got[name] = None
                        continue
                    j, part = mapping[name]
                    cell = _grid_cell(row, j)
                    v = cell_part(cell.text, part) if cell is not None else None
                    got[name] = Found(v, page.number, cell.bbox, v, 1.0) if v else None
                if got.get(anchor) is None or any(got.get(c) is None for c in req if c in mapping):
                    continue
                rows.append(got)
                boxes.append(got[anchor].bbox)
                if first_page is None:
                    first_page = page.number
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Found(rows, first_page, bbox, "", 0.9)


# imported last (it uses this module's helpers at call time): no import happens while
# generated code runs, which the validation sandbox forbids
from extractors import ocr_tolerance as _ocr_tolerance  # noqa: E402
