"""Results tables on real vendor pages (dev-set renderings cut to the pages that hold them,
see tests/fixtures/ccda/README.md): read with the lexicon's headers (and the one header the dev
set's compile layouts teach, `Result Type`), as an unseen layout is."""
from __future__ import annotations

from pathlib import Path

import pytest

from extractors import runtime
from pipeline.ingest.core import ingest

FIX = Path(__file__).parent / "fixtures" / "ccda"
RESULTS = {
    "test_name": {"headers": ("result type", "test", "test name", "component", "analyte"), "learned": 1, "part": "all"},
    "value": {"headers": ("result", "value", "result value"), "learned": 0, "part": "num"},
    "unit": {"headers": ("unit", "units"), "learned": 0, "within": ("value", "rest")},
}


def _results(name: str) -> list[dict[str, str | None]]:
    doc = ingest(FIX / name, cache_dir=None)
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    assert found is not None
    return [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]


@pytest.mark.parametrize("name, first_continued", [
    # the page-2 grid is continued by the second grid of page 3 (the first is the page's frame)
    ("medhost_results_p2-3.pdf", {"test_name": "Erythrocytes [Presence] in Urine sediment by Light microscopy",
                                  "value": "NEGATIVE", "unit": None}),
    # the page-3 grid draws empty margin columns: its columns are found under the header's
    ("yourcareuniverse_results_p2-3.pdf", {"test_name": "Basophils [#/volume] in Blood", "value": "0.3",
                                           "unit": "x10*3/uL"}),
])
def test_a_results_table_continues_on_the_next_page_without_its_header(name, first_continued):
    rows = _results(name)
    assert first_continued in rows
    assert {"test_name": "Hemoglobin [Mass/volume] in Arterial blood", "value": "10.2", "unit": "g/dl"} in rows
    assert all(r["test_name"] not in ("TEST", "LOINC") for r in rows)  # repeated header rows are no rows


def test_a_header_qualified_in_brackets_still_names_its_column():
    rows = _results("bizmatics_results_p2.pdf")  # `LOINC Code | Test(Normal Range) | Interpretation | Result`
    assert rows[:2] == [{"test_name": "Color of Urine", "value": "YELLOW", "unit": None},
                        {"test_name": "Appearance of Urine", "value": "CLEAR", "unit": None}]
    assert {"test_name": "pH of Urine by Test strip", "value": "5", "unit": "[pH]"} in rows


VITALS = {
    "vital": {"headers": ("vital", "vital sign", "vital signs", "measurement"), "learned": 0, "part": "all"},
    "value": {"headers": ("value", "result", "result value"), "learned": 0, "part": "num"},
    "unit": {"headers": ("unit", "units"), "learned": 0, "within": ("value", "rest")},
}


def _vitals(name: str) -> list[dict[str, str | None]]:
    doc = ingest(FIX / name, cache_dir=None)
    found = runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",), headings=("vital signs",))
    return [{c: (v.value if v else None) for c, v in r.items()} for r in (found.value if found else [])]


def test_inside_its_section_a_header_no_lexicon_names_is_placed_by_what_its_columns_print():
    # `Observation | LOINC Code | Date | Result Value | Result Unit`: the name column is the one of words
    rows = _vitals("ipatientcare_vitals_p4.pdf")
    assert rows[0] == {"vital": "Body Temperature", "value": "38", "unit": "Cel"}
    assert {"vital": "BP Systolic", "value": "145", "unit": "mm[Hg]"} in rows and len(rows) == 10
    # `Item | Measurement | Date`: `Measurement` heads the measured values, not the names
    rows = _vitals("ehealthpartners_vitals_p3.pdf")
    assert {"vital": "Respiratory Rate", "value": "18", "unit": "/min"} in rows
    assert {"vital": "Height", "value": "177", "unit": "cm"} in rows


def test_a_box_around_several_sections_is_never_read_by_its_contents():
    # page 3 draws a frame holding the vitals' last rows and the results table under `RESULTS`
    rows = _vitals("chartlogic_p2-3.pdf")
    assert not any("Urine" in (r["vital"] or "") for r in rows)


def test_a_compound_unit_printed_in_brackets_is_the_rows_unit():
    # `WBC 12.3 (10*3/uL) N/A - 500,000 06/22/2015`: a results list without drawn grid
    doc = ingest(FIX / "followmyhealth_marshall_p3.pdf", cache_dir=None)
    found = runtime.section_rows(doc, headings=("results",), roles={"test_name": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"test_name": "WBC", "value": "12.3", "unit": "(10*3/uL)"} in rows
    assert {"test_name": "Color of Urine", "value": "YELLOW", "unit": None} in rows  # a flag is no unit


def test_a_section_heading_printed_inside_a_page_frame_opens_the_table_under_it():
    # page 3: a frame drawn from the page top holds `RESULTS` and, under it, the results grid
    rows = _results("chartlogic_p2-3.pdf")
    assert {"test_name": "Color of Urine", "value": "YELLOW", "unit": None} in rows
    assert {"test_name": "Glucose [Mass/volume] in urine by test strip", "value": "50", "unit": "mg/dl"} in rows


def test_a_grids_own_caption_in_capitals_does_not_end_the_section():
    # `URINALYSIS, AUTO W/SCOPE` captions the third results grid, printed like the `RESULTS` heading
    rows = _results("successehs_results_p5.pdf")
    assert {"test_name": "Specific gravity", "value": "1.015", "unit": None} in rows
    assert {"test_name": "Glucose", "value": "50", "unit": "mg/dL"} in rows


def test_a_footnote_mark_raised_against_every_name_is_dropped():
    # `1Color Ur`, `1SPEC GRAV`: a raised `1` beside each test name reaches the text layer glued to it
    rows = _results("mckesson_results_p4.pdf")
    assert {"test_name": "Color Ur", "value": "YELLOW", "unit": None} in rows
    assert {"test_name": "Glucose Ur Strip-mCnc", "value": "50", "unit": "mg/dL"} in rows
    assert not any(r["test_name"][0].isdigit() for r in rows)


def test_a_table_without_the_fields_required_column_is_not_read():
    # `Test Name | Date ordered` under the plan of treatment lists orders: no result value column
    doc = ingest(FIX / "meditech_orders_p6.pdf", cache_dir=None)
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    assert found is None or not any("URINE" in r["test_name"].value for r in found.value)


def test_a_footnote_mark_on_a_scan_goes_though_ocr_reads_it_differently(tmp_path):
    """The McKesson page scanned: the raised `1` comes back glued (`1SPEC GRAV`), spaced
    (`1 Prot`) or as a letter (`lappearance`). Most names start with it, so it is a mark: the
    digit goes from those, and the letter OCR reads it as from the rest; the first letter it
    made OCR read small is a capital again."""
    from eval.devset.scans import scan_pdf

    scan = tmp_path / "mckesson.pdf"
    scan_pdf(FIX / "mckesson_results_p4.pdf", scan, "mckesson", damage="light")
    doc = ingest(scan, cache_dir=None, profile="clean")
    found = runtime.grid_rows(doc, columns=RESULTS, anchor="test_name", required=("value",), headings=("results",))
    names = [r["test_name"].value for r in found.value]
    assert "SPEC GRAV" in names and "Appearance Ur" in names
    assert sum(1 for n in names if n[:1] in "1lI") <= 1, names


def test_the_caption_nearest_a_generic_header_says_whose_list_it_is():
    # one frame holds `IMMUNIZATIONS ...`, then `RESULTS`, then `Description | Code | ... | Result`:
    # the nearer caption names the results section, so `Description` is the test's column
    rows = _results("intellichart_results_p3.pdf")
    assert {"test_name": "HGB", "value": "10.2", "unit": "g/dL"} in rows
    assert {"test_name": "Color of Urine", "value": "YELLOW", "unit": None} in rows


def test_a_panel_rows_code_spread_over_the_columns_is_no_result():
    # `CBC | 58410-2` with the code's cell spanning `Code System | Date | Result | ...`
    rows = _results("intellichart_results_p3.pdf")
    assert not any(r["test_name"] in ("CBC", "Urinalysis (procedure)") for r in rows)
    assert all(r["value"] != "58410-2" for r in rows)


def test_a_number_inside_an_address_line_is_no_measurement():
    # `Laboratory: Value Labs 2474 Rocky / Place Beaverton, Oregon 97006 tel:+1-` under the panel's
    # name: the ZIP code is followed by text that is no unit, so the line is no result row
    doc = ingest(FIX / "followmyhealth_newman_results_p5.pdf", cache_dir=None)
    found = runtime.section_rows(doc, headings=("results",), roles={"test_name": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"test_name": "Urine Glucose", "value": "50", "unit": "mg/dL"} in rows
    assert {"test_name": "Urine pH", "value": "5.0", "unit": "[pH]"} in rows
    assert all(r["value"] != "97006" for r in rows)


def test_a_named_list_under_captions_of_its_own_places_its_value_column_by_content():
    # `LAB RESULTS` / `LABORATORY INFORMATION` / `Chemistries and drug levels` over
    # `Group | Component | Quantity | Performed`: no lexicon names `Quantity`, the values place it;
    # a unit printed on its own line under the name (`... by Test strip` / `mg/dL`) is the unit
    rows = _results("navigating_cancer_results_p4.pdf")
    assert {"test_name": "Color of Urine", "value": "YELLOW", "unit": None} in rows
    assert {"test_name": "Glucose [Mass/volume] in Urine by Test strip", "value": "50", "unit": "mg/dL"} in rows
    assert {"test_name": "Specific gravity of Urine by Test strip", "value": "1.015", "unit": None} in rows


MEDFUSION_URINALYSIS = [
    {"test_name": "Color of Urine", "value": "YELLOW", "unit": None},
    {"test_name": "Appearance of Urine", "value": "CLEAR", "unit": None},
    {"test_name": "Specific gravity of Urine by Test strip", "value": "1.015", "unit": None},
    {"test_name": "pH of Urine by Test strip", "value": "5.0", "unit": "[pH]"},
    {"test_name": "Glucose [Mass/volume] in urine by test strip", "value": "50", "unit": "mg/dL"},
    {"test_name": "Ketones [Mass/Volume] in urine by test strip", "value": "Negative", "unit": None},
    {"test_name": "Protein[Mass/Volume] in urine by test strip", "value": "100", "unit": "mg/dL"},
]


def test_a_names_column_drawn_without_rules_between_its_rows_is_read_row_by_row():
    # Medfusion draws `Result | Type` as two header cells over one names cell that runs down all
    # seven rows (the other columns are ruled into rows): the header is `Result Type`, and each
    # line of the names cell belongs to the row beside it; `Test Date` is no test column
    assert _results("medfusion_newman.pdf") == MEDFUSION_URINALYSIS


def test_in_a_frame_around_several_sections_the_fields_own_caption_starts_its_table():
    # one frame holds the medical devices' rows, then `RESULTS`, then the results header
    assert _results("medfusion_v11_results_p3.pdf") == MEDFUSION_URINALYSIS


def test_in_a_frame_around_several_sections_the_next_sections_caption_ends_the_table():
    # `MEDICATIONS` ... then `PROBLEMS` in the same frame and style: the problems are no medications
    doc = ingest(FIX / "medfusion_newman.pdf", cache_dir=None)
    found = runtime.grid_rows(doc, columns={"medication": {"headers": ("medication", "drug"), "learned": 0, "part": "all"}},
                              anchor="medication", headings=("medications",))
    assert [r["medication"].value for r in found.value] == [
        "Ceftriaxone 100 MG/ML Injectable Solution", "Tylenol 500 MG Oral Tablet", "Aranesp 0.5 MG/ML"]


@pytest.mark.parametrize("header, named", [("Test Date", False), ("Test Name", True), ("Test", True),
                                           ("Date of Test", True), ("Result Time", False)])
def test_a_header_ending_in_date_or_time_heads_no_name_column(header, named):
    from extractors._rt_grid import _header_score

    assert bool(_header_score(header, ("test", "result"), 0)) is named


def test_a_row_stamped_with_its_date_still_splits_name_value_and_unit():
    # `22-Jun-2015 15:00 Platelet Count 123 10*3/ul` in one cell: the date and time open the row
    doc = ingest(FIX / "followmyhealth_larson_results_p7.pdf", cache_dir=None)
    found = runtime.section_rows(doc, headings=("results",), roles={"test_name": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"test_name": "Platelet Count", "value": "123", "unit": "10*3/ul"} in rows
    assert {"test_name": "Hemoglobin A, Serum", "value": "10.2", "unit": "g/dL"} in rows


def _listed_results(name: str) -> list[dict[str, str | None]]:
    doc = ingest(FIX / name, cache_dir=None)
    found = runtime.section_rows(doc, headings=("results",), roles={"test_name": "name", "value": "value", "unit": "unit"})
    return [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]


def test_a_qualitative_result_printed_after_its_name_in_one_cell_is_read():
    # `Urine Appearance CLEAR`, `Ketones Negative`: no value column lines up, the answer ends the cell
    rows = _listed_results("followmyhealth_larson_results_p7.pdf")
    assert {"test_name": "Urine Appearance", "value": "CLEAR", "unit": None} in rows
    assert {"test_name": "Color", "value": "YELLOW", "unit": None} in rows
    assert {"test_name": "Ketones", "value": "Negative", "unit": None} in rows
    # `UA - KETONES negative (Normal)`: the interpretation flag after it is no part of it
    rows = _listed_results("allscripts_professional_p5-6.pdf")
    assert {"test_name": "UA - KETONES", "value": "negative", "unit": None} in rows
    assert {"test_name": "UA - APPEARANCE", "value": "clear", "unit": None} in rows
    assert {"test_name": "UA - GLUCOSE", "value": "50", "unit": "mg/dL"} in rows


@pytest.mark.parametrize("text", ["Lungs are not clear", "Result: Negative", "Negative"])
def test_a_sentence_or_a_labelled_line_ending_in_an_answer_is_no_row(text):
    from extractors._rt_rows import _value_row
    from pipeline.document import Line, Word

    words, x = [], 40.0
    for t in text.split():  # one cell: words a space apart, as measured on a text layer
        words.append(Word(t, x, 100.0, x + 6.0 * len(t), 110.0))
        x += 6.0 * len(t) + 3.0
    assert _value_row(Line(tuple(words)), 1, {"test_name": "name", "value": "value", "unit": "unit"}, "") is None


def test_a_table_printed_the_other_way_round_inside_a_frame_of_sections_is_read():
    # one frame holds `MEDICATIONS ...`, `MED PROBLEMS ...`, then `VITAL SIGNS` with `date | Blood
    # Pressure | Heart Rate | ...` over dated rows; units spelled out with their code, `per minute(/min)`
    doc = ingest(FIX / "afoundria_p2-3.pdf", cache_dir=None)
    found = runtime.grid_rows(doc, columns=VITALS, anchor="vital", required=("value",), headings=("vital signs",))
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"vital": "Heart Rate", "value": "80", "unit": "per minute(/min)"} in rows
    assert {"vital": "Temp", "value": "38", "unit": "celsius(c)"} in rows
    assert {"vital": "Weight", "value": "88", "unit": "kilograms(kg)"} in rows
    assert len(rows) == 7


def test_a_list_that_measures_nothing_is_never_read_the_other_way_round():
    # the same frame holds the problems: the vital signs' header cells are no problems
    doc = ingest(FIX / "afoundria_p2-3.pdf", cache_dir=None)
    found = runtime.grid_rows(doc, columns={"problem": {"headers": ("problem", "condition", "diagnosis"), "learned": 0}},
                              anchor="problem", headings=("problems",))
    assert found is None or not {"Heart Rate", "Blood Pressure"} & {r["problem"].value for r in found.value}


def test_a_rate_printed_against_its_unit_is_read_as_number_and_unit():
    # `Heart Rate  80/min`: the unit opens with a slash, glued to the number (a ratio, `145/88`, stays whole)
    doc = ingest(FIX / "chartlogic_p2-3.pdf", cache_dir=None)
    found = runtime.section_rows(doc, headings=("vital signs",), roles={"vital": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"vital": "Heart Rate", "value": "80", "unit": "/min"} in rows
    assert {"vital": "Respiratory Rate", "value": "18", "unit": "/min"} in rows
    assert {"vital": "Blood Pressure", "value": "145/88", "unit": None} in rows


def test_a_name_holding_a_digit_still_heads_its_measurement():
    # `O2 SAT 95 %` in one cell: `O2` is part of the name, `95` the value
    doc = ingest(FIX / "allscripts_professional_p5-6.pdf", cache_dir=None)
    found = runtime.section_rows(doc, headings=("vital signs",), roles={"vital": "name", "value": "value", "unit": "unit"})
    rows = [{c: (v.value if v else None) for c, v in r.items()} for r in found.value]
    assert {"vital": "O2 SAT", "value": "95", "unit": "%"} in rows
    assert {"vital": "Pulse", "value": "80", "unit": "/min"} in rows
