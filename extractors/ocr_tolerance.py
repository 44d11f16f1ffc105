"""Reading OCR'd text despite its usual confusions, and voting across repeated values.

Tesseract confuses shapes: O/0, l/1/I/|, S/5, B/8, Z/2 and reads "m" as "rn". A date
printed "30/12/1934" can come back "3O/12/1934"; the label "DOB" as "D0B". Two helpers
undo that where the expected shape makes the reading unambiguous:

- `fix_digits` rewrites confusable letters inside tokens that are otherwise numeric
  (dates, phone numbers, amounts), never inside words;
- `label_key` maps a label to a skeleton in which confusable shapes coincide, so a learned
  label matches its OCR'd variants.

`vote` chooses among several readings of one value (the birth date in the header and in
the body, the patient name on every page) by OCR confidence, and says how much of the
weight agreed, so a split vote lowers confidence instead of exporting a coin toss.
These helpers are used only on OCR'd pages: text layers are read as printed.
"""
from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from decimal import Decimal
from functools import lru_cache, partial

from extractors import runtime as rt
from extractors._rt_values import OCR_CONFUSABLE as _CONFUSABLE_IN_NUMBER, OCR_TO_DIGIT as _TO_DIGIT, fix_icd10, label_key

# a token of digits, separators and confusable letters holding at least two real digits
_NUMERIC_TOKEN = re.compile(rf"(?<![A-Za-z])[0-9{re.escape(_CONFUSABLE_IN_NUMBER)}][0-9{re.escape(_CONFUSABLE_IN_NUMBER)}/.,:\-]*(?![A-Za-z])")

# the kinds whose values are numeric in shape, so digit repair is safe
NUMERIC_KINDS = frozenset({"date", "datetime", "integer", "decimal", "phone"})


def _fix_token(tok: str) -> str:
    digits = sum(c.isdigit() for c in tok)
    letters = sum(c in _CONFUSABLE_IN_NUMBER for c in tok)
    if digits < 2 or letters == 0 or letters > digits:
        return tok  # a word, or too little evidence that this is a number
    return tok.translate(_TO_DIGIT)


@lru_cache(maxsize=16384)
def fix_digits(text: str) -> str:
    """Confusable letters inside number-shaped tokens read as digits ('3O/l2/1934' -> '30/12/1934')."""
    return _NUMERIC_TOKEN.sub(lambda m: _fix_token(m.group(0)), text)


# a UUID (8-4-4-4-12 hexadecimal digits, as C-CDA and FHIR exports print record ids)
_UUID_SHAPE = re.compile(r"[0-9A-Za-z]{8}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}-[0-9A-Za-z]{12}")
_HEX = frozenset("0123456789abcdefABCDEF-")
# letters OCR returns for digits that are not hexadecimal digits themselves (B, D stay as read)
_TO_HEX = str.maketrans({"O": "0", "o": "0", "Q": "0", "l": "1", "I": "1", "i": "1", "S": "5", "s": "5",
                         "G": "6", "g": "9", "Z": "2", "z": "2", "T": "7"})


def fix_uuid(value: str) -> str:
    """A UUID-shaped identifier whose only non-hexadecimal characters are digit look-alikes,
    with those read as the digits ('...A90DA78D3COF' -> '...A90DA78D3C0F'): in a UUID an O can
    only be a 0. Anything else, or a token that still is not hexadecimal, is returned as read."""
    if not _UUID_SHAPE.fullmatch(value) or set(value) <= _HEX:
        return value
    fixed = value.translate(_TO_HEX)
    return fixed if set(fixed) <= _HEX else value


# repairs for coded values, by code system: the system's own shape says which letters are digits
CODE_FIXES = {"icd10cm": fix_icd10, "npi": fix_digits}
# and, for a code that is a label's whole value (no amount stands there), what more it allows:
# a leading 1 is the ICD-10-CM chapter letter I (`163.9`)
WHOLE_CODE_FIXES = {"icd10cm": partial(fix_icd10, chapter=True)}


def vote(readings: Iterable[tuple[Hashable, float]]) -> tuple[Hashable, float, int] | None:
    """The value with the most confidence weight among (value, confidence) readings.

    Returns (value, share of the total weight that agrees, readings that agree), or None when
    there are no readings. Ties go to the value read first (the earliest on the page)."""
    weight: dict[Hashable, float] = {}
    count: dict[Hashable, int] = {}
    order: list[Hashable] = []
    for value, conf in readings:
        if value not in weight:
            order.append(value)
            weight[value] = 0.0
            count[value] = 0
        weight[value] += max(float(conf), 0.01)
        count[value] += 1
    if not order:
        return None
    total = sum(weight.values())
    best = max(order, key=lambda v: (weight[v], -order.index(v)))
    return best, weight[best] / total, count[best]


# ---------------------------------------------------------------- field reading on OCR'd pages

# a vote whose winner holds less than this share of the weight is reported at lower confidence
VOTE_AGREEMENT = 0.6


def ocr_pages(doc) -> frozenset[int]:
    """Numbers of the document's pages that were read by OCR."""
    return frozenset(p.number for p in doc.pages if p.source == "ocr")


def tolerant_label_score(label: str, labels: Iterable[str], keywords: dict[str, float],
                         foes: dict[str, float]) -> float:
    """`runtime.label_score` on label skeletons: a learned label read with OCR confusions
    scores just under an exact one (1.9); otherwise keywords and foes count through their
    skeletons under exactly the text-layer rules (cap, foes, a cost for each word beyond the
    first that is no keyword), so OCR confusions are forgiven but a long printed text holding
    one keyword (`Essential Hypertension [Start Date:`) is no more a label here than on text."""
    key = label_key(rt.norm_phrase(label))
    if not key:
        return 0.0
    if key in {label_key(lb) for lb in labels}:
        return 1.9
    stems = {rt.stem(t) for t in key.split()}
    kw: dict[str, float] = {}
    for s, w in keywords.items():
        k = label_key(s)
        kw[k] = max(kw.get(k, 0.0), w)
    fo = {label_key(s): w for s, w in foes.items()}
    good = min(rt.KEYWORD_SCORE_CAP, sum(kw.get(s, 0.0) for s in stems))
    bad = sum(fo.get(s, 0.0) for s in stems if s not in kw)
    unmatched = sum(1 for s in stems if s not in kw and s not in fo)
    return good - bad - rt.UNMATCHED_WORD_COST * max(0, unmatched - 1)


# Words that name only the kind of a value, not which field it is: a label whose only evidence
# for the field is one of these ("Date:", "Date / Time:", "[Start Date:") ties any value of
# that kind to it. On a text layer the field's own label is printed and outranks it; on a scan
# that label may be unreadable, and such a label would hand over another date or number.
KIND_WORDS: dict[str, frozenset[str]] = {
    "date": frozenset({"date", "dt", "time", "day"}),
    "datetime": frozenset({"date", "dt", "time", "day"}),
    "person_name": frozenset({"name"}),
    "identifier": frozenset({"numb", "no", "nr", "num", "id", "ids", "code"}),
    "integer": frozenset({"numb", "no", "nr", "num", "coun"}),
    "phone": frozenset({"numb", "no", "nr", "num"}),
}


def names_only_kind(label: str, labels: Iterable[str], lex_labels: Iterable[str], keywords: dict[str, float],
                    kind: str) -> bool:
    """True when `label` is neither a learned or lexicon wording (nor an OCR-confused reading of
    one) and every keyword it carries only names the value's kind (see KIND_WORDS)."""
    words = KIND_WORDS.get(kind)
    if not words:
        return False
    phrase = rt.norm_phrase(label)
    if phrase in labels or phrase in lex_labels:
        return False
    key = label_key(phrase)
    if key in {label_key(lb) for lb in labels} or key in {label_key(lb) for lb in lex_labels}:
        return False
    kw = {label_key(s) for s, w in keywords.items() if w > 0}
    hit = {s for s in (rt.stem(t) for t in key.split()) if s in kw}
    return bool(hit) and hit <= {label_key(w) for w in words}


def ocr_field(doc, pairs, *, kind: str, labels: set[str], keywords: dict[str, float], foes: dict[str, float],
              relations: tuple[str, ...], order: str, system: str | None, pattern: str | None,
              min_score: float, max_words: int, lex_labels: set[str] = frozenset(), context: frozenset[str] = frozenset(),
              trailing: frozenset[str] = frozenset(), needs_context: frozenset[str] = frozenset(),
              name_order: str | None = None, prefer: str | None = None, orders=None,
              label_relations: dict[str, str] | None = None, no_digits: bool = False, suffix: str | None = None,
              max_len: int | None = None, capitalised: bool = False):
    """`runtime.field` for a document with OCR'd pages: labels matched through OCR confusions,
    numeric values repaired (`fix_digits`), and every mention under the best label quality
    voted on by OCR confidence. Returns a runtime.Found or None."""
    scanned = ocr_pages(doc)
    placed = rt._placed_as_learned(pairs.pairs, label_relations)
    readings: list[tuple[float, int, object, object]] = []   # (score, index, value, Found)
    unread: list[tuple[int, int, str, str, float]] = []  # (pair index, page, relation, label, score) of labelled values that did not read
    for i, pair in enumerate(pairs.pairs):
        if len(pair.value_words) > max_words * 3:
            continue
        fallback = qualified = 0.0
        if pair.relation in rt.TRAILING_RELATIONS:  # a value printed before its label
            score = rt._trailing_score(pair, trailing, labels, keywords, foes, lex_labels)
            if score is None:
                continue
            if rt.norm_phrase(pair.label) not in trailing:  # under its value, untaught: the last placement tried
                fallback = rt.ABOVE_FALLBACK_PENALTY
        elif pair.relation not in relations or rt._not_a_label(pair, label_relations, lex_labels):
            continue
        else:
            score = rt.label_score(pair.label, labels, keywords, foes, lex_labels)
            if score < min_score and pair.page in scanned:
                score = tolerant_label_score(pair.label, labels, keywords, foes)
            qualified = rt.qualified_penalty(pair.label, score, keywords, foes)
        if score < min_score or not rt._context_allows(doc, pair, needs_context, context) or rt._in_title(doc, pair):
            continue
        if pair.page in scanned and pair.relation not in rt.TRAILING_RELATIONS and names_only_kind(
                pair.label, labels, lex_labels, keywords, kind):
            continue  # "Date:" is no tie to the birth date when the birth date's own label was lost
        value_words = pair.value_words[:max_words] if kind not in ("string",) else pair.value_words
        text = " ".join(w.text for w in value_words)
        p_order = orders.of(pair) if orders is not None else order
        parsed = rt.parse_value(text, kind, order=p_order, system=system, pattern=pattern)
        if parsed is None and kind == "code" and len(pair.value_words) > max_words:  # 'Sepsis (A41.9)'
            parsed = rt.parse_value(" ".join(w.text for w in pair.value_words), kind, system=system, pattern=pattern)
        if parsed is None and pair.page in scanned and kind in NUMERIC_KINDS:
            parsed = rt.parse_value(fix_digits(text), kind, order=p_order, system=system, pattern=pattern)
        if parsed is None and pair.page in scanned and kind == "code" and system in CODE_FIXES:
            fixes = [CODE_FIXES[system]]
            if len(pair.value_words) == 1 and system in WHOLE_CODE_FIXES:
                fixes.append(WHOLE_CODE_FIXES[system])
            whole = " ".join(w.text for w in pair.value_words)
            parsed = next((got for fix in fixes for t in (text, whole)
                           if (got := rt.parse_value(fix(t), kind, system=system, pattern=pattern)) is not None), None)
        if parsed is None and pair.page in scanned:
            unread.append((i, pair.page, pair.relation, rt.norm_phrase(pair.label), score))
        if parsed is None or not rt._name_shaped(parsed[0], kind, name_order) or rt._refused(parsed[1], suffix, no_digits, max_len, capitalised):
            continue
        if fallback and not rt._label_under_value(doc, pair):
            continue
        value, vtext = parsed
        if kind == "identifier" and pair.page in scanned and isinstance(value, str):
            value = fix_uuid(value)
        if isinstance(value, Decimal) and kind == "decimal":
            value = float(value)
        conf = min(1.0, score / 2.0) * _kept_conf(pair, vtext, suffix) * (1.0 - fallback)
        bonus = rt.CONTEXT_BONUS if context and rt.block_title(doc, pair) in context else 0.0
        if prefer is not None and not rt._of_shape(vtext, prefer):
            bonus -= rt.SHAPE_PENALTY
        bonus -= rt._relation_penalty(pair, label_relations, placed) + fallback
        rank = score - rt.RELATION_PENALTY.get(pair.relation, 0.0) - qualified + bonus
        readings.append((rank, i, value, rt.Found(value, pair.page, pair.value_bbox, vtext, round(conf, 3))))
    if not readings:
        return None
    top = max(r[0] for r in readings)
    group = sorted((r for r in readings if r[0] >= top - 1e-9), key=lambda r: r[1])
    # As on a text layer, the earliest of equally good labels names the field; the mentions
    # under that same wording (a header repeated on every page, a `DOB:` in the header and the
    # body) vote on its reading. A second column header of that wording on one page heads
    # another value (`ICD-10` over the principal and over the other diagnoses), not a second
    # reading of it.
    wording = rt.norm_phrase(pairs.pairs[group[0][1]].label)
    mentions, headed = [], set()
    for r in group:
        pair = pairs.pairs[r[1]]
        if rt.norm_phrase(pair.label) != wording or (pair.relation == "below" and pair.page in headed):
            continue
        mentions.append(r)
        if pair.relation == "below":
            headed.add(pair.page)
    voted = vote((_vote_key(r[2]), r[3].confidence) for r in mentions)
    assert voted is not None
    key = voted[0]
    winner = max((r for r in mentions if _vote_key(r[2]) == key), key=lambda r: (r[3].confidence, -r[1]))
    found = winner[3]
    # every equally good reading counts against it when they disagree
    total = sum(max(r[3].confidence, 0.01) for r in group)
    share = sum(max(r[3].confidence, 0.01) for r in group if _vote_key(r[2]) == key) / total
    if len(group) > 1 and share < VOTE_AGREEMENT:
        found = rt.Found(found.value, found.page, found.bbox, found.text, round(found.confidence * share, 3))
    won = pairs.pairs[winner[1]]
    own_unread = rt.norm_phrase(won.label) not in labels and any(label in labels and score >= 2.0
                                                                 for _, _, _, label, score in unread)
    earlier_unread = any(j < winner[1] and page == won.page and relation == won.relation and label == wording
                         for j, page, relation, label, _ in unread)
    if own_unread or earlier_unread or misread_glyph(found.text, kind):
        # the field's own label was read and its value was not, so another label's value is a
        # guess; the same label, placed the same way, printed earlier on the page over a value
        # that did not read (the one a text layer would take); or the value holds a glyph no
        # word does (`NSTEM!`): either way, for review
        found = rt.Found(found.value, found.page, found.bbox, found.text, round(found.confidence * DOUBT, 3))
    return found


DOUBT = 0.5  # confidence kept by a reading with evidence against it (see ocr_field)
# a word with a letter and a glyph OCR returns for a stroke it could not read (`NSTEM!`, `£L`)
_MISREAD_GLYPH = re.compile(r"[A-Za-z][!|£¢¥§™©®]|[!|£¢¥§™©®][A-Za-z]")


def misread_glyph(text: str, kind: str) -> bool:
    """Whether a text value holds a word OCR garbled: a letter beside a glyph no word holds."""
    return kind in ("string", "person_name") and bool(_MISREAD_GLYPH.search(text))


def _kept_conf(pair, text: str, suffix: str | None) -> float:
    """OCR confidence of the words the reading keeps: a learned suffix cut off after the vote
    (`(L03.115)` after a diagnosis) does not count against the value."""
    kept = rt._cut(text, suffix, ocr=True)
    if kept == text:
        return pair.conf
    return min(w.conf for w in pair.value_words[:max(1, len(kept.split()))])


def _vote_key(value) -> Hashable:
    """Values that are the same reading compare equal (names ignore case and spacing)."""
    if isinstance(value, str):
        return " ".join(value.casefold().split())
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)
