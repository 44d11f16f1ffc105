"""The runtime helper API on small hand-built pages (positions in PDF points)."""
from __future__ import annotations

import re

from extractors import runtime
from pipeline.document import Document, Page, Word, group_lines


def make_doc(rows: list[list[tuple[float, str]]], line_gap: float = 16.0) -> Document:
    """A one-page document: each row is a list of (x, text) with 5pt per character."""
    words = []
    for r, row in enumerate(rows):
        top = 50 + r * line_gap
        for x, text in row:
            for k, token in enumerate(text.split()):
                x0 = x + sum(len(t) * 5 + 3 for t in text.split()[:k])
                words.append(Word(token, x0, top, x0 + len(token) * 5, top + 10))
    page = Page(1, 612, 792, "text-layer", tuple(words), group_lines(words))
    return Document("mem", "0" * 64, (page,))


def test_dates_both_orders_and_styles():
    assert runtime.parse_date("03/04/2024") == "2024-03-04"
    assert runtime.parse_date("03/04/2024", order="dmy") == "2024-04-03"
    assert runtime.parse_date("25/12/2023") == "2023-12-25"
    assert runtime.parse_date("12 Mar 2024") == "2024-03-12"
    assert runtime.parse_date("March 5, 2021") == "2021-03-05"
    assert runtime.parse_date("2020-02-30") is None
    assert runtime.parse_date("no date") is None
    # a form box prints its date as spaced digits, alone in the box; inside prose they are no date
    assert runtime.parse_date("11 17 1940") == "1940-11-17"
    assert runtime.parse_date("05 16 24") == "2024-05-16"
    assert runtime.parse_date("Room 11 17 1940") is None


def test_numbers_and_codes():
    assert str(runtime.parse_decimal("$1,234.50")) == "1234.50"
    assert runtime.parse_int("Qty: 30 tablets") == 30
    assert runtime.npi_valid("1234567893")
    assert not runtime.npi_valid("1234567890")
    assert runtime.parse_value("NPI 1234567890 1234567893", "code", system="npi")[0] == "1234567893"
    assert runtime.parse_value("dx e11.9", "code", system="icd10cm")[0] == "E11.9"


def test_colon_right_and_below_pairs():
    doc = make_doc([
        [(40, "Patient: Jane Roe"), (300, "MRN: AB123456")],
        [(40, "Date of Birth"), (160, "02/14/1980")],
        [(40, "Collected")],
        [(40, "14/03/2024")],
    ])
    pairs = list(runtime.iter_pairs(doc))
    rel = {(runtime.norm_phrase(p.label), p.relation): p.value_text for p in pairs}
    assert rel[("patient", "colon")] == "Jane Roe"
    assert rel[("mrn", "colon")] == "AB123456"
    assert rel[("date of birth", "right")] == "02/14/1980"
    assert rel[("collected", "below")] == "14/03/2024"


def test_field_prefers_learned_label_and_uses_keywords_for_unseen_wording():
    doc = make_doc([
        [(40, "Admit Date: 01/02/2024"), (300, "Birth Date: 05/06/1970")],
    ])
    learned = runtime.field(doc, kind="date", labels=["birth date"], pairs=list(runtime.iter_pairs(doc)))
    assert learned.value == "1970-05-06" and learned.confidence == 1.0
    unseen = runtime.field(doc, kind="date", labels=["date of birth"], keywords={"birt": 1.0, "date": 0.2},
                           foes={"admi": 1.0}, min_score=0.6)
    assert unseen.value == "1970-05-06"
    assert unseen.page == 1 and unseen.bbox[0] >= 300


def test_table_rows_under_header():
    doc = make_doc([
        [(40, "Test"), (200, "Result"), (300, "Units"), (400, "Flag")],
        [(40, "Glucose"), (200, "105"), (300, "mg/dL"), (400, "H")],
        [(40, "Sodium"), (200, "140"), (300, "mmol/L")],
        [],
        [],
        [],
        [(40, "Signed by: Dr Who")],
    ])
    cols = [
        runtime.Column("test_name", "string", ("test",)),
        runtime.Column("value", "decimal", ("result",)),
        runtime.Column("unit", "string", ("units",)),
        runtime.Column("flag", "string", ("flag",)),
    ]
    found = runtime.table(doc, cols)
    rows = [{k: (v.value if v else None) for k, v in r.items()} for r in found.value]
    assert rows == [
        {"test_name": "Glucose", "value": 105.0, "unit": "mg/dL", "flag": "H"},
        {"test_name": "Sodium", "value": 140.0, "unit": "mmol/L", "flag": None},
    ]


def test_date_order_from_unambiguous_dates():
    doc = make_doc([[(40, "Seen 03/04/2024 and 25/04/2024")]])
    assert runtime.date_order(doc, "mdy") == "dmy"
    assert runtime.date_order(make_doc([[(40, "03/04/2024")]]), "dmy") == "dmy"
    # dotted dates are day first by convention when none settles it; a date that does still wins
    assert runtime.date_order(make_doc([[(40, "Service 01.02.2024 born 05.01.1934")]]), "mdy") == "dmy"
    assert runtime.date_order(make_doc([[(40, "01.02.2024 and 02.25.2024")]]), "dmy") == "mdy"


def test_block_title_context_picks_the_prescribers_name_over_the_patients():
    doc = make_doc([
        [(60, "Patient")],
        [(60, "Name"), (160, "Haynes, Steve")],
        [(60, "Date of Birth"), (160, "11/07/1947")],
        [(60, "Prescriber")],
        [(60, "Name"), (160, "Sherry D. Cooper")],
        [(60, "NPI"), (160, "1530188402")],
    ])
    pairs = runtime.pair_index(doc)
    plain_pick = runtime.field(doc, kind="person_name", labels=["name"], pairs=pairs)
    assert plain_pick.value == "Haynes, Steve"  # the earliest of two equal labels
    picked = runtime.field(doc, kind="person_name", labels=["name"], pairs=pairs, context=("prescriber",))
    assert picked.value == "Sherry D. Cooper"
    titles = {runtime.block_title(doc, p) for p in pairs if runtime.norm_phrase(p.label) == "name"}
    assert titles == {"patient", "prescriber"}


def test_learned_label_beats_lexicon_synonym_and_numbered_label_is_no_amount():
    doc = make_doc([
        [(40, "Charge: $45.00"), (300, "Total Charges: $390.00")],
        [(40, "28. TOTAL CHARGE"), (300, "29. AMOUNT PAID")],
    ])
    pairs = runtime.pair_index(doc)
    found = runtime.field(doc, kind="decimal", labels=["total charges"], lex_labels=["charge"], pairs=pairs)
    assert found.value == 390.0
    # the lexicon synonym still reads a layout that prints no learned wording
    only_lex = runtime.field(doc, kind="decimal", labels=["claim total"], lex_labels=["charge"], pairs=pairs)
    assert only_lex.value == 45.0 and only_lex.confidence < 1.0
    assert runtime.parse_value("29. AMOUNT PAID", "decimal") is None
    assert runtime.parse_value("$ 317.00", "decimal")[0] == 317



def test_icd10_codes_printed_without_their_dot_read_as_the_code_system_writes_them():
    assert runtime.parse_value("F329", "code", system="icd10cm")[0] == "F32.9"
    assert runtime.parse_value("A. E669  B. I10", "code", system="icd10cm")[0] == "E66.9"
    assert runtime.parse_value("E66.9", "code", system="icd10cm")[0] == "E66.9"


def test_numbered_form_captions_pair_with_the_value_in_their_box():
    """'2. PATIENT'S NAME (Last Name, First Name)' is the caption 'PATIENT'S NAME'; a format hint
    and other boxes' lines between it and its value are stepped over; the next box's numbered
    caption is nobody's value."""
    doc = make_doc([
        [(30, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)"), (330, "3. PATIENT'S BIRTH DATE")],
        [(330, "MM DD YYYY")],
        [(500, "M X F")],
        [(32, "HENDERSON, JENNIFER S"), (332, "11 17 1940")],
        [(30, "5. PATIENT'S ADDRESS (No., Street)")],
    ], line_gap=7.0)
    pairs = {(p.label, p.value_text, p.relation) for p in runtime.iter_pairs(doc)}
    assert ("PATIENT'S NAME", "HENDERSON, JENNIFER S", "below") in pairs
    assert ("PATIENT'S BIRTH DATE", "11 17 1940", "below") in pairs
    captions = {"PATIENT'S NAME", "PATIENT'S BIRTH DATE", "PATIENT'S ADDRESS"}
    assert not any(label in captions and re.match(r"\d{1,2}[a-z]?\. [A-Z]", v) for label, v, _ in pairs)
    found = runtime.field(doc, kind="date", labels=["patient s birth date", "patient's birth date"], min_score=0.6)
    assert found is not None and found.value == "1940-11-17"


def test_label_printed_under_its_value_is_a_fallback_on_a_real_page():
    """A vendor header prints each value with its label underneath (`August 1, 1980` over
    `Born`, `Male` over `Sex`). No sample taught it (no `trailing` label): the runtime still
    reads it, as the last placement it tries."""
    from pathlib import Path

    from pipeline.ingest import ingest

    doc = ingest(Path(__file__).parent / "fixtures" / "ccda" / "followmyhealth_bates_p1.pdf", cache_dir=None)
    born = runtime.field(doc, kind="date", labels=["date of birth"], lex_labels=["born", "dob"],
                         keywords={"birt": 1.0, "born": 0.8, "dob": 0.8}, min_score=0.6)
    assert born is not None and born.value == "1980-08-01"
    assert born.confidence < 0.9  # an untaught placement: read with less confidence
    sex = runtime.field(doc, kind="string", labels=["sex"], pattern=r"(?i)\b(female|male)\b", min_score=0.6)
    assert sex is not None and sex.value == "Male"


def test_label_under_its_value_on_a_scan_is_judged_by_line_middles():
    """The same vendor header scanned (word boxes as Tesseract gave them on the dev set's light
    scan): OCR boxes hug the ink, so the large name's `J` over `Female` ends 2.5 pt above it
    while `Sex` starts 4 pt under it. By the lines' middles `Female` is nearer its label (11 pt)
    than the name (17 pt), as printed; the value is read."""
    words = (Word("ANGELES,", 35.5, 97.7, 120.0, 117.5, 0.95), Word("Becky", 126.0, 97.7, 180.0, 117.5, 0.95),
             Word("Jones", 225.0, 97.7, 281.5, 117.5, 0.95),
             Word("July", 34.7, 120.1, 53.6, 130.5, 0.95), Word("1,", 58.3, 120.2, 66.4, 129.4, 0.94),
             Word("1970", 71.6, 120.1, 96.8, 128.5, 0.94), Word("Female", 239.2, 120.1, 275.8, 128.5, 0.96),
             Word("Born", 36.0, 132.1, 52.9, 137.9, 0.83), Word("Sex", 238.9, 132.5, 251.6, 137.7, 0.92),
             Word("Address", 35.6, 169.0, 70.0, 176.0, 0.95))
    doc = Document("h.pdf", "0" * 64, (Page(1, 612, 792, "ocr", words, group_lines(words)),))
    sex = runtime.field(doc, kind="string", labels=["sex"], pattern=r"(?i)\b(female|male)\b", min_score=0.6)
    assert sex is not None and sex.value == "Female"
    # on a text layer the boxes are the font's: the edge-to-edge gaps are compared as before
    text = Document("h.pdf", "0" * 64, (Page(1, 612, 792, "text-layer", words, group_lines(words)),))
    assert runtime.field(text, kind="string", labels=["sex"], pattern=r"(?i)\b(female|male)\b", min_score=0.6) is None


def test_value_above_a_label_is_not_taken_where_labels_head_their_values():
    """Header-row layout: `Result Date` heads its own value (a dash, no date); the date over it
    is `Collected`'s value, closer to its own label. A colon label never reads upward. Both
    stay unread rather than take a neighbour's value."""
    doc = make_doc([
        [(60, "Collected"), (225, "Clinician")],
        [(60, "31 Dec 2023"), (225, "Jeffrey Hudson")],
        [],
        [(60, "Result Date"), (225, "Lab")],
        [(60, "-"), (225, "864988955")],
        [],
        [(60, "Take 1 tablet twice daily")],
        [(60, "Refills:")],
    ], line_gap=11.0)
    assert runtime.field(doc, kind="date", labels=["result date"]) is None
    assert runtime.field(doc, kind="integer", labels=["refills"]) is None
    assert runtime.field(doc, kind="date", labels=["collected"]).value == "2023-12-31"


def test_one_word_value_sharing_a_prefix_with_a_label_word_is_still_a_value():
    from pathlib import Path

    from pipeline.ingest.core import ingest

    doc = ingest(Path(__file__).parents[1] / "data" / "samples" / "claim_cms1500" / "claim_c_05.pdf")
    vocabulary = ("insurance", "medical record", "patient name", "unit number")
    values = {" ".join(w.text for w in p.value_words) for p in runtime.iter_pairs(doc, vocabulary)
              if p.label == "Insurance" and p.relation == "right"}
    assert values == {"Medicaid"}  # `Medicaid` is no `medical`
    # a value made of label words is still another label, one word or several
    values = {" ".join(w.text for w in p.value_words) for p in runtime.iter_pairs(doc, (*vocabulary, "medicaid"))
              if p.label == "Insurance" and p.relation == "right"}
    assert values == set()


def test_a_label_read_inside_a_section_heading_is_no_pair():
    from pathlib import Path

    from pipeline.ingest.core import ingest

    doc = ingest(Path(__file__).parents[1] / "data" / "samples" / "discharge_summary" / "ds_a_03.pdf")
    labels = ["discharge destination", "discharged to", "disposition"]
    pairs = runtime.pair_index(doc, (*labels, "discharge"))
    inline = [p for p in runtime.iter_pairs(doc, (*labels, "discharge")) if p.relation == "inline" and p.value_text == "EXAM"]
    assert inline and all(runtime._in_title(doc, p) for p in inline)
    # `DISCHARGE EXAM` heads the exam notes; this letter prints no disposition at all
    assert runtime.field(doc, kind="string", labels=labels, lex_labels=["discharge"], keywords={"disc": 0.357, "disp": 1.0},
                         min_score=0.6, max_words=12, no_digits=True, capitalised=True, pairs=pairs) is None


def test_bare_label_outranks_a_qualified_one_in_a_header_row():
    """`Name` over its value in a header-row layout against `Lab Name` with a neighbour cell to
    its right: the bare wording names the field, the qualified one something more particular."""
    doc = make_doc([
        [(40, "Name"), (160, "Date Of Birth")],
        [(40, "Alice Newman"), (160, "May 1, 1970")],
        [],
        [(40, "Lab Name"), (160, "Lab Address")],
    ], line_gap=12.0)
    pairs = runtime.pair_index(doc, ("date of birth", "patient", "patient name"))
    found = runtime.field(doc, kind="person_name", keywords={"name": 1.0, "pati": 0.6}, min_score=0.6,
                          name_order="first_last", pairs=pairs)
    assert found is not None and found.value == "Alice Newman"


def test_generation_suffix_printed_in_lower_case_is_part_of_a_name():
    assert runtime.name_shaped("Jeremy Bates jr")
    assert not runtime.name_shaped("was found to have fever")


def test_a_learned_label_with_its_own_value_labels_nothing_under_it():
    """`Patient IDs AliceN [ 1.3.6 ]` is the learned label and its value on one line; the
    `Document Id` line under it is no patient identifier."""
    doc = make_doc([
        [(40, "Patient IDs"), (160, "[ 2.16.840.1.113883.4.1 ]")],
        [(40, "Document Id"), (160, "C3AC2777-2549-4CF6-ACC8-BBB58AB70910")],
    ], line_gap=12.0)
    found = runtime.field(doc, kind="identifier", labels=["patient ids"], keywords={"ids": 1.0, "pati": 0.4},
                          min_score=0.6, max_words=3, label_relations={"patient ids": "right"})
    assert found is None
    # a learned label of its own (`Directions for use`) still heads the value under it
    doc = make_doc([[(40, "Directions for use")], [(40, "Take 1 tablet daily")]], line_gap=12.0)
    found = runtime.field(doc, kind="string", labels=["directions", "directions for use"],
                          label_relations={"directions": "right", "directions for use": "below"})
    assert found is not None and found.value == "Take 1 tablet daily"


def test_text_ending_in_a_comma_is_no_keyword_label():
    """`Charlotte, NC 28277`: an address part, not the `char` of `chart` naming a record number."""
    assert runtime.label_score("Charlotte,", (), {"char": 0.8}, {}) == 0.0
    assert runtime.label_score("Charlotte, NC", (), {"char": 0.8}, {}) == 0.0
    assert runtime.label_score("Patient Name (Last, First)", (), {"name": 1.0, "pati": 0.6}, {}) > 0.6
    assert runtime.label_score("Chart", (), {"char": 0.8}, {}) == 0.8


def test_a_label_word_inside_an_announced_value_is_part_of_the_value():
    """`Preferred pharmacy: | Kroger Pharmacy #7424`: the colon label announces the cell as its
    value, so the learned label `Pharmacy` inside it labels nothing (it took `#7424`)."""
    doc = make_doc([[(40, "Preferred pharmacy:"), (180, "Kroger Pharmacy #7424")]])
    pairs = runtime.pair_index(doc, ("pharmacy", "send to"))
    assert not [p for p in runtime.iter_pairs(doc, ("pharmacy", "send to")) if p.relation == "inline"]
    found = runtime.field(doc, kind="string", labels=["pharmacy", "send to"], keywords={"phar": 1.0}, min_score=0.6,
                          pairs=pairs)
    assert found is not None and found.value == "Kroger Pharmacy #7424"


def test_a_value_row_printed_tight_under_a_header_row_is_cut_at_the_next_label():
    """`Morales Internal Medicine Associates 2456346826` printed with a narrow gap under
    `Billing Provider | Billing Provider NPI`: the provider's value stops where the NPI's
    column starts."""
    doc = make_doc([
        [(50, "Billing Provider"), (215, "Billing Provider NPI")],
        [(50, "Morales Internal Medicine Associates 2456346826")],
    ], line_gap=12.0)
    below = {p.value_text for p in runtime.iter_pairs(doc) if p.relation == "below" and p.label == "Billing Provider"}
    assert below == {"Morales Internal Medicine Associates"}


def test_a_value_printing_its_own_trailing_label_is_that_labels_line():
    """The samples print the facility before `(continued)` on later pages. A page that prints
    `Kathleen M. Howard (continued)` over a stray `(continued)` gives no facility."""
    doc = make_doc([[(56, "Kathleen M. Howard (continued)")], [(56, "(continued)")]], line_gap=12.0)
    assert runtime.field(doc, kind="string", trailing=("continued",), keywords={"faci": 1.0}, min_score=0.9) is None
    doc = make_doc([[(56, "Mercy Valley Regional Medical Center")], [(56, "(continued)")]], line_gap=12.0)
    found = runtime.field(doc, kind="string", trailing=("continued",), keywords={"faci": 1.0}, min_score=0.9)
    assert found is not None and found.value == "Mercy Valley Regional Medical Center"


def test_compile_candidates_share_a_documents_pair_index_and_run_time_calls_do_not():
    """Inside `shared_pair_index` (the compile's in-process candidate runs) a document's index is
    built once per vocabulary; outside it every call builds its own, so no extractor can see or
    change another's."""
    from pathlib import Path

    from pipeline.ingest import ingest

    doc = ingest(str(Path(__file__).resolve().parents[1] / "data" / "samples" / "prescription" / "rx_a_01.pdf"))
    other = ingest(str(Path(__file__).resolve().parents[1] / "data" / "samples" / "prescription" / "rx_b_01.pdf"))
    labels = ("patient", "prescriber")
    assert runtime.pair_index(doc, labels) is not runtime.pair_index(doc, labels)
    with runtime.shared_pair_index():
        first = runtime.pair_index(doc, labels)
        assert runtime.pair_index(doc, list(labels)) is first
        assert runtime.pair_index(doc, ("patient",)) is not first
        assert runtime.pair_index(other, labels) is not first
        assert [p.label for p in first] == [p.label for p in runtime.pair_index(doc, labels)]
    assert runtime.pair_index(doc, labels) is not first
    assert "shared_pair_index" not in runtime.__all__
