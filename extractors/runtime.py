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
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from decimal import Decimal
from typing import Any, Iterable, Iterator

from nameparser import HumanName

from extractors.codes import CODE_PATTERNS, npi_valid  # noqa: F401  (part of the helper API, see __all__)

from pipeline.document import Document, Line

# The helpers live in five private base-layer modules to keep this one small; importing them
# here keeps every name (and `__all__`, the allow-list) exactly where generated code finds it.
from extractors._rt_values import (  # noqa: F401
    DATE_PATTERNS, OCR_TO_DIGIT, Found, collapse, fix_icd10, find_date, norm, norm_phrase, parse_date, parse_decimal, parse_int, parse_phone,
    parse_value, phrase_stems, stem,
)
from extractors._rt_cells import (  # noqa: F401
    TRAILING_RELATIONS, Cell, Pair, _is_label_like, _line_height, iter_pairs, page_cells, split_cells,
)
from extractors._rt_rows import (  # noqa: F401
    ROW_CUTS, Column, _page_median_height, drop_repeated_rows, heading_over, is_heading_line, section_rows, table,
)
from extractors._rt_grid import GRID_PARTS, _grid_cell, cell_part, grid_rows  # noqa: F401
from extractors._rt_keyed import KEY_SHAPES, keyed_list  # noqa: F401

__all__ = (
    "Found", "Cell", "Pair", "PairIndex", "Column",
    "norm", "stem", "norm_phrase", "phrase_stems", "collapse", "label_score",
    "DATE_PATTERNS", "CODE_PATTERNS", "RELATION_PENALTY",
    "find_date", "parse_date", "parse_decimal", "parse_int", "parse_phone", "npi_valid", "parse_value",
    "split_cells", "page_cells", "iter_pairs", "pair_index", "field", "search", "first", "table",
    "date_order", "heading", "block_title", "CONTEXT_BONUS", "section_rows", "is_heading_line", "ROW_CUTS",
    "grid_rows", "cell_part", "GRID_PARTS", "keyed_list", "KEY_SHAPES", "drop_repeated_rows",
    "LEXICON_LABEL_SCORE",
)


# ---------------------------------------------------------------- field lookup

LEXICON_LABEL_SCORE = 1.9


def label_score(label: str, labels: Iterable[str], keywords: dict[str, float], foes: dict[str, float],
                lex_labels: Iterable[str] = ()) -> float:
    """How well a printed label names the field: 2.0 for a learned variant, 1.9 for a lexicon
    synonym (so a wording the samples printed always wins over one the lexicon guessed), else
    keyword evidence, kept below both and costing for each word beyond the first that is no
    keyword (`Chronic rejection of renal transplant [Start Date:` is no `Date of birth`). Text
    whose first word ends in a comma is part of a list or an address (`Charlotte, NC`), never a
    label found by keywords."""
    phrase = norm_phrase(label)
    if not phrase:
        return 0.0
    if phrase in labels:
        return 2.0
    if phrase in lex_labels:
        return LEXICON_LABEL_SCORE
    stems = phrase_stems(phrase)
    widened = _widened(phrase, stems, labels)
    if label.split()[0].endswith(","):
        return widened
    good = min(KEYWORD_SCORE_CAP, sum(keywords.get(s, 0.0) for s in stems))
    bad = sum(foes.get(s, 0.0) for s in stems if s not in keywords)
    # a long printed text that happens to hold a keyword or two is no label for the field
    unmatched = sum(1 for s in stems if s not in keywords and s not in foes)
    return max(good - bad - UNMATCHED_WORD_COST * max(0, unmatched - 1), widened)


def qualified_penalty(label: str, score: float, keywords: dict[str, float], foes: dict[str, float]) -> float:
    """QUALIFIED_LABEL_PENALTY for a keyword label with a word that is neither keyword nor foe
    (`Lab Name` for a `Name` field): it names something more particular than the field, so
    among labels of equal score it ranks below the bare wording (`Name`). Rank only: the
    score that `min_score` tests is `label_score`'s."""
    if score >= LEXICON_LABEL_SCORE:
        return 0.0
    return QUALIFIED_LABEL_PENALTY if any(s not in keywords and s not in foes for s in phrase_stems(norm_phrase(label))) else 0.0


def _widened(phrase: str, stems: frozenset[str], labels: Iterable[str]) -> float:
    """A learned label of two words or more printed in order with one word more (`Billing
    Provider NPI` for `Billing NPI`): the inserted word may name another field (`provider`), yet
    every word the samples printed is there in order, so it scores as the best keyword evidence."""
    words = phrase.split()
    for label in labels:
        want = label.split()
        if len(want) < 2 or len(words) != len(want) + 1:
            continue
        it = iter(stem(w) for w in words)
        if all(any(s == stem(w) for s in it) for w in want):
            return KEYWORD_SCORE_CAP
    return 0.0


KEYWORD_SCORE_CAP = 1.8
UNMATCHED_WORD_COST = 0.25
QUALIFIED_LABEL_PENALTY = 0.1
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


# (document, vocabulary) -> (document, index) while `shared_pair_index` is open; the document
# is held so that its id cannot be reused by another one inside the block
_SHARED_PAIRS: ContextVar[dict[tuple[int, frozenset[str]], tuple[Document, PairIndex]] | None] = ContextVar(
    "docc_shared_pairs", default=None)


@contextmanager
def shared_pair_index() -> Iterator[None]:
    """Inside this block `pair_index` builds each document's index once per vocabulary. The
    compile runs hundreds of one-field modules of its own templates over the same samples;
    generated code cannot open the block (it is not in `__all__`), so at run time every call
    builds its own index."""
    token = _SHARED_PAIRS.set({})
    try:
        yield
    finally:
        _SHARED_PAIRS.reset(token)


def pair_index(doc: Document, vocabulary: Iterable[str] = ()) -> PairIndex:
    """Every pair of `doc` (see `iter_pairs`), indexed for `field`."""
    shared = _SHARED_PAIRS.get()
    if shared is None:
        return PairIndex(list(iter_pairs(doc, vocabulary)))
    key = (id(doc), frozenset(vocabulary))
    if key not in shared:
        shared[key] = (doc, PairIndex(list(iter_pairs(doc, vocabulary))))
    return shared[key][1]


def field(doc: Document, *, kind: str, labels: Iterable[str] = (), keywords: dict[str, float] | None = None,
          foes: dict[str, float] | None = None, relations: Iterable[str] = ("colon", "right", "below", "inline"),
          order: str = "mdy", system: str | None = None, pattern: str | None = None,
          min_score: float = 1.0, max_words: int = 8, pairs: "PairIndex | list[Pair] | None" = None,
          context: Iterable[str] = (), lex_labels: Iterable[str] = (), trailing: Iterable[str] = (),
          needs_context: Iterable[str] = (), name_order: str | None = None, suffix: str | None = None,
          prefer: str | None = None, label_orders: dict[str, str] | None = None,
          label_relations: dict[str, str] | None = None, no_digits: bool = False,
          max_len: int | None = None, capitalised: bool = False) -> Found | None:
    """The value of one field: the best-labelled pair whose value parses as `kind`.

    Learned label variants score highest; otherwise keywords learned from the samples (and
    their stems) must outweigh keywords of other fields. A pair in a block titled as the
    samples' (`context`: `Prescriber` for the prescriber's `Name`) ranks above an equally
    labelled one elsewhere; a label in `needs_context` (one another field shares, such as
    `Name`) counts only inside such a block. `trailing` labels are printed after or below
    their value. Ties go to the earliest pair. Person names come back without titles and
    suffixes, in `name_order` when one was learned (see `person_name`). `suffix` (learned) is
    what the samples print after the value in the same cell (`40 mg tablet` after the drug):
    it is cut off. A value of the `prefer` shape ranks above an equally labelled one that is not.
    `label_orders` (learned) gives the day/month order of dates under a label wording when the
    page's own dates leave it open. `label_relations` (learned) is where every sample put the
    value of a label wording (`below` a header row): a pair of that label placed otherwise ranks
    lower. `no_digits` (learned: no sample's value had one) refuses a reading with a digit;
    `max_len` (learned) one with more words; `capitalised` (learned) one that starts lower-case.
    """
    context = frozenset(context)
    labels = set(labels)
    lex_labels = set(lex_labels) - labels
    trailing = frozenset(trailing)
    needs_context = frozenset(needs_context)
    keywords = keywords or {}
    foes = foes or {}
    relations = tuple(relations)
    orders = _LabelOrders(doc, order, label_orders)
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
                                         name_order=name_order, prefer=prefer, label_relations=label_relations,
                                         no_digits=no_digits, suffix=suffix, max_len=max_len, capitalised=capitalised,
                                         orders=_LabelOrders(doc, order, label_orders))
        return _cut_suffix(_tidy_name(found, kind, name_order), suffix, ocr=True)
    placed = _placed_as_learned(pairs, label_relations)
    for i in pairs.candidates(labels | lex_labels | trailing, keywords if min_score > 0 else None):
        pair = pairs.pairs[i]
        if len(pair.value_words) > max_words * 3:
            continue
        fallback = qualified = 0.0
        if pair.relation in TRAILING_RELATIONS:
            score = _trailing_score(pair, trailing, labels, keywords, foes, lex_labels)
            if score is None:
                continue
            if norm_phrase(pair.label) not in trailing:  # under its value, untaught: the last placement tried
                fallback = ABOVE_FALLBACK_PENALTY
        elif pair.relation not in relations or _not_a_label(pair, label_relations, lex_labels):
            continue
        else:
            score = label_score(pair.label, labels, keywords, foes, lex_labels)
            qualified = qualified_penalty(pair.label, score, keywords, foes)
        if score < min_score or not _context_allows(doc, pair, needs_context, context) or _in_title(doc, pair):
            continue
        value_words = pair.value_words[:max_words] if kind not in ("string",) else pair.value_words
        parsed = parse_value(" ".join(w.text for w in value_words), kind, order=orders.of(pair), system=system,
                             pattern=pattern)
        if parsed is None and kind == "code" and len(pair.value_words) > max_words:
            # a code printed at the end of its cell, after what it codes: 'Sepsis, unspecified (A41.9)'
            parsed = parse_value(" ".join(w.text for w in pair.value_words), kind, system=system, pattern=pattern)
        if parsed is None or not _name_shaped(parsed[0], kind, name_order) or _refused(parsed[1], suffix, no_digits, max_len, capitalised):
            continue
        bonus = CONTEXT_BONUS if context and block_title(doc, pair) in context else 0.0
        if prefer is not None and not _of_shape(parsed[1], prefer):
            bonus -= SHAPE_PENALTY
        bonus -= _relation_penalty(pair, label_relations, placed) + fallback
        rank = (score - RELATION_PENALTY.get(pair.relation, 0.0) - qualified + bonus, -i)
        if (best is None or rank > best) and (not fallback or _label_under_value(doc, pair)):
            best = rank
            value, text = parsed
            if isinstance(value, Decimal) and kind == "decimal":
                value = float(value)
            confidence = min(1.0, score / 2.0) * pair.conf * (1.0 - fallback)
            best_found = Found(value, pair.page, pair.value_bbox, text, round(confidence, 3))
    return _cut_suffix(_tidy_name(best_found, kind, name_order), suffix)


SHAPE_PENALTY = 0.25
# A label printed under its value (`June 1, 1970` over `Born`) that no sample taught: tried on
# every page as the last placement, so a label whose value sits where labels usually put it
# (right, below, after a colon) always wins, and read with less confidence.
ABOVE_FALLBACK_PENALTY = 0.3


def _trailing_score(pair: Pair, trailing: frozenset[str], labels: set[str], keywords: dict[str, float],
                    foes: dict[str, float], lex_labels: set[str]) -> float | None:
    """Label score of a pair whose value is printed before or above its label, or None to
    skip it: 2.0 for a label the samples printed after its value (`trailing`); a label under
    its value (`above`) scores as any label would (the caller ranks it ABOVE_FALLBACK_PENALTY
    lower and checks `_label_under_value`); a value before its label on the same line is read
    only when learned. A label with a colon announces a value after it, never above; a value
    that prints the label itself (`Kathleen M. Howard (continued)` over an OCR'd `(continued)`)
    is that label's own line."""
    label = norm_phrase(pair.label)
    if label and f" {label} " in f" {norm_phrase(pair.value_text)} ":
        return None
    if label in trailing:
        return 2.0
    if pair.relation != "above" or pair.label_words[-1].text.endswith(":"):
        return None
    return label_score(pair.label, labels, keywords, foes, lex_labels)


_OWN_LABEL = re.compile(r"[^\W\d]\S*:(\s|$)")


def _label_under_value(doc: Document, pair: Pair) -> bool:
    """Whether an untaught `above` pair (value cell over label cell) reads as a layout that
    prints labels under their values: the label sits closer to the value over it than to
    anything printed under it, and the value closer to the label than to anything over it
    (proximity is what ties a label to its value; in a header-row layout `Result Date` is
    closer to its own value below), and the value is no `Label: value` of its own. On an
    OCR'd page word boxes hug the ink, so a large name's descender over the value (`Jones`
    over `Female`) comes closer than its line is: there the lines' middles are compared."""
    if _OWN_LABEL.search(pair.value_text) or not 0 < pair.page <= len(doc.pages):
        return False
    page = doc.pages[pair.page - 1]
    middles = page.source == "ocr"
    gap = _gap(pair.value_words, pair.label_words, middles)
    below = _nearest_gap(page.words, pair.label_words, down=True, middles=middles)
    above = _nearest_gap(page.words, pair.value_words, down=False, middles=middles)
    return (below is None or gap < below) and (above is None or gap < above)


def _gap(upper: tuple, lower: tuple, middles: bool = False) -> float:
    """Vertical distance from `upper` down to `lower`: edge to edge, or middle to middle."""
    if middles:
        return ((min(w.top for w in lower) + max(w.bottom for w in lower))
                - (min(w.top for w in upper) + max(w.bottom for w in upper))) / 2
    return min(w.top for w in lower) - max(w.bottom for w in upper)


def _nearest_gap(words: tuple, group: tuple, down: bool, middles: bool = False) -> float | None:
    """Vertical gap (see `_gap`) from `group` to the nearest page word under (or over) it that
    overlaps it horizontally, or None when there is none."""
    x0, x1 = min(w.x0 for w in group), max(w.x1 for w in group)
    top, bottom = min(w.top for w in group), max(w.bottom for w in group)
    own = set(map(id, group))
    best = None
    for w in words:
        if id(w) in own or min(x1, w.x1) - max(x0, w.x0) <= 0:
            continue
        if not (w.top - bottom if down else top - w.bottom) > -0.5:
            continue
        g = _gap(group, (w,), middles) if down else _gap((w,), group, middles)
        if best is None or g < best:
            best = g
    return best


def _refused(text: str, suffix: str | None, no_digits: bool, max_len: int | None, capitalised: bool = False) -> bool:
    """Whether a reading breaks what the samples' values all were: digit-free, at most
    `max_len` words, starting with a capital letter."""
    value = _cut(text, suffix)
    return ((no_digits and any(ch.isdigit() for ch in value)) or (max_len is not None and len(value.split()) > max_len)
            or (capitalised and value[:1].isalpha() and not value[:1].isupper()))


def _placed_as_learned(pairs: "PairIndex | list[Pair]", label_relations: dict[str, str] | None) -> frozenset:
    """Label cells that do have a value where the samples put this wording's value."""
    if not label_relations:
        return frozenset()
    return frozenset(p.label_words for p in pairs if label_relations.get(norm_phrase(p.label)) == p.relation)


def _not_a_label(pair: Pair, label_relations: dict[str, str] | None, lex_labels: Iterable[str] = ()) -> bool:
    """Whether the pair's label is no label at all here: a wording read mid-phrase
    (`_mid_phrase`), or a cell that starts with a learned label the samples read on the same
    line and goes on with a value holding digits (`Patient IDs AliceN [ 1.3.6 ]` labels nothing
    under it; `Directions for use` is a label of its own)."""
    if _mid_phrase(pair, label_relations, lex_labels):
        return True
    if pair.relation != "below" or not label_relations:
        return False
    phrase = norm_phrase(pair.label)
    return any(phrase.startswith(f"{label} ") and any(c.isdigit() for c in phrase[len(label):])
               for label, relation in label_relations.items() if relation in ("colon", "right", "inline"))


def _mid_phrase(pair: Pair, label_relations: dict[str, str] | None, lex_labels: Iterable[str] = ()) -> bool:
    """A label read inline after other words of its own cell (`HEALTH INSURANCE CLAIM FORM`: a
    title, not `Insurance` with the value `CLAIM FORM`; `GROUP HEALTH PLAN FECA` on a form's
    check-box row) that no sample printed so: a lexicon wording (no sample printed it at all),
    or a learned one whose value every sample put in a place of its own (right of it, below
    it, after a colon)."""
    if not pair.mid or pair.relation != "inline":
        return False
    label = norm_phrase(pair.label)
    return label in lex_labels or (label_relations or {}).get(label) in ("colon", "right", "below")


def _relation_penalty(pair: Pair, label_relations: dict[str, str] | None, placed: frozenset = frozenset()) -> float:
    """SHAPE_PENALTY when the samples always put this label's value elsewhere than `pair` does
    and this very label cell has a value there too (`Sex` right of `Discharge Destination`,
    whose value is below it); a layout that places the value otherwise loses nothing."""
    if not label_relations:
        return 0.0
    learned = label_relations.get(norm_phrase(pair.label))
    if learned is None or learned == pair.relation or pair.label_words not in placed:
        return 0.0
    return SHAPE_PENALTY


class _LabelOrders:
    """The day/month order to read a pair's date in: the page's own (`date_order`) when its
    dates settle one, else the order learned for the pair's label wording, else `order`."""

    __slots__ = ("doc", "order", "by_label", "_page_order")

    def __init__(self, doc: Document, order: str, by_label: dict[str, str] | None):
        self.doc, self.order, self.by_label = doc, order, by_label or {}
        self._page_order: str | None = None

    def of(self, pair: Pair) -> str:
        learned = self.by_label.get(norm_phrase(pair.label)) if self.by_label else None
        if learned is None or learned == self.order:
            return self.order
        if self._page_order is None:  # computed once, only when a label's order could differ
            self._page_order = date_order(self.doc, "") or ""
        return self._page_order or learned


def _of_shape(text: str, shape: str) -> bool:
    """Whether `text` is, as a whole, one value of the learned `shape` regex."""
    m = re.search(shape, text, re.I)
    return m is not None and (m.group(1) if m.groups() else m.group(0)).strip() == text.strip()


def _cut_suffix(found: Found | None, suffix: str | None, ocr: bool = False) -> Found | None:
    """`found` without a trailing `suffix` match (`Furosemide 40 mg tablet` -> `Furosemide`);
    unchanged when nothing would be left."""
    if found is None or not suffix or not isinstance(found.value, str):
        return found
    value = _cut(found.value, suffix, ocr)
    return found if value == found.value else Found(value, found.page, found.bbox, found.text, found.confidence)


def _cut(text: str, suffix: str | None, ocr: bool = False) -> str:
    """`text` without a trailing `suffix` match, or whole when nothing would be left. On OCR
    text the suffix is also sought with letters read for digits (`(LO3.115)`)."""
    if not suffix:
        return text
    pattern = r"\s*(?:" + suffix + r")\s*$"
    m = re.search(pattern, text, re.I)
    if m is None and ocr:  # repairs of the same length: positions hold
        m = (re.search(pattern, text.translate(OCR_TO_DIGIT), re.I)
             or re.search(pattern, fix_icd10(text, chapter=True), re.I))
    if m is None or m.start() == 0:
        return text
    return text[:m.start()].rstrip(" ,;-") or text


TITLE_SIZE = 1.25  # words this much taller than the page's body text print a title


def _in_title(doc: Document, pair: Pair) -> bool:
    """A label and value printed on one line in a title's size (`Patient Summary Document`),
    the document's title, or a label read inside a section heading (`DISCHARGE EXAM`): neither
    is a `label value` pair."""
    if pair.relation not in ("right", "inline") or not 0 < pair.page <= len(doc.pages):
        return False
    page = doc.pages[pair.page - 1]
    if pair.relation == "inline":
        line = next((ln for ln in page.lines if pair.label_words[0] in ln.words), None)
        if line is not None and is_heading_line(line, _page_median_height(page.lines)):
            return True
    heights = sorted(w.bottom - w.top for w in page.words)
    body = heights[len(heights) // 2] if heights else 0.0
    return body > 0 and min(w.bottom - w.top for w in (*pair.label_words, *pair.value_words)) >= TITLE_SIZE * body


def _context_allows(doc: Document, pair: Pair, needs_context: frozenset[str], context: frozenset[str]) -> bool:
    """False for a label shared with another field (`needs_context`) outside the field's blocks."""
    return not needs_context or norm_phrase(pair.label) not in needs_context or block_title(doc, pair) in context


_NAME_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "bin", "ibn", "y"})


def name_shaped(text: str) -> bool:
    """Two words or more, each capitalised (or a particle such as 'van'): 'Jill Williams',
    'HENDERSON, JENNIFER S'; not 'signature' nor 'was found to have fever'."""
    words = [w for w in re.split(r"[\s,]+", text) if w]
    return len(words) >= 2 and all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES or w.strip(".").casefold() in _GENERATIONS
                                   for w in words if w[:1].isalpha())


def _name_shaped(value: Any, kind: str, name_order: str | None) -> bool:
    """A learned name order means every sample's name was name-shaped (`name_shaped`): a lone
    word ('signature' after 'Prescriber') or a sentence is then no name."""
    return kind != "person_name" or name_order is None or name_shaped(str(value))


_GENERATIONS = frozenset({"jr", "sr", "ii", "iii", "iv"})


def person_name(text: str, order: str | None = None) -> str:
    """A printed person name without titles and degrees (`Dr. Jessica Aguilar, MD` ->
    `Jessica Aguilar`); a generation is part of the name and stays as printed (`Jeremy Bates
    Jr`). `order='first_last'` turns `LAST, First M` round to `First M LAST`,
    `order='last_first'` prints `LAST, First M`; None keeps the printed order."""
    name = HumanName(" ".join(t for t in text.split() if any(c.isalpha() for c in t)))  # OCR specks ('_') out
    suffixes = name.suffix.replace(",", " ").split()
    initials = [t for t in suffixes if len(t.strip(".")) == 1]  # 'V' of 'Wise, Tiffany V'
    generation = " ".join(t for t in suffixes if t.strip(".").casefold() in _GENERATIONS)
    given = " ".join(p for p in (name.first, name.middle, *initials) if p)
    if not name.last or not given:
        return " ".join(p for p in (name.first, name.middle, name.last, generation) if p) or text
    lead = text.split(",")[0].strip().casefold()
    printed_last_first = "," in text and lead in (name.last.casefold(), f"{name.last} {generation}".casefold())
    if order == "first_last" or (order is None and not printed_last_first):
        return " ".join(p for p in (given, name.last, generation) if p)
    return f"{name.last}, {' '.join(p for p in (given, generation) if p)}"


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


# a date that may vote on the page's day/month order: one separator throughout, and no digit or
# decimal point around it, so a reference range ('0.60-1.30', '4.50-5.90') casts no vote
_VOTING_DATE = re.compile(r"(?<![\w.])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\w]|\.\d)")


def date_order(doc: Document, default: str = "mdy") -> str:
    """'dmy' or 'mdy' for this document: decided by any unambiguous a/b/yyyy date, else by the
    convention of dotted dates (`01.02.2024` is day first wherever it is written), else `default`."""
    votes = {"dmy": 0, "mdy": 0}
    separators = {".": 0, "other": 0}
    pat = _VOTING_DATE
    for page in doc.pages:
        for line in page.lines:
            for m in pat.finditer(line.text):
                a, b = int(m.group(1)), int(m.group(3))
                separators["." if m.group(2) == "." else "other"] += 1
                if a > 12 >= b:
                    votes["dmy"] += 1
                elif b > 12 >= a:
                    votes["mdy"] += 1
    if votes["dmy"] == votes["mdy"]:
        return "dmy" if separators["."] > separators["other"] else default
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



# imported last (it uses this module's helpers at call time): no import happens while
# generated code runs, which the validation sandbox forbids
from extractors import ocr_tolerance as _ocr_tolerance  # noqa: E402
