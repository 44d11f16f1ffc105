"""Drawn table grids: detection at ingest on a real vendor page, and the grid table strategy."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors import runtime
from extractors.schema import Schema
from extractors.tables import grid as grid_strategy
from pipeline.document import Document, Grid, GridCell, Page, Word, group_lines
from pipeline.ingest.core import ingest

FIX = Path(__file__).parent / "fixtures" / "ccda"


@pytest.fixture(scope="module")
def vendor_doc() -> Document:
    return ingest(FIX / "sophrona_newman.pdf", cache_dir=None)


def _texts(g: Grid) -> list[list[str | None]]:
    return [[None if c is None else c.text for c in row] for row in g.rows]


def test_real_vendor_page_grids_keep_multi_line_cells_whole(vendor_doc):
    grids = [g for p in vendor_doc.pages for g in p.tables]
    assert len(grids) >= 10
    meds = next(g for g in grids if any(r[1:4] == ["Medication", "Directions", "Start Date"] for r in _texts(g)))
    rows = _texts(meds)
    # the drug name wraps over two lines in its cell; the grid keeps it one cell
    assert [None, "ceftriaxone (as ceftriaxone sodium) 10 GM per 100 ML Injectable Solution", "two times daily",
            "June 22, 2015"] in rows
    # cell words are the page's own words (same objects' text), so text stays consistent
    page_words = {(w.text, w.x0, w.top) for p in vendor_doc.pages for w in p.words}
    assert all((w.text, w.x0, w.top) in page_words for r in meds.rows for c in r if c for w in c.words)


def test_grid_rows_reads_a_real_vitals_table_splitting_value_and_unit(vendor_doc):
    cols = {"vital": {"headers": ("vital",), "learned": 1},
            "value": {"headers": ("value",), "learned": 1, "part": "num"},
            "unit": {"headers": ("unit",), "learned": 0, "within": ("value", "rest")}}
    found = runtime.grid_rows(vendor_doc, columns=cols, anchor="vital", required=("value",))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"vital": "Blood Pressure Diastolic", "value": "88", "unit": "mm[Hg]"} in rows
    assert {"vital": "Height", "value": "177", "unit": "cm"} in rows
    assert all(r["vital"] != "Vital" for r in rows)  # the header row is not a row


def _w(text: str, x: float, top: float) -> Word:
    return Word(text, x, top, x + 6 * len(text), top + 10)


def _cell(x0: float, top: float, lines: list[str]) -> GridCell:
    words = [_w(t, x0 + 2 + 40 * k, top + 2 + 12 * i) for i, line in enumerate(lines) for k, t in enumerate(line.split())]
    return GridCell((x0, top, x0 + 150, top + 4 + 12 * max(1, len(lines))), tuple(words))


def _page(number: int, grids: list[list[list[list[str]]]]) -> Page:
    built, words = [], []
    top = 50.0
    for g in grids:
        rows = []
        for r in g:
            cells = tuple(_cell(50 + 150 * j, top, lines) for j, lines in enumerate(r))
            rows.append(cells)
            top += max(c.bbox[3] - c.bbox[1] for c in cells)
            words += [w for c in cells for w in c.words]
        built.append(Grid((50, 50, 500, top), tuple(rows)))
        top += 30
    ws = tuple(words)
    return Page(number, 612, 792, "text-layer", ws, group_lines(ws), tuple(built))


SCHEMA = Schema.model_validate({"doc_type": "t", "fields": {"results": {"type": "table", "columns": {
    "test_name": {"type": "string"}, "value": {"type": "string"}, "unit": {"type": "string"}}}}})


def _doc(*pages: Page) -> Document:
    return Document("x.pdf", "0" * 64, tuple(pages))


def test_grid_strategy_learns_printed_header_and_reads_continued_table():
    header = [["Analyte", "name"], ["Observed"], ["Ref"]]
    train = _doc(_page(1, [[header, [["Sodium"], ["135 mmol/L"], ["135-145"]], [["BMP"], [""], [""]],
                             [["Glucose", "fasting"], ["5.1 mmol/L"], ["3-6"]]]]))
    gold = {"results": [{"test_name": "Sodium", "value": "135", "unit": "mmol/L"},
                        {"test_name": "Glucose fasting", "value": "5.1", "unit": "mmol/L"}]}
    spec = SCHEMA.fields["results"]
    params = grid_strategy.learn("results", spec, {"a": train}, {"a": gold})
    cols = params["columns"]
    assert cols["test_name"]["headers"][0] == "analyte name"  # the header as printed, first
    assert cols["value"]["headers"][0] == "observed" and cols["value"]["part"] == "num"
    assert cols["unit"]["within"] == ("value", "rest")
    src = grid_strategy.render("results", params)
    ns = {"runtime": runtime}
    exec(src, ns)
    # an unseen document: the table runs over a page break with no repeated header, a panel row
    test = _doc(_page(1, [[header, [["Potassium"], ["4.1 mmol/L"], ["3.5-5"]], [["Lipid", "panel"], [""], [""]]]]),
                _page(2, [[[["Chloride", "serum"], ["101 mmol/L"], ["98-107"]]],
                          [[["Other"], ["x"], ["y"]]]]))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in ns["field_results"](test, None, "mdy").value]
    assert rows == [{"test_name": "Potassium", "value": "4.1", "unit": "mmol/L"},
                    {"test_name": "Chloride serum", "value": "101", "unit": "mmol/L"}]


def test_cell_part_splits_number_and_unit():
    assert runtime.cell_part("145/88  mm[Hg]", "num") == "145/88"
    assert runtime.cell_part("145/88 mm[Hg]", "rest") == "mm[Hg]"
    assert runtime.cell_part("7.2 H", "num") == "7.2"
    assert runtime.cell_part("Negative", "num") == "Negative" and runtime.cell_part("Negative", "rest") is None
    # a unit spelled out in words is one unit; a flag or a conversion after it is not part of it
    assert runtime.cell_part("80 beats per minute", "rest") == "beats per minute"
    assert runtime.cell_part("177 cm (70.0 in)", "rest") == "cm"
    assert runtime.cell_part("10.2 g/dl High", "rest") == "g/dl"
    assert runtime.cell_part("12.3 (10+3/ul)", "rest") == "(10+3/ul)"  # not unit-shaped: all of it
    # a unit printed against its number; an ordinal or a multiplier is no unit
    assert runtime.cell_part("50mg/dl", "num") == "50" and runtime.cell_part("50mg/dl", "rest") == "mg/dl"
    assert runtime.cell_part("5.0[ph]", "rest") == "[ph]"
    assert runtime.cell_part("1st", "num") == "1st" and runtime.cell_part("5x10^9/L", "num") == "5x10^9/L"
    # a speck OCR read as a point between a whole number and a known unit; a numbered item is no unit
    assert runtime.cell_part("177.cm", "num") == "177" and runtime.cell_part("177.cm", "rest") == "cm"
    assert runtime.cell_part("3.Tylenol", "num") == "3.Tylenol" and runtime.cell_part("12.5.mg", "num") == "12.5.mg"


def test_section_rows_read_ratio_values_and_spelled_out_units():
    words = _line_words("VITAL SIGNS", 40, 14.0)
    top = 70.0
    for name, value in (("Heart Rate", "80 beats per minute"), ("Blood Pressure", "145/88"),
                        ("Body Temperature", "38 degree celsius High")):
        words += _line_words(name, top)
        words += [Word(w.text, w.x0 + 200, w.top, w.x1 + 200, w.bottom) for w in _line_words(value, top)]
        top += 14
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "text-layer", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("vital signs",), roles={"vital": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert rows == [{"vital": "Heart Rate", "value": "80", "unit": "beats per minute"},
                    {"vital": "Blood Pressure", "value": "145/88", "unit": None},
                    {"vital": "Body Temperature", "value": "38", "unit": "degree celsius"}]


def test_section_rows_read_a_value_whose_unit_ocr_joined_with_a_speck():
    words = _line_words("VITAL SIGNS", 40, 14.0)
    for top, name, value in ((70.0, "Height", "177.cm"), (84.0, "Weight", "88 kg")):
        words += _line_words(name, top, conf=0.95)
        words += [Word(w.text, w.x0 + 200, w.top, w.x1 + 200, w.bottom, w.conf) for w in _line_words(value, top, conf=0.3)]
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "ocr", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("vital signs",), roles={"vital": "name", "value": "value", "unit": "unit"})
    assert [{c: (v.value if v else None) for c, v in r.items()} for r in found.value] == [
        {"vital": "Height", "value": "177", "unit": "cm"}, {"vital": "Weight", "value": "88", "unit": "kg"}]


def test_section_rows_read_a_value_with_its_unit_printed_against_it():
    """`10ng/mL` (OCR lost the space, or the page printed none) is value and unit; an ordinal or
    a multiplier is no such cell, and a name cell opening with a number stays a name."""
    words = _line_words("RESULTS", 40, 14.0)
    for top, name, value in ((70.0, "Everolimus Blood", "10ng/mL"), (84.0, "HGB", "10.2 g/dL"),
                             (98.0, "25OH Vitamin D", "30 ng/mL")):
        words += _line_words(name, top)
        words += [Word(w.text, w.x0 + 200, w.top, w.x1 + 200, w.bottom) for w in _line_words(value, top)]
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "text-layer", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("results",), roles={"test": "name", "value": "value", "unit": "unit"})
    assert [{c: (v.value if v else None) for c, v in r.items()} for r in found.value] == [
        {"test": "Everolimus Blood", "value": "10", "unit": "ng/mL"}, {"test": "HGB", "value": "10.2", "unit": "g/dL"},
        {"test": "25OH Vitamin D", "value": "30", "unit": "ng/mL"}]


def _line_words(text: str, top: float, size: float = 10.0, x: float = 50.0, conf: float = 1.0) -> list[Word]:
    """Words of one printed line from `x` (`conf` under 1: as OCR returns them)."""
    out = []
    for t in text.split():
        out.append(Word(t, x, top, x + 0.6 * size * len(t), top + size, conf))
        x += 0.6 * size * len(t) + 4
    return out


def _sectioned_page(number: int, blocks: list[tuple[str, list[list[str]] | list[str]]]) -> Page:
    """A page of section headings (capitals, taller), each followed by a drawn grid (a list of
    rows of one-word-per-column cells) or by plain list lines."""
    words, grids, top = [], [], 40.0
    for heading, body in blocks:
        words += _line_words(heading, top, 14.0)
        top += 24
        if body and isinstance(body[0], list):
            rows = []
            for r in body:
                cells = tuple(GridCell((50 + 150 * j, top, 200 + 150 * j, top + 14), tuple(_line_words(t, top + 2)) if t else ())
                              for j, t in enumerate(r))
                for j, c in enumerate(cells):  # place each cell's words inside its own column
                    shifted = tuple(Word(w.text, w.x0 + 150 * j, w.top, w.x1 + 150 * j, w.bottom) for w in c.words)
                    cells = cells[:j] + (GridCell(c.bbox, shifted),) + cells[j + 1:]
                rows.append(cells)
                words += [w for c in cells for w in c.words]
                top += 14
            grids.append(Grid((50, rows[0][0].bbox[1], 50 + 150 * len(body[0]), top), tuple(rows)))
        else:
            for text in body:
                words += _line_words(text, top)
                top += 14
        top += 20
    ws = tuple(words)
    return Page(number, 612, 792, "text-layer", ws, group_lines(ws), tuple(grids))


PROBLEM_COLUMNS = {"problem": {"headers": ("problem", "diagnosis", "condition"), "learned": 0}}


def _problems(doc: Document, headings=("problems",)) -> list[str] | None:
    found = runtime.grid_rows(doc, columns=PROBLEM_COLUMNS, anchor="problem", headings=headings)
    return None if found is None else [r["problem"].value for r in found.value]


def test_grid_rows_reads_only_grids_inside_the_fields_section():
    doc = _doc(_sectioned_page(1, [
        ("PROBLEMS", ["Essential hypertension (Disorder)", "Overweight (finding)"]),
        ("ENCOUNTERS", [["Diagnosis", "Location"], ["Anemia", "Clinic"]]),
    ]))
    # without a section the encounters table's Diagnosis column reads as a problem list
    assert _problems(doc, headings=()) == ["Anemia"]
    # the problems section holds no grid: the grid reading gives way (to the section list)
    assert _problems(doc) is None
    # a heading that holds the section's words (`Problem List`) bounds it too, and a table
    # continued under the next heading of the same style is not part of it
    doc = _doc(_sectioned_page(1, [
        ("TABLE OF CONTENTS", ["PROBLEMS", "ENCOUNTERS"]),
        ("PROBLEM LIST", [["Problem", "Status"], ["Asthma", "Active"], ["Gout", "Resolved"]]),
        ("ENCOUNTERS", [["Diagnosis", "Location"], ["Anemia", "Clinic"]]),
    ]))
    assert _problems(doc) == ["Asthma", "Gout"]


def test_a_section_continues_across_pages_past_running_headers():
    header = "PATIENT RECORD"
    p1 = _sectioned_page(1, [(header, []), ("PROBLEMS", [["Problem", "Status"], ["Asthma", "Active"]])])
    p2 = _sectioned_page(2, [(header, []), ("", [["Problem", "Status"], ["Gout", "Resolved"]]),
                             ("ENCOUNTERS", [["Diagnosis", "Location"], ["Anemia", "Clinic"]])])
    doc = _doc(p1, p2)
    # the running header at the top of page 2 does not end the problems section
    assert _problems(doc) == ["Asthma", "Gout"]


def test_section_list_drops_enumerators_and_item_number_lines():
    words, top = _line_words("PROBLEMS", 40, 14.0), 70.0
    for text in ("1. Essential hypertension", "Problem #2", "Overweight (finding)", "• Asthma"):
        words += _line_words(text, top)
        top += 14
    words += _line_words("ENCOUNTERS", top + 10, 14.0)
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "text-layer", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut=r"\(")
    assert [r["problem"].value for r in found.value] == ["Essential hypertension", "Overweight", "Asthma"]


def test_an_enumerated_item_tight_under_the_last_starts_an_item():
    """OCR's boxes make a numbered list's gaps uneven (descenders stretch a line down): `4.` and
    `5.` sit closer under the items above them than `3.` under `2.`, as a wrapped line would.
    A line opening with an enumerator starts an item of its own all the same."""
    words, top = _line_words("PROBLEMS", 40, 14.0), 70.0
    for text, gap in (("1. Essential hypertension", 12.0), ("2. Febrile", 12.3), ("3. Chronic allograft nephropathy", 11.0),
                      ("4. Overweight", 11.0), ("5. Severe hypothyroidism", 12.0)):
        words += _line_words(text, top, conf=0.9)
        top += gap
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "ocr", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut=r"\(")
    assert [r["problem"].value for r in found.value] == ["Essential hypertension", "Febrile", "Chronic allograft nephropathy",
                                                         "Overweight", "Severe hypothyroidism"]


def test_a_scanned_list_reads_past_icons_and_a_misread_group_title():
    """A scanned problem list whose icons OCR reads as letters it doubts: a checked box before
    each `Problem #N` (`(SF`), an expand arrow before the next heading (`Vv ENCOUNTERS`). The
    icons are no words: `Problem #1` still only numbers its item, and `Vv ENCOUNTERS` ends the
    section. `Active Concems` (OCR's `rn` read as `m`) is no group title the list knows, and
    as a contents entry it is skipped without setting the list's left edge, so the items,
    indented under it, are read."""
    def ocr_line(text: str, top: float, x: float = 50.0, size: float = 10.0) -> list[Word]:
        return _line_words(text, top, size, x, conf=0.9)

    def icon(text: str, top: float) -> Word:  # one square glyph, read with little confidence
        return Word(text, 50, top, 62, top + 11, 0.4)

    words = ocr_line("PROBLEMS", 40, size=14.0) + ocr_line("Active Concems", 70, size=12.0)
    words += [icon("(SF", 95)] + ocr_line("Problem #1", 95, 66)
    words += ocr_line("Essential Hypertension [Start Date: 10/5/2011]", 115, 94)
    words += [icon("(wv", 135)] + ocr_line("Problem #2", 135, 66)
    words += ocr_line("Overweight [Start Date: 12/31/2006]", 155, 94)
    words += [Word("Vv", 37, 185, 43, 190, 0.6)] + ocr_line("ENCOUNTERS", 180, 48, 14.0)
    words += ocr_line("Fever", 205, 94)
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "ocr", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut=r"\[")
    assert [r["problem"].value for r in found.value] == ["Essential Hypertension", "Overweight"]


def test_a_scanned_heading_is_one_past_the_edge_of_its_banner():
    """A heading printed white on a banner across the page, scanned (MedFusion's dev-set scan):
    OCR reads the arrow before it as `V` and the banner's right end as a tall glyph it doubts,
    `V SOCIAL HISTORY j`. Neither is a letter of the heading, so the line is a heading in
    capitals and ends the vital signs above it."""
    from extractors._rt_rows import is_heading_line

    ws = (Word("V", 37, 571, 43, 576, 0.32), Word("SOCIAL", 48, 571, 77, 577, 0.96),
          Word("HISTORY", 80, 571, 115, 577, 0.95), Word("j", 560, 565, 564, 582, 0.33))
    (line,) = group_lines(ws)
    assert is_heading_line(line, 6.0)
    # a short word the line prints at its own height stays a word of it (`pH`)
    ws = (Word("Urine", 48, 571, 70, 577, 0.96), Word("pH", 74, 571, 84, 577, 0.6), Word("a", 90, 571, 94, 577, 0.3))
    (line,) = group_lines(ws)
    assert not is_heading_line(line, 6.0)


def test_a_data_row_is_never_taken_for_the_header_row():
    """`Name | Type` heads the grid; a row whose Type cell reads `Condition` (a lexicon header
    of the problem column) is data, and inside the problems section `Name` heads the list."""
    doc = _doc(_sectioned_page(1, [("PROBLEMS", [["Name", "Type"], ["Hypothyroidism", "Condition"],
                                                  ["Hypertension", "Diagnosis"], ["Fever", "Finding"]])]))
    assert _problems(doc) == ["Hypothyroidism", "Hypertension", "Fever"]
    # outside any problems section, `Name` heads nothing and no data row becomes a header
    doc = _doc(_sectioned_page(1, [("CARE TEAM", [["Name", "Type"], ["Hypothyroidism", "Condition"],
                                                   ["Fever", "Finding"]])]))
    assert _problems(doc) is None


def test_grid_panel_rows_and_code_references():
    """A panel row whose name spans the grid gives no value (it is skipped as a row without its
    required value), and code references or the row's own result printed after a name are not
    part of it."""
    cols = {"test_name": {"headers": ("test",), "learned": 0},
            "value": {"headers": ("value",), "learned": 0, "part": "num"}}
    page = _sectioned_page(1, [("RESULTS", [["Test", "Value"], ["Urinalysis panel LOINC: 24357-6", ""],
                                            ["Color LOINC: 5778-6", "Yellow"], ["Glucose", "50 mg/dL"],
                                            ["Clarity (Clear)", "Clear"], ["Hepatitis B (HBsAg)", "Negative"]])])
    # make the panel row's name cell span the value column, as a drawn grid prints it
    grid = page.tables[0]
    panel = (grid.rows[1][0], None)
    page = Page(1, page.width, page.height, page.source, page.words, page.lines,
                (Grid(grid.bbox, (grid.rows[0], panel, *grid.rows[2:])),))
    found = runtime.grid_rows(_doc(page), columns=cols, anchor="test_name", required=("value",), headings=("results",))
    # a closing bracket that repeats the row's own result is no part of the name; another stays
    assert [(r["test_name"].value, r["value"].value) for r in found.value] == [
        ("Color", "Yellow"), ("Glucose", "50"), ("Clarity", "Clear"), ("Hepatitis B (HBsAg)", "Negative")]


def test_inside_its_section_a_grid_header_may_follow_any_number_of_caption_rows():
    """`LABORATORY RESULTS`, the order and its comment printed in rows of one cell above the
    header row: inside the results section they are captions; elsewhere three are too many."""
    cols = {"test_name": {"headers": ("test",), "learned": 0},
            "value": {"headers": ("result",), "learned": 0, "part": "num"}}
    rows = [["LABORATORY RESULTS", ""], ["ORDER 400: URINALYSIS", ""], ["Result Comment: final", ""],
            ["Test", "Result"], ["Color of Urine", "YELLOW"], ["Glucose", "50 mg/dL"]]
    doc = _doc(_sectioned_page(1, [("RESULTS", rows)]))
    found = runtime.grid_rows(doc, columns=cols, anchor="test_name", required=("value",), headings=("results",))
    assert [(r["test_name"].value, r["value"].value) for r in found.value] == [("Color of Urine", "YELLOW"), ("Glucose", "50")]
    assert runtime.grid_rows(doc, columns=cols, anchor="test_name", required=("value",)) is None


def test_a_heading_learned_for_one_table_is_never_another_tables_own_name():
    from extractors.tables import section

    schema = Schema.model_validate({"doc_type": "t", "fields": {
        "vital_signs": {"type": "table", "columns": {"vital": {"type": "string"}, "value": {"type": "string"}}},
        "problems": {"type": "table", "columns": {"problem": {"type": "string"}}}}})
    # two samples print the vitals right under a `Problems` heading (an empty problem list)
    docs, golds = {}, {}
    for k in ("a", "b"):
        docs[k] = _doc(_sectioned_page(1, [("PROBLEMS", ["Height 177 cm", "Weight 88 kg"])]))
        golds[k] = {"vital_signs": [{"vital": "Height", "value": "177"}, {"vital": "Weight", "value": "88"}]}
    params = section.learn("vital_signs", schema.fields["vital_signs"], docs, golds)
    assert "problems" in params["headings"]  # without knowing the other tables, it is learned
    params = section.learn("vital_signs", schema.fields["vital_signs"], docs, golds, siblings=("vital_signs", "problems"))
    assert params["headings"] == ["vital signs"]


def test_section_rows_read_names_wrapped_below_and_values_inside_the_name_cell():
    """HTML views top-align table cells: a long test name wraps onto the lines under its value,
    a unit onto the line under its value, and a narrow cell prints `Heart Rate 80 /min` as one."""
    def line(text, x, top):
        return [Word(w.text, w.x0 + x - 50, w.top, w.x1 + x - 50, w.bottom) for w in _line_words(text, top)]

    words = _line_words("RESULTS", 40, 14.0)
    words += line("Glucose", 50, 70) + line("50 mg/dL", 250, 70)
    words += line("[Mass/volume] in", 50, 83.5) + line("urine by test strip", 50, 97)
    words += line("Specific gravity of", 50, 120) + line("1.015", 250, 120) + line("Urine", 50, 133.5)
    words += line("BP Systolic 145", 50, 156) + line("mm[Hg]", 50, 169.5)
    words += line("Heart Rate 80 /min", 50, 192)
    words += line("Lipid Panel", 50, 215) + line("Cholesterol", 50, 238) + line("190 mg/dL", 250, 238)
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "text-layer", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("results",), roles={"test": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert rows == [{"test": "Glucose [Mass/volume] in urine by test strip", "value": "50", "unit": "mg/dL"},
                    {"test": "Specific gravity of Urine", "value": "1.015", "unit": None},
                    {"test": "BP Systolic", "value": "145", "unit": "mm[Hg]"},
                    {"test": "Heart Rate", "value": "80", "unit": "/min"},
                    {"test": "Cholesterol", "value": "190", "unit": "mg/dL"}]


def test_section_rows_read_text_values_in_the_value_column_the_numbers_show():
    def line(text, x, top):
        return [Word(w.text, w.x0 + x - 50, w.top, w.x1 + x - 50, w.bottom) for w in _line_words(text, top)]

    words = _line_words("RESULTS", 40, 14.0)
    printed = [("Sodium", "139 mmol/L"), ("Color", "YELLOW"), ("Glucose", "98 mg/dL"), ("Ketones", "Negative"),
               ("Potassium", "4.1 mmol/L")]
    for i, (name, value) in enumerate(printed):
        words += line(name, 50, 70 + 20 * i) + line(value, 250, 70 + 20 * i)
    words += line("Location: Value Labs, 2474 Rocky place", 50, 190)  # a label line, not a row
    words += line("Comment", 50, 210) + line("specimen was hemolysed and redrawn", 250, 210)
    ws = tuple(words)
    doc = _doc(Page(1, 612, 792, "text-layer", ws, group_lines(ws), ()))
    found = runtime.section_rows(doc, headings=("results",), roles={"test": "name", "value": "value", "unit": "unit"})
    rows = [(r["test"].value, r["value"].value) for r in found.value]
    assert rows == [("Sodium", "139"), ("Color", "YELLOW"), ("Glucose", "98"), ("Ketones", "Negative"), ("Potassium", "4.1")]


VITAL_COLUMNS = {"vital": {"headers": ("vital",), "learned": 1, "part": "all"},
                 "value": {"headers": ("value",), "learned": 1, "part": "num"},
                 "unit": {"headers": ("unit",), "learned": 0, "within": ("value", "rest")}}


def test_grid_printed_the_other_way_round_is_read_inside_its_section():
    """MedConnect prints vital signs as `Date | Height | Weight | ... | Blood Pressure` over one
    row of measurements (`177 cm`, `145/88 mm[Hg]`): no header names the vital column. Inside
    the vital signs section each measurement is a row named by its header cell; without a
    section to bound it, or in a section whose rows are no measurements, nothing is read so."""
    doc = ingest(FIX / "medconnect_newman.pdf", cache_dir=None)
    found = runtime.grid_rows(doc, columns=VITAL_COLUMNS, anchor="vital", required=("value",),
                              headings=("vital signs",))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    for row in ({"vital": "Height", "value": "177", "unit": "cm"}, {"vital": "Weight", "value": "88", "unit": "kg"},
                {"vital": "Blood Pressure", "value": "145/88", "unit": "mm[Hg]"},
                {"vital": "Pulse", "value": "80", "unit": "bpm"}):
        assert row in rows
    assert all(r["vital"] != "Date" for r in rows)
    assert runtime.grid_rows(doc, columns=VITAL_COLUMNS, anchor="vital", required=("value",)) is None
    assert runtime.grid_rows(doc, columns=VITAL_COLUMNS, anchor="vital", required=("value",),
                             headings=("medications",)) is None
