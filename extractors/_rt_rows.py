"""Runtime helpers, part of `extractors.runtime`: the rows of a table field, read from aligned
header columns (`table`), from a list under a section heading (`section_rows`) or from a drawn
grid (`grid_rows`). A separate module only to keep runtime.py small; base layer imports only."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Iterable

from pipeline.document import BBox, Document, Line, Word

from extractors._rt_cells import Cell, _is_label_like, _line_height, sized_by_ink, split_cells
from extractors._rt_units import snap_unit_columns, without_speck
from extractors._rt_values import (Found, collapse, fix_icd10, label_key, label_keys, norm_phrase, mend_ocr_text, ocr_cell_digits, parse_value,
                                   phrase_stems, stem)

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
          max_gap: float = 3.0, sections: tuple[str, ...] = ()) -> Found | None:
    """Rows of every table whose header names at least `min_columns` of `columns`.

    Column spans come from the header cells; each body word goes to the column whose span it
    overlaps most. When some header of the document names the column that names the rows (the
    first required one), headers that do not are another table's ('Result Date  Lab Reference'
    over a date and an accession number). A table ends at a wide vertical gap, a line with no
    word in a key column, or the page end; a header repeated on a later page continues the table.
    `sections`: headings the samples print over the field's table (`_in_sections`).
    """
    tables: list[_Read] = []
    need = min(min_columns, len(columns))
    key = next((c.name for c in columns if c.required), None)
    header_stems = frozenset(t for c in columns for t in (*(k for k, _ in c.keywords), *(x for l in c.labels for x in phrase_stems(l))))
    repeated = _repeated_lines(doc)
    for page in doc.pages:
        lines = page.lines
        li = 0
        while li < len(lines):
            if not any(stem(w.text) in header_stems for w in lines[li].words):
                li += 1  # no word of any column header: cannot be a header line
                continue
            header_line, header_at = lines[li], li
            header_cells = _split_header_cells(header_line, page.number, li)
            header = _header_matches(header_cells, columns)
            if len(header) < need and (split := _split_row(header_line, lines[li + 1] if li + 1 < len(lines) else None)):
                split_cells_ = _split_header_cells(split, page.number, li)
                if len(split_header := _header_matches(split_cells_, columns)) >= need:
                    header_line, header_cells, header = split, split_cells_, split_header  # a header cut in two
                    li += 1
            if len(header) < need:
                li += 1
                continue
            # the first row names the header cells no column claimed; a form's line number printed
            # alone over its row (`1`) is no row
            first = next((ln for ln in lines[li + 1:li + 3] if len(ln.words) > 1), lines[li + 1] if li + 1 < len(lines) else None)
            named = _name_unmatched(header, header_cells, columns, first, order)
            spans = _column_spans(named, page.width)
            body_start = li + 1
            li = body_start
            prev_bottom = header_line.bbox[3]
            # gaps are measured in the rows' type when it is larger than the header's (a form
            # prints 6 pt captions over 10 pt entries)
            line_h = max(_line_height(header_line), _line_height(lines[body_start]) if body_start < len(lines) else 0.0)
            rows: list[dict[str, Found | None]] = []
            boxes: list[BBox] = []
            misread = False  # the last line was an unreadable row
            while li < len(lines):
                line = lines[li]
                top = line.bbox[1]
                if top - prev_bottom > max_gap * line_h or _running_line(line, page.height, repeated):
                    break
                if len(_header_matches(_split_header_cells(line, page.number, li), columns)) >= need:
                    break
                row = _read_row(line, spans, columns, page.number, order)
                split = _split_row(line, lines[li + 1] if li + 1 < len(lines) else None) if row is None else None
                if split is not None:  # one printed row the line grouping cut in two
                    row, line = _read_row(split, spans, columns, page.number, order), split
                    li += 1
                if row is None and _stray_line(line, lines[li + 1] if li + 1 < len(lines) else None,
                                               spans, columns, page.number, order, max_gap * line_h):
                    prev_bottom = line.bbox[3]
                    li += 1  # a row number printed in a margin column over its row (form line items)
                    continue
                if row is None and not misread and _misread_row(line, spans, columns):
                    misread = True  # an OCR'd row whose code did not read (`503.9`): lost, the table goes on
                    prev_bottom = line.bbox[3]
                    li += 1
                    continue
                if row is None:
                    break
                misread = False
                rows.append(row)
                boxes.append(line.bbox)
                prev_bottom = line.bbox[3]
                li += 1
            if rows:
                tables.append(_Read(key in named, page.number, rows, boxes, norm_phrase(header_line.text),
                                    heading_over(page.lines, header_at)))
    if any(t.keyed for t in tables):
        tables = [t for t in tables if t.keyed]
    if sections:
        tables = _in_sections(tables, frozenset(sections))
    rows = [r for t in tables for r in t.rows]
    boxes = [b for t in tables for b in t.boxes]
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return snap_unit_columns(doc, Found(rows, tables[0].page, bbox, "", 1.0))


@dataclass(frozen=True)
class _Read:
    """One table `table` read under one header row."""

    keyed: bool                     # its header names the column that names the rows
    page: int
    rows: list[dict[str, Found | None]]
    boxes: list[BBox]
    header: str                     # the header row's text, normalised
    heading: Line | None            # the section heading above it (`heading_over`)


def _in_sections(tables: list[_Read], sections: frozenset[str]) -> list[_Read]:
    """When some table sits under a heading naming one of the field's sections, a table under
    another heading is another section's (`Main condition treated` over the same `Condition
    ICD-10` header as `Other diagnoses`). A table with no heading above it, or repeating the
    header of the table kept before it on the previous page, continues that one; without any
    table in a named section (an unseen layout's headings) every table stays."""
    inside = [t.heading is not None and names_section(t.heading, sections) for t in tables]
    if not any(inside):
        return tables
    kept: list[_Read] = []
    for t, ok in zip(tables, inside):
        continues = bool(kept) and kept[-1].page == t.page - 1 and kept[-1].header == t.header
        if ok or t.heading is None or continues:
            kept.append(t)
    return kept


def _split_row(line: Line, nxt: Line | None) -> Line | None:
    """`line` and the next line as one, when they overlap vertically (by a tenth of the
    shorter one's height or more) and not horizontally: one printed row the line grouping cut in two
    (a skewed scan prints a right-hand code a few pixels off its description), or None."""
    if nxt is None:
        return None
    (ax0, at, ax1, ab), (bx0, bt, bx1, bb) = line.bbox, nxt.bbox
    overlap = min(ab, bb) - max(at, bt)
    if overlap < 0.1 * min(ab - at, bb - bt) or min(ax1, bx1) - max(ax0, bx0) > 0:
        return None
    return Line(tuple(sorted((*line.words, *nxt.words), key=lambda w: w.x0)))


def _misread_row(line: Line, spans, columns: list[Column]) -> bool:
    """An OCR'd line shaped like a row (words in every required column, as many cells as
    columns at most) that did not read as one: one such line is skipped, a second ends the table."""
    if line.conf >= 1.0:
        return False
    filled = {name for name, left, right in spans for w in line.words if min(w.x1, right) - max(w.x0, left) > 0}
    return all(c.name in filled for c in columns if c.required) and len(split_cells(line, 0, 0)) <= len(spans)


def _stray_line(line: Line, nxt: Line | None, spans, columns: list[Column], page: int, order: str,
                max_gap: float) -> bool:
    """A line of one short word between table rows (a form's line number, `1`, printed in a
    margin column over its row) that is no row itself: skipped when the next line, close
    under it, reads as a row; anything else still ends the table."""
    if len(line.words) != 1 or len(line.words[0].text) > 3 or nxt is None:
        return False
    if nxt.bbox[1] - line.bbox[3] > max_gap:
        return False
    return _read_row(nxt, spans, columns, page, order) is not None


def _name_unmatched(header: dict[str, Cell], cells: list[Cell], columns: list[Column], first_row: Line | None,
                    order: str) -> dict[str, Cell]:
    """Give header cells no column claimed (unseen wording) to columns no cell claimed.

    Each unclaimed column takes the first unclaimed cell whose text in the first body row
    parses as the column's kind (typed columns choose first; an amount column the first
    that prints like an amount). Cells left over keep a span
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
            fits = []
            for i in free:
                text = texts.get(f"?{i}", "")
                if col.shape and not re.search(col.shape, text):
                    continue
                if text and parse_value(text, col.kind, order=order, system=col.system) is not None:
                    fits.append((-_amount_like(text) if col.kind == "decimal" else 0, i))
            if fits:
                i = min(fits)[1]  # an amount column prefers `$240.00` to a row number `1`
                named[col.name] = cells[i]
                free.remove(i)
    for i in free:
        named[f"?{i}"] = cells[i]
    return named


def _amount_like(text: str) -> bool:
    """Printed like an amount (a currency sign or decimals), not like a count or row number."""
    return bool(re.search(r"[$€£]|\d[.,]\d{2}\b", text))


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
        if parsed is None and col.kind in ("date", "datetime", "integer", "decimal") and min(w.conf for w in words) < 1.0:
            parsed = parse_value(ocr_cell_digits(text, col.kind), col.kind, order=order, system=col.system)
        if parsed is None and col.system == "icd10cm" and min(w.conf for w in words) < 1.0:
            parsed = parse_value(fix_icd10(text, chapter=True), col.kind, order=order, system=col.system)  # OCR'd code cell
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



# ---------------------------------------------------------------- section lists

_ROW_VALUE = re.compile(r"^([<>]?[-+]?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?)(?:\s+(.*))?$")
_UNIT = re.compile(r"^(?=.*[A-Za-z%\[\]])(?!\d{1,2}[-/])[\w%\[\]/*^.µμ-]{1,16}$")
_UNIT_WORD = re.compile(r"^[a-zµμ]{2,12}(?:\([^()\s]{1,10}\))?$")  # `minute(/min)`: its code after it
_BRACKETED_UNIT = re.compile(r"^\(([^()\s]*[/*^][^()\s]*)\)$")
_JOINING_WORDS = frozenset({"of", "in", "by", "for", "and", "the", "to", "with", "on", "at", "per", "&", "-"})
_NUMBER = re.compile(r"^[<>]?[-+]?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?$")
# a number with its unit printed against it (`50mg/dl`, `5.0[ph]`): split only when a unit follows
# (never an ordinal, `1st`, or a multiplier, `5x10^9/L`)
_GLUED_UNIT = re.compile(r"^([<>≤≥=~]{0,2}\s?[-+]?\d[\d,]*(?:\.\d+)?)(?=[A-Za-zµ%\[]|/[A-Za-zµ])(?!(?:st|nd|rd|th)\b|[xX×])(\S+(?:\s.*)?)$")


def glued_measure(text: str) -> re.Match | None:
    """`10ng/mL` read as number (group 1) and what follows it (group 2), when that starts with a
    unit: a cell printed, or read by OCR, without the space between them. None otherwise."""
    m = _GLUED_UNIT.match(text)
    return m if m is not None and unit_text(m.group(2)) else None


_ENUMERATOR = re.compile(r"^(?:\d{1,3}[.)]|[•·▪◦‣*-]|#\d{1,3})\s+(?=\S*[A-Za-z])")
# a bullet as OCR reads it (`e`, `o`, `oe`, `e©`)
_OCR_BULLET = re.compile(r"[eoc©°«»•·]{1,2}")
# below this OCR confidence a short first token is an icon read as letters (`Vv`, `(SF`: 0.0 to
# 0.75 on the dev set's scans), not a word (`pH`, `in`: 0.84 and more)
OCR_MARK_CONF = 0.8
_ITEM_LABEL = re.compile(r"^[A-Za-z]+\s*#\s*(\d{1,3}):?$")
# `Active Concerns`, `Resolved Problems`, `Inactive Medications`: a title over a group of the
# list's items (by their status), no item itself
_GROUP_TITLE = re.compile(r"^(?:active|inactive|resolved|current|past|historical|discontinued|completed|ongoing)\s+"
                          r"(?:concerns?|problems?|issues?|conditions?|diagnos[ie]s|medications?|meds|prescriptions?)$",
                          re.IGNORECASE)
# `Quantity: 2`, `Start Date: 6/22/2015` under an item: a detail of it, no item
_DETAIL_LINE = re.compile(r"^[A-Za-z]{2,20}(?: [A-Za-z]{2,20}){0,2}:\s*\S")


_CODE_REFS = re.compile(r"\s*[\[(]?\b(?:LOINC|SNOMED(?:[- ]?CT)?|CPT(?:-?4)?|ICD-?(?:9|10)(?:-?CM)?|RxNorm|NDC|HCPCS)\b\s*(?:code)?\s*[:#=].*$",
                        re.IGNORECASE)


def _without_ocr_bullet(line: Line) -> Line:
    """An OCR'd line without the bullet or icon before its item or heading (`e Essential
    hypertension`, `Vv MEDICATIONS` under an expand arrow, `(SF Problem #1` beside a checked
    box): read as letters it would join the item, shift the list's left edge to the bullets',
    and keep a heading from reading as one. A mark is one glyph wide and read as a bullet, or
    as up to three characters without a digit that OCR doubts. A doubted glyph after the line,
    taller than twice its letters, is the edge of the banner the line was printed on (`V SOCIAL
    HISTORY j`) and goes too."""
    words = line.words
    if len(words) < 2 or line.conf >= 1.0:
        return line
    last = words[-1]
    rest_height = max(w.bottom - w.top for w in words[:-1])
    if len(last.text) == 1 and last.conf < OCR_MARK_CONF and last.bottom - last.top > 2 * rest_height:
        words = words[:-1]
        line = Line(words)
    if len(words) < 2 or not words[1].text[:1].isalpha():
        return line
    mark = words[0]
    if mark.x1 - mark.x0 > 1.5 * (mark.bottom - mark.top):  # wider than one glyph
        return line
    if _OCR_BULLET.fullmatch(mark.text) or (len(mark.text) <= 3 and mark.conf < OCR_MARK_CONF and _no_word(mark.text)):
        return Line(words[1:])
    return line


def _no_word(text: str) -> bool:
    """A token no word or abbreviation prints: a bracket or symbol in it (`(SF`), or mixed case
    (`Vv`). `GI`, `IV`, `B` and `a` are words."""
    return not any(c.isdigit() for c in text) and (not text.isalpha() or not (text.isupper() or text.islower()))


def _brackets_mended(line: Line) -> Line:
    """An OCR'd line with its brackets mended as an OCR'd table cell's are (`mend_ocr_text`:
    `mm{[Hg]` -> `mm[Hg]`, `[Heart Rate` -> `Heart Rate`), word by word where the mended text
    keeps the line's words."""
    if line.conf >= 1.0:
        return line
    mended = mend_ocr_text(line.text).split()
    if mended == [w.text for w in line.words] or len(mended) != len(line.words):
        return line
    return Line(tuple(replace(w, text=t) for w, t in zip(line.words, mended)))


def _names_column(text: str, roles: dict[str, str]) -> bool:
    """Whether `text` is the printed name of one of the columns (`Medication`, `Problems`): a
    header cell, not a row."""
    words = norm_phrase(text).split()
    return bool(words) and any(
        [stem(w) for w in words] == [stem(w) for w in col.replace("_", " ").split()] for col in roles)

# a bracketed code (`[59621000]`) or labelled detail (`[Start Date: 10/5/2011]`) after a name, and
# all after it; a bracketed word is part of the name (`Glucose [Mass/volume] in urine`, `[pH]`)
_BRACKET_REFS = re.compile(r"\s*\[(?:\d{3,}|[A-Za-z][^\]:\[]{0,30}:[^\]]*)\].*$")
# brackets closing a name that hold only numbers: a code (`[5811-5]`, `(test code = 5778-6)`) or a
# reference range (`(1.005-1.030)`, `( 5.0 - 8.0 )`); brackets with a word stay (`(UA)`, `(Cipro)`)
_NUMERIC_REFS = re.compile(r"(?:\s*[\[(]\s*(?:(?:test\s+)?code\s*[:=#]?\s*)?\d[\d.,\s-]*[\])])+\s*$", re.IGNORECASE)
# a reference range closing a name whose closing bracket OCR lost (`Specific gravity (1.005- 1.03`)
_OPEN_RANGE = re.compile(r"\s*[\[(]\s*\d[\d.,]*\s*-\s*\d[\d.,]*\s*$")
# codes of one letter and digits in brackets closing a name (`(I10)`, `(T86.11) (996.81)`)
_CLASS_CODES = re.compile(r"(?:\s*[\[(][A-Z]?\d{1,3}(?:\.\w{1,4})?[\])])+\s*$")
# a code printed before the name, in brackets with its system (`[RxNorm:309090] Ceftriaxone`)
_LEADING_REF = re.compile(r"^\s*\[(?:LOINC|SNOMED(?:[- ]?CT)?|RxNorm|NDC|CPT|ICD-?(?:9|10)(?:-?CM)?)\s*:?\s*[\w.-]+\]\s*(?=\S)",
                          re.IGNORECASE)


def without_code_refs(name: str) -> str:
    """A table name without the code references printed after it (`Color LOINC: 5778-6`,
    `Fever SNOMED-CT: 386661006, ICD-9: 780.6`, `Fever [Start Date: 6/22/2015] [386661006]`,
    `Color of Urine (test code = 5778-6)`, `[RxNorm:309090] Ceftriaxone`) or the reference range
    closing it (`pH (5.0-8.0)`): a code system's name, a code, a range and a labelled detail are
    never part of what the row names. The whole text when nothing else is left."""
    cut = _CLASS_CODES.sub("", _OPEN_RANGE.sub("", _NUMERIC_REFS.sub("", _BRACKET_REFS.sub("", _CODE_REFS.sub("", _LEADING_REF.sub("", name)))))).strip()
    if cut != name.strip():
        cut = cut.rstrip(",;:").rstrip()  # `FEVER UNSPECIFIED, [ICD9: 780.60]`: the separator goes too
    return cut or name


# a dose instruction after a product's name: a small count, a dose unit and the rest (`1 unit(s)
# orally 3 times a day`, `1 (one) Unit two times daily`); never a strength (`100 unit/mL`, `500 MG`)
# or an instruction's verb (`Take three times a day`, `INJECT 1 ML Weekly`)
_DIRECTIONS = re.compile(r"\s+(?:\d{1,2}(?:\.\d+)?\s+(?:\(\w+\)\s+)?(?:unit|tablet|tab|capsule|cap|puff|drop|spray|patch)s?"
                         r"(?:\(s\))?(?!\s*/)\b|\d+(?:\.\d+)?\s+[a-z]+\(s\)|(?:take|inject|inhale|instill|chew|dissolve)\b).*$",
                         re.IGNORECASE)
# a row that says there is nothing to list (`No known Medications`, `None reported`)
_NONE_STATEMENT = re.compile(r"^(?:(?:the\s+|this\s+)?patient\s+(?:has|reports)\s+)?(?:no\b.{0,40}\b(?:known|current|active|information|available|recorded|reported|documented)\b.{0,20}"
                             r"|none(?:\s+(?:known|reported|recorded))?|(?:\w+\s+){0,3}unknown|not\s+available|n/?a)\.?$",
                             re.IGNORECASE)


def says_none(name: str) -> bool:
    """Whether a listed name only says that there is nothing to list: no entry of the list."""
    return bool(_NONE_STATEMENT.match(name.strip()))


# a date after a name, in its cell or the next one printed too close to split (`Essential
# hypertension 2011-10-05`, `Fever (finding) -20171030`), and all after it: never part of a name
_TRAILING_DATE = re.compile(r"\s+-?(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|(?:19|20)\d{6})\b.*$")


def row_name(text: str) -> str:
    """What a row's name cell names: without code references, ranges, dose instructions or a
    date printed after it."""
    cut = _TRAILING_DATE.sub("", text).strip()
    return without_directions(without_code_refs(cut or text))


def _cut(text: str, cut: str | None) -> str:
    """`text` up to where the learned `cut` pattern first matches after its start."""
    if cut:
        m = re.search(cut, text)
        if m is not None and m.start() > 0:
            text = text[: m.start()]
    return collapse(text)


def _wraps(line: Line, text: str, above: str, gap: float, row_gap: float, between_items: bool = False) -> bool:
    """Whether a line at the list's left edge is the rest of the item above it (printed as
    `above`), wrapped in its cell: it sits closer under the item than the item sits under what
    precedes it (rows are spaced wider than the lines of one cell), and it starts lower-case or
    with a bracket, or the item's dose instructions have begun, or the item ends on a comma or
    a joining word (`Appearance of`). When that space was measured between two items (not under
    a heading) and the line sits at under half of it, it wraps whatever its case
    (`Darbepoetin Alfa 0.5 MG/ML Injectable` / `Solution 1 unit(s) ...`). A line opening with
    an enumerator (`4. Overweight`) starts an item of its own, however tight under the last
    (OCR's boxes, descenders and all, make a list's gaps uneven)."""
    if not (gap < 0.6 * _line_height(line) and gap < row_gap - 1.0) or _ENUMERATOR.match(text):
        return False
    words = above.split()
    return (text[:1].islower() or text[:1] in "([" or bool(_DIRECTIONS.search(above))
            or (between_items and gap < 0.5 * row_gap)
            or above.rstrip().endswith(",") or (bool(words) and words[-1].casefold() in _JOINING_WORDS))


def without_directions(name: str) -> str:
    """A listed product's name without the dose instructions printed after it in the same cell
    (`ciprofloxacin 250 mg oral tablet 1 unit(s) orally 3 times a day`): how to take it is not
    what it is. The whole text when nothing precedes them."""
    cut = _DIRECTIONS.sub("", name).strip()
    return cut or name


def unit_text(rest: str | None) -> str | None:
    """The unit printed after a value: one unit-shaped token (`mmol/L`, `%`, `[pH]`), extended by
    up to three lower-case words when the unit is spelled out (`beats per minute`, `degree
    celsius`); a flag (`H`, `Normal`) or a bracketed conversion (`(70.0 in)`) after it is not
    part of it. None when what follows the value does not start with a unit."""
    words = (rest or "").split()
    if words and (m := _BRACKETED_UNIT.match(words[0])) and _UNIT.match(m.group(1)):
        return words[0]  # `(10*3/uL)`: a compound unit printed in brackets (never a flag, `(H)`)
    if not words or not _UNIT.match(words[0]):
        return None
    out = [words[0]]
    for w in words[1:4]:
        if not _UNIT_WORD.match(w):
            break
        out.append(w)
    return " ".join(out)
_LEADING_DATE = re.compile(r"^(?:\d{1,2}[-/](?:\d{1,2}|[A-Za-z]{3})[-/]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{8})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?\s+")
ROW_CUTS = (r"\(", r"\s\S+:", r"\s\[", r"\s\d{1,2}[-/]\d", r",\s")


def _page_median_height(lines: tuple[Line, ...]) -> float:
    """The body type size of `lines`: their median height, leaving out OCR'd lines whose height
    is only their ink (`22-jul-2015`, `mm[Hg]`: see sized_by_ink)."""
    hs = sorted(_line_height(ln) for ln in lines if not sized_by_ink(ln)) or sorted(_line_height(ln) for ln in lines) or [10.0]
    return hs[len(hs) // 2]


def is_heading_line(line: Line, median_height: float) -> bool:
    """A section heading: a short line without digits, taller than body text or in capitals
    (on an OCR'd line, after an icon before it: `_without_ocr_bullet`)."""
    line = _without_ocr_bullet(line)
    text = line.text
    words = text.split()
    if not words or len(words) > 7 or any(c.isdigit() for c in text) or sum(c.isalpha() for c in text) < 3:
        return False
    larger = _line_height(line) >= 1.1 * median_height and not sized_by_ink(line)
    return larger or (len(words) <= 5 and _in_capitals(line))


def _in_capitals(line: Line) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def heading_style(line: Line) -> tuple[float, bool]:
    """How a section's heading is printed: its height and whether in capitals, after an icon OCR
    read before it (`_without_ocr_bullet`). `_same_style` compares other headings to it."""
    line = _without_ocr_bullet(line)
    return _line_height(line), _in_capitals(line)


def _same_style(line: Line, heading: tuple[float, bool], median_height: float,
                following: tuple[Line, ...] = ()) -> bool:
    """Whether a heading-like `line` is printed like the section's own heading (so it ends the
    section), rather than a capitalised panel row inside it. A heading by size stands out from
    the lines under it too: a group title printed as large as its own rows (`Active Concerns`
    over the problems, in a page of smaller type) ends nothing."""
    height, caps = heading
    line = _without_ocr_bullet(line)
    if caps and _in_capitals(line):
        return True
    h = _line_height(line)
    if following and h < 1.1 * _page_median_height(following):
        return False
    return h >= 1.1 * median_height and h >= 0.9 * height


def _titles_numbered_items(line: Line, following: tuple[Line, ...]) -> bool:
    """`Active Concerns` over `Problem #1`: a line directly above an item number printed right
    of it, or above the first item number of a group, titles a group of items; it is no item
    itself."""
    if not following:
        return False
    nxt = following[0]
    m = _ITEM_LABEL.match(nxt.text.strip())
    return m is not None and (nxt.words[0].x0 > line.words[0].x0 + 3.0 or int(m.group(1)) == 1)


def _matches_heading(line: Line, headings: frozenset[str]) -> bool:
    phrase = norm_phrase(line.text)
    return any(phrase == h or phrase.startswith(h + " ") for h in headings)


def heading_over(lines: tuple[Line, ...], index: int, max_lines: int = 12) -> Line | None:
    """The nearest section heading above line `index` of a page: a line in larger type first,
    else a line in capitals (a capitalised panel row is not a heading when a larger heading
    sits above it)."""
    median = _page_median_height(lines)
    caps = None
    for li in range(index - 1, max(-1, index - 1 - max_lines), -1):
        line = lines[li]
        if is_heading_line(line, median) and norm_phrase(line.text):
            if _line_height(line) >= 1.1 * median:
                return line
            caps = caps or line
    return caps


_ENDINGS = frozenset({"", "s", "es", "is", "y", "ies"})


def _same_word(a: str, b: str) -> bool:
    """One word in two forms (`problem`/`problems`, `diagnosis`/`diagnoses`, `allergy`/
    `allergies`); never two words that only share a prefix (`medical`/`medications`, `med`/
    `medications`)."""
    if a == b:
        return True
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k >= 4 and a[k:] in _ENDINGS and b[k:] in _ENDINGS


def names_section(line: Line, headings: frozenset[str]) -> bool:
    """Whether a heading line names one of the sections `headings`: printed as is, or holding
    every word of one with at most two more (`Active Problems`, `Problem List`, `MED PROBLEMS`
    for `problems`; `MEDICAL EQUIPMENT` does not name `medications`)."""
    if _matches_heading(line, headings) or _holds_heading(norm_phrase(line.text).split(), headings):
        return True
    if line.conf < 1.0:  # OCR'd: with its letter confusions folded (`PROBIEMS`)
        return _holds_heading(label_key(norm_phrase(line.text)).split(), label_keys(headings))
    return False


def _holds_heading(words: list[str], headings: tuple[str, ...] | frozenset[str]) -> bool:
    return any(h and all(any(_same_word(w, x) for x in words) for w in h.split()) and len(words) <= len(h.split()) + 2
               for h in headings)


def _heading_texts(doc: Document) -> frozenset[str]:
    """The texts of the document's section headings printed larger than its body text, digits
    as `#` (the form `_repeated_lines` keys lines by): a line reading the same elsewhere, in a
    table of contents, names a section, not an item."""
    out = set()
    for page in doc.pages:
        median = _page_median_height(page.lines)
        for line in page.lines:
            if is_heading_line(line, median) and _line_height(line) >= 1.1 * median:
                out.add(re.sub(r"\d+", "#", norm_phrase(_without_ocr_bullet(line).text)))
    return frozenset(out)


def _running_line(line: Line, page_height: float, repeated: frozenset[str], margin: float = 0.15) -> bool:
    """A running header or footer (`Page 1 of 2 - CONFIDENTIAL`): a margin line of
    `_repeated_lines`. It ends the page's part of a table, never a row."""
    if margin * page_height < line.bbox[1] and line.bbox[3] < (1 - margin) * page_height:
        return False
    return re.sub(r"\d+", "#", norm_phrase(line.text)) in repeated


def _repeated_lines(doc: Document, margin: float = 0.15) -> frozenset[str]:
    """Texts printed in the top or bottom margin of more than one page (running headers and
    footers), digits ignored. Only the margins count: a table of contents or a heading repeated
    in the body is not a page header."""
    seen: dict[str, set[int]] = {}
    for page in doc.pages:
        for ln in page.lines:
            if margin * page.height < ln.bbox[1] and ln.bbox[3] < (1 - margin) * page.height:
                continue
            key = re.sub(r"\d+", "#", norm_phrase(ln.text))
            seen.setdefault(key, set()).add(page.number)
    return frozenset(k for k, pages in seen.items() if len(pages) > 1 and k)


def _value_row(line: Line, page: int, roles: dict[str, str], carry: str, value_x: float | None = None
               ) -> tuple[dict[str, str | None], float | None, bool] | None:
    """Split `name value unit` the way the samples print it (`135 mmol/L` is value and unit):
    the row, the left edge of its value cell, and whether the value is a number.

    The value is the first number standing alone in a cell after the first cell (or with its
    unit printed against it in a later cell, `10ng/mL`); the name is
    the nearest cell before it that is not a date (or, when the value opens the line, the
    wrapped name carried from the lines above). Failing that, a cell starting at `value_x` (the
    value column the numbers showed) is a text value, a cell printing name, number and unit
    in one (`Heart Rate 80 /min`) is split when what follows the number is a unit or a bracket,
    and one printing a name and a qualitative answer last (`Ketones Negative`) is split there.
    """
    cells = split_cells(line, page, 0)

    def row(name: str, value: str, unit: str | None) -> dict[str, str | None]:
        values = {"name": name, "value": value, "unit": unit}
        return {col: values.get(role) for col, role in roles.items()}

    for ci, cell in enumerate(cells):
        m = _ROW_VALUE.match(without_speck(cell.text)) or (glued_measure(collapse(cell.text)) if ci else None)
        if m is None or _LEADING_DATE.match(cell.text + " "):
            continue  # no number, or a date
        names = [c.text for c in cells[:ci] if not _LEADING_DATE.match(c.text + " ")]
        name = row_name(collapse(names[-1] if names else carry))
        if not re.search(r"[A-Za-z]", name):
            return None
        unit = unit_text(m.group(2))
        if unit is None and ci + 1 < len(cells) and not m.group(2):
            unit = unit_text(cells[ci + 1].text)
        return row(name, m.group(1), unit), cell.x0, True
    if value_x is not None:
        for ci, cell in enumerate(cells[1:], start=1):
            if abs(cell.x0 - value_x) > 4.0 or _LEADING_DATE.match(cell.text + " "):
                continue
            names = [c.text for c in cells[:ci] if not _LEADING_DATE.match(c.text + " ")]
            name = row_name(collapse(names[-1])) if names else ""
            if re.search(r"[A-Za-z]", name) and cell.text[:1].isalpha() and len(cell.text.split()) <= 3:
                return row(name, collapse(cell.text), None), cell.x0, False
    for cell in cells:  # `Heart Rate 80 /min`: name, value and unit printed in one cell
        words = _LEADING_DATE.sub("", cell.text + " ", count=1).split()  # after the row's date, `22-Jun-2015 15:00`
        k = next((i for i, w in enumerate(words) if _NUMBER.match(w)), None)
        if k is None or k == 0 or any(w[0].isdigit() or ":" in w for w in words[:k]):
            continue  # no number after a name (`O2 SAT 95 %` has one), or a `Label: value` line
        name = row_name(collapse(" ".join(words[:k])))
        rest = " ".join(words[k + 1:])
        if not re.search(r"[A-Za-z]", name) or (rest and rest[0] not in "([" and unit_text(words[k + 1]) is None):
            continue  # a number inside text (`Place Beaverton, Oregon 97006 tel:+1-`), not a measurement
        return row(name, words[k], unit_text(rest)), None, True
    for cell in cells:  # `Ketones Negative`, `UA - COLOR yellow (Normal)`: a name and a qualitative result
        text = _FLAG_TAIL.sub("", _LEADING_DATE.sub("", cell.text + " ", count=1).strip())
        m = _QUALITATIVE_TAIL.search(text)
        if m is None:
            continue
        words = text[: m.start()].split()
        if (not words or len(words) > 6 or ":" in text or words[-1].casefold() in _NOT_A_NAME_END
                or not re.search(r"[A-Za-z]{2}", words[0])):
            continue  # a sentence (`Lungs are not clear`), a `Label: value` line
        return row(row_name(collapse(" ".join(words))), m.group(1), None), None, False
    return None


# The answers a qualitative laboratory result takes (urinalysis, serology: LOINC's answer lists
# in their common printed forms): general domain knowledge, as `_rt_units.KNOWN_UNITS` is. A cell
# printing a name and one of them last is a row even where no value column lines up.
_QUALITATIVE_TAIL = re.compile(
    r"\s((?:not |non-?)?(?:detected|reactive)|none (?:seen|detected)|negative|positive|neg|pos|trace"
    r"|(?:slightly )?(?:clear|cloudy|hazy|turbid)|(?:pale |light |dark )?yellow|straw|amber|colou?rless)$",
    re.IGNORECASE)
# an interpretation flag after a result (`(Normal)`, `[H]`): no part of it
_FLAG_TAIL = re.compile(r"\s*[(\[][A-Za-z ]{1,12}[)\]]$")
# a name never ends in a verb or a negation: `Lungs are not clear` is a sentence
_NOT_A_NAME_END = frozenset({"not", "no", "is", "are", "was", "were", "be", "been", "of", "and", "or", "the", "to", "a"})


def _tail(line: Line, row: dict[str, Found | None], roles: dict[str, str], prev_bottom: float) -> str | None:
    """Which part of the row above a line without a value continues: 'unit' for a lone unit
    (`mm[Hg]` under `BP Systolic 145`), 'name' for the rest of a wrapped name (`urine by test
    strip` under `Glucose 50 mg/dL`): printed tight under the row (closer than half a line) and
    starting lower-case or with a bracket, or after a name that ends in a joining word
    (`Appearance of` / `Urine`). None for anything else (a new row's name, a panel)."""
    height = _line_height(line)
    if line.bbox[1] - prev_bottom > 0.6 * height:
        return None
    text = line.text.strip()
    unit_col = next((c for c, r in roles.items() if r == "unit"), None)
    if unit_col and row.get(unit_col) is None and unit_text(text) == text and len(text.split()) == 1 \
            and (len(text) <= 3 or re.search(r"[\[\]/%^*]", text)):
        return "unit"
    name_col = next((c for c, r in roles.items() if r == "name"), None)
    name = row.get(name_col) if name_col else None
    unfinished = name is not None and str(name.value).split()[-1].casefold() in _JOINING_WORDS
    if len(text.split()) <= 6 and (text[:1].islower() or text[:1] in "[(" or unfinished):
        return "name"
    return None


def section_rows(doc: Document, *, headings: Iterable[str], roles: dict[str, str], cut: str | None = None,
                 max_misses: int = 10) -> Found | None:
    """Rows of the list printed under a section heading, to the next heading.

    `roles` maps each column to 'name', 'value' or 'unit' (learned from where the samples print
    golden cells). With a value column a row is `name value [unit]` on one line (a name may wrap
    onto the lines before its value, or onto tight lines under it); a value is a number, or, once
    the numbers show where the value column starts, whatever cell starts there (`YELLOW`,
    `Negative`). Without a value column, each row is the leading text of a line that starts at
    the list's left edge, without its enumerator (`1.`, `•`; a `Problem #2` line that only
    numbers the next item is skipped), cut where `cut` (a learned regex) first matches. Page
    headers and footers are skipped, so a list continues across pages; lines that do not parse
    (panel rows, repeated header rows) are skipped, up to `max_misses` in a row.
    """
    heads = frozenset(norm_phrase(h) for h in headings)
    repeated = _repeated_lines(doc)  # once per call: both passes skip the same running headers
    sections = _heading_texts(doc)  # a table of contents under the heading lists headings, no items
    rows, boxes, first_page, xs = _read_list(doc, heads, repeated, roles, cut, max_misses, None, sections)
    if "value" in roles.values() and len(xs) >= 3:
        xs = sorted(xs)
        mid = xs[len(xs) // 2]
        if sum(1 for x in xs if abs(x - mid) <= 4.0) >= 0.6 * len(xs):  # one value column
            rows, boxes, first_page, _ = _read_list(doc, heads, repeated, roles, cut, max_misses, mid, sections)
    rows, boxes = distinct_rows(rows, boxes)
    if not rows:
        return None
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return snap_unit_columns(doc, Found(rows, first_page, bbox, "", 0.9))


def distinct_rows(rows: list[dict[str, Found | None]], boxes: list[BBox]
                  ) -> tuple[list[dict[str, Found | None]], list[BBox]]:
    """The rows without repeats of an earlier row (every cell equal, case aside): an entry a
    document lists in several tables (home and discharge medications) is one entry."""
    seen: set[tuple] = set()
    out_rows, out_boxes = [], []
    for row, box in zip(rows, boxes):
        key = tuple(collapse(str(v.value)).casefold() if v is not None else None for v in row.values())
        if key in seen:
            continue
        seen.add(key)
        out_rows.append(row)
        out_boxes.append(box)
    return out_rows, out_boxes


def _read_list(doc: Document, heads: frozenset[str], repeated: frozenset[str], roles: dict[str, str],
               cut: str | None, max_misses: int, value_x: float | None, sections: frozenset[str] = frozenset()) -> tuple[list[dict[str, Found | None]], list[BBox], int | None, list[float]]:
    """One pass of `section_rows`: its rows, their boxes, the first row's page and the left
    edges of the numeric value cells it read (where the value column starts)."""
    has_value = "value" in roles.values()
    rows: list[dict[str, Found | None]] = []
    boxes: list[BBox] = []
    xs: list[float] = []
    first_page: int | None = None
    active, misses, carry, left = False, 0, "", None
    prev_bottom, prev_page = 0.0, 0
    last_bottom, row_gap = 0.0, 0.0  # the bottom of the line above; the space above the last row
    style: tuple[float, bool] = (0.0, False)
    for page in doc.pages:
        median = _page_median_height(page.lines)
        last_bottom = 0.0
        for li, as_read in enumerate(page.lines):
            # the heading rules take the line as read (they drop an icon before it themselves)
            line = _brackets_mended(_without_ocr_bullet(as_read))
            above, last_bottom = line.bbox[1] - last_bottom, line.bbox[3]
            if re.sub(r"\d+", "#", norm_phrase(line.text)) in repeated and not _matches_heading(line, heads):
                continue
            heading_like = is_heading_line(as_read, median)
            if ((_matches_heading(line, heads) and (heading_like or norm_phrase(line.text) in heads))
                    or (heading_like and names_section(line, heads) and not says_none(line.text))):
                active, misses, carry, left = True, 0, "", None
                style = heading_style(as_read)
                continue
            if not active:
                continue
            if heading_like and _same_style(as_read, style, median, page.lines[li + 1:li + 4]):
                active = False
                continue
            if has_value:
                # a text value only right after other rows: a stray line further on is no row
                read = _value_row(line, page.number, roles, carry, value_x if misses <= 5 and rows else None)
                parsed = read[0] if read is not None else None
                if read is not None and read[1] is not None and read[2]:
                    xs.append(read[1])
                tail = _tail(line, rows[-1], roles, prev_bottom) if parsed is None and rows and prev_page == page.number else None
                if tail is not None:
                    col = next(c for c, r in roles.items() if r == tail)
                    old = rows[-1].get(col)
                    text = collapse(f"{old.value} {line.text}") if tail == "name" and old is not None else collapse(line.text)
                    rows[-1][col] = Found(text, page.number, line.bbox, text, round(line.conf, 3))
                    prev_bottom = line.bbox[3]
                    continue
                if parsed is None:
                    misses += 1
                    prev_page = 0  # nothing below an unrelated line continues the row above it
                    carry = (carry + " " + line.text).strip() if len(line.words) <= 4 else ""
                    carry = " ".join(carry.split()[-6:])
                    if misses > max_misses:
                        active = False
                    continue
                carry = ""
            else:
                text = split_cells(line, page.number, 0)[0].text
                if (_ITEM_LABEL.match(text.strip()) or _titles_numbered_items(line, page.lines[li + 1:li + 2])
                        or _DETAIL_LINE.match(text.strip()) or _GROUP_TITLE.match(collapse(line.text))):
                    continue  # `Problem #2` above the item it numbers; `Active Concerns` above `Problem #1`; `Refills: 0`; `Resolved Concerns`
                x0 = line.words[0].x0
                if left is not None and x0 > left + 3.0:
                    continue  # a continuation line or a detail column
                col = next(c for c, r in roles.items() if r == "name")
                old = rows[-1].get(col) if rows else None
                if old is not None and prev_page == page.number and _wraps(line, text, old.text, line.bbox[1] - prev_bottom, row_gap,
                                                                      len(rows) >= 2):
                    printed = f"{old.text} {_cut(text, cut)}"  # dose instructions may start on the line above
                    box = (min(old.bbox[0], line.bbox[0]), old.bbox[1], max(old.bbox[2], line.bbox[2]), line.bbox[3])
                    rows[-1][col] = Found(row_name(printed), page.number, box, printed, old.confidence)
                    boxes[-1] = box
                    prev_bottom = line.bbox[3]
                    continue
                if _CLASS_CODES.fullmatch(text) or _NUMERIC_REFS.fullmatch(text):
                    continue  # `(I10) (401.9)` under an item: its codes, no item
                printed = _cut(without_code_refs(_ENUMERATOR.sub("", text.strip())), cut)  # `1. Asthma`, `• Gout ICD-10: J45`
                text = row_name(printed)
                if (not text or (not rows and _names_column(text, roles)) or says_none(text)
                        or re.sub(r"\d+", "#", norm_phrase(text)) in sections):
                    continue  # the list's header row (`Medication  Directions  Start Date`), `No known Medications`, a contents entry
                if left is None:  # the list's left edge: its first item's, not a skipped line's
                    left = x0
                parsed = {col: (text if role == "name" else None) for col, role in roles.items()}
            misses = 0
            row = {col: (Found(v, page.number, line.bbox, v if has_value else printed, round(line.conf, 3)) if v else None)
                   for col, v in parsed.items()}
            rows.append(row)
            boxes.append(line.bbox)
            row_gap = above
            prev_bottom, prev_page = line.bbox[3], page.number
            if first_page is None:
                first_page = page.number
    return rows, boxes, first_page, xs


# ---------------------------------------------------------------- rows that repeat another field

def prints_same(a: Any, b: Any) -> bool:
    """Whether two values print the same (case, spacing and punctuation aside)."""
    x, y = (re.sub(r"\W+", "", str(v).casefold()) for v in (a, b))
    return len(x) >= 2 and x == y


def drop_repeated_rows(found: dict[str, Any], repeats: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, Any]:
    """`found` with the rows of each table that repeat another field's value left out.

    `repeats` maps a table field to {column: fields whose value its rows never hold}, learned
    from the samples (none of their golden rows repeats that value): a principal diagnosis
    printed above the list of secondary ones is read as one more row, and belongs to its own
    field instead. A row goes when every one of those columns it fills prints its field's
    value. The table's Found is replaced, never changed in place."""
    out = dict(found)
    for name, columns in repeats.items():
        table = out.get(name)
        if not isinstance(table, Found) or not isinstance(table.value, list):
            continue
        values = {col: [out[f].value for f in fields if isinstance(out.get(f), Found) and out[f].value is not None]
                  for col, fields in columns.items()}

        def repeats_one(row: Any) -> bool:
            # every column that can be compared must print the field's value: one misread
            # code alone (the principal diagnosis read as a secondary one) drops no right row
            if not isinstance(row, dict):
                return False
            compared = [col for col, vs in values.items() if vs and isinstance(row.get(col), Found)]
            return bool(compared) and all(any(prints_same(row[col].value, v) for v in values[col]) for col in compared)

        rows = [row for row in table.value if not repeats_one(row)]
        if len(rows) != len(table.value):
            out[name] = replace(table, value=rows) if rows else None
    return out
