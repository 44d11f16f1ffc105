"""Runtime helpers, part of `extractors.runtime`: table grids read from how the words line up,
for tables printed without borders a page draws (no drawn paths, or ruling lines too faint to
survive a scan's binarisation).

`grid_rows` reads drawn grids first. When none carries the field's header (or these give more
rows), it reads these beside them:
a line naming one of the field's column headers, split into header cells, gives the columns
(each from its header's left edge, or from where the body's cells start when the header is
centred over them); the lines under it are the table until a section heading, a wide gap, or a
line whose words cross a column edge (a sentence, no row). A printed row wrapped over several
lines is one row: within a table, the gaps between a row's own lines are the small ones, the
padding between rows the large ones. A table that runs to the foot of its page continues on
the next page's first rows on the same columns (`document_text_grids`). Base layer imports only.
"""
from __future__ import annotations

import re
from dataclasses import replace
from itertools import combinations

from pipeline.document import Grid, GridCell, Line, Page, Word

from extractors._rt_cells import _line_height, centre_inside, char_width, split_cells
from extractors._rt_rows import _page_median_height, is_heading_line
from extractors._rt_values import label_key, label_keys, norm_phrase

PAD = 2.0             # points left of a column's first printed character that still belong to it
MAX_GAP = 2.5         # line heights: a wider vertical gap ends the table
MIN_SPLIT = 0.2       # line heights: gaps must differ by this much to tell wrapped lines from rows
TIGHT = 0.35          # line heights: a gap no wider than this between full lines is one row's wrap
HEADER_OVERLAP = 0.15  # line heights a header cell's own line overlaps the header line by
MAX_HEADER_WORDS = 5  # words in one header cell (`Date of Last Treatment`)
FOOT = 0.9            # share of the page height below which only the page foot prints
HEADING_GAP = 0.5     # line heights above a heading-like line that ends a table (closer, it is a wrapped cell)
_DATE_TOKEN = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")
_TIME_TOKEN = re.compile(r"^(?:\d{1,2}:\d{2}(?::\d{2})?|[AaPp]\.?[Mm]\.?)$")
MIN_KEYS = 3          # columns that never wrap needed to tell rows by them (two agree by chance)
MAX_KEY_CANDIDATES = 10  # leftmost columns tried as keys (their subsets are tried, most first)
KEY_SHARE = 0.6       # most lines a column only a row's first line fills is filled on
MIN_LOOSE = 3         # cells in a header-like line that heads a table naming none of the header words
MAX_CAPTIONS = 3      # caption lines (`LABORATORY RESULTS`) over a table's continuation


# a caption that labels what follows (`ORDER 600: ...`, `PanelName:Urinalysis macro panel`): a
# colon within its first four words
LABELLED = re.compile(r"^(?:\S+\s+){0,3}\S*:")

GENERIC_HEADERS = frozenset({"name", "description"})  # a list's name column may go by these in its section


def header_words(columns: dict[str, dict]) -> frozenset[str]:
    """Every word of every header wording of the field's columns, normalised, and the generic
    name headers `grid_rows` reads inside the field's section (`Code | Description | Status`)."""
    return GENERIC_HEADERS | frozenset(w for spec in columns.values() for h in spec.get("headers", ())
                                       for w in norm_phrase(h).split())


def text_grids(page: Page, words: frozenset[str] | None) -> tuple[Grid, ...]:
    """The borderless tables of one page, under lines that print one of `words` (header words;
    None: under any header-like line of three or more cells): lines inside a drawn grid are
    left to it."""
    lines = _free_lines(page)
    median = _page_median_height(tuple(lines))
    out: list[Grid] = []
    inner: list[Grid] = []  # tables printed inside a column of one of `out`
    i = done = 0  # lines before `done` belong to a grid already made
    while i < len(lines):
        if words is not None and not _prints_word(lines[i], words):  # the cheap test first
            i += 1
            continue
        cells = split_cells(lines[i], page.number, i, gap=0.8)
        if not _header_like(cells) or (words is None and len(cells) < MIN_LOOSE):
            if words is not None:
                inner += _beside(page, lines, i, cells, words)
            i += 1
            continue
        head = [lines[i]]
        while i + len(head) < len(lines) and (_continues_header(head, lines[i + len(head)])
                                              or _wraps_header(head, cells, lines[i + len(head)])):
            head.append(lines[i + len(head)])
            cells += split_cells(head[-1], page.number, i, gap=0.8)
        above = i
        while above > done and _continues_header_above(lines[above - 1], head[0]):
            above -= 1
            cells += split_cells(lines[above], page.number, above, gap=0.8)
        end = i + len(head)
        head = lines[above:end]
        columns = _merged(cells, _ruled(page, head))
        body, edges = _table(columns, _body(lines, end), median)
        if len(columns) < 2 or not body:
            i += 1
            continue
        out.append(_grid(head, body, edges, page.width))
        inner += _nested(page, body, edges, words)
        i = done = end + len(body)
    return (*out, *inner)


def _nested(page: Page, body: list[Line], edges: list[float], words: frozenset[str] | None) -> list[Grid]:
    """The tables printed inside one column of a borderless table's rows (a stylesheet nests a
    result's components, `Test Item | Value | Reference Range`, in its row's last cell): each
    column's words read as a page of their own. They follow the page's own tables, so that a
    table continued on the next page is the outer one."""
    bounds = [0.0, *edges, page.width]
    out: list[Grid] = []
    for lo, hi in zip(bounds, bounds[1:]):
        lines = _clipped(body, lo, hi)
        if len(lines) > 2:
            out += text_grids(_page_of(page, lines), words)
    return out


def _beside(page: Page, lines: list[Line], i: int, cells, words: frozenset[str]) -> list[Grid]:
    """The table whose header line `lines[i]` prints after other cells (a panel's tests printed
    beside its row of an outer table: `17:15:13 | Test Item | Value | Comments`, the panel's
    time first): the page's lines right of where that header starts, read as a page of their
    own, give it."""
    k = next((k for k in range(1, len(cells) - 1) if _header_like(cells[k:])), None)
    if k is None or not _prints_word(Line(tuple(w for c in cells[k:] for w in c.words)), words):
        return []
    right = _clipped(lines[max(0, i - MAX_CAPTIONS):], cells[k].words[0].x0 - PAD, page.width)
    return [g for g in text_grids(_page_of(page, right), words)[:1] if g.bbox[1] <= lines[i].bbox[3]]


def _clipped(lines: list[Line], lo: float, hi: float) -> list[Line]:
    """The lines' words that start between `lo` and `hi`, line by line (lines left empty go)."""
    return [Line(ws) for ln in lines if (ws := tuple(w for w in ln.words if lo <= w.x0 < hi))]


def _page_of(page: Page, lines: list[Line]) -> Page:
    """A page holding only `lines`, without drawn grids: a column read as a page of its own."""
    return replace(page, words=tuple(w for ln in lines for w in ln.words), lines=tuple(lines), tables=())


def _prints_word(line: Line, words: frozenset[str]) -> bool:
    """Whether the line prints one of `words`, alone or joined to another by a slash
    (`Description/Comments`)."""
    tokens = [t for w in line.words for t in re.split(r"[\s/]+", norm_phrase(w.text))]
    if any(t in words for t in tokens):
        return True
    return line.conf < 1.0 and any(label_key(t) in label_keys(words) for t in tokens)  # `Probiem Name`


def document_text_grids(pages: tuple[Page, ...], words: frozenset[str] | None) -> tuple[tuple[Grid, ...], ...]:
    """Each page's borderless tables (`text_grids`), and at the top of a page the rows of a table
    the page before ran to its foot with: a grid without a header row, on the same columns (a
    table continued over a page break prints its header once)."""
    out: list[tuple[Grid, ...]] = []
    for k, page in enumerate(pages):
        grids = text_grids(page, words)
        if k and out[-1]:
            cont = _continued_grid(pages[k - 1], out[-1][-1], page, grids)
            if cont is not None:
                grids = (cont, *grids)
        out.append(grids)
    return tuple(out)


def _continued_grid(before: Page, last: Grid, page: Page, own: tuple[Grid, ...]) -> Grid | None:
    """The rows at the top of `page` on the columns of `last`, the table `before` ends with,
    when nothing but the page foot follows that table (a line in its last tenth)."""
    if any(ln.bbox[1] > last.bbox[3] and ln.bbox[3] < FOOT * before.height for ln in _free_lines(before)):
        return None
    edges = [c.bbox[0] for c in last.rows[0][1:] if c is not None]
    end = min((g.bbox[1] for g in own), default=page.height)
    lines = [ln for ln in _free_lines(page) if ln.bbox[3] < end]
    start = next((i for i, ln in enumerate(lines[:MAX_CAPTIONS + 1])
                  if len(_filled(ln, edges)) >= 2 and not _crosses(ln, edges)), None)
    if start is None:
        return None
    body = _cut([lines[start], *_body(lines, start + 1)] if start + 1 < len(lines) else [lines[start]],
                edges, _page_median_height(tuple(lines)))
    return _grid([], body, edges, page.width) if body else None


def _free_lines(page: Page) -> list[Line]:
    """The page's lines outside its drawn grids of two rows or more, one of them of two filled
    cells or more: the lines inside are the grid's. A drawn grid of one row (a scan's table of
    which only the header row's rules were found), or of rows of one cell each (one whose column
    rules were lost: `Vital Name Observation Time Observation Value` in one cell), leaves its
    lines to the borderless reading."""
    drawn = [g.bbox for g in page.tables
             if len(g.rows) >= 2 and any(sum(1 for c in r if c is not None and c.words) >= 2 for r in g.rows)]
    return [ln for ln in page.lines if not centre_inside(ln.bbox, drawn)]


def _header_like(cells, digits: bool = False) -> bool:
    """A header row names its columns: short cells without numbers (a row of values has some;
    `digits` allows them; a word that opens with a letter may hold one, `O2 Sat`) or colons
    (`Comments: This product contains` labels a value)."""
    return all(len(c.words) <= MAX_HEADER_WORDS
               and not any((w.text[:1].isdigit() and not digits) or ":" in w.text
                           or (not digits and any(ch.isdigit() for ch in w.text) and not w.text[:1].isalpha())
                           for w in c.words)
               for c in cells)


def _continues_header(head: list[Line], line: Line) -> bool:
    """A header cell printed a little lower or higher than its neighbours (vertically centred in
    a taller header row, or wrapped: `Result` over `Value`) makes its own line, overlapping the
    header lines by a good part of its height (no row under a header does)."""
    return line.bbox[1] < max(ln.bbox[3] for ln in head) - HEADER_OVERLAP * _line_height(line)


def _wraps_header(head: list[Line], cells, line: Line) -> bool:
    """Header cells wrapped onto a line of their own, tight under the header lines (`e` of
    `Temperatur`, `Oximetry` of `Pulse`): header-like, and blank under the first header cell,
    where a table's rows print their name or date."""
    first = min(cells, key=lambda c: c.words[0].x0)
    return (line.bbox[1] - max(ln.bbox[3] for ln in head) <= TIGHT * _line_height(line)
            and line.words[0].x0 > max(w.x1 for w in first.words)
            and _header_like(split_cells(line, 0, 0, gap=0.8)))


def _continues_header_above(line: Line, first: Line) -> bool:
    """A header cell printed higher than the header line (the first line of a cell wrapped
    over three, `Inhaled` over `Oxygen` over `Concentration`), overlapping it as in
    `_continues_header`, and itself header-like but for digits, which a header's wrapped first
    line may print (`O2 %` over `BldC Oximetry`): no row of values overlaps the header."""
    return (line.bbox[3] > first.bbox[1] + HEADER_OVERLAP * _line_height(line)
            and _header_like(split_cells(line, 0, 0, gap=0.8), digits=True))


def _ruled(page: Page, head: list[Line]) -> list[float]:
    """The column rules of a drawn grid of one row around the header lines (a scan's table of
    which only the header row's rules were found): where its cells after the first start."""
    return [c.bbox[0] for g in page.tables if len(g.rows) == 1 and all(centre_inside(ln.bbox, [g.bbox]) for ln in head)
            for c in g.rows[0][1:] if c is not None]


def _merged(cells, rules: list[float] = ()) -> list[tuple[Word, ...]]:
    """Header cells from one or more header lines, left to right; cells over the same columns
    (`Rate` over `Quantity`), or that one starts a character or less right of where the other
    ends (a header wrapped inside a word), are one header. A cell one line prints as one (two headers set
    close, `HEIGHT WEIGHT`) parts where another line's cell starts at one of its words (`BODY`
    over each), or at a column rule between two of its words (`Blood Pressure | Temperature`)."""
    starts = [c.words[0].x0 for c in cells]
    parts = []
    for c in cells:
        part = [c.words[0]]
        for prev, w in zip(c.words, c.words[1:]):
            if any(abs(x - w.x0) <= PAD for x in starts) or any(prev.x1 <= x <= w.x0 for x in rules):
                parts.append(part)
                part = []
            part.append(w)
        parts.append(part)
    out: list[list[Word]] = []
    for c in sorted(parts, key=lambda ws: ws[0].x0):
        if out and (c[0].x0 < max(w.x1 for w in out[-1]) or _wrapped_word(out[-1], c, rules)):
            out[-1] += c
        else:
            out.append(list(c))
    return [tuple(sorted(ws, key=lambda w: w.x0)) for ws in out]


def _wrapped_word(left: list[Word], right: list[Word], rules: list[float]) -> bool:
    """Whether `right`, a header cell of another line, starts a character or less right of
    where `left` ends, with no column rule between: one header wrapped inside a word
    (`Relevant Referenc` over `e Range`). Columns stand further apart; cells of one line that
    close are one cell already."""
    end = max(w.x1 for w in left)
    other_line = abs(left[0].top - right[0].top) > (right[0].bottom - right[0].top) / 2
    return other_line and right[0].x0 - end <= char_width(left + right) and not any(end <= x <= right[0].x0 for x in rules)


def _body(lines: list[Line], start: int) -> list[Line]:
    """The lines under a header up to a wide gap."""
    out: list[Line] = []
    prev = lines[start - 1]
    for ln in lines[start:]:
        h = max(_line_height(prev), _line_height(ln))
        if ln.bbox[1] - prev.bbox[3] > MAX_GAP * h:
            break
        out.append(ln)
        prev = ln
    return out


def _table(header: list[tuple[Word, ...]], body: list[Line], median: float) -> tuple[list[Line], list[float]]:
    """The body lines that are the table's rows, and the left edge of every column after the
    first (see `_edge`). The table ends before a line with a word across a column edge (a
    sentence printed over the columns, `No known medications`, is no row) or the next section's
    heading (a heading-like line in the first column only: a row wrapped in capitals, `MG/ML |
    MG/ML]`, fills several; a word wrapped in a later column, `place`, starts right of it)."""
    starts = [c.words[0].x0 for ln in body for c in split_cells(ln, 0, 0)]
    edges = [_edge(max(w.x1 for w in a), b[0].x0, body, starts) for a, b in zip(header, header[1:])]
    return _cut(body, edges, median), edges


def _cut(body: list[Line], edges: list[float], median: float) -> list[Line]:
    """The body lines up to a line across a column edge or a heading in the first column. A
    heading-like line sitting tight under the line above (`TABLET`, the last line of a drug name
    wrapped in capitals) continues that row's cell; a heading stands apart. A labelled caption
    across the columns with a row under it (`PanelName:Urinalysis macro panel`) heads a group of
    rows inside the table, and so does the line across the columns right over one (a panel's
    name over `LOINC: 24357-6, CPT-4: 81002`)."""
    crossing = [_crosses(ln, edges) for ln in body] + [True]  # nothing under the last line
    labelled = [bool(LABELLED.match(ln.text)) and not crossing[k + 1] for k, ln in enumerate(body)] + [False]
    for k, ln in enumerate(body):
        apart = k == 0 or ln.bbox[1] - body[k - 1].bbox[3] > HEADING_GAP * _line_height(ln)
        if (crossing[k] and not (labelled[k] or labelled[k + 1])) or (
                apart and is_heading_line(ln, median) and len(_filled(ln, edges)) == 1
                and (not edges or ln.bbox[0] < edges[0])):
            return body[:k]
    return body


def _crosses(line: Line, edges: list[float]) -> bool:
    """Whether a word of the line lies across a column edge (a sentence or caption, no row),
    but for a first cell spanning columns the row leaves empty (`_spanned`)."""
    return _crossing(line.words, edges) and not _spanned(line, edges)


def _crossing(words: tuple[Word, ...], edges: list[float]) -> bool:
    """Whether one of `words` lies across a column edge. A token without a letter or digit
    (`=`, `|`: a cell border OCR read) crosses nothing."""
    return any(w.x0 < e < w.x1 for w in words if any(c.isalnum() for c in w.text) for e in edges)


def _spanned(line: Line, edges: list[float]) -> int:
    """For a line with a word across a column edge (`_crossing`): the number of words of its
    first cell when that cell spans the columns after its own that the row leaves empty, and
    the row's other cells each sit inside a later column (`Lab address: 1903 Wright Place
    CARLSBAD,` across `Test Panel Name | Date`, then `26515- | PLATELET COUNT | 123`); 0
    otherwise. A sentence across the columns is one cell."""
    cells = split_cells(line, 0, 0, gap=0.8)
    if len(cells) < 2 or not _crossing(cells[0].words, edges) or _crossing(line.words[len(cells[0].words):], edges):
        return 0
    ends_in = sum(1 for e in edges if cells[0].words[-1].x1 > e)
    return len(cells[0].words) if _column(cells[1].words[0], edges) > ends_in else 0


def _word_columns(line: Line, edges: list[float]) -> list[int]:
    """The column (by index) of each of the line's words: the one it starts in, the first
    column for the words of a first cell spanning the columns after it (`_spanned`)."""
    cols = [_column(w, edges) for w in line.words]
    span = _spanned(line, edges) if _crossing(line.words, edges) else 0  # most lines cross nothing
    return [cols[0]] * span + cols[span:]


def _edge(left: float, right: float, body: list[Line], starts: list[float]) -> float:
    """A column's left edge, between the previous header's end (`left`) and its own header's
    start (`right`): that start, or a body cell's start left of it, whichever the fewest body
    lines print a word across (the rightmost of equals). Left-aligned columns keep their
    header's start; under a centred header the rows' own cells start further left."""
    def crossed(x: float) -> int:
        return sum(1 for ln in body if any(w.x0 < x < w.x1 for w in ln.words))

    candidates = {right - PAD} | {x - PAD for x in starts if left < x < right}
    return min(candidates, key=lambda x: (crossed(x), -x))


def _filled(line: Line, edges: list[float]) -> set[int]:
    """The columns (by index) a line prints a word in."""
    return set(_word_columns(line, edges))


def _stamped(line: Line, edges: list[float]) -> set[int]:
    """The columns a line prints in, but for a cell of a time of day alone: the time a date
    wraps onto (`2016-11-01` over `00:00:00`) continues the date's row."""
    cols: dict[int, list[str]] = {}
    for w, c in zip(line.words, _word_columns(line, edges)):
        cols.setdefault(c, []).append(w.text)
    return {c for c, texts in cols.items() if not all(_TIME_TOKEN.match(t) for t in texts)}


def _column(word: Word, edges: list[float]) -> int:
    """The column (by index) a word starts in."""
    return sum(1 for e in edges if word.x0 >= e)


def _rows(lines: list[Line], edges: list[float]) -> list[list[Line]]:
    """Lines grouped into printed rows. Within a table the gaps between lines come in one size
    (every line a row) or two: the small gaps between a wrapped row's own lines (or their
    overlap, on a scan) and the padding between rows. A line after a gap smaller than the first
    clear jump between sizes continues the row above it. A line that fills every column the
    row's first line fills (two or more) continues it only when it also sits tight under it (all
    cells wrapped): a table of one-line rows spaced unevenly would otherwise join its rows."""
    if len(lines) == 2 and _wraps_into(lines[0], lines[1], edges):
        return [lines]
    if len(lines) < 3:
        return [[ln] for ln in lines]
    keys = _key_columns(lines, edges)
    if keys:
        rows: list[list[Line]] = []
        for ln in lines:
            if not rows or _stamped(ln, edges) & keys:
                rows.append([ln])
            else:
                rows[-1].append(ln)
        return rows
    gaps = [max(0.0, b.bbox[1] - a.bbox[3]) for a, b in zip(lines, lines[1:])]
    height = sorted(_line_height(ln) for ln in lines)[len(lines) // 2]
    ordered = sorted(gaps)
    split = next(((a + b) / 2 for a, b in zip(ordered, ordered[1:]) if b - a >= MIN_SPLIT * height), None)
    rows = [[lines[0]]]
    for gap, ln in zip(gaps, lines[1:]):
        first = _filled(rows[-1][0], edges)
        full = len(first) >= 2 and first <= _filled(ln, edges)
        if split is not None and gap < split and (gap <= TIGHT * height or not full):
            rows[-1].append(ln)
        else:
            rows.append([ln])
    return rows


def _wraps_into(first: Line, line: Line, edges: list[float]) -> bool:
    """Whether `line` continues the row `first` prints when a table has these two lines only
    (no gaps to compare): tight under it, in some of its columns only (`80` over `/min`,
    `145/88` over `mm[Hg]`, `06/15/2` over `017`)."""
    return (_filled(line, edges) < _filled(first, edges)
            and line.bbox[1] - first.bbox[3] <= TIGHT * _line_height(first))


def _key_columns(lines: list[Line], edges: list[float]) -> set[int]:
    """Columns only a row's first line prints in (a code, a date, a status: cells that never
    wrap), when the rows wrap over several lines: the most of the columns the first line fills
    that no more than KEY_SHARE of the lines fill, such that every line prints in all of them
    or in none (a column a wrapped line prints in wraps; one a row's first line may leave
    empty, a brand name, is no key), with lines printing in none between. MIN_KEYS of them, or
    two that print only dates (`06/22/2015`: a date never wraps; two other columns may wrap
    together). A line printing in them starts a row, however the gaps fall (a scan's gaps
    between a row's lines and between rows overlap in size). Empty when the table shows no such
    columns: its rows are found by their gaps. A cell of a time of day alone (`00:00:00` under
    `2016-11-01`) is the date's own wrap and prints in no column here."""
    filled = [_stamped(ln, edges) for ln in lines]
    candidates = sorted(c for c in filled[0] if 2 <= sum(c in f for f in filled) <= KEY_SHARE * len(lines))
    candidates = candidates[:MAX_KEY_CANDIDATES]  # the subsets tried stay few on the widest table
    for n in range(len(candidates), 1, -1):  # the most columns every line prints in all of or none of
        for k in combinations(candidates, n):
            keys = set(k)
            if (all(not (f & keys) or keys <= f for f in filled) and any(not (f & keys) for f in filled)
                    and (n >= MIN_KEYS or _dates_only(lines, filled, keys, edges))):
                return keys
    return set()


def _dates_only(lines: list[Line], filled: list[set[int]], keys: set[int], edges: list[float]) -> bool:
    """Whether every cell the lines print in the `keys` columns is one date token."""
    for ln, f in zip(lines, filled):
        if not f & keys:
            continue
        for c in keys:
            cell = [w.text for w, col in zip(ln.words, _word_columns(ln, edges)) if col == c]
            if len(cell) != 1 or not _DATE_TOKEN.match(cell[0]):
                return False
    return True


def _grid(head: list[Line], body: list[Line], edges: list[float], width: float) -> Grid:
    """The grid of a header and its body lines: a row per printed row, and a caption across the
    columns (kept by `_cut`) one cell spanning the row, as a drawn grid prints it."""
    bounds = [0.0, *edges, width]
    captions = {id(ln) for ln in body if _crosses(ln, edges)}
    groups: list[list[Line]] = [head] if head else []
    segment: list[Line] = []
    for ln in body:
        if id(ln) in captions:
            groups += _rows(segment, edges) + [[ln]]
            segment = []
        else:
            segment.append(ln)
    groups += _rows(segment, edges)
    rows = []
    for group in groups:
        words = [w for ln in group for w in ln.words]
        top, bottom = min(w.top for w in words), max(w.bottom for w in words)
        if group is not head and len(group) == 1 and id(group[0]) in captions:
            rows.append((GridCell((0.0, top, width, bottom), tuple(words)), *([None] * len(edges))))
            continue
        column = {id(w): c for ln in group for w, c in zip(ln.words, _word_columns(ln, edges))}
        cells = []
        for j in range(len(bounds) - 1):
            inside = tuple(w for w in words if column[id(w)] == j)
            cells.append(GridCell((bounds[j], top, bounds[j + 1], bottom), inside))
        rows.append(tuple(cells))
    x0 = min(w.x0 for ln in (*head, *body) for w in ln.words)
    x1 = max(w.x1 for ln in (*head, *body) for w in ln.words)
    return Grid((x0, rows[0][0].bbox[1], x1, rows[-1][0].bbox[3]), tuple(rows))
