"""Claim forms read as printed: service lines under a form's column captions with a line number
printed alone over each row, header wordings owned by the column they stood over most, and a
learned label inside a form's title or check-box row that is no label. A real sample page
(text layer) and small hand-built pages."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extractors import runtime
from extractors.synth import own_headers
from pipeline.document import Document, Page, Word, group_lines
from pipeline.ingest.core import ingest

CLAIM = Path(__file__).resolve().parents[1] / "data" / "samples" / "claim_cms1500" / "claim_a_01.pdf"

COLUMNS = [
    runtime.Column("date_of_service", "date", ("from mm dd yy",), (("from", 1.0),), required=True),
    runtime.Column("cpt_code", "code", ("cpt/hcpcs",), (("cpt/", 1.0),), system="cpt", required=True,
                   shape=r"(?<![\w.])(\d{5})(?![\w])"),
    runtime.Column("dx_pointer", "string", ("pointer",), (("poin", 1.0),), required=True),
    runtime.Column("units", "integer", ("or units",), (("unit", 1.0),), required=True),
    runtime.Column("charge", "decimal", ("charges",), (("char", 1.0),), required=True),
]


@pytest.fixture(scope="module")
def claim() -> Document:
    return ingest(CLAIM, cache_dir=None)


def _rows(found):
    return [{k: (c.value if c is not None else None) for k, c in r.items()} for r in found.value]


def test_service_lines_read_past_the_line_number_printed_over_each_row(claim):
    found = runtime.table(claim, COLUMNS, order="mdy")
    assert found is not None
    assert [(r["cpt_code"], r["charge"], r["units"], r["date_of_service"]) for r in _rows(found)] == [
        ("99396", 240.0, 1, "2024-05-16"), ("80061", 45.0, 1, "2024-05-16"), ("85025", 32.0, 1, "2024-05-16")]


def _page(rows: list[list[tuple[float, str]]]) -> Document:
    words, top = [], 40.0
    for cells in rows:
        for x, text in cells:
            for k, token in enumerate(text.split()):
                x0 = x + sum(len(t) * 5 + 3 for t in text.split()[:k])
                words.append(Word(token, x0, top, x0 + len(token) * 5, top + 10))
        top += 16
    return Document("mem", "0" * 64, (Page(1, 612, 792, "text-layer", tuple(words), group_lines(words)),))


def test_a_lone_word_ends_the_table_when_no_row_follows_it():
    cols = [runtime.Column("cpt_code", "code", ("cpt",), (("cpt", 1.0),), system="cpt", required=True),
            runtime.Column("charge", "decimal", ("charge",), (("char", 1.0),), required=True)]
    head, row = [(40, "CPT"), (200, "Charge")], [(40, "99213"), (200, "125.00")]
    doc = _page([head, [(300, "1")], row, [(300, "2")], [(40, "Signed"), (200, "Dr Lee")], row])
    assert [r["cpt_code"] for r in _rows(runtime.table(doc, cols))] == ["99213"]


def test_a_header_wording_belongs_to_the_column_it_stood_over_most():
    seen = {"date_of_service": Counter({"dos": 8, "service date": 7}),
            "units": Counter({"units": 8, "dos": 1, "qty": 7})}
    own = own_headers(seen, ["date_of_service", "units"])
    assert own == {"date_of_service": {"dos", "service date"}, "units": {"units", "qty"}}
    tie = own_headers({"a": Counter({"x": 1}), "b": Counter({"x": 1})}, ["a", "b"])
    assert tie == {"a": {"x"}, "b": {"x"}}  # no evidence either way: both keep it


def test_a_learned_label_inside_a_form_title_is_no_label(claim):
    # `HEALTH INSURANCE CLAIM FORM`: read inline, `Insurance` would give `CLAIM FORM`
    pairs = runtime.pair_index(claim, ("insurance", "health plan"))
    args = dict(kind="string", labels=["insurance"], min_score=0.6, no_digits=True, pairs=pairs)
    # the title is printed larger than the form's text: no label and value on that line
    assert runtime.field(claim, **args) is None
    assert runtime.field(claim, **args, label_relations={"insurance": "right"}) is None
    # a lexicon wording no sample printed is never read after other words of its cell
    # (`GROUP HEALTH PLAN FECA ...` on the form's check-box row)
    assert runtime.field(claim, kind="string", labels=["health plan"], min_score=0.6, pairs=pairs) is not None
    assert runtime.field(claim, kind="string", lex_labels=["health plan"], min_score=0.6, pairs=pairs) is None


def test_a_learned_label_printed_with_one_word_more_outweighs_that_words_foe():
    foes = {"prov": 1.0}
    keywords = {"bill": 0.75, "npi": 0.5}
    widened = runtime.label_score("Billing Provider NPI", {"billing npi", "npi"}, keywords, foes)
    assert widened == runtime.KEYWORD_SCORE_CAP  # `provider` names another field, yet every learned word is there
    assert runtime.label_score("Billing Provider NPI", {"npi"}, keywords, foes) < 0.6  # a one-word label widens nothing
    assert runtime.label_score("NPI Billing Provider", {"billing npi"}, keywords, foes) < 0.6  # out of order
    assert runtime.label_score("Rendering Provider NPI", {"billing npi"}, keywords, foes) < 0.6


def test_the_value_cell_of_a_known_label_gives_no_guessed_label():
    doc = ingest(CLAIM.with_name("claim_c_03.pdf"), cache_dir=None)
    pairs = list(runtime.iter_pairs(doc, ("patient name", "insurance")))
    assert any(p.label == "Patient Name" and p.value_text == "Preston R. Atkins" for p in pairs)
    assert not any(p.relation == "inline" and p.label.startswith("Preston") for p in pairs)  # no label of `R. Atkins`


def test_service_lines_on_a_real_scan_read_digits_ocr_took_for_letters():
    """Real Tesseract on a sample scan. The row prints `Ol Mar 2025` and a quantity `l`: in a date
    or number column those letters are digits. Under the 6 pt captions of a form, the gap to
    the first 10 pt row is measured in the rows' type."""
    from extractors._rt_values import ocr_cell_digits

    assert ocr_cell_digits("08 O1 24", "date") == "08 01 24"
    assert ocr_cell_digits("Ol Mar 2025", "date") == "01 Mar 2025"
    assert ocr_cell_digits("l", "integer") == "1" and ocr_cell_digits("l", "decimal") == "l"
    assert ocr_cell_digits("Office", "date") == "Office"
    assert ocr_cell_digits("12 04 23 a", "date") == "12 04 23"  # a speck read as a lone letter
    samples = CLAIM.parent
    columns = COLUMNS[:2] + [runtime.Column("units", "integer", ("qty",), (("qty", 1.0),), required=True),
                             runtime.Column("charge", "decimal", ("amount", "charges"), (("amou", 1.0), ("char", 1.0)), required=True),
                             runtime.Column("date_of_service", "date", ("service date", "from mm dd yy"), (("date", 1.0), ("from", 1.0)), required=True)]
    scan = ingest(samples / "claim_c_07.png", profile="clean")
    assert scan.pages[0].source == "ocr"
    rows = _rows(runtime.table(scan, columns[1:], order="dmy"))
    assert [(r["date_of_service"], r["cpt_code"], r["units"], r["charge"]) for r in rows] == [("2025-03-01", "99203", 1, 165.0)]
    form = ingest(samples / "claim_a_08.pdf", profile="clean")
    rows = _rows(runtime.table(form, COLUMNS, order="mdy"))
    assert [(r["cpt_code"], r["charge"]) for r in rows] == [("99214", 185.0), ("71046", 110.0)]


def test_a_line_number_over_the_first_row_does_not_name_the_header_cells():
    """A header cell no column claimed (`EMG|CPTHCPCS`, as OCR glues it) is named by what the
    first row prints under it; a form's line number printed alone above that row is no row."""
    doc = _page([
        [(40, "From MM DD YY"), (160, "EMG|CPTHCPCS"), (260, "POINTER"), (340, "OR UNITS"), (420, "CHARGES")],
        [(20, "1")],
        [(40, "05 16 24"), (160, "99213"), (260, "A"), (340, "1"), (420, "125.00")],
        [(20, "2")],
        [(40, "05 16 24"), (160, "80061"), (260, "A"), (340, "1"), (420, "45.00")],
    ])
    rows = _rows(runtime.table(doc, COLUMNS, order="mdy"))
    assert [(r["cpt_code"], r["charge"]) for r in rows] == [("99213", 125.0), ("80061", 45.0)]
