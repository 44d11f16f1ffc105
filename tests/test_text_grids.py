"""Borderless tables: `grid_rows` reads the grid a table's words line up in when the page draws none."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from eval.devset.scans import scan_pdf
from extractors import runtime
from extractors._rt_rows import is_heading_line
from extractors._rt_textgrid import text_grids
from pipeline.document import Document, Grid, GridCell, Page, Word, group_lines
from pipeline.ingest.core import ingest

FIX = Path(__file__).parent / "fixtures" / "ccda"
MEDS = {"medication": {"headers": ("medication",), "learned": 1}}
VITALS = {"vital": {"headers": ("vital",), "learned": 1},
          "value": {"headers": ("value",), "learned": 1, "part": "num"},
          "unit": {"headers": ("unit",), "learned": 0, "within": ("value", "rest")}}


def _values(found) -> list[dict]:
    return [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]


def test_a_real_vendor_page_reads_the_same_without_its_drawn_borders():
    """The Sophrona page's tables, borders removed (as a print without them, or a scan whose
    light rules binarisation erased): the wrapped drug name is still one row, the centred
    `Medication` header still heads the column its rows start left of."""
    doc = ingest(FIX / "sophrona_newman.pdf", cache_dir=None)
    bare = replace(doc, pages=tuple(replace(p, tables=()) for p in doc.pages))
    assert not any(p.tables for p in bare.pages)

    meds = _values(runtime.grid_rows(bare, columns=MEDS, anchor="medication", headings=("medications",)))
    drawn = _values(runtime.grid_rows(doc, columns=MEDS, anchor="medication", headings=("medications",)))
    assert meds == drawn
    assert {"medication": "ceftriaxone (as ceftriaxone sodium) 10 GM per 100 ML Injectable Solution"} in meds

    vitals = _values(runtime.grid_rows(bare, columns=VITALS, anchor="vital", required=("value",)))
    assert {"vital": "Blood Pressure Diastolic", "value": "88", "unit": "mm[Hg]"} in vitals
    assert {"vital": "Height", "value": "177", "unit": "cm"} in vitals
    assert all(r["vital"] != "Vital" for r in vitals)


def _line(text: str, top: float, cells: dict[float, str] | None = None) -> list[Word]:
    """Words of one printed line: `cells` maps each cell's left x to its text (6 pt a letter)."""
    out = []
    for x, cell in (cells or {20.0: text}).items():
        for t in cell.split():
            out.append(Word(t, x, top, x + 6 * len(t), top + 10))
            x += 6 * len(t) + 4
    return out


def _page(*lines: list[Word]) -> Page:
    words = tuple(w for ln in lines for w in ln)
    return Page(1, 600, 800, "text-layer", words, group_lines(words))


def _ocr(words: list[Word]) -> list[Word]:
    """The words as OCR returns them (a confidence under 1)."""
    return [replace(w, conf=0.9) for w in words]


def _scanned(*lines: list[Word], number: int = 1) -> Page:
    words = tuple(w for ln in lines for w in _ocr(ln))
    return Page(number, 600, 800, "ocr", words, group_lines(words))


# a results table's columns, as a compile of panels' tests learns them
TESTS = {"test": {"headers": ("test", "test item"), "learned": 1},
         "value": {"headers": ("result", "value"), "learned": 1, "part": "num"},
         "unit": {"headers": ("units",), "learned": 1, "within": ("value", "rest")}}


def _read_tests(*pages: Page):
    """`grid_rows` over the pages with the results columns, inside the results section."""
    return runtime.grid_rows(Document("r.pdf", "0" * 64, pages), columns=TESTS, anchor="test",
                             required=("value",), headings=("results",))


def _texts(grid) -> list[list[str]]:
    return [[c.text for c in row] for row in grid.rows]


def test_wrapped_rows_offset_header_cells_and_where_the_table_ends():
    page = _page(
        _line("MEDICATIONS", 80),
        _line("", 100, {20: "Medication", 200: "Status"}),
        _line("", 104, {120: "Date"}),                    # a header cell printed lower: same header row
        _line("", 120, {20: "Aspirin 81 mg", 120: "06/22/2015", 200: "Active"}),
        _line("", 131, {20: "chewable tablet"}),           # wrapped: the small gap continues the row
        _line("", 150, {20: "Tylenol 500 mg", 120: "06/23/2015", 200: "Active"}),
        _line("", 161, {20: "oral tablet"}),
        _line("No further medications were reported by the patient at this visit.", 180),  # across the columns
        _line("", 200, {20: "Ibuprofen 200 mg", 200: "Active"}),
    )
    (grid,) = text_grids(page, frozenset({"medication"}))
    assert _texts(grid) == [
        ["Medication", "Date", "Status"],
        ["Aspirin 81 mg chewable tablet", "06/22/2015", "Active"],
        ["Tylenol 500 mg oral tablet", "06/23/2015", "Active"],
    ]


def test_evenly_spaced_lines_are_one_row_each_and_a_row_of_values_heads_nothing():
    page = _page(
        _line("", 100, {20: "Vital", 160: "Value"}),
        _line("", 112, {20: "Height", 160: "177 cm"}),
        _line("", 124, {20: "Weight", 160: "88 kg"}),
        _line("", 136, {20: "Heart rate", 160: "80 /min"}),
    )
    (grid,) = text_grids(page, frozenset({"vital", "value"}))
    assert _texts(grid)[1:] == [["Height", "177 cm"], ["Weight", "88 kg"], ["Heart rate", "80 /min"]]
    doc = Document("x.pdf", "0" * 64, (page,))
    assert _values(runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",))) == [
        {"vital": "Height", "value": "177", "unit": "cm"},
        {"vital": "Weight", "value": "88", "unit": "kg"},
        {"vital": "Heart rate", "value": "80", "unit": "/min"},
    ]
    # without a header line, lines of values make no table
    values_only = _page(_line("", 112, {20: "Height", 160: "177 cm"}), _line("", 124, {20: "Weight", 160: "88 kg"}))
    assert text_grids(values_only, frozenset({"vital", "value", "height"})) == ()


def test_a_scanned_list_under_a_generic_header_in_its_section():
    """`Code | Description | Status` under PROBLEMS, OCR'd: the generic `Description` header
    names the list inside its own section, and the brace a cell border was read as
    (`{SNOMED-`) is no part of a cell."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("PROBLEMS", 60)),
        ocr(_line("", 100, {20: "Code", 120: "Description", 300: "Status"})),
        ocr(_line("", 120, {20: "{SNOMED:3834", 120: "Essential hypertension", 300: "active"})),
        ocr(_line("", 140, {20: "[SNOMED:8398]", 120: "{Severe hypothyroidism", 300: "active"})),
        ocr(_line("ENCOUNTERS", 170)),
        ocr(_line("", 190, {20: "Code", 120: "Description", 300: "Date"})),
        ocr(_line("", 210, {20: "99213", 120: "Office visit", 300: "06/22/2015"})),
    )
    doc = Document("scan.pdf", "0" * 64, (page,))
    columns = {"problem": {"headers": ("problem", "condition"), "learned": 0}}
    found = runtime.grid_rows(doc, columns=columns, anchor="problem", headings=("problems",))
    assert [r["problem"].value for r in found.value] == ["Essential hypertension", "Severe hypothyroidism"]


def test_one_line_rows_spaced_unevenly_stay_rows():
    """Rows of one line each, a larger gap between two of them (a scan's uneven spacing): the
    gaps come in two sizes, but a line that fills every column the row above fills and does not
    sit tight under it starts a row of its own."""
    page = _page(
        _line("", 100, {20: "Test Name", 200: "Value"}),
        _line("", 116, {20: "pH of Urine", 200: "5.0 [pH]"}),
        _line("", 131, {20: "Ketones in Urine", 200: "Negative"}),
        _line("", 147, {20: "Protein in Urine", 200: "100 mg/dL"}),
        _line("", 166, {20: "Color of Urine", 200: "YELLOW"}),
        _line("", 181, {20: "Appearance of Urine", 200: "CLEAR"}),
    )
    (grid,) = text_grids(page, frozenset({"test", "value"}))
    assert [row[0].text for row in grid.rows[1:]] == ["pH of Urine", "Ketones in Urine", "Protein in Urine",
                                                        "Color of Urine", "Appearance of Urine"]


RESULTS = {
    "test_name": {"headers": ("result type", "test", "test name", "component", "analyte"), "learned": 1, "part": "all"},
    "value": {"headers": ("result", "value", "result value"), "learned": 0, "part": "num"},
    "unit": {"headers": ("unit", "units"), "learned": 0, "within": ("value", "rest")},
}


def _scanned_results(name: str, tmp_path: Path) -> list[dict]:
    """A real vendor page printed and scanned with light office damage (grey rules and fills
    binarise away), OCR'd with the `clean` profile, its results read."""
    scan = tmp_path / name
    scan_pdf(FIX / name, scan, name, damage="light")
    doc = ingest(scan, cache_dir=None, profile="clean")
    assert all(p.source == "ocr" for p in doc.pages)
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    assert found is not None
    return _values(found)


def test_a_scanned_borderless_table_continues_on_the_next_page_and_its_captions_end_no_section(tmp_path):
    """YourCareUniverse pages 2-3, scanned: `PERFORMING LAB:` (capitals, like the `RESULTS`
    heading) captions the table under it rather than ending the section, and the rows page 3
    prints under `LABORATORY RESULTS` without the header row continue the table."""
    rows = _scanned_results("yourcareuniverse_results_p2-3.pdf", tmp_path)
    names = [r["test_name"] for r in rows]
    assert "Platelets [#/volume] in Blood" in names                   # page 2, under the caption
    assert {"test_name": "Platelets [#/volume] in Blood", "value": "123", "unit": "10*3/uL"} in rows
    assert "Monocytes/100 leukocytes in Blood" in names                # page 3, no header of its own
    assert all(r["test_name"] not in ("TEST", "LOINC", "LABORATORY RESULTS") for r in rows)


def test_a_scanned_grid_under_its_own_capitals_caption_stays_in_the_section(tmp_path):
    """SuccessEHS page 5, scanned: `URINALYSIS, AUTO W/SCOPE` over a grid that names the test and
    value columns is that grid's caption; the grid is read."""
    rows = _scanned_results("successehs_results_p5.pdf", tmp_path)
    assert {"test_name": "Specific gravity", "value": "1.015", "unit": None} in rows
    assert {"test_name": "Glucose", "value": "50", "unit": "mg/dL"} in rows


def test_a_heading_over_a_table_naming_one_column_of_the_field_still_ends_the_section():
    """`ENCOUNTERS` over `Diagnosis | Date`: one column name is too little to make the heading a
    caption of the problem list, so the encounter's diagnosis is no problem."""
    page = _page(
        _line("PROBLEMS", 60),
        _line("", 100, {20: "Problem", 200: "Status"}),
        _line("", 120, {20: "Essential hypertension", 200: "Active"}),
        _line("ENCOUNTERS", 160),
        _line("", 190, {20: "Diagnosis", 200: "Date"}),
        _line("", 210, {20: "Otitis media", 200: "06/22/2015"}),
    )
    doc = Document("enc.pdf", "0" * 64, (page,))
    columns = {"problem": {"headers": ("problem", "diagnosis"), "learned": 0}}
    found = runtime.grid_rows(doc, columns=columns, anchor="problem", headings=("problems",))
    assert [r["problem"].value for r in found.value] == ["Essential hypertension"]


def test_a_table_printed_the_other_way_round_without_borders_reads_inside_its_section():
    """MedConnect's vital signs with their drawn borders removed (as a print without them, or a
    scan whose light rules binarisation erased): `Date | Height | Weight | ... | Pulse` over a
    row of measurements names none of the field's headers; inside the vital signs section each
    measurement is a row named by the header cell over it. Outside any section nothing is read
    so."""
    drawn = ingest(FIX / "medconnect_newman.pdf", cache_dir=None)
    doc = replace(drawn, pages=tuple(replace(p, tables=()) for p in drawn.pages))
    found = runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",), headings=("vital signs",))
    rows = _values(found)
    for row in ({"vital": "Height", "value": "177", "unit": "cm"}, {"vital": "Weight", "value": "88", "unit": "kg"},
                {"vital": "Pulse", "value": "80", "unit": "bpm"}):
        assert row in rows
    assert all(r["vital"] != "Date" for r in rows)
    assert runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",)) is None


def test_a_header_word_joined_by_a_slash_still_heads_a_borderless_table():
    """`Code | Description/Comments | Status` under a problems caption (MEDHOST, YourCareUniverse):
    `Description` printed against `Comments` is still the generic name header."""
    page = _page(
        _line("PROBLEMS", 60),
        _line("", 100, {20: "Code", 120: "Description/Comments", 300: "Status"}),
        _line("", 120, {20: "64667001", 120: "Interstitial pneumonia", 300: "active"}),
        _line("", 140, {20: "87522002", 120: "Iron deficiency anemia", 300: "active"}),
    )
    doc = Document("p.pdf", "0" * 64, (page,))
    columns = {"problem": {"headers": ("problem", "condition"), "learned": 0}}
    found = runtime.grid_rows(doc, columns=columns, anchor="problem", headings=("problems",))
    assert [r["problem"].value for r in found.value] == ["Interstitial pneumonia", "Iron deficiency anemia"]


def test_an_ocr_line_of_a_unit_with_a_slash_is_no_heading_by_its_size():
    """An OCR word's box is its ink: `/min`, wrapped under a vital's value, stands as tall as a
    heading because the slash reaches below the baseline and above the x-height. A slash counts
    as a descender, so the line's size says nothing and it ends no vital signs section."""
    unit = group_lines((Word("/min", 100, 300, 118, 312, conf=0.9),))[0]
    heading = group_lines((Word("Medications", 20, 280, 86, 292, conf=0.9),))[0]
    assert not is_heading_line(unit, 8.0)
    assert is_heading_line(heading, 8.0)


def test_a_name_wrapped_in_capitals_and_a_border_read_as_a_sign_end_no_table():
    """A drug name whose last wrapped line is `TABLET` (capitals, first column: heading-like)
    sits tight under its row and continues it; a lone `=` that OCR read from a cell border
    across a column edge is no sentence across the columns, and leaves the cell."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("MEDICATIONS", 60)),
        ocr(_line("", 100, {20: "Medication", 200: "Status"})),
        ocr(_line("", 120, {20: "Acetaminophen 500 MG", 200: "Active"})),
        ocr(_line("", 131, {20: "TABLET"})),
        ocr(_line("", 150, {20: "Aranesp 0.5 MG/ML", 196: "=", 206: "Active"})),
        ocr(_line("", 170, {20: "Torsemide 20 mg", 200: "Active"})),
    )
    (grid,) = text_grids(page, frozenset({"medication"}))
    assert [row[0].text for row in grid.rows[1:]] == ["Acetaminophen 500 MG TABLET", "Aranesp 0.5 MG/ML", "Torsemide 20 mg"]
    doc = Document("m.pdf", "0" * 64, (page,))
    found = runtime.grid_rows(doc, columns=MEDS, anchor="medication", headings=("medications",))
    assert [r["medication"].value for r in found.value] == ["Acetaminophen 500 MG TABLET", "Aranesp 0.5 MG/ML",
                                                           "Torsemide 20 mg"]


def test_ocr_mends_leave_codes_dates_counts_and_names_as_printed():
    """The OCR mends change only the shapes they name: a code's `C02.9`, a date's `02/22/2015` or
    `15jan02`, a count's `02 %`, the names `DiaBeta` and `RiaSTAP` and words that only hold `HCI`
    stay as read."""
    from extractors._rt_values import mend_ocr_text

    for text in ("C02.9", "02/22/2015", "15jan02", "Eosinophils 02 %", "02 %", "DiaBeta", "RiaSTAP", "(10*3/uL)",
                 "HCIS", "CHCI"):
        assert mend_ocr_text(text) == text
    assert [mend_ocr_text(t) for t in ("02% BldC Oximetry", "Fi02", "BidC", "(Zortress]", "Clindamycin HCI 300 MG")] == [
        "O2% BldC Oximetry", "FiO2", "BldC", "[Zortress]", "Clindamycin HCl 300 MG"]


def test_an_ocr_d_cell_has_its_brackets_mended():
    """OCR reads a round or square bracket as a brace, a cell's left border as `[`, and a
    word's capital I as `l`: the brace becomes the bracket its partner is, a `(` closed by `]`
    is `[` (OCR reads the thin `[` as `(`), an opening `[` nothing closes goes, `lron` (no word
    starts `lr`) is `Iron` while `lbs` stays, `BIdC` (a capital I between a capital and two
    letters) and `BidC` are `BldC`, oxygen's `02%` and `Sp02` are `O2%` and `SpO2`, and
    `1OOMG/ML` (an O after a number's digits, before a unit) is `100MG/ML` while `1OCBLD`
    stays. A text layer keeps what it prints."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    rows = (("Blood Pressure", "145", "mm{Hg]"), ("[Heart Rate", "80", "/min"), ("Mass [Mass/volume}", "5", "g"),
            ("lron level", "194", "lbs"), ("O2 % BIdC Oximetry", "95", "%"), ("02% BidC Oximetry", "96", "%"), ("Sp02", "97", "%"),
            ("Ceftriaxone 1OOMG/ML", "1", "g"), ("1OCBLD UR", "2", "g"), ("Glucose (Mass/volume] in urine", "50", "mg/dL"))
    lines = [_line("", 100, {20: "Vital", 200: "Value", 300: "Unit"})]
    lines += [_line("", 120 + 20 * i, {20: n, 200: v, 300: u}) for i, (n, v, u) in enumerate(rows)]
    columns = {**VITALS, "unit": {"headers": ("unit",), "learned": 1}}
    scanned = runtime.grid_rows(Document("s.pdf", "0" * 64, (_page(*map(ocr, lines)),)), columns=columns, anchor="vital")
    assert _values(scanned) == [{"vital": "Blood Pressure", "value": "145", "unit": "mm[Hg]"},
                                {"vital": "Heart Rate", "value": "80", "unit": "/min"},
                                {"vital": "Mass [Mass/volume]", "value": "5", "unit": "g"},
                                {"vital": "Iron level", "value": "194", "unit": "lbs"},
                                {"vital": "O2 % BldC Oximetry", "value": "95", "unit": "%"},
                                {"vital": "O2% BldC Oximetry", "value": "96", "unit": "%"},
                                {"vital": "SpO2", "value": "97", "unit": "%"},
                                {"vital": "Ceftriaxone 100MG/ML", "value": "1", "unit": "g"},
                                {"vital": "1OCBLD UR", "value": "2", "unit": "g"},
                                {"vital": "Glucose [Mass/volume] in urine", "value": "50", "unit": "mg/dL"}]
    printed = runtime.grid_rows(Document("t.pdf", "0" * 64, (_page(*lines),)), columns=columns, anchor="vital")
    assert _values(printed)[0]["unit"] == "mm{Hg]"


def test_a_page_whose_only_table_is_printed_the_other_way_round_reads_it():
    """No line prints a header word of the field, and the only drawn grid found is the header
    row's (a scan whose other rules were lost): the measurements under `Date | Height | Weight |
    Blood Pressure` are still read in the vital signs section."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("VITAL SIGNS", 60)),
        ocr(_line("", 100, {20: "Date", 120: "Height", 200: "Weight", 280: "Blood Pressure"})),
        ocr(_line("", 120, {20: "06/18/2017", 120: "177cm", 200: "88 kg", 280: "145/88 mm[Hg]"})),
        ocr(_line("RESULTS", 160)),
    )
    header_only = Grid((15.0, 95.0, 400.0, 112.0), ((GridCell((15.0, 95.0, 400.0, 112.0), page.lines[1].words),),))
    doc = Document("v.pdf", "0" * 64, (replace(page, tables=(header_only,)),))
    found = runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",), headings=("vital signs",))
    assert _values(found) == [{"vital": "Height", "value": "177", "unit": "cm"},
                              {"vital": "Weight", "value": "88", "unit": "kg"},
                              {"vital": "Blood Pressure", "value": "145/88", "unit": "mm[Hg]"}]


def test_rows_wrapped_over_lines_start_where_the_cells_that_never_wrap_are_printed():
    """A scanned medications table (McKesson Paragon) whose rows wrap over two to four lines,
    the gaps between a row's lines as wide as some between rows: the code, start date and status
    print only on each row's first line, so a line printing them starts a row; the dose, which
    wraps (`500` over `MCG`), starts none."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("", 100, {20: "Code", 100: "Medication", 220: "Dose", 300: "Start Date", 420: "Status"})),
        ocr(_line("", 118, {20: "731241", 100: "1 ML darbepoetin", 220: "500", 300: "02/10/2017", 420: "Active"})),
        ocr(_line("", 130, {100: "alfa 0.5 MG/ML", 220: "MCG"})),
        ocr(_line("", 143, {100: "Prefilled Syringe"})),
        ocr(_line("", 155, {100: "[Aranesp]"})),
        ocr(_line("", 171, {20: "209459", 100: "Acetaminophen 500", 220: "500", 300: "02/09/2017", 420: "Active"})),
        ocr(_line("", 183, {100: "MG Oral Tablet", 220: "MG"})),
        ocr(_line("", 196, {20: "309078", 100: "cefpodoxime 200", 220: "200", 300: "02/09/2017", 420: "Active"})),
        ocr(_line("", 208, {100: "MG Oral Tablet", 220: "MG"})),
    )
    (grid,) = text_grids(page, frozenset({"medication"}))
    assert [row[1].text for row in grid.rows[1:]] == [
        "1 ML darbepoetin alfa 0.5 MG/ML Prefilled Syringe [Aranesp]",
        "Acetaminophen 500 MG Oral Tablet",
        "cefpodoxime 200 MG Oral Tablet",
    ]


def test_a_scanned_grid_whose_header_row_lost_its_column_rules_is_read():
    """A scan's grid where the rules between the header cells were lost: the header row is one
    cell spanning the grid (`I Vital Name ll Observation Value`, the rule remnants read as `I`,
    `ll`). Its words each fall in one of the columns the rows below draw, so it is read as a
    header row of those columns; a remnant `l` before a value's number goes."""
    def cell(x0: float, x1: float, top: float, *words: tuple[str, float]) -> GridCell:
        return GridCell((x0, top, x1, top + 12), tuple(Word(t, x, top + 2, x + 6 * len(t), top + 10, 0.9) for t, x in words))

    header = (cell(30, 400, 100, ("I", 31), ("Vital", 50), ("Name", 84), ("ll", 188), ("Observation", 220), ("Value", 290)),
              None)
    rows = [(cell(30, 200, 112 + 12 * i, (n, 40)), cell(200, 400, 112 + 12 * i, *v))
            for i, (n, v) in enumerate((("Height", (("l", 202), ("177", 214), ("cm", 236))),
                                        ("Weight", (("88", 210), ("kg", 226)))))]
    grid = Grid((30, 100, 400, 136), (header, *rows))
    words = tuple(w for r in grid.rows for c in r if c for w in c.words)
    page = replace(Page(1, 600, 800, "ocr", words, group_lines(words)), tables=(grid,))
    found = runtime.grid_rows(Document("s.pdf", "0" * 64, (page,)), columns=VITALS, anchor="vital", required=("value",))
    assert _values(found) == [{"vital": "Height", "value": "177", "unit": "cm"},
                              {"vital": "Weight", "value": "88", "unit": "kg"}]


def test_rows_wrapped_with_two_date_columns_start_at_the_dates():
    """A results table whose every other column wraps somewhere (the value's unit, the range,
    the lab's address), and whose interpretation a row may leave empty: only the test and
    result dates print on a row's first line alone. Two such columns are enough when they
    print only dates, which never wrap; the scan's gaps between rows are no wider than those
    between a row's lines."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("", 100, {20: "Test", 150: "Result", 220: "Flag", 280: "Test Date", 360: "Result Date", 460: "Lab"})),
        ocr(_line("", 118, {20: "Specific gravity of", 150: "1.015", 220: "N", 280: "06/22/2015", 360: "06/22/2015",
                            460: "Value"})),
        ocr(_line("", 128, {20: "Urine by Test strip", 460: "Labs"})),
        ocr(_line("", 138, {460: "Beaverton"})),
        ocr(_line("", 148, {20: "Glucose", 150: "50", 280: "06/22/2015", 360: "06/22/2015", 460: "Value"})),
        ocr(_line("", 158, {20: "in urine", 150: "mg/dL", 460: "Labs"})),
        ocr(_line("", 168, {460: "Beaverton"})),
    )
    (grid,) = text_grids(page, frozenset({"test"}))
    assert [(row[0].text, row[1].text) for row in grid.rows[1:]] == [
        ("Specific gravity of Urine by Test strip", "1.015"), ("Glucose in urine", "50 mg/dL")]


def test_a_time_of_day_under_a_date_continues_the_dates_row():
    """A problems table printing each date over its time of day (`2016-11-01` over `00:00:00`),
    every other column wrapping too, scanned so the gaps between rows are no wider than those
    inside one: the date columns print only on a row's first line but for the times, and the
    times are the dates' own, so rows start at the dates."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("", 100, {20: "Condition", 150: "Details", 300: "Onset Date", 400: "Resolution"})),
        ocr(_line("", 118, {20: "Severe", 150: "Severe hypothyroidism:", 300: "2016-11-01", 400: "2017-06-20"})),
        ocr(_line("", 126, {20: "hypothyroidism", 150: "Status - Episodic", 300: "00:00:00", 400: "15:16:27"})),
        ocr(_line("", 138, {20: "Fever that comes", 150: "Fever that comes and", 300: "2016-11-01", 400: "2017-06-20"})),
        ocr(_line("", 147, {20: "and goes", 150: "goes: Status - Episodic", 300: "00:00:00", 400: "15:15:12"})),
        ocr(_line("", 158, {20: "Overweight", 150: "Overweight: Status -", 300: "2006-12-31", 400: "2016-12-22"})),
        ocr(_line("", 167, {150: "Resolved", 300: "00:00:00", 400: "15:20:25"})),
    )
    (grid,) = text_grids(page, frozenset({"condition"}))
    assert [row[0].text for row in grid.rows[1:]] == ["Severe hypothyroidism", "Fever that comes and goes", "Overweight"]


def test_a_header_printed_again_on_the_next_page_and_read_worse_keeps_its_columns():
    """A scanned table's header repeated at the top of the next page, OCR'd worse there (`tes te
    ut` for `Result`, `Result` for `Result Date`): a header row alike in most cells to the one
    before is the same header, and its columns keep the reading they had."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    cols = {20: "Test", 150: "Result", 280: "Test Date", 380: "Result Date", 480: "Lab"}
    page1 = _page(ocr(_line("RESULTS", 60)), ocr(_line("", 100, cols)),
                  ocr(_line("", 120, {20: "Color of Urine", 150: "YELLOW", 280: "06/22/2015", 380: "06/22/2015", 480: "Value"})))
    worse = {20: "Test", 150: "tes te ut", 280: "Test Date", 380: "Result", 480: "Lab"}
    page2 = replace(_page(ocr(_line("", 40, worse)),
                          ocr(_line("", 60, {20: "Glucose", 150: "50", 280: "06/22/2015", 380: "06/23/2015", 480: "Value"}))),
                    number=2)
    doc = Document("r.pdf", "0" * 64, (page1, page2))
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    assert [(r["test_name"], r["value"]) for r in _values(found)] == [("Color of Urine", "YELLOW"), ("Glucose", "50")]


def test_a_labelled_caption_across_the_columns_heads_a_group_inside_the_table():
    """`PanelName:Urinalysis macro (dipstick) panel` printed across the columns under the header
    (iPatientCare): a labelled caption with rows under it groups them; it ends no table and is
    no row of its own."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    page = _page(
        ocr(_line("RESULTS", 60)),
        ocr(_line("", 100, {20: "Field", 150: "Code", 220: "Result Value", 350: "Date"})),
        ocr(_line("PanelName:Urinalysis macro (dipstick) panel", 120)),
        ocr(_line("", 140, {20: "Protein", 150: "5804-0", 220: "100", 350: "06/22/2015"})),
        ocr(_line("", 160, {20: "Glucose", 150: "5792-7", 220: "50", 350: "06/22/2015"})),
    )
    doc = Document("p.pdf", "0" * 64, (page,))
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    assert [(r["test_name"], r["value"]) for r in _values(found)] == [("Protein", "100"), ("Glucose", "50")]


def test_a_header_and_heading_ocr_misread_letter_for_letter_still_name_the_table():
    """`PROBIEMS` over `Code | Probiem Name | Status`, OCR'd: read with OCR's letter confusions
    folded (i/l, rn/m), the heading still names the section and the header the problem column,
    so the codes beside it are not read as problems. A text layer prints what it means: there
    the same words name nothing."""
    def page(conf: float) -> Page:
        def ocr(words: list[Word]) -> list[Word]:
            return [replace(w, conf=conf) for w in words]

        return _page(
            ocr(_line("PROBIEMS", 60)),
            ocr(_line("", 100, {20: "Code", 120: "Probiem Narne", 300: "Status"})),
            ocr(_line("", 120, {20: "87522002", 120: "Iron deficiency anemia", 300: "Active"})),
            ocr(_line("", 140, {20: "64667001", 120: "Interstitial pneumonia", 300: "Active"})),
        )

    columns = {"problem": {"headers": ("problem", "problem name"), "learned": 1}}
    scanned = runtime.grid_rows(Document("scan.pdf", "0" * 64, (page(0.9),)), columns=columns, anchor="problem",
                                headings=("problems",))
    assert [r["problem"].value for r in scanned.value] == ["Iron deficiency anemia", "Interstitial pneumonia"]
    assert runtime.grid_rows(Document("text.pdf", "0" * 64, (page(1.0),)), columns=columns, anchor="problem",
                             headings=("problems",)) is None


def test_a_section_named_only_in_the_table_of_contents_does_not_hide_the_fields_table():
    """`VITAL SIGNS` is printed in the contents list only; the section itself goes by `VITALS`
    (on a scan: its heading misread, `VITAL Si`). The one table whose header names the field's
    own columns is read; a section holding no such table bounds nothing."""
    page = _page(
        _line("CONTENTS", 40),
        _line("VITAL SIGNS", 60),
        _line("RESULTS", 80),
        _line("VITALS", 120),
        _line("", 150, {20: "Vital", 200: "Value", 320: "Date"}),
        _line("", 170, {20: "Heart Rate", 200: "72 /min", 320: "06/22/2015"}),
        _line("", 190, {20: "Body Weight", 200: "88 kg", 320: "06/22/2015"}),
    )
    doc = Document("vitals.pdf", "0" * 64, (page,))
    found = runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",), headings=("vital signs",))
    assert _values(found) == [{"vital": "Heart Rate", "value": "72", "unit": "/min"},
                              {"vital": "Body Weight", "value": "88", "unit": "kg"}]


def test_an_ocr_d_cell_has_its_borders_and_look_alike_letters_mended():
    """More of what OCR reads for what is printed: a left border as `|` before the text or as
    a `[` closed only by the text's own later bracket, `l` among capitals for I (`cefTRlAXone`),
    `!` for `l` inside a text (`Tyleno! 500mg`; one ending it stays), and a letter for the 1
    opening a dose (`lmg`, `LOOMG/ML`). A text layer keeps what it prints."""
    def ocr(words: list[Word]) -> list[Word]:
        return [replace(w, conf=0.9) for w in words]

    rows = (("|Blood Pressure", "145/88", "mm[Hg]"), ("cefTRlAXone 10 g injection", "1", "g"),
            ("Tyleno! 500mg", "2", "g"), ("Levothyroxine Sodium lmg", "3", "g"),
            ("Ceftriaxone LOOMG/ML", "4", "g"), ("Do not crush!", "5", "g"), ("[pH] of urine", "6", "[pH]"))
    lines = [_line("", 100, {20: "Vital", 200: "Value", 300: "Unit"})]
    lines += [_line("", 120 + 20 * i, {20: n, 200: v, 300: u}) for i, (n, v, u) in enumerate(rows)]
    columns = {**VITALS, "unit": {"headers": ("unit",), "learned": 1}}
    scanned = runtime.grid_rows(Document("s.pdf", "0" * 64, (_page(*map(ocr, lines)),)), columns=columns, anchor="vital")
    assert [r["vital"] for r in _values(scanned)] == [
        "Blood Pressure", "cefTRIAXone 10 g injection", "Tylenol 500mg", "Levothyroxine Sodium 1mg",
        "Ceftriaxone 100MG/ML", "Do not crush!", "[pH] of urine"]
    printed = runtime.grid_rows(Document("t.pdf", "0" * 64, (_page(*lines),)), columns=columns, anchor="vital")
    assert _values(printed)[1]["vital"] == "cefTRlAXone 10 g injection"


def test_a_scanned_list_line_opened_by_a_border_and_its_own_bracket_loses_the_border():
    """`[Blood Pressure 145/88 mm[Hg]` in a vital signs list on a scan: the `[` opening the line
    is the box's left border (the bracket that closes later is the unit's own)."""
    words = [Word(t, x, 120, x + 6 * len(t), 130, 0.9) for t, x in (("[Blood", 20), ("Pressure", 62), ("145/88", 200), ("mm[Hg]", 250))]
    heading = [Word("Vital", 20, 90, 50, 102, 0.9), Word("Signs", 54, 90, 86, 102, 0.9)]
    page = Page(1, 600, 800, "ocr", tuple(heading + words), group_lines(tuple(heading + words)))
    found = runtime.section_rows(Document("s.pdf", "0" * 64, (page,)), headings=("vital signs",),
                                 roles={"vital": "name", "value": "value", "unit": "unit"})
    assert _values(found) == [{"vital": "Blood Pressure", "value": "145/88", "unit": "mm[Hg]"}]


def _ocr_word(text: str, x: float, top: float) -> Word:
    """An OCR'd word: its box is its ink, 7 pt tall and 5 pt a letter."""
    return Word(text, x, top, x + 5 * len(text), top + 7, conf=0.9)


def test_a_scanned_header_of_cells_wrapped_at_different_heights_heads_its_measurements():
    """ioPracticeWare's vital signs, scanned: a header row other way round whose cells wrap over
    one to three lines, each centred in the row; a wrapped first line with a digit (`O2 %`, read
    `02 %`: it names what is measured, it is no measurement); two headers set close (`BODY
    HEIGHT`, `BODY WEIGHT`) and a row of measurements wrapped in two cells (`80` over `/min`)."""
    header = [
        ("02", 100, 90), ("%", 115, 90), ("Inhaled", 160, 90),
        ("Date", 20, 95), ("/", 42, 95), ("Heart", 240, 95), ("BODY", 400, 95), ("BODY", 437, 95), ("Blood", 490, 95),
        ("Time:", 20, 101), ("BldC", 100, 99), ("Oxygen", 160, 99), ("Rate", 240, 101), ("HEIGHT", 400, 101),
        ("WEIGHT", 437, 101), ("Pressure", 490, 101),
        ("Oximetry", 100, 106), ("Concentration", 160, 106),
    ]
    row = [("20171030", 20, 130), ("95", 100, 130), ("%", 112, 130), ("36", 160, 130), ("%", 172, 130),
           ("80", 240, 130), ("177", 400, 130), ("cm", 420, 130), ("145/88", 490, 130),
           ("/min", 240, 139), ("mm[Hg]", 490, 139)]
    words = tuple(_ocr_word(*w) for w in [("VITAL", 20, 60), ("SIGNS", 52, 60), *header, *row, ("GOALS", 20, 180)])
    page = Page(1, 600, 800, "ocr", words, group_lines(words))
    found = runtime.grid_rows(Document("v.pdf", "0" * 64, (page,)), columns=VITALS, anchor="vital",
                              required=("value",), headings=("vital signs",))
    assert _values(found) == [
        {"vital": "O2 % BldC Oximetry", "value": "95", "unit": "%"},  # oxygen's O read as a zero, mended
        {"vital": "Inhaled Oxygen Concentration", "value": "36", "unit": "%"},
        {"vital": "Heart Rate", "value": "80", "unit": "/min"},
        {"vital": "BODY HEIGHT", "value": "177", "unit": "cm"},
        {"vital": "Blood Pressure", "value": "145/88", "unit": "mm[Hg]"},
    ]


def test_a_table_printed_inside_a_column_of_a_borderless_table_is_read():
    """Atos Pulse's results, scanned with their rules lost: each panel's row prints its own table
    of tests (`Test Item | Value | Reference Range`) in the outer table's `Atomic Results`
    column, beside the panel's name."""
    page = _page(
        _line("RESULTS", 60),
        _line("", 80, {20: "Test Description", 150: "Test Time", 260: "Atomic Results", 520: "Comments"}),
        _line("", 100, {20: "Urinalysis panel", 150: "06/22/2015", 260: "Test Item", 380: "Value", 440: "Range"}),
        _line("", 116, {260: "Color of Urine", 380: "YELLOW", 440: "YELLOW"}),
        _line("", 132, {260: "Specific gravity", 380: "1.015", 440: "1.005-1.030"}),
        _line("", 148, {260: "pH of Urine", 380: "5.0 [pH]", 440: "5.0-8.0"}),
    )
    found = _read_tests(page)
    assert _values(found) == [
        {"test": "Color of Urine", "value": "YELLOW", "unit": None},
        {"test": "Specific gravity", "value": "1.015", "unit": None},
        {"test": "pH of Urine", "value": "5.0", "unit": "[pH]"},
    ]


def test_words_one_over_the_other_never_share_a_line():
    """Header cells wrapped and centred at different heights: by their centres alone `BldC`,
    `Time:` beside it and `Oximetry` under `BldC` (taller for its descender) chain into one
    line."""
    bldc, time, oximetry = (Word("BldC", 98, 100, 120, 108, conf=0.9), Word("Time:", 20, 102, 45, 110, conf=0.9),
                            Word("Oximetry", 97, 103, 145, 114, conf=0.9))
    assert [ln.text for ln in group_lines((bldc, time, oximetry))] == ["Time: BldC", "Oximetry"]


def test_a_first_cell_spanning_the_columns_its_row_leaves_empty_keeps_the_row():
    """OpenVista CareVue's results without their rules: the panel's cells on the left span
    `Test Panel Name` and `Date` (`Lab address: 1903 Wright Place CARLSBAD,` runs past where
    `Date` starts) beside a test's own cells; the row is read, not taken for a sentence across
    the table that ends it."""
    page = _page(
        _line("RESULTS", 60),
        _line("", 80, {20: "Test Panel Name", 150: "Date", 250: "Test", 380: "Result"}),
        _line("", 100, {20: "Lab name: GENERAL HOSPITAL", 250: "HEMOGLOBIN", 380: "10.2 g/dL"}),
        _line("", 120, {20: "Lab address: 1903 Wright Place", 250: "PLATELET COUNT", 380: "123 10*3/uL"}),
        _line("", 140, {20: "Urinalysis panel", 150: "2016/12/07"}),
        _line("", 160, {20: "Specimen: URINE", 250: "U COLOR", 380: "YELLOW"}),
        _line("Lab address: 1903 Wright Place CARLSBAD, CALIFORNIA 92008 and the rest of it", 180),
    )
    found = _read_tests(page)
    assert _values(found) == [
        {"test": "HEMOGLOBIN", "value": "10.2", "unit": "g/dL"},
        {"test": "PLATELET COUNT", "value": "123", "unit": "10*3/uL"},
        {"test": "U COLOR", "value": "YELLOW", "unit": None},
    ]


def test_a_results_table_after_a_page_break_stays_in_the_section_past_the_captions_before_it():
    """McKesson's scanned results: the urinalysis table, then at the page's foot its footnotes
    and the next order's captions (`PAULA ALICE RENFRO`, in capitals like the section heading,
    with no rule left to box them in a cell), and the blood count's table on the next page. The
    capitals caption the next table, whose header names the field's columns: the section goes on."""
    header = {20: "Test", 200: "Result", 300: "Units"}
    first = _scanned(
        _line("RESULTS", 60),
        _line("", 100, header),
        _line("", 120, {20: "Glucose Ur", 200: "50", 300: "mg/dL"}),
        _line("", 140, {20: "Protein Ur", 200: "100", 300: "mg/dL"}),
        _line("Performing Lab Footnotes:", 600),
        _line("PAULA ALICE RENFRO", 620),
        _line("Order: COMPLETE BLD CNT W/MAN DIFF", 700),
    )
    second = _scanned(
        _line("", 40, header),
        _line("", 60, {20: "Hgb BldA", 200: "10.2", 300: "g/dL"}),
        _line("", 80, {20: "Platelet Bld", 200: "123", 300: "10*3/uL"}),
        _line("SOCIAL HISTORY", 200),
        _line("", 220, {20: "Observation", 200: "Description"}),
        _line("", 240, {20: "Smoking status", 200: "Never smoker"}),
        number=2,
    )
    found = _read_tests(first, second)
    assert [r["test"].value for r in found.value] == ["Glucose Ur", "Protein Ur", "Hgb BldA", "Platelet Bld"]


def test_a_scanned_footnote_mark_read_as_letters_is_still_a_mark():
    """Half the scanned names start with the raised `1` and most of the others with a letter OCR
    reads it as (`IsPEC GRAV`, `lwBC`): it is a mark, dropped from all of them, and the first
    letters it made OCR read small are capitals again; `pH` stays."""
    names = ("1color Ur", "IsPEC GRAV", "1Glucose Ur", "lketones Ur", "1Hgb BldA", "lwBC Auto", "1pH Ur")
    page = _scanned(_line("RESULTS", 60), _line("", 100, {20: "Test", 200: "Result"}),
                    *(_line("", 120 + 20 * i, {20: n, 200: "5"}) for i, n in enumerate(names)))
    found = _read_tests(page)
    assert [r["test"].value for r in found.value] == ["Color Ur", "SPEC GRAV", "Glucose Ur", "Ketones Ur",
                                                      "Hgb BldA", "WBC Auto", "pH Ur"]


def test_a_scanned_header_row_keeps_its_found_rules_and_the_words_it_wraps():
    """MedConnect's vital signs scanned: only the header row's rules were found, a drawn grid of
    one row; `Blood Pressure` and `Temperatur` sit closer than a cell gap, a rule between them;
    `e` and `Oximetry`, wrapped, print on a line of their own tight under the header, blank
    under `Date`."""
    head = _ocr([Word("Date", 20, 100, 44, 108), Word("Height", 95, 100, 131, 108), Word("Blood", 150, 100, 180, 108),
                Word("Pressure", 183, 100, 231, 108), Word("Temperatur", 236, 100, 296, 108),
                Word("Pulse", 310, 100, 340, 108)])
    wrapped = _ocr([Word("e", 262, 109, 268, 116), Word("Oximetry", 310, 109, 358, 118)])
    values = _ocr(_line("", 130, {20: "06/15/2017", 95: "177 cm", 150: "145/88 mm[Hg]", 236: "38 Cel", 310: "95 %"}))
    words = tuple(_ocr(_line("VITAL SIGNS", 60)) + head + wrapped + values + _ocr(_line("RESULTS", 200)))
    rules = (90.0, 147.0, 234.0, 305.0, 365.0)
    row = tuple(GridCell((a, 97.0, b, 119.0), ()) for a, b in zip(rules, rules[1:]))
    page = Page(1, 600, 800, "ocr", words, group_lines(words), (Grid((90.0, 97.0, 365.0, 119.0), (row,)),))
    found = runtime.grid_rows(Document("v.pdf", "0" * 64, (page,)), columns=VITALS, anchor="vital",
                              required=("value",), headings=("vital signs",))
    assert _values(found) == [{"vital": "Height", "value": "177", "unit": "cm"},
                              {"vital": "Blood Pressure", "value": "145/88", "unit": "mm[Hg]"},
                              {"vital": "Temperatur e", "value": "38", "unit": "Cel"},
                              {"vital": "Pulse Oximetry", "value": "95", "unit": "%"}]


def test_a_scanned_name_list_without_a_header_has_its_cells_mended():
    """FollowMyHealth's medications, scanned: a grid of names without a header row inside the
    section (each row's first cell names it) is read with the repairs of any OCR'd cell
    (`Ceftriaxone 1OOMG/ML`, `Tyleno! 500mg`, `Levothyroxine Sodium lmg`); a header's cells would
    have had them."""
    rows = (("Ceftriaxone 1OOMG/ML", "Two Times Daily"), ("Tyleno! 500mg", "As needed"),
            ("Levothyroxine Sodium lmg", "Daily"))
    cells, words = [], _line("MEDICATIONS", 60)
    for i, (name, how) in enumerate(rows):
        line = [replace(w, conf=0.9) for w in _line("", 100 + 20 * i, {20: name, 220: how})]
        words += line
        top = 98.0 + 20 * i
        cells.append((GridCell((15.0, top, 215.0, top + 18), tuple(w for w in line if w.x0 < 215)),
                      GridCell((215.0, top, 400.0, top + 18), tuple(w for w in line if w.x0 >= 215))))
    grid = Grid((15.0, 98.0, 400.0, 158.0), tuple(cells))
    page = Page(1, 600, 800, "ocr", tuple(words), group_lines(tuple(words)), (grid,))
    found = runtime.grid_rows(Document("m.pdf", "0" * 64, (page,)), columns=MEDS, anchor="medication",
                              headings=("medications",))
    assert [r["medication"].value for r in found.value] == ["Ceftriaxone 100MG/ML", "Tylenol 500mg",
                                                            "Levothyroxine Sodium 1mg"]


def test_a_table_whose_header_line_opens_with_another_tables_cells_is_read():
    """Atos Pulse's second panel, scanned: its tests' header prints on the line of the outer
    row's time (`17:15:13 | Test Item | Value`), after a gap that ended the outer table; the
    header is read from where it starts, the tests right of it."""
    page = _page(
        _line("RESULTS", 60),
        _line("", 80, {20: "CBC", 150: "2015-06-22"}),
        _line("", 100, {150: "17:15:13", 260: "Test Item", 380: "Value", 470: "Range"}),
        _line("", 116, {260: "HGB", 380: "10.2 g/dL", 470: "12-16"}),
        _line("", 132, {260: "Platelets", 380: "123 10*3/uL", 470: "150-400"}),
    )
    found = _read_tests(page)
    assert _values(found) == [{"test": "HGB", "value": "10.2", "unit": "g/dL"},
                              {"test": "Platelets", "value": "123", "unit": "10*3/uL"}]


def test_a_panels_name_over_its_labelled_caption_heads_a_group_inside_the_table():
    """Freedom Medical's results without borders: the panel's name runs across the columns
    (`Urinalysis Non-auto W/o Scope`) over its labelled codes (`LOINC: 24357-6, CPT-4: 81002`);
    both caption the rows under them and end nothing."""
    page = _page(
        _line("RESULTS", 60),
        _line("", 80, {20: "Name", 150: "Value", 250: "Range"}),
        _line("Urinalysis Non-auto Without Scope panel", 100),
        _line("LOINC: 24357-6, CPT: 81002", 116),
        _line("", 132, {20: "Color", 150: "Yellow", 250: "Yellow"}),
        _line("", 148, {20: "Specific Gravity", 150: "1.015", 250: "1.005-1.030"}),
    )
    found = _read_tests(page)
    assert [(r["test"].value, r["value"].value) for r in found.value] == [("Color", "Yellow"),
                                                                         ("Specific Gravity", "1.015")]


def test_a_header_wrapped_inside_a_word_is_one_column():
    """FollowMyHealth's results scanned: `Relevant Referenc` over `e Range`, the second line's
    cell starting a character right of where the first ends. Read as two columns, the range
    `N/A - 500,000` would lie across their edge and end the table after its first row."""
    head = _line("", 100, {20: "Test", 120: "Result", 200: "Relevant Referenc", 330: "Date"})
    wrapped = _line("", 111, {120: "Value", 302: "e Range"})
    rows = [_line("", 130, {20: "HGB", 120: "10.2", 330: "06/22/2015"}),
            _line("", 145, {20: "WBC", 120: "12.3", 240: "N/A - 500,000", 330: "06/22/2015"}),
            _line("", 160, {20: "PLT", 120: "123", 330: "06/22/2015"})]
    page = _scanned(_line("RESULTS", 60), head, wrapped, *rows)
    found = _read_tests(page)
    assert [r["test"].value for r in found.value] == ["HGB", "WBC", "PLT"]


def test_a_scanned_header_of_a_table_printed_the_other_way_round_may_hold_o2():
    # ATG's vital signs on a scan (borders lost): `Date | ... | O2 ... | FiO2 | ...` over dated rows;
    # a header word opening with a letter may hold a digit, a row's numbers still head nothing
    doc = ingest(FIX / "atg_vitals_scan_p3.pdf", profile="clean_hires", cache_dir=None)
    assert all(p.source == "ocr" for p in doc.pages)
    found = runtime.grid_rows(doc, columns={
        "vital": {"headers": ("vital", "vital sign"), "learned": 0, "part": "all"},
        "value": {"headers": ("value", "result"), "learned": 0, "part": "num"},
        "unit": {"headers": ("unit",), "learned": 0, "within": ("value", "rest")},
    }, anchor="vital", required=("value",), headings=("vital signs",))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"vital": "Body Temperature", "value": "38", "unit": "Cel"} in rows
    assert {"vital": "FiO2", "value": "36", "unit": "%"} in rows
    assert {"vital": "BMI", "value": "28.1", "unit": "kg/m2"} in rows
    assert all(not any(ch.isdigit() for ch in r["vital"][:1]) for r in rows)  # no date or number names a row
