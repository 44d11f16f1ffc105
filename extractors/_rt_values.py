"""Runtime helpers, part of `extractors.runtime` (generated code names them as `runtime.<name>`):
`Found`, token normalisation and the value parsers (dates, numbers, phones, codes in text).
A separate module only to keep runtime.py small; it imports nothing above the base layer."""
from __future__ import annotations

import re
from types import MappingProxyType
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from extractors.codes import CODE_PATTERNS, npi_valid
from pipeline.document import BBox


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


# ---------------------------------------------------------------- OCR digit confusions

# letters OCR returns for digits, as they are read inside a number
OCR_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                              "!": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "b": "6",
                              "g": "9", "q": "9", "T": "7"})
OCR_CONFUSABLE = "OoDQlI|i!SsBZzGbgqT"
_CONFUSED_TOKEN = re.compile(rf"^[0-9{re.escape(OCR_CONFUSABLE)}][0-9{re.escape(OCR_CONFUSABLE)}/.,:\-]*$")


def ocr_cell_digits(text: str, kind: str) -> str:
    """An OCR'd cell of a typed column (date, number) with confusable letters read as digits in
    every token made only of digits, separators and such letters (`08 O1 24`, `Ol Mar 2025`):
    the column says a number is printed there; a speck read as a lone other letter goes
    (`12 04 23 a`). A cell with no real digit is left alone, except an integer cell of one
    such letter (a quantity `l`)."""
    if not any(c.isdigit() for c in text) and not (kind == "integer" and len(text) == 1 and text in OCR_CONFUSABLE):
        return text
    tokens = [t for t in text.split() if not (len(t) == 1 and t.isalpha() and t not in OCR_CONFUSABLE)]
    return " ".join(t.translate(OCR_TO_DIGIT) if _CONFUSED_TOKEN.match(t) else t for t in tokens) or text


# shapes OCR confuses, collapsed to one class in a label skeleton (towards letters: labels are words)
_TO_LETTER = str.maketrans({"0": "o", "1": "l", "|": "l", "i": "l", "!": "l", "5": "s", "8": "b", "2": "z",
                            "6": "b", "$": "s"})


@lru_cache(maxsize=16384)
def label_key(phrase: str) -> str:
    """A label's skeleton: lower case, confusable shapes merged, 'rn' as 'm', only letters and
    spaces. What an OCR'd label, header or heading is compared by with the wordings it may print.

    'D0B' and 'DOB' share 'dob'; 'Narne' and 'Name' share 'name'; 'Probiem' and 'Problem' share 'problem'."""
    s = phrase.casefold().translate(_TO_LETTER).replace("rn", "m").replace("vv", "w")
    s = re.sub(r"[^a-z ]+", "", s)
    return " ".join(s.split())


@lru_cache(maxsize=4096)
def label_keys(phrases: tuple[str, ...] | frozenset[str]) -> tuple[str, ...]:
    """The skeletons (`label_key`) of a field's header wordings or section headings, in order:
    computed once per set of wordings, not per line compared."""
    return tuple(label_key(p) for p in phrases)


_CLOSER = {"(": ")", "[": "]"}


# `l` OCR read for a capital I opening a word: no English word starts with `l` and a consonant
# other than `l` or `y` (`lron`, `lbuprofen`, `lnterstitial`)
_L_FOR_I = re.compile(r"(?<![\w'])l(?=[bcdfghjkmnpqrstvwxz][a-z]{2})")  # three letters on: `lbs` stays
# a capital I OCR read for `l` inside a word, after a capital and before two letters (`BIdC` for
# `BldC`, `EIectrolyte`); an acronym's plural (`MRIs`) stays. So is a small i between a capital
# and a small letter before a capital that ends the word (`BidC`: LOINC's abbreviations print
# that; `DiaBeta` stays)
_I_FOR_L = re.compile(r"(?<=[A-Z])(?:I(?=[a-z][A-Za-z])|i(?=[a-z][A-Z]\b))")
# a capital O OCR read for a zero inside a number (`1OOMG/ML` for `100MG/ML`)
# in a word that starts with digits (`H2O` stays), before a unit or the word's end (`1OCBLD`, a
# footnote mark before a name, stays)
_O_FOR_ZERO = re.compile(r"\b(\d+)(O[\dO]*)(?=(?:mg|mcg|ml|g|gm|kg|l|iu|u|meq|mmol)?(?:[/%]|\b))", re.IGNORECASE)
# `l` OCR read for a capital I between capitals (`cefTRlAXone`): no word prints that
_L_AMONG_CAPITALS = re.compile(r"(?<=[A-Z])l(?=[A-Z])")
# `!` OCR read for `l` after a letter, inside a word or before more of the text (`Ana!ysis`,
# `Tyleno! 500mg`); one that ends the text stays (`rash!`)
_BANG_FOR_L = re.compile(r"(?<=[a-z])!(?=[a-z]|\s+\S)")
# a square bracket OCR read as a round one: an opening `(` closed by `]` (`Glucose (Mass/volume]`,
# `(Zortress]`). Tesseract misreads the opening bracket: on the dev set's light scans it read nine
# `(...]` and no `[...)`
_ROUND_FOR_SQUARE = re.compile(r"\(([^()\[\]]*)\]")
# oxygen's O OCR read as a zero: `02 % BldC Oximetry` opening a name (words after the percent
# sign: a count's `02 %` stays), `Sp02` and `Fi02` ending a word after a capital and a small
# letter (a code's `C02.9`, a date's `15jan02` stay)
_ZERO_FOR_O = re.compile(r"^0(?=2\s*%\s*[A-Za-z])|(?<=[A-Z][a-z])0(?=2(?![\w.]))")
# hydrochloride's `HCl` with its small l OCR read as a capital I (`Clindamycin HCI`): no
# medicine or salt prints `HCI`
_HCL = re.compile(r"\bHCI\b")
# a dose whose digit 1 OCR read as a letter (`lmg` for `1mg`, `LOOMG/ML` for `100MG/ML`): a
# letter never stands alone before a dose unit
_ONE_FOR_DOSE = re.compile(r"(?<![\w.])[lIiL|]([\dOo]*)(?=(?i:mg|mcg|ml)\b)")


def mend_ocr_text(text: str) -> str:
    """OCR'd text with a word's opening capital I read as `l` mended (`lron` -> `Iron`), an `l`
    read as a capital I inside a word mended (`BIdC` -> `BldC`), a capital O after a digit read
    as the zero it is (`1OOMG/ML` -> `100MG/ML`), and
    its brackets mended: a brace, which OCR reads for a round or square
    bracket, becomes the bracket its partner is (`{in polysorbate)` -> `(in polysorbate)`,
    `mm{Hg]` -> `mm[Hg]`, `[Mass/volume}` -> `[Mass/volume]`, `mm{[Hg}` -> `mm[Hg]`), a round
    bracket closed by a square one becomes square (`(Mass/volume]` -> `[Mass/volume]`), oxygen's O
    read as a zero is an O again (`02% BldC`, `Sp02`), and a square bracket
    or bar opening the text that nothing closes (`[Heart Rate`, `|Blood Pressure`: the cell's
    left border) goes. Also `l` among capitals read as I (`cefTRlAXone`), `!` after a letter as
    `l` (`Tyleno!`), `HCI` as hydrochloride's `HCl`, and `l` or `I` opening a dose as 1 (`lmg`)."""
    chars = list(re.sub(r"(?<=.)\{(?=[\[(])", "", text))  # a border read twice: `mm{[Hg]`
    for i, c in enumerate(chars):
        if c == "{" and i > 0:  # a leading brace is the cell's border (`{[RxNorm:209459] Tylenol`)
            close = next((d for d in chars[i + 1:] if d in ")]}"), None)
            if close in (")", "]"):
                chars[i] = "(" if close == ")" else "["
        elif c == "}":
            open_ = next((d for d in reversed(chars[:i]) if d in "([{"), None)
            if open_ in _CLOSER:
                chars[i] = _CLOSER[open_]
    out = _ZERO_FOR_O.sub("O", _ROUND_FOR_SQUARE.sub(r"[\1]", "".join(chars)))
    out = _HCL.sub("HCl", out)
    out = _I_FOR_L.sub("l", _L_FOR_I.sub("I", _L_AMONG_CAPITALS.sub("I", _BANG_FOR_L.sub("l", out))))
    out = _ONE_FOR_DOSE.sub(lambda m: "1" + m.group(1).translate(OCR_TO_DIGIT), out)
    out = _O_FOR_ZERO.sub(lambda m: m.group(1) + m.group(2).translate(OCR_TO_DIGIT), out)
    if out.startswith("|") and out[1:2].isalpha():  # the cell's left border glued to its text
        out = out[1:]
    if out.startswith("[") and not _closed(out):
        out = out[1:].lstrip()
    return out


def _closed(text: str) -> bool:
    """Whether the square bracket opening `text` is closed (`[pH]`), not a border before text
    whose own brackets come later (`[Blood Pressure 145/88 mm[Hg]`)."""
    depth = 0
    for c in text:
        depth += (c == "[") - (c == "]")
        if depth == 0:
            return True
    return False


# an ICD-10-CM code whose second character, always a digit, was read as a letter ('LO3.115')
_ICD10_LETTER_FOR_DIGIT = re.compile(rf"(?<![\w])([A-Za-z])([{re.escape(OCR_CONFUSABLE)}])(\d)")
# one whose chapter letter I was read as the digit 1 ('125.10' for 'I25.10'); other digits
# stand for more than one letter (a 5 is read for an S and for an E) and are left alone
_ICD10_ONE_FOR_I = re.compile(r"(?<![\w.])1(\d{2}\.\d{1,4})(?![\w.])")


def fix_icd10(text: str, chapter: bool = False) -> str:
    """ICD-10-CM codes read by OCR with their shape repaired: the digit after the chapter
    letter read as a letter (`LO3.115` -> `L03.115`) and, with `chapter` (a cell of a code
    column, where no amount can stand), the chapter letter I read as 1 (`125.10` -> `I25.10`,
    only with the code's dot; elsewhere `125.00` is an amount). Used only where an ICD-10-CM
    code is expected and the reading as printed is none."""
    if chapter:
        text = _ICD10_ONE_FOR_I.sub(lambda m: "I" + m.group(1), text)
    return _ICD10_LETTER_FOR_DIGIT.sub(lambda m: m.group(1) + m.group(2).translate(OCR_TO_DIGIT) + m.group(3), text)


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
    re.compile(r"^(\d{1,2}) (\d{1,2}) (\d{4}|\d{2})$"),                          # form boxes: '11 17 1940' alone
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
            elif i in (1, 4):
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


# an identifier token with a digit, three characters or more; never a piece of a dotted OID or
# number (`113883` of `2.16.840.1.113883.4.1`)
_IDENTIFIER = re.compile(r"(?<![\w.])(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{1,}[A-Z0-9](?!\w|\.\d)", re.I)


def collapse(text: str) -> str:
    return " ".join(text.split())


def icd10_dotted(code: str) -> str:
    """An ICD-10-CM code as the code system writes it: forms print `F329` for `F32.9`."""
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"


# Form boxes are numbered: ITEM_NUMBER is the number as one word (`2.`, `1a.`, `(3)`), which
# `iter_pairs` drops from a caption; _NUMBERED_LABEL is a number and caption read as one value
# (`29. AMOUNT PAID`), which is never an amount.
ITEM_NUMBER = re.compile(r"^\(?\d{1,2}[A-Za-z]?[.)]$")
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
            if system == "icd10cm":
                return (icd10_dotted(m.group(0)), m.group(0))
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


@lru_cache(maxsize=65536)
def phrase_stems(phrase: str) -> frozenset[str]:
    return frozenset(stem(t) for t in phrase.split())
