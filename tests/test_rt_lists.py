"""Name lists (medications, problems) on real dev-set pages: grids without a header row, grids
whose caption row prints the section heading, generic `Description` headers, group titles, and
section headings that hold the list's name among other words."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors import runtime
from extractors._rt_rows import distinct_rows, names_section, row_name
from extractors._rt_values import Found
from pipeline.document import Document, Grid, GridCell, Line, Page, Word, group_lines
from pipeline.ingest.core import ingest

FIX = Path(__file__).parent / "fixtures" / "ccda"
MEDS = {"medication": {"headers": ("medication", "drug"), "learned": 0}}
PROBLEMS = {"problem": {"headers": ("problem", "diagnosis", "condition"), "learned": 0}}


def _names(found: Found | None, col: str) -> list[str] | None:
    return None if found is None else [r[col].value for r in found.value]


def _doc(name: str) -> Document:
    return ingest(FIX / name, cache_dir=None)


def test_a_headerless_medication_grid_is_read_by_its_name_column():
    """Allscripts TouchWorks prints each medication in a ruled row with no header row: the name
    wraps onto capitalised lines (`Injection Solution Prefilled Syringe`), then the instructions
    (`INJECT 1 ML Weekly`, `Take three times a day ...`) and labelled details (`Quantity: 4`)
    follow in the same cell, the prescriber and dates in the next cells."""
    found = runtime.grid_rows(_doc("touchworks_p3.pdf"), columns=MEDS, anchor="medication", headings=("medications",))
    assert _names(found, "medication") == [
        "Aranesp (Albumin Free) 500 MCG/ML Injection Solution Prefilled Syringe", "Clindamycin HCl - 300 MG Oral Capsule",
        "Levothyroxine Sodium 25 MCG Oral Tablet", "Liothyronine Sodium 50 MCG Oral Tablet"]


def test_a_grid_printing_the_heading_in_a_caption_row_holds_the_sections_table():
    """MEDITECH MAGIC draws one grid for the page: `MEDICATIONS` in a caption row, then the
    `Medication | Status | Dose ...` header and the rows."""
    found = runtime.grid_rows(_doc("meditech_magic_p2.pdf"), columns=MEDS, anchor="medication", headings=("medications",))
    names = _names(found, "medication")
    assert names[:2] == ["Acetaminophen (***ACETAMINOPHEN 500 MG TABLET) 500 MG TABLET",
                         "Cefpodoxime Proxetil (***VANTIN 200 MG TABLET) 200 MG TABLET"]
    assert len(names) == 13


def test_a_description_column_names_the_rows_inside_the_fields_own_section():
    """MEDHOST prints problems under `Code | Description/Comments | Status | Date`: no problem
    header, but inside the problems section the description column names the rows."""
    found = runtime.grid_rows(_doc("medhost_p2.pdf"), columns=PROBLEMS, anchor="problem", headings=("problems",))
    assert _names(found, "problem")[:3] == ["Essential hypertension", "Severe hypothyroidism",
                                             "Chronic rejection of renal transplant"]
    assert len(found.value) == 7


def test_status_group_titles_are_no_items():
    """ioPracticeWare lists problems under `Active Concerns` and `Resolved Concerns`."""
    found = runtime.section_rows(_doc("iopracticeware_p3.pdf"), headings=("problems",), roles={"problem": "name"}, cut=r"\(")
    assert _names(found, "problem") == ["Chronic rejection of renal transplant", "Severe hypothyroidism",
                                        "Essential hypertension", "Fever", "Overweight"]


def _line(text: str, top: float, height: float = 10.0) -> Line:
    words, x = [], 40.0
    for token in text.split():
        words.append(Word(token, x, top, x + 5 * len(token), top + height))
        x += 5 * len(token) + 3
    return group_lines(words)[0]


def test_a_heading_holding_the_lists_name_among_other_words():
    heads = frozenset({"problems"})
    assert names_section(_line("MED PROBLEMS", 0), heads)
    assert names_section(_line("Problem List", 0), heads)
    assert not names_section(_line("MEDICAL EQUIPMENT", 0), frozenset({"medications"}))
    assert not names_section(_line("MED PROBLEMS", 0), frozenset({"medications"}))
    assert names_section(_line("DISCHARGE DIAGNOSES", 0), frozenset({"diagnosis"}))
    # a list under such a heading is read; a `No known problems` line opens nothing
    words: list[Word] = []
    for top, text, h in ((40, "MED PROBLEMS", 14.0), (60, "Asthma", 10.0), (74, "Gout", 10.0),
                         (94, "No known medications", 14.0), (114, "IMMUNIZATIONS", 14.0), (134, "Influenza", 10.0)):
        words += _line(text, top, h).words
    doc = Document("mem", "0" * 64, (Page(1, 612, 792, "text-layer", tuple(words), group_lines(words)),))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"})
    assert _names(found, "problem") == ["Asthma", "Gout"]


def test_a_row_repeating_an_earlier_one_is_listed_once():
    rows = [{"medication": Found(v, 1, (0, 0, 1, 1), v, 1.0)} for v in ("Torsemide 20 MG", "Zortress", "TORSEMIDE 20 mg")]
    kept, boxes = distinct_rows(rows, [(0, 0, 1, 1)] * 3)
    assert [r["medication"].value for r in kept] == ["Torsemide 20 MG", "Zortress"] and len(boxes) == 2


def _cell(x0: float, top: float, text: str, width: float = 140.0, height: float = 10.0) -> GridCell:
    words = _line(text, top + 2, height).words if text else ()
    words = tuple(Word(w.text, w.x0 - 40 + x0 + 2, w.top, w.x1 - 40 + x0 + 2, w.bottom) for w in words)
    return GridCell((x0, top, x0 + width, top + height + 4), words)


def test_a_caption_row_of_a_page_wide_grid_opens_and_ends_the_sections_table():
    """One grid for the page (as MEDITECH and EDARIS print it): `MEDICATIONS` in a caption row
    spanning the grid, the table's header and rows in the columns right of a layout column, then
    `PROCEDURES` in the next caption row: its block is no medication."""
    rows, top = [], 40.0
    for kind, texts in (("cap", "MEDICATIONS"), ("row", ["", "Medication", "Status"]), ("row", ["", "Aspirin 81 MG", "Active"]),
                        ("row", ["", "Torsemide 20 MG", "Active"]), ("cap", "PROCEDURES Nebulizer therapy 2016-12-22"),
                        ("cap", "IMMUNIZATIONS")):
        if kind == "cap":
            rows.append((_cell(40, top, texts, width=450, height=14.0 if texts.isupper() else 10.0), None, None))
        else:
            rows.append(tuple(_cell(40 + 150 * j, top, t) for j, t in enumerate(texts)))
        top += 20
    words = tuple(w for r in rows for c in r if c is not None for w in c.words)
    page = Page(1, 612, 792, "text-layer", words, group_lines(words), (Grid((40, 40, 490, top), tuple(rows)),))
    found = runtime.grid_rows(Document("mem", "0" * 64, (page,)), columns=MEDS, anchor="medication",
                              headings=("medications",))
    assert _names(found, "medication") == ["Aspirin 81 MG", "Torsemide 20 MG"]


def test_a_list_item_wraps_onto_a_capitalised_line_set_tighter_than_the_items():
    """FollowMyHealth prints `Darbepoetin Alfa 0.5 MG/ML Injectable` / `Solution 1 unit(s) ...`:
    the second line sits far closer under the item than the items sit under each other."""
    words: list[Word] = []
    for top, text, h in ((40, "MEDICATIONS", 14.0), (70, "Aspirin 81 MG Oral Tablet", 10.0),
                         (100, "Darbepoetin Alfa 0.5 MG/ML Injectable", 10.0), (112, "Solution 1 unit(s) once a week", 10.0),
                         (142, "Torsemide 20 MG Oral Tablet", 10.0), (172, "PROCEDURES", 14.0)):
        words += _line(text, top, h).words
    doc = Document("mem", "0" * 64, (Page(1, 612, 792, "text-layer", tuple(words), group_lines(words)),))
    found = runtime.section_rows(doc, headings=("medications",), roles={"medication": "name"})
    assert _names(found, "medication") == ["Aspirin 81 MG Oral Tablet", "Darbepoetin Alfa 0.5 MG/ML Injectable Solution",
                                           "Torsemide 20 MG Oral Tablet"]


def test_a_date_printed_after_a_name_is_no_part_of_it():
    assert row_name("Essential hypertension 2011-10-05") == "Essential hypertension"
    assert row_name("Overweight 2006-12-31 - 2007-06-01") == "Overweight"
    assert row_name("Fever (finding) -20171030") == "Fever (finding)"
    assert row_name("Asthma 6/22/2015") == "Asthma"
    assert row_name("Vitamin D3 1000 unit") == "Vitamin D3 1000 unit"  # a strength is no date


def test_on_a_scan_an_item_with_brackets_and_descenders_is_no_heading():
    """An OCR word's box is its ink: `hypertension` and `(Disorder)` stand taller than
    `Problem #1`, which made every item read as a larger-type heading and the list empty. The
    type size is read on the words without descenders or brackets, and a line with nothing else
    (`Overweight (finding)`) is no heading by its size. A bullet OCR reads as a letter (`e`) is
    no part of the item, whatever the letter after it (`lron`, the OCR of `Iron`, which is read
    as `Iron`)."""
    def line(top: float, *cells: tuple[str, float], x: float = 20.0) -> list[Word]:
        out = []
        for text, height in cells:
            width = 4.0 if len(text) == 1 else 6 * len(text)
            out.append(Word(text, x, top, x + width, top + height, 0.9))
            x += width + 4
        return out

    words = [*line(40, ("PROBLEMS", 8.0)),
             *line(70, ("Problem", 7.5), ("#1", 7.5)),
             *line(82, ("Essential", 7.5), ("hypertension", 10.5), ("(Disorder)", 10.6)),
             *line(100, ("Problem", 7.5), ("#2", 7.5)),
             *line(112, ("e", 4.0), ("Severe", 7.5), ("Hypothyroidism", 10.5), ("(Disorder)", 10.6), x=12.0),
             *line(130, ("Problem", 7.5), ("#3", 7.5)),
             *line(142, ("e", 4.0), ("lron", 7.5), ("deficiency", 10.5), ("anemia", 7.5), x=12.0),
             *line(160, ("Problem", 7.5), ("#4", 7.5)),
             *line(172, ("Overweight", 10.4), ("(finding)", 10.6)),
             *line(200, ("ENCOUNTERS", 8.0))]
    page = Page(1, 600, 800, "ocr", tuple(words), group_lines(words))
    doc = Document("scan.pdf", "0" * 64, (page,))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut="\\(")
    assert _names(found, "problem") == ["Essential hypertension", "Severe Hypothyroidism", "Iron deficiency anemia",
                                         "Overweight"]


@pytest.mark.parametrize("date", ["22-jul-2015", "22-Jul-2015"])  # a capital J reaches under the line too
def test_on_a_scan_a_heading_followed_by_tall_inked_lines_still_ends_the_list(date):
    """`Vital Signs` after the results list, on a scan: the lines under it (`22-jul-2015`,
    `mm{[Hg]`) stand as tall as the heading in ink alone (a descender, brackets), which made the
    heading look no larger than its own rows. Lines whose height is ink say nothing of the type
    size, so the heading ends the results list and the measurements are no results."""
    def line(top: float, *cells: tuple[str, float], x: float = 20.0) -> list[Word]:
        out = []
        for text, height in cells:
            out.append(Word(text, x, top, x + 6 * len(text), top + height, 0.9))
            x += 6 * len(text) + 4
        return out

    words = [*line(36, ("Results", 8.3)),
             *line(50, ("Urine", 8.3), ("glucose", 10.1), ("50", 8.3), ("mg/dL", 10.0)),
             *line(94, ("Vital", 9.7), ("Signs", 12.2)),
             *line(120, (date, 10.1)),
             *line(140, ("BP", 7.9), ("Systolic", 10.1), ("145", 8.3)),
             *line(153, ("mm{[Hg]", 10.4)),
             *line(173, ("BP", 7.9), ("Diastolic", 8.3), ("88", 8.3)),
             *line(186, ("mm[Hg]", 10.4))]
    page = Page(1, 600, 800, "ocr", tuple(words), group_lines(words))
    doc = Document("scan.pdf", "0" * 64, (page,))
    found = runtime.section_rows(doc, headings=("results",), roles={"test_name": "name", "value": "value", "unit": "unit"})
    assert _names(found, "test_name") == ["Urine glucose"]


def test_on_a_scan_a_list_line_has_its_brackets_mended():
    """A vital signs list on a scan (`BP Systolic 145` over its unit): OCR reads the unit's
    bracket as a brace (`mm{[Hg]`) and a box's left border as `[` (`[Heart Rate`). Mended as a
    scanned table cell is, the unit reads as the row's unit and the name loses the border."""
    def line(top: float, *texts: str, x: float = 20.0) -> list[Word]:
        out = []
        for text in texts:
            out.append(Word(text, x, top, x + 6 * len(text), top + 8.0, 0.9))
            x += 6 * len(text) + 4
        return out

    words = [*line(36, "VITAL", "SIGNS"),
             *line(60, "BP", "Systolic", "145"),
             *line(72, "mm{[Hg]"),
             *line(90, "[Heart", "Rate", "80"),
             *line(102, "/min"),
             *line(130, "RESULTS")]
    page = Page(1, 600, 800, "ocr", tuple(words), group_lines(words))
    doc = Document("scan.pdf", "0" * 64, (page,))
    found = runtime.section_rows(doc, headings=("vital signs",), roles={"vital": "name", "value": "value", "unit": "unit"})
    assert [(r["vital"].value, r["value"].value, r["unit"].value if r["unit"] else None) for r in found.value] == [
        ("BP Systolic", "145", "mm[Hg]"), ("Heart Rate", "80", "/min")]
