"""A C-CDA section's narrative block (`section/text`) as tables of rows and cells, and the rules
that tie a structured entry to the narrative row that prints it.

Why: the page prints the narrative, not the entries' coded names. The CDA stylesheet copies the
narrative verbatim and vendor renderings mostly print the same strings, so when an entry's
displayName / originalText is not on the page, the narrative row that holds the entry (by an
`ID` the entry references, or by the cell that prints the entry's value) names it as printed.
Only generic C-CDA structure is used (references, table rows and header cells), nothing keyed to
a product.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

H = "{urn:hl7-org:v3}"
# Header words of a column that names the row's entry (used only when no labeled entry shows
# which column holds the names).
NAME_HEADERS = re.compile(r"\b(name|description|test|component|analyte|vital|medication|drug|product|"
                          r"problem|diagnosis|condition|observation|result type)\b", re.I)
_DATE = re.compile(r"^\s*(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{8,14})\b")


_BREAKS = ("br", "paragraph", "item", "list", "table", "tr", "td", "th")


def _pieces(el: ET.Element) -> list[str]:
    out = [el.text or ""]
    for child in el:
        sep = " " if _local(child) in _BREAKS else ""  # a line break between `Height` and `LOINC: 8302-2`
        out += [sep, *_pieces(child), sep, child.tail or ""]
    return out


def _text(el: ET.Element) -> str:
    return " ".join("".join(_pieces(el)).split())


def _local(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


@dataclass
class Cell:
    text: str
    ids: set[str]
    header: bool            # a th cell


@dataclass
class Row:
    cells: list[Cell]
    ids: set[str]           # the row's own ID and every ID inside it
    header: bool            # in thead, or every cell a th
    table: int
    index: int              # position among the table's data rows

    def text(self) -> str:
        return " ".join(c.text for c in self.cells)


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    head: list[str] = field(default_factory=list)   # column headers (the last header row)

    def data(self) -> list[Row]:
        return [r for r in self.rows if not r.header]


def _ids(el: ET.Element) -> set[str]:
    return {e.get("ID", "") for e in el.iter() if e.get("ID")}


def _own_rows(table: ET.Element) -> list[tuple[ET.Element, bool]]:
    """The table's own rows (not those of a table nested in a cell), with whether in thead."""
    out = []
    for child in table:
        kind = _local(child)
        if kind == "tr":
            out.append((child, False))
        elif kind in ("thead", "tbody", "tfoot"):
            out += [(tr, kind == "thead") for tr in child if _local(tr) == "tr"]
    return out


def parse(text: ET.Element | None) -> list[Table]:
    """Tables of a narrative block; a `list` counts as a one-column table (its items are rows)."""
    if text is None:
        return []
    tables: list[Table] = []
    for el in text.iter():
        kind = _local(el)
        if kind == "table":
            t = Table()
            for tr, in_head in _own_rows(el):
                cells = [Cell(_text(c), _ids(c), _local(c) == "th") for c in tr if _local(c) in ("td", "th")]
                if not cells:
                    continue
                header = in_head or (all(c.header for c in cells) and not t.data())
                row = Row(cells, _ids(tr), header, len(tables), 0)
                if header:
                    t.head = [c.text for c in cells]
                t.rows.append(row)
            for i, r in enumerate(t.data()):
                r.index = i
            tables.append(t)
        elif kind == "list":
            t = Table()
            for i, item in enumerate(el.findall(f"{H}item")):
                t.rows.append(Row([Cell(_text(item), _ids(item), False)], _ids(item), False, len(tables), i))
            tables.append(t)
    return tables


def is_date(s: str) -> bool:
    return bool(_DATE.match(s))


def value_pattern(value: str) -> re.Pattern[str]:
    """The value as a whole token: `88` matches `88 kg`, `88kg` and `145/88`, not `188`, `88.5`
    or the `10` of `10+3/uL`; a word value matches whole words only."""
    variants = [re.escape(value)]
    try:
        f = float(value)
    except ValueError:
        return re.compile(rf"(?<![\w.]){re.escape(value)}(?!\w)", re.I)
    if f == int(f):
        variants += [re.escape(str(int(f))), re.escape(f"{int(f)}.0")]
    return re.compile(rf"(?<![\w.])(?:{'|'.join(variants)})(?!\d|\.\d|[*^+])", re.I)


@dataclass
class Link:
    """Where an entry is printed in the narrative."""

    row: Row
    name: str | None        # the row's name as printed
    cell: Cell | None       # the cell that prints the entry's value (observations)
    via: str                # "reference" | "value" | "code" | "position"


class Narrative:
    """One section's narrative, with the name column learned from entries that are already named."""

    def __init__(self, text: ET.Element | None):
        self.tables = parse(text)
        self.by_id: dict[str, Row] = {}
        for t in self.tables:
            for r in t.data():
                for i in r.ids:  # a nested table comes later: its (innermost) row wins
                    self.by_id[i] = r
        self.name_col: dict[int, int] = {}      # table -> column holding names
        self.name_in_head: dict[int, bool] = {}  # table -> names are column headers

    def rows(self) -> list[Row]:
        return [r for t in self.tables for r in t.data()]

    def learn(self, names_per_entry: list[list[str]]) -> None:
        """Find, per table, the column (or the header row) where entries' coded names are printed."""
        for ti, t in enumerate(self.tables):
            votes: dict[int, int] = {}
            head = 0
            for names in names_per_entry:
                keys = {n.casefold() for n in names}
                for r in t.data():
                    for ci, c in enumerate(r.cells):
                        if c.text.casefold() in keys:
                            votes[ci] = votes.get(ci, 0) + 1
                head += sum(1 for h in t.head if h.casefold() in keys)
            if votes:
                self.name_col[ti] = max(sorted(votes), key=lambda c: votes[c])
            if head > sum(votes.values()):
                self.name_in_head[ti] = True

    def row_name(self, row: Row, cell: Cell | None) -> str | None:
        t = self.tables[row.table]
        ci = row.cells.index(cell) if cell is not None and cell in row.cells else None
        if self.name_in_head.get(row.table) and ci is not None and ci < len(t.head):
            return t.head[ci] or None
        col = self.name_col.get(row.table)
        if col is not None and col < len(row.cells) and col != ci:
            return row.cells[col].text or None
        if row.cells and row.cells[0].header and ci != 0:  # a row header cell: the row is one entry kind
            return row.cells[0].text or None
        for j, h in enumerate(t.head):
            if j != ci and j < len(row.cells) and NAME_HEADERS.search(h) and row.cells[j].text:
                return row.cells[j].text
        if ci is not None and ci < len(t.head) and row.cells and is_date(row.cells[0].text) \
                and t.head[ci] and not is_date(t.head[ci]):  # columns are the entries, rows dates
            return t.head[ci]
        for j, c in enumerate(row.cells):
            if j != ci and re.search(r"[A-Za-z]{2}", c.text) and not is_date(c.text):
                return c.text
        return None

    def by_reference(self, ids: list[str], value: str | None = None) -> Link | None:
        """The row an entry references; a referenced cell is its name, unless it prints the
        entry's value (then it is the value cell and the row or column header names it)."""
        for i in ids:
            row = self.by_id.get(i)
            if row is None:
                continue
            cell = next((c for c in row.cells if i in c.ids), None)
            if cell is not None and value is not None and value_pattern(value).search(cell.text):
                return Link(row, self.row_name(row, cell), cell, "reference")
            col = self.name_col.get(row.table)
            named_cell = cell is not None and (col is None or row.cells.index(cell) == col)
            name = cell.text if named_cell and cell.text else self.row_name(row, None)
            return Link(row, name, None, "reference")
        return None

    def value_cells(self, value: str, unit: str | None, taken: dict[int, int]) -> list[tuple[Row, Cell]]:
        """Cells that may print `value`, best first; empty when they name different entries.
        `taken` counts the entries already tied to each cell: a cell is used once, except a pair
        cell (`145/88`) that takes a second entry."""
        pat = value_pattern(value)
        hits = [(r, c) for r in self.rows() for c in r.cells if pat.search(c.text)]
        pairs = [(r, c) for r, c in hits if taken.get(id(c)) == 1 and re.match(r"^\S+/\S+", c.text)]
        hits = pairs or [(r, c) for r, c in hits if id(c) not in taken]
        if unit and len(hits) > 1:
            with_unit = [(r, c) for r, c in hits if unit.casefold() in r.text().casefold()]
            if with_unit:
                hits = with_unit
        if len(hits) > 1:  # the value opens the cell (`88 kg`) rather than ending a pair (`145/88`)
            first = [(r, c) for r, c in hits if pat.match(c.text)]
            if first:
                hits = first
        # several rows (an entry measured on several dates): fine when they all name it alike
        if len({self.row_name(r, c) for r, c in hits}) > 1:
            return []
        return hits


def printed_value_unit(cell_text: str, value: str, unit: str | None) -> tuple[str, str | None] | None:
    """Split a value cell as printed: `80 beats per minute` -> (`80`, `beats per minute`).
    None when the cell holds more than the value and one unit-like remainder."""
    m = value_pattern(value).match(cell_text)
    if not m:
        return None
    rest = cell_text[m.end():].strip()
    if not rest or not unit:  # no unit: what follows is a flag or a note (`(Normal)`), not a unit
        return m.group(0), None
    # another number of its own (`177 cm (70.0 in)`, `7.2 4.0-6.0`) is not part of the unit;
    # `(10+3/ul)`, `mm[Hg]` are units
    if re.search(r"(?<![\w+*^/.\[])\d+(\.\d+)?(?![\w+*^/\]])", rest):
        k = rest.casefold().find(unit.casefold()) if unit else -1
        if k != 0:
            return None
        rest = rest[:len(unit)]
    if rest.casefold().startswith(unit.casefold()) and len(rest) > len(unit) and rest[len(unit)].isspace():
        rest = rest[:len(unit)]  # `mg/dL (Normal)`: a flag or note after the unit is not part of it
    if len(rest.split()) > 4:
        return None
    return m.group(0), rest


def name_before_value(cell_text: str, value: str) -> tuple[str, str] | None:
    """A cell printing the entry's name before its value (`Heart Rate 80 /min`, `Weight: 88 kg`):
    (name, the rest from the value on)."""
    m = value_pattern(value).search(cell_text)
    if not m or m.start() == 0:
        return None
    name = cell_text[:m.start()].strip().rstrip(":=-").strip()
    if not re.search(r"[A-Za-z]{2}", name) or re.search(r"(?<![\w.])\d+(\.\d+)?(?!\w)", name) or len(name.split()) > 8:
        return None
    return name, cell_text[m.start():]
