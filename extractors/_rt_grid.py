"""Runtime helpers, part of `extractors.runtime`: the rows of a table field read from the grids a
page draws (`grid_rows`), bounded by the section the table belongs to. A separate module only to
keep runtime.py small; base layer imports only."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable

from rapidfuzz import fuzz

from pipeline.document import BBox, Document, Grid, GridCell

from extractors._rt_rows import (
    _page_median_height, _repeated_lines, _same_style, distinct_rows, heading_style, is_heading_line, names_section, row_name,
    _GLUED_UNIT, glued_measure, says_none, unit_text,
)
from extractors._rt_textgrid import LABELLED as _LABELLED, document_text_grids, header_words
from extractors._rt_units import known_unit, snap_unit_columns, without_speck
from extractors._rt_values import OCR_TO_DIGIT, Found, collapse, label_key, label_keys, mend_ocr_text, norm_phrase
from extractors._rt_cells import centre_inside

GRID_PARTS = ("all", "num", "rest")
MAX_NAME_WORDS = 30  # a row's name is a phrase; a cell holding more words is a layout box
_LEAD_NUMBER = re.compile(r"^([<>≤≥=~]{0,2}\s?[-+]?\d[\d,]*(?:\.\d+)?(?:/\d[\d,]*(?:\.\d+)?)?)(?:\s+|$)(.*)$")


def cell_part(text: str, part: str) -> str | None:
    """One part of a printed cell that holds several columns: 'all' the whole text, 'num' its
    leading number (`135` of `135 mmol/L`, `145/88` of `145/88 mm[Hg]`; the whole text when it
    does not start with one), 'rest' what follows that number: the unit when it starts with one
    (`cm` of `177 cm (70.0 in)`, `beats per minute`), else all of it (None when nothing does).
    A unit printed against its number (`50mg/dl`) is split off the same way, and so is a known
    unit behind a point no number ends with (`177.cm`: a speck, `_rt_units.without_speck`)."""
    text = collapse(text)
    if part == "all" or not text:
        return text or None
    m = _LEAD_NUMBER.match(without_speck(text))
    if m is None:
        m = glued_measure(text)
    if part == "num":
        return m.group(1).replace(" ", "") if m else text
    rest = m.group(2).strip() if m else ""
    return (unit_text(rest) or rest) if rest else None


_TRAILING_BRACKET = re.compile(r"\s*\(([^()]{1,40})\)\s*$")


def _without_echo(name: str, row, own) -> str:
    """A row's name without a closing bracket that repeats another cell of its row (`Color of
    Urine (YELLOW)` beside `YELLOW`): the name does not hold its own result."""
    m = _TRAILING_BRACKET.search(name)
    if m is None or m.start() == 0:
        return name
    inner = norm_phrase(m.group(1))
    others = {norm_phrase(c.text) for c in row if c is not None and c is not own and c.words}
    return name[: m.start()].rstrip() if inner and inner in others else name


def _start_of(row, j: int) -> int | None:
    """The grid column the cell at column j starts in: j, or that of the cell spanning it from
    the left; None when the row has no cell there."""
    return next((k for k in range(min(j, len(row) - 1), -1, -1) if row[k] is not None), None)


def _grid_cell(row, j: int):
    """The cell at grid column j, or the cell spanning it from the left."""
    k = _start_of(row, j)
    return None if k is None else row[k]


def _value_cell(row, j: int, head: tuple[str, ...]):
    """The cell at grid column j, or the cell spanning it from the left unless that cell spans
    two or more headed columns past its own: a panel row's code spread over `Code System | Date |
    Result | ...` (`CBC | 58410-2`) is no result; a value spread over `Value | Unit` still is."""
    k = _start_of(row, j)
    if k is None:
        return None
    end = next((m for m in range(k + 1, len(row)) if row[m] is not None), len(row))
    if k < j and sum(1 for m in range(k + 1, min(end, len(head))) if head[m]) >= 2:
        return None
    return row[k]


def _unit_line(cell: GridCell) -> tuple[Found, GridCell] | None:
    """A name cell whose last line is a lone known unit (`Protein [Mass/volume] in Urine` over
    `mg/dL`): the unit (page 0: the caller places it), and the cell without that line."""
    lines = cell.lines
    if len(lines) < 2 or (unit := known_unit(lines[-1].text)) is None:
        return None
    return Found(unit, 0, lines[-1].bbox, lines[-1].text, 1.0), replace(cell, words=tuple(w for ln in lines[:-1] for w in ln.words))


def _header_score(text: str, phrases: tuple[str, ...], learned: int, scanned: bool = False) -> int:
    """3 for a learned header printed as is, 2 for a lexicon wording, 1 for a header that holds
    one of them as whole words (`Medication Name`), 0 otherwise. A `scanned` header is also
    compared with OCR's letter confusions folded (`Probiem Name`)."""
    t = norm_phrase(text)
    if not t:
        return 0
    bare = norm_phrase(_QUALIFIER.sub(" ", text))
    score = _header_score_as_is(t, phrases, learned, _DATE_HEADS)
    if not score and scanned and label_key(t):
        score = _header_score_as_is(label_key(t), label_keys(phrases), learned, _DATE_KEYS)
    if bare and bare != t:  # `Test(Normal Range)`, `Weight (kg)`: the bracket qualifies the header
        return max(_header_score(bare, phrases, learned, scanned), score)
    return score


_QUALIFIER = re.compile(r"\s*[(\[][^()\[\]]*(?:[)\]]|$)")


def _header_score_as_is(t: str, phrases: tuple[str, ...], learned: int, dates: frozenset[str]) -> int:
    for i, ph in enumerate(phrases):
        if t == ph:
            return 3 if i < learned else 2
    padded = f" {t} "
    head = t.split()[-1]
    return 1 if any(ph and f" {ph} " in padded and (head not in dates or head in ph.split()) for ph in phrases) \
        and len(t.split()) <= 4 else 0


# the last word of a header is what its column holds: `Test Date` heads dates of tests, not tests
_DATE_HEADS = frozenset({"date", "dates", "time", "datetime", "dt"})
_DATE_KEYS = frozenset(label_keys(tuple(_DATE_HEADS)))


# The headers any list's name column may carry (`Name`, `Description`, `Description/Comments`);
# read only in a grid inside the field's own section (`Code | Description | Status` under
# `Problems`), where no other column names the rows.
_GENERIC_NAME = re.compile(r"^(?:name|description)(?:\s*/\s*\w+)?$")


# what a ruling line or a cell's border becomes when OCR reads it as a glyph at a cell's edge
_OCR_EDGE = re.compile(r"^(?:[|{}]+|[=_~—]+\s|[lI]\s(?=\d))\s*|\s*(?:[|{}]+|\s[=_~—]+)$")


def _cell_text(cell) -> str:
    """A cell's text; on an OCR'd cell without the braces and bars its borders were read as
    (`{[RxNorm:209459] Tylenol`), or a lone `=`, `_` or (before a number) `l` a border left at
    its edge (`Aranesp 0.5 MG/ML =`, `l 38 Cel`), which no clinical value begins or ends with, and its brackets
    mended (`mend_ocr_text`)."""
    text = cell.text
    if cell.words and min(w.conf for w in cell.words) < 1.0:
        text = _OCR_EDGE.sub("", mend_ocr_text(text))
    return text


def _generic_name(text: str) -> bool:
    return bool(_GENERIC_NAME.match(norm_phrase(text)))


def _filled(row) -> int:
    return sum(1 for c in row if c is not None and c.words)


def _map_header(row, columns: dict[str, dict], anchor: str, in_section: bool = False,
                body=()) -> dict[str, tuple[int, str]] | None:
    """Column name -> (grid column, part) when `row` reads as the table's header row. Inside the
    field's own section the anchor may also go by a generic name header (`Name`), and a header
    no lexicon names is placed by what the `body` rows under it print (see `_by_content`)."""
    cells = [(j, c.text) for j, c in enumerate(row) if c is not None and c.words]
    if not cells:
        return None
    scanned = any(w.conf < 1.0 for c in row if c is not None for w in c.words)
    found: dict[str, tuple[int, str]] = {}
    used: set[int] = set()
    for name in sorted(columns, key=lambda n: n != anchor):
        spec = columns[name]
        phrases, learned = tuple(spec["headers"]), int(spec.get("learned", 0))
        best = max(((_header_score(t, phrases, learned, scanned), -j, j) for j, t in cells if j not in used),
                   default=(0, 0, -1))
        if best[0] == 0 and in_section and name == anchor:
            best = next(((1, -j, j) for j, t in cells if j not in used and _generic_name(t)), best)
        if best[0] > 0:
            found[name] = (best[2], spec.get("part", "all"))
            used.add(best[2])
    if body and (in_section or anchor in found):
        # under a caption of its own (`LABORATORY INFORMATION`), a table whose name column
        # the lexicon names still places its value column by content (`Component | Quantity`)
        _by_content(found, cells, columns, anchor, body)
    if anchor not in found:
        return None
    for name, spec in columns.items():  # a column printed inside another's cell (value and unit in one)
        if name not in found and spec.get("within") and spec["within"][0] in found:
            found[name] = (found[spec["within"][0]][0], spec["within"][1])
            if spec["within"][0] != anchor and found[spec["within"][0]][1] == "all":
                found[spec["within"][0]] = (found[spec["within"][0]][0], "num")
    return found


def _share(body, j: int, test) -> float:
    """Share of the body rows' filled cells in grid column j that pass `test`."""
    texts = [row[j].text for row in body if j < len(row) and row[j] is not None and row[j].words and _filled(row) >= 2]
    return sum(1 for t in texts if test(t)) / len(texts) if texts else 0.0


def _wordy(text: str) -> bool:
    """A name cell: letters, not a measurement, a code or a date (`Heart Rate`, `O2 % BldC`)."""
    letters, digits = sum(c.isalpha() for c in text), sum(c.isdigit() for c in text)
    return letters >= 3 and digits * 2 <= letters and not _measured(text)


def _by_content(found: dict[str, tuple[int, str]], cells: list[tuple[int, str]], columns: dict[str, dict],
                anchor: str, body) -> None:
    """Inside the field's own section, complete a header whose wordings the lexicon misses by
    what its columns print, when exactly one of the name and the measured value is placed: the
    value goes to the one header column whose cells are mostly measurements (`80 /min`; also
    when the name's header took it, `Item | Measurement`), the name to the leftmost other
    header column of mostly words (`Observation | LOINC Code | Result Value`)."""
    nums = [n for n, spec in columns.items() if n != anchor and spec.get("part") == "num"]
    if len(nums) != 1:
        return
    num = nums[0]
    if (anchor in found) == (num in found):
        return
    body = [row for row in body[:20]]
    if anchor in found and _share(body, found[anchor][0], _measured) >= 0.5:
        found[num] = (found.pop(anchor)[0], columns[num]["part"])  # the name's header heads the values
    taken = {j for j, _ in found.values()}
    free = [j for j, _ in cells if j not in taken]
    if num not in found:
        hits = [j for j in free if _share(body, j, _measured) >= 0.5]
        if len(hits) == 1:
            found[num] = (hits[0], columns[num]["part"])
    if anchor not in found and num in found:
        hit = next((j for j in free if j != found[num][0] and _share(body, j, _wordy) >= 0.5), None)
        if hit is not None:
            found[anchor] = (hit, columns[anchor].get("part", "all"))


# ---------------------------------------------------------------- the section a grid belongs to

_RULE_GLYPHS = frozenset("|lI1![]{}")  # what OCR reads a vertical rule as


def _split_span(grid: Grid, r: int) -> tuple[GridCell, ...] | None:
    """Row r of an OCR'd grid as one cell per column, when it is one cell spanning the grid
    whose words each fall inside one of the columns the other rows' cells draw (a scan's header
    row whose column rules were lost: `Vital Name  Observation Time  Observation Value`); None
    when it is no such row or a word lies across a column's edge (a caption)."""
    row = grid.rows[r]
    cells = [c for c in row if c is not None and c.words]
    if len(cells) != 1 or min(w.conf for w in cells[0].words) >= 1.0 or _columns(grid) < 2:
        return None
    spans: list[tuple[float, float] | None] = []
    for j in range(_columns(grid)):
        boxes = [o[j].bbox for k, o in enumerate(grid.rows) if k != r and j < len(o) and o[j] is not None
                 and _filled(o) >= 2]
        spans.append((min(b[0] for b in boxes), max(b[2] for b in boxes)) if boxes else None)
    if any(sp is None for sp in spans):
        return None
    top, bottom = cells[0].bbox[1], cells[0].bbox[3]
    out: list[list] = [[] for _ in spans]
    for w in cells[0].words:
        if len(w.text) <= 2 and set(w.text) <= _RULE_GLYPHS:
            continue  # a lost column rule, read as `I` or `ll`
        hit = [j for j, (x0, x1) in enumerate(spans) if x0 <= w.x0 and w.x1 <= x1]
        if len(hit) != 1:
            return None
        out[hit[0]].append(w)
    if sum(1 for ws in out if ws) < 2:
        return None
    return tuple(GridCell((x0, top, x1, bottom), tuple(ws)) for (x0, x1), ws in zip(spans, out))


def _joined_header(grid: Grid, r: int, columns: dict[str, dict]) -> tuple[GridCell | None, ...] | None:
    """Header row r with the cells that sit over one body cell joined when one of them names no
    column on its own (`Result` | `Type` over a names column drawn as one: `Result Type`; the
    header's rules split what the body does not); None when there are none. `Value` | `Unit`
    over one `10 mg/dL` cell stay two headers. The body cells are those of the fullest of the
    next ten rows (a wrapped address's `Address: | 2474,` draws fewer)."""
    head = grid.rows[r]
    body = max(grid.rows[r + 1:r + 11], key=_filled, default=None)  # the fullest of the first body rows
    if body is None or _filled(body) < 2:
        return None
    out, joined = list(head), False
    for k, cell in enumerate(body):
        if cell is None or not cell.words:
            continue
        end = next((m for m in range(k + 1, len(body)) if body[m] is not None), len(body))
        parts = [m for m in range(k, min(end, len(head))) if head[m] is not None and head[m].words]
        if len(parts) < 2 or all(_names_a_column(head[m].text, columns) for m in parts):
            continue
        words = tuple(w for m in parts for w in head[m].words)
        boxes = [head[m].bbox for m in parts]
        for m in parts:
            out[m] = None
        out[parts[0]] = GridCell((min(b[0] for b in boxes), min(b[1] for b in boxes),
                                  max(b[2] for b in boxes), max(b[3] for b in boxes)), words)
        joined = True
    return tuple(out) if joined else None


def _names_a_column(text: str, columns: dict[str, dict]) -> bool:
    return any(_header_score(text, tuple(spec["headers"]), int(spec.get("learned", 0))) for spec in columns.values())


def _row_band(row) -> tuple[float, float] | None:
    """The top and bottom of a grid row: those of its shortest cell (a taller one spans rows below)."""
    cells = [c for c in row if c is not None]
    if not cells:
        return None
    low = min(cells, key=lambda c: c.bbox[3] - c.bbox[1])
    return low.bbox[1], low.bbox[3]


def _rows_of_tall_cells(grid: Grid, start: int) -> Grid:
    """The body rows from `start` with each cell drawn over several rows split into the rows it
    spans, when the rows beside it are ruled and every one of them holds lines of its text (a
    names column the renderer drew without rules between its rows): a line belongs to the row
    whose band holds its middle. A tall cell whose text sits in one row (a panel's name) stays."""
    rows = [list(row) for row in grid.rows]
    bands = [_row_band(row) for row in grid.rows]
    changed = False
    for r in range(start, len(rows)):
        for j, cell in enumerate(rows[r]):
            if cell is None or not cell.words or bands[r] is None or cell.bbox[3] <= bands[r][1] + 1:
                continue
            spanned = [r]
            for k in range(r + 1, len(rows)):
                if bands[k] is None or j >= len(rows[k]) or rows[k][j] is not None or bands[k][0] >= cell.bbox[3] - 1:
                    break
                spanned.append(k)
            if len(spanned) < 2:
                continue
            parts: dict[int, list] = {k: [] for k in spanned}
            for line in cell.lines:
                mid = (line.bbox[1] + line.bbox[3]) / 2
                k = min(spanned, key=lambda k: 0 if bands[k][0] <= mid <= bands[k][1]
                        else min(abs(mid - bands[k][0]), abs(mid - bands[k][1])))
                parts[k].extend(line.words)
            if not all(parts.values()):
                continue
            for k in spanned:
                rows[k][j] = GridCell((cell.bbox[0], bands[k][0], cell.bbox[2], bands[k][1]), tuple(parts[k]))
            changed = True
    return replace(grid, rows=tuple(tuple(row) for row in rows)) if changed else grid


def _columns(grid: Grid) -> int:
    return max((len(r) for r in grid.rows), default=0)


def _cell_boxes(page) -> list[BBox]:
    """The boxes of table cells on a page: cells of grid rows with two or more filled cells,
    as opposed to a row spanning the grid (a caption or a section heading printed in a box).
    A cell that holds another grid is a layout box around content, not a table cell."""
    out: list[BBox] = []
    for g in page.tables:
        others = [o.bbox for o in page.tables if o is not g]
        for row in g.rows:
            cells = [c for c in row if c is not None and c.words]
            if len(cells) >= 2:
                out += [c.bbox for c in cells if not any(centre_inside(o, [c.bbox]) for o in others)]
    return out


def _holds(outer: BBox, inner: BBox, tol: float = 1.0) -> bool:
    """Whether box `inner` lies wholly inside the larger box `outer`."""
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol
            and inner[3] <= outer[3] + tol and (inner[2] - inner[0]) * (inner[3] - inner[1])
            < (outer[2] - outer[0]) * (outer[3] - outer[1]))


def _caption_names(grid: Grid, headings: frozenset[str]) -> bool:
    """A grid whose first rows hold a single caption cell naming the section (`Results`,
    `Laboratory Results`: as a heading line names it)."""
    for row in grid.rows[:2]:
        cells = [c for c in row if c is not None and c.words]
        if len(cells) == 1 and (norm_phrase(cells[0].text) in headings
                                or (len(cells[0].lines) == 1 and _caption_like(cells[0].text)
                                    and names_section(cells[0].lines[0], headings))):
            return True
    return False


def _table_top(grid: Grid) -> float:
    """Where a grid's table starts: its first row of several filled cells (a box drawn from the
    page top around a heading and the table under it starts under that heading)."""
    for row in grid.rows:
        if _filled(row) >= 2:
            return min(c.bbox[1] for c in row if c is not None and c.words)
    return grid.bbox[1]


def _caption_like(text: str) -> bool:
    """A short title without digits (`Laboratory Results`), not an item (`Problem #3 ...`)."""
    return len(text.split()) <= 5 and not any(c.isdigit() for c in text)


def _caption_holds(grid: Grid, line) -> bool:
    """Whether a row of one filled cell of `grid` holds `line`, with a row of several cells below."""
    for ri, row in enumerate(grid.rows):
        cells = [c for c in row if c is not None and c.words]
        if len(cells) == 1 and centre_inside(line.bbox, [cells[0].bbox]):
            return any(_filled(r) >= 2 for r in grid.rows[ri + 1:])
    return False


def grids_in_section(doc: Document, headings: Iterable[str],
                     reads: Callable[[Grid], bool] | None = None) -> frozenset[tuple[int, int]] | None:
    """(page number, grid index) of every grid printed under a heading that names one of
    `headings`, up to the next heading printed in the same style; None when the document prints
    no such heading (then the section cannot bound the table and every grid is a candidate).

    Lines inside the cells of a grid row with several filled cells are table cells, never
    headings (a heading printed in a row that spans the grid still is); page headers and footers
    do not end a section, so a table continued on the next page stays in it. A heading-like line
    whose next grid, before any other heading-like line, is one `reads` accepts (its header
    names the field's own columns) captions that grid inside the section (`URINALYSIS, AUTO
    W/SCOPE` or `PERFORMING LAB:` over a results table printed without borders) and ends nothing.
    """
    heads = frozenset(norm_phrase(h) for h in headings if norm_phrase(h))
    if not heads:
        return None
    repeated = _repeated_lines(doc)
    inside: set[tuple[int, int]] = set()
    seen_heading, open_, style = False, False, (0.0, False)
    medians = [_page_median_height(page.lines) for page in doc.pages]
    pages_items = [_page_items(page) for page in doc.pages]
    for k, (page, items, median) in enumerate(zip(doc.pages, pages_items, medians)):
        # a grid's caption rows, above its first row of cells, in a grid that is no page frame
        captions = [(g.bbox[0], g.bbox[1], g.bbox[2], _table_top(g)) for g in page.tables
                    if not any(o is not g and _holds(g.bbox, o.bbox) for o in page.tables)]
        for at, (_, kind, obj) in enumerate(items):
            if kind == 1:
                if open_ or _caption_names(page.tables[obj], heads):
                    inside.add((page.number, obj))
                continue
            line = obj
            heading_like = is_heading_line(line, median)
            if (heading_like or norm_phrase(line.text) in heads) and names_section(line, heads):
                seen_heading, open_ = True, True
                style = heading_style(line)
                # a grid that prints the heading in one of its caption rows holds the section's
                # table in its rows below (`MEDICATIONS` over `Medication | Status | Dose`)
                inside.update((page.number, gi) for gi, g in enumerate(page.tables)
                              if _caption_holds(g, line))
                continue
            if not open_ or re.sub(r"\d+", "#", norm_phrase(line.text)) in repeated:
                continue
            if (heading_like and _same_style(line, style, median) and not centre_inside(line.bbox, captions)
                    and not (reads is not None
                             and _captions_read_grid(_after(doc.pages, pages_items, medians, k, at), repeated, reads))):
                open_ = False  # a grid's own caption (`URINALYSIS, AUTO W/SCOPE`) ends no section
    return frozenset(inside) if seen_heading else None


def _any_reads(doc: Document, grids: frozenset[tuple[int, int]], reads: Callable[[Grid], bool], inside: bool) -> bool:
    """Whether a grid among (`inside`) or outside `grids` is one `reads` accepts."""
    return any(((page.number, gi) in grids) == inside and reads(g)
               for page in doc.pages for gi, g in enumerate(page.tables))


def _reads_as(grid: Grid, columns: dict[str, dict], anchor: str, required: tuple[str, ...],
              max_rows: int = 3) -> bool:
    """Whether one of the grid's first rows is a header naming the field's anchor, its required
    columns and at least one other by their own wordings (no generic `Name`): a single column
    name (`Diagnosis` in an encounters table) is too little to say whose table it is. Under a
    named anchor, the value column may be placed by what it prints (`Component | Quantity`)."""
    for r, row in enumerate(grid.rows[:max_rows]):
        mapping = _map_header(row, columns, anchor, body=grid.rows[r + 1:])
        if mapping is not None:
            own = {c for c, (j, _) in mapping.items() if c == anchor or j != mapping[anchor][0]}
            return len({mapping[c][0] for c in own}) >= 2 and all(c in mapping for c in required)
    return False


def _page_items(page) -> list[tuple[float, int, object]]:
    """The page's lines outside grid cells (kind 0, the line) and its grids (kind 1, the grid's
    index), top to bottom."""
    cells = _cell_boxes(page)
    items: list[tuple[float, int, object]] = [(ln.bbox[1], 0, ln) for ln in page.lines if not centre_inside(ln.bbox, cells)]
    items += [(_table_top(g), 1, gi) for gi, g in enumerate(page.tables)]
    return sorted(items, key=lambda t: (t[0], t[1]))


def _after(pages, pages_items, medians, k: int, at: int):
    """(page, page item, page's median line height) for what follows item `at` of page `k`: the
    rest of its page and the next page (a table after a page break, its captions at the foot of
    the page before)."""
    yield from ((pages[k], item, medians[k]) for item in pages_items[k][at + 1:])
    if k + 1 < len(pages):
        yield from ((pages[k + 1], item, medians[k + 1]) for item in pages_items[k + 1])


def _captions_read_grid(following, repeated: frozenset[str], reads: Callable[[Grid], bool]) -> bool:
    """Whether the first grid among `following` (page, page item, page's median line height),
    before any heading-like line but the pages' running headers, is one `reads` accepts."""
    for page, (_, kind, obj), median in following:
        if kind == 1:
            return reads(page.tables[obj])
        if is_heading_line(obj, median) and re.sub(r"\d+", "#", norm_phrase(obj.text)) not in repeated:
            return False
    return False




def _own_caption(grid: Grid, r: int, heads: frozenset[str]) -> int | None:
    """The first row after r that is a one-cell caption naming the field's section (`RESULTS`
    after the rows of another section drawn in the same frame); None without one."""
    for q in range(r + 1, len(grid.rows)):
        cells = [c for c in grid.rows[q] if c is not None and c.words]
        if len(cells) == 1 and _caption_like(cells[0].text) and _names_heads(cells[0].text, heads):
            return q
    return None


def _next_caption(row, own: GridCell, heads: frozenset[str]) -> bool:
    """Whether a row is another section's caption printed like the field's own (`own`): one
    short cell of words as tall, in the same case (`PROBLEMS` after `MEDICATIONS`; a panel's
    `Urinalysis` under `RESULTS` is none)."""
    cells = [c for c in row if c is not None and c.words]
    if len(cells) != 1 or not _caption_like(cells[0].text) or _names_heads(cells[0].text, heads):
        return False
    text, height = cells[0].text, lambda c: sum(w.bottom - w.top for w in c.words) / len(c.words)
    return (text.isupper() == own.text.isupper() and abs(height(cells[0]) - height(own)) <= 0.1 * height(own))


def _names_heads(text: str, heads: frozenset[str]) -> bool:
    words = norm_phrase(text).split()
    return any(h and set(h.split()) <= set(words) for h in heads)


def grid_rows(doc: Document, *, columns: dict[str, dict], anchor: str, required: Iterable[str] = (),
              headings: Iterable[str] = (), max_header_row: int = 2) -> Found | None:
    """Rows of the drawn table grids (Page.tables) whose header row names the field's columns;
    when no drawn grid does, or when adding the grids the words line up in outside them reads
    every row the drawn ones read and more, the reading of both together
    (`_rt_textgrid.document_text_grids`: a table printed without borders, or a scan whose faint
    rules did not survive). See `_grid_rows`."""
    kw = dict(columns=columns, anchor=anchor, required=tuple(required), headings=tuple(headings),
              max_header_row=max_header_row)
    found = _grid_rows(doc, **kw)
    extra = document_text_grids(doc.pages, header_words(columns))
    # the reading with them differs only when one of them heads the field's table
    if any(_map_header(g.rows[0], columns, anchor, True, g.rows[1:]) is not None for grids in extra for g in grids):
        merged = _grid_rows(_with_grids(doc, extra), **kw, readings="header")
        if found is None or (merged is not None and _extends(merged, found, anchor)):
            found = merged
    if found is not None or not headings:
        return found
    # a table printed the other way round has what is measured for its header (`Date | Height |
    # Weight`), none of the field's header words: the lines of any header-like row of three or
    # more cells, read that way only inside the field's section
    loose = document_text_grids(doc.pages, None)
    return _grid_rows(_with_grids(doc, loose), **kw, readings="transposed") if any(loose) else None


def _with_grids(doc: Document, extra: tuple[tuple[Grid, ...], ...]) -> Document:
    """The document with each page's `extra` grids beside its drawn ones, top to bottom."""
    return replace(doc, pages=tuple(replace(p, tables=tuple(sorted(p.tables + t, key=lambda g: (g.bbox[1], g.bbox[0]))))
                                    for p, t in zip(doc.pages, extra)))


def _extends(more: Found, found: Found, anchor: str) -> bool:
    """`more` reads every row `found` read, at the same place, and more rows besides."""
    boxes = {r[anchor].bbox for r in more.value if r.get(anchor) is not None}
    return len(more.value) > len(found.value) and all(
        r[anchor].bbox in boxes for r in found.value if r.get(anchor) is not None)


def _grid_rows(doc: Document, *, columns: dict[str, dict], anchor: str, required: tuple[str, ...],
               headings: tuple[str, ...], max_header_row: int, readings: str = "all") -> Found | None:
    """Rows of the page grids whose header row names the field's columns. `readings`: "all";
    "header", no reading of grids without a header row, transposed or headless (a text grid has
    one); "transposed", only the reading of grids printed the other way round.

    `columns` maps each column to its header wordings (`headers`: learned as printed first,
    `learned` of them, then the lexicon's), the `part` of its cell it reads (see cell_part) and
    optionally `within`: (column, part) to read when its own header is not printed. A grid is
    read when its first rows hold a header naming `anchor` (inside the field's section, after any
    number of caption rows of one cell: `LABORATORY RESULTS`, `ORDER 400: ...`); a multi-line cell
    is one value. Rows
    missing a `required` column (panel or group rows) are skipped, as are repeated header rows.
    The first grid of the next page continues the table when it has no header of its own and
    the same number of columns; every matching grid in the document is read. When the document
    prints one of the section `headings`, only grids inside such a section are read (an
    encounters table's `Diagnosis` column is not the problem list).
    """
    req = tuple(required)
    reads = lambda g: _reads_as(g, columns, anchor, req)  # noqa: E731
    allowed = grids_in_section(doc, headings, reads=reads)
    if allowed is not None and not _any_reads(doc, allowed, reads, True) and _any_reads(doc, allowed, reads, False):
        # the section was found only where the table is not (an entry of a table of contents, the
        # heading itself misread by OCR: `VITAL Si`): it bounds nothing, the grid whose header
        # names the field's own columns is the table
        allowed = None
    rows: list[dict[str, Found | None]] = []
    boxes: list[BBox] = []
    first_page: int | None = None
    # mapping, columns, header text, x-centre of each mapped column's header cell
    active: tuple[dict[str, tuple[int, str]], int, str, dict[str, float]] | None = None
    active_head: tuple[str, ...] = ()  # the header row's cell texts of the table read last
    heads = frozenset(norm_phrase(h) for h in headings if norm_phrase(h))
    # the column read from the rest of another's cell (`10 mg/dL`): the table's unit
    unit_col = next((n for n, spec in columns.items() if (spec.get("within") or ("", ""))[1] == "rest"), None)
    for page in doc.pages if readings != "transposed" else ():
        tabled = False  # a grid of several columns already read on this page
        for gi, grid in enumerate(page.tables):
            if allowed is not None and (page.number, gi) not in allowed:
                if _columns(grid) >= 2:
                    active = None
                continue
            if _columns(grid) < 2:
                continue  # a box around content (a page frame) neither heads nor ends a table
            first_table, tabled = not tabled, True
            in_section = allowed is not None
            # a box drawn around other grids lays out a page (several sections), it is no table
            frame = any(o is not grid and _holds(grid.bbox, o.bbox) for o in page.tables)
            mapping, start = None, 0
            captions = 0
            generic = in_section  # a generic name header (`Description`) under no caption of another list
            own_cap = None  # in a frame around several sections, the field's own caption found past the others
            r = -1
            while (r := r + 1) < len(grid.rows):
                if (joined := _joined_header(grid, r, columns)) is not None:
                    grid = replace(grid, rows=(*grid.rows[:r], joined, *grid.rows[r + 1:]))
                mapping = _map_header(grid.rows[r], columns, anchor, generic, () if frame or not in_section else grid.rows[r + 1:])
                split = _split_span(grid, r) if mapping is None else None
                if split is not None and (mapping := _map_header(split, columns, anchor, generic)) is not None:
                    grid = replace(grid, rows=(*grid.rows[:r], split, *grid.rows[r + 1:]))
                if mapping is not None:
                    start = r + 1
                    break
                if _filled(grid.rows[r]) >= 2:
                    # the first row of several cells is the header row, or there is none; in a
                    # frame around several sections, the field's own caption further down starts it over
                    r = _own_caption(grid, r, heads) if in_section else None
                    if r is None:
                        break
                    own_cap = next(c for c in grid.rows[r] if c is not None and c.words)
                cap = next((c for c in grid.rows[r] if c is not None and c.words), None)
                if cap is not None:
                    # the caption nearest the header says whose list it is: `PATIENT OPEN ORDERS`
                    # over `Code | Description` in a medications section is not the medications;
                    # `IMMUNIZATIONS ...` then `RESULTS` over `Description | Code` (one frame around
                    # several sections) is the results
                    generic = in_section and _names_heads(cap.text, heads)
                captions += 1
                if captions > max_header_row and not in_section:
                    break  # outside a known section, a table's caption is short
            ncols = _columns(grid)
            if mapping is not None and any(c not in mapping for c in req):
                mapping = None  # a table without the field's required column (orders, pending tests)
            if mapping is None:
                carried = _continued(grid, active) if active is not None and first_table else None
                if carried is None:
                    active = None
                    continue
                mapping, header, centres = carried, active[2], active[3]  # a table continued from the last page
            else:
                head_row = tuple(norm_phrase(c.text) if c is not None else "" for c in grid.rows[start - 1])
                if (active is not None and first_table and ncols == active[1] and mapping != active[0]
                        and _same_header(head_row, active_head)):
                    mapping = active[0]  # the last page's header printed again, read worse (a scan's `tes te ut`)
                head = _grid_cell(grid.rows[start - 1], mapping[anchor][0])
                header = norm_phrase(head.text) if head is not None else ""
                centres = {n: _centre(_grid_cell(grid.rows[start - 1], j)) for n, (j, _) in mapping.items()}
                active_head = head_row
            active = (mapping, ncols, header, centres)
            grid = _rows_of_tall_cells(grid, start)
            for row in grid.rows[start:]:
                cell = _grid_cell(row, mapping[anchor][0])
                if cell is not None and header and norm_phrase(cell.text) == header:
                    continue  # the header row repeated inside the grid
                if own_cap is not None and _next_caption(row, own_cap, heads):
                    break  # the frame's next section (`PROBLEMS` after `MEDICATIONS`)
                ja = mapping[anchor][0]
                if (ja < len(row) and row[ja] is None and _filled(row) == 1 and cell is not None
                        and not _names_heads(cell.text, heads) and not _LABELLED.match(cell.text)):
                    break  # a caption spanning the grid from left of the table (`PROCEDURES ...`): the next
                    # block; the section's own caption (`LABORATORY RESULTS`) or a labelled one inside the
                    # list (`ORDER 600: EVEROLIMUS`, `Result Comment: Final`) goes on
                got: dict[str, Found | None] = {}
                unit_line: Found | None = None
                for name in columns:
                    if name not in mapping:
                        got[name] = None
                        continue
                    j, part = mapping[name]
                    cell = _value_cell(row, j, active_head) if name != anchor else _grid_cell(row, j)
                    if name != anchor and cell is not None and cell is _grid_cell(row, mapping[anchor][0]):
                        cell = None  # a panel row's name spans the row: it has no value of its own
                    if name == anchor and unit_col is not None and cell is not None and (split := _unit_line(cell)) is not None:
                        unit_line, cell = split
                    v = cell_part(_cell_text(cell), part) if cell is not None else None
                    if v is not None and name == anchor:
                        v = _without_echo(row_name(v), row, cell)
                        if says_none(v) or len(v.split()) > MAX_NAME_WORDS:
                            v = None  # `No known Medications`; a box holding whole sections is no name
                    got[name] = Found(v, page.number, cell.bbox, v, 1.0) if v else None
                if unit_line is not None and got.get(unit_col) is None:  # unit_line is only read with a unit column
                    got[unit_col] = replace(unit_line, page=page.number)  # the unit printed under the name
                if got.get(anchor) is None or any(got.get(c) is None for c in req if c in mapping):
                    continue
                rows.append(got)
                boxes.append(got[anchor].bbox)
                if first_page is None:
                    first_page = page.number
    if not rows and allowed and readings in ("all", "transposed"):
        for page in doc.pages:
            for gi, grid in enumerate(page.tables):
                if (page.number, gi) in allowed:
                    for got in _transposed_rows(grid, page.number, columns, anchor):
                        if all(got.get(c) is not None for c in req if c in columns):
                            rows.append(got)
                            boxes.append(got[anchor].bbox)
                            first_page = first_page or page.number
    if not rows and allowed and len(columns) == 1 and readings == "all":
        for page in doc.pages:
            layout = _layout_grids(page)
            for gi, grid in enumerate(page.tables):
                if (page.number, gi) in allowed and gi not in layout:
                    for got in _headless_rows(grid, page.number, anchor):
                        rows.append(got)
                        boxes.append(got[anchor].bbox)
                        first_page = first_page or page.number
    rows, boxes = distinct_rows(rows, boxes)
    if not rows:
        return None
    _drop_footnote_marks(rows, anchor, scanned=any(p.source == "ocr" for p in doc.pages))
    bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return snap_unit_columns(doc, Found(rows, first_page, bbox, "", 0.9))


def _centre(cell) -> float:
    return (cell.bbox[0] + cell.bbox[2]) / 2 if cell is not None else -1.0


def _same_header(row: tuple[str, ...], before: tuple[str, ...]) -> bool:
    """Whether a header row prints the same cells as the one before it, but for a few that OCR
    read differently: at least half of the cells alike."""
    if len(row) != len(before) or not row:
        return False
    alike = sum(1 for a, b in zip(row, before) if a and b and fuzz.ratio(a, b) >= 80)
    return alike * 2 >= len(row)


def _continued(grid: Grid, active) -> dict[str, tuple[int, str]] | None:
    """The last page's column mapping carried onto a grid with no header of its own that
    continues the table on a new page: the same number of columns, or (a grid drawn with empty
    margin columns, `| | Name | Value | |`) the same filled columns, each found under the x-centre
    of its header cell. None when a mapped column has no grid column there."""
    mapping, ncols, _, centres = active
    if _columns(grid) == ncols:
        return mapping
    spans: dict[int, tuple[float, float]] = {}
    for row in grid.rows:
        if _filled(row) < 2:
            continue
        for j, c in enumerate(row):
            if c is not None and c.words:
                x0, x1 = spans.get(j, (c.bbox[0], c.bbox[2]))
                spans[j] = (min(x0, c.bbox[0]), max(x1, c.bbox[2]))
    if len(spans) != ncols:
        return None
    out: dict[str, tuple[int, str]] = {}
    for name, (j, part) in mapping.items():
        x = centres.get(name, -1.0)
        hit = [k for k, (x0, x1) in spans.items() if x0 <= x <= x1]
        if len(hit) != 1:
            return None
        out[name] = (hit[0], part)
    return out


_FOOTNOTE = re.compile(r"^(\d)(?=[A-Za-z])")
_FOOTNOTE_SCANNED = re.compile(r"^(\d) ?(?=[^\d\s.,/:-])")  # `1SPEC`, `1 Prot`, `1¢olor`: no number


def _drop_footnote_marks(rows: list[dict[str, Found | None]], anchor: str, scanned: bool = False) -> None:
    """`1Color Ur`, `1SPEC GRAV`, ...: a footnote number printed raised against every name of a
    table reaches the text layer glued to it. When all (three or more) names start with the same
    digit glued to a letter, it is a mark, not part of the names (a name of its own, `25OH
    Vitamin D`, is never shared by a whole table). On a scan it is enough that half the names
    start with the digit and two thirds with it or a letter OCR reads it as (`lappearance Ur`,
    `IsPEC GRAV`), which the others lose, and a first letter the mark made OCR read small is a
    capital again (`_first_letter_restored`)."""
    names = [r[anchor].value for r in rows if r.get(anchor) is not None]
    marks = [m.group(1) if (m := (_FOOTNOTE_SCANNED if scanned else _FOOTNOTE).match(n)) else None for n in names]
    if len(names) < 3 or len(set(marks)) != 1 or None in marks:
        # on a scan the raised mark comes back as `1`, `l` or `I`, sometimes spaced (`1 Prot`)
        digits = [m for m in marks if m is not None]
        if not scanned or len(names) < 3 or len(digits) * 2 < len(names) or len(set(digits)) != 1:
            return
        alike = sum(1 for n, m in zip(names, marks) if m is None and _looks_like(n, digits[0]))
        if (len(digits) + alike) * 3 < len(names) * 2:
            return
    mark = next(m for m in marks if m is not None)
    for r in rows:
        f = r[anchor]
        if f is None:
            continue
        v = f.value
        if v.startswith(mark) or (scanned and _looks_like(v, mark)):
            v = v[1:].lstrip()
            if scanned:
                v = _first_letter_restored(v)
            r[anchor] = Found(v, f.page, f.bbox, v, f.confidence)


def _first_letter_restored(name: str) -> str:
    """A scanned name whose first letter OCR read small beside the raised mark (`1color`,
    `IsPEC GRAV`, `1 prot`): the capital a table's names start with. Only where the word's
    other letters leave no doubt: all small (`color`) or, two or more, all capitals (`sPEC`,
    `wBC`); `pH` stays (an `eGFR` so marked would not)."""
    word = name.split(" ", 1)[0]
    rest = word[1:]
    if word[:1].islower() and rest.isalpha() and (rest.islower() or (len(rest) >= 2 and rest.isupper())):
        return name[0].upper() + name[1:]
    return name


def _looks_like(name: str, mark: str) -> bool:
    """Whether a scanned name starts with a letter OCR reads the footnote `mark` as, glued to a
    letter (`lappearance`)."""
    return name[:1].translate(OCR_TO_DIGIT) == mark and name[1:2].isalpha()


def _layout_grids(page) -> set[int]:
    """Grids that hold another grid of the page: layout boxes around content, not tables."""
    return {gi for gi, g in enumerate(page.tables) if any(o is not g and _holds(g.bbox, o.bbox) for o in page.tables)}


def _header_row(row) -> bool:
    """A row of three or more short labels without digits (`Material | RXnormCode | SIG`)."""
    cells = [c.text for c in row if c is not None and c.words]
    return len(cells) >= 3 and all(len(t.split()) <= 3 and not any(ch.isdigit() for ch in t) for t in cells)


# a labelled detail after the name in its cell (`Quantity: 4`, `Refills: 0`) and all after it
_DETAIL = re.compile(r"\s+[A-Za-z]{3,}:\s.*$")


def _parallel_lines(row, cell) -> bool:
    """A row whose name cell holds three or more lines, each beside a line of every other cell:
    items printed without rules between them (`Ceftriaxone | Two times daily`, line by line), not one
    wrapped name."""
    tops = [round(ln.bbox[1]) for ln in cell.lines]
    others = [o for o in row if o is not None and o is not cell and o.words]
    if len(tops) < 3 or not others:
        return False
    return all(len(o.lines) == len(tops) and all(abs(a - round(ln.bbox[1])) <= 2 for a, ln in zip(tops, o.lines))
               for o in others)


def _headless_rows(grid: Grid, page: int, anchor: str) -> list[dict[str, Found | None]]:
    """A name-only list printed as a grid without a header row, read only inside the field's own
    section when no grid there has a header naming the column: each row's first cell, wrapped
    lines and all, names it (`Darbepoetin Alfa 500 MCG/ML Injection Solution Prefilled Syringe`
    over its dose instructions, beside `Start: 22-Jun-2015`). A grid of labelled records (first
    cells repeating: `Name`, `Start`, `Name`, ...) or of single-cell rows is no such list."""
    body = [r for r in grid.rows if _filled(r) >= 1]
    if body and _header_row(body[0]):
        body = body[1:]
    # the name column: the leftmost most rows fill (a layout column left of it stays empty)
    j = next((j for j in range(_columns(grid))
              if sum(1 for r in body if j < len(r) and r[j] is not None and r[j].words) * 2 > len(body)), None)
    firsts = [r[j] for r in body if j is not None and j < len(r) and r[j] is not None and r[j].words]
    if (not firsts or _columns(grid) < 2 or sum(1 for r in body if _filled(r) >= 2) * 2 < len(body)
            or len({norm_phrase(c.text) for c in firsts}) < len(firsts)
            or any(_parallel_lines(r, r[j]) for r in body if j < len(r) and r[j] is not None)):
        return []
    out: list[dict[str, Found | None]] = []
    for cell in firsts:
        v = row_name(_DETAIL.sub("", collapse(_cell_text(cell))))
        if says_none(v) or len(v.split()) > MAX_NAME_WORDS or not re.search(r"[A-Za-z]{2}", v) or _LEAD_NUMBER.match(v):
            continue
        out.append({anchor: Found(v, page, cell.bbox, v, 1.0)})
    return out


def _measured(text: str) -> bool:
    """A cell that starts with a number, alone or with its unit (`177 cm`, `177cm`)."""
    return bool(_LEAD_NUMBER.match(collapse(text)) or _GLUED_UNIT.match(collapse(text)))


def _measurement(text: str) -> bool:
    """A cell that is a number alone or with one unit (`177 cm`): a header cell may open with a
    number and name what is measured after it (`O2 % BldC Oximetry`)."""
    return _measured(text) and len(collapse(text).split()) <= 2


def _transposed_rows(grid: Grid, page: int, columns: dict[str, dict], anchor: str) -> list[dict[str, Found | None]]:
    """Rows of a grid printed the other way round, read only inside the field's own section
    when no grid there has a header naming the columns: a header row naming what is measured
    (`Date | Height | Weight | Blood Pressure`, three or more, no fewer than the rows under it,
    none a header of the other columns) over rows of measurements (`06/15/2017 | 177 cm | 88 kg
    | 145/88 mm[Hg]`). Each measurement cell is one row: its header cell names it, the cell
    gives the other columns by their learned part (`135` and `mmol/L` of `135 mmol/L`). A list
    that measures nothing (medications, problems) is never read so: its header cells
    (`RXnormCode | StartDate`) name no item."""
    if not any(col != anchor and "num" in (spec.get("part"), (spec.get("within") or (None, None))[1])
               for col, spec in columns.items()):
        return []
    rows_ = [r for r in grid.rows if _filled(r) >= 1]
    # in a frame around several sections, the table is the rows from its header (the first row of
    # three cells or more) to the next section's row of one cell across the frame
    start = next((i for i, r in enumerate(rows_) if _filled(r) >= 3), 0)
    end = next((i for i in range(start + 1, len(rows_)) if _filled(rows_[i]) == 1 and rows_[i][0] is not None
                and all(c is None for c in rows_[i][1:])), len(rows_))
    rows_ = rows_[start:end]
    if len(rows_) < 2 or _columns(grid) < 3:
        return []
    head = rows_[0]
    names = {j: c for j, c in enumerate(head) if c is not None and c.words and j > 0}
    own = {h for col, spec in columns.items() if col != anchor for h in spec.get("headers", ())}
    if (len(names) < 3 or len(names) < len(rows_) - 1 or any(_measurement(c.text) for c in names.values())
            or any(norm_phrase(c.text) in own for c in names.values())):
        return []  # a header naming the other columns (`Type | Value | Taken`) heads a table read as printed
    out: list[dict[str, Found | None]] = []
    for row in rows_[1:]:
        cells = {j: row[j] for j in names if j < len(row) and row[j] is not None and row[j].words}
        if not cells or sum(1 for c in cells.values() if _measured(c.text)) * 2 < len(cells):
            continue  # not a row of measurements
        for j, cell in cells.items():
            if not _measured(cell.text):
                continue
            name = row_name(collapse(_cell_text(names[j])))
            got: dict[str, Found | None] = {anchor: Found(name, page, names[j].bbox, name, 1.0)}
            for col, spec in columns.items():
                if col == anchor:
                    continue
                part = spec.get("part") or (spec.get("within") or (None, None))[1]
                v = cell_part(_cell_text(cell), part) if part in ("num", "rest") else None
                got[col] = Found(v, page, cell.bbox, v, 1.0) if v else None
            out.append(got)
    return out
