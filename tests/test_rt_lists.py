"""Name lists (medications, problems) on real dev-set pages: grids without a header row, grids
whose caption row prints the section heading, generic `Description` headers, group titles, and
section headings that hold the list's name among other words."""
from __future__ import annotations

from pathlib import Path

from extractors import runtime
from extractors._rt_rows import distinct_rows, names_section
from extractors._rt_values import Found
from pipeline.document import Document, Line, Page, Word, group_lines
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
