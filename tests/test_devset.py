"""Dev-set builder: C-CDA gold, cross-checked against what the page prints (real vendor page)."""
from __future__ import annotations

from pathlib import Path

import pytest

from eval.devset.build import Page, discover, gold_for, page_text
from eval.devset.ccda import read_gold

FIX = Path(__file__).parent / "fixtures" / "ccda"


def test_gold_from_real_vendor_document_is_printed_on_its_page():
    g = read_gold((FIX / "sophrona_newman.xml").read_bytes())
    assert g.family == "Newman" and g.birth_date.isoformat() == "1970-05-01" and g.sex == "Female"
    text = page_text(FIX / "sophrona_newman.pdf")
    page = Page(text)
    fields, notes = gold_for(g, page)
    assert fields["patient_name"] == "Alice Newman"
    assert fields["birth_date"] == "1970-05-01"
    assert fields["sex"] == "Female"
    assert fields["mrn"] == "3368"
    # every gold string is on the page; whatever was not printed is named in the notes
    for name in ("results", "vital_signs", "medications", "problems"):
        for row in fields[name]:
            for v in row.values():
                assert v is None or page.has(v), (name, v)
    assert {"test_name": "Sp Gr Ur Strip", "value": "1.015", "unit": None} in fields["results"]
    assert fields["vital_signs"] and all(r["value"] for r in fields["vital_signs"])
    assert all(isinstance(n, str) and ":" in n for n in notes)


def test_cross_check_drops_what_the_page_does_not_print():
    g = read_gold((FIX / "sophrona_newman.xml").read_bytes())
    page = Page("Patient Alice Newman\nDate of birth May 1, 1970\nSex Female\nSp Gr Ur Strip 1.015")
    fields, notes = gold_for(g, page)
    assert fields["mrn"] is None
    assert fields["results"] == [{"test_name": "Sp Gr Ur Strip", "value": "1.015", "unit": None}]
    assert fields["medications"] == [] and any(n.startswith("medications[") for n in notes)


def test_page_search_tolerates_line_breaks_but_not_partial_numbers():
    page = Page("Glucose Ur\nStrip-mCnc 50 mg/dl\nvalue 145")
    assert page.has("Glucose Ur Strip-mCnc")
    assert page.has("145") and not page.has("14") and not page.has("45")


def test_discover_pairs_each_rendering_with_its_xml(tmp_path):
    d = tmp_path / "Lab" / "ETT 1" / "Vendor X" / "docs"
    d.mkdir(parents=True)
    for name in ("a.pdf", "A.xml", "b.pdf", "view.html"):
        (d / name).write_bytes(b"x")
    found = discover(tmp_path, xsl_per_product=0)
    # a.pdf pairs by stem; b.pdf and view.html take the only XML in their folder
    assert {(s.path.name, s.xml.name, s.layout) for s in found} == {
        ("a.pdf", "A.xml", "Vendor X/pdf"), ("b.pdf", "A.xml", "Vendor X/pdf"), ("view.html", "A.xml", "Vendor X/html")}


def test_summary_pools_scalar_and_cell_counts_per_layout():
    from eval.devset.summary import markdown, summarise

    def layout(tp, fp, fn, ctp, cfp, cfn):
        return {"doc_types": {"ccd_summary": {"n_docs": 1, "fields": {
            "patient_name": {"type": "person_name", "tp": tp, "fp": fp, "fn": fn},
            "results": {"type": "table", "tp": ctp, "fp": cfp, "fn": cfn,
                        "columns": {"value": {"tp": ctp, "fp": cfp, "fn": cfn}}}}}}}

    report = {"sets": {"a/pdf": layout(1, 0, 0, 3, 1, 1), "b/xsl": layout(0, 1, 1, 1, 0, 3)}}
    rows = summarise(report)
    pooled = rows["all layouts"]
    assert rows["all layouts"]["docs"] == 2
    assert (pooled["scalar"].tp, pooled["scalar"].fp, pooled["scalar"].fn) == (1, 1, 1)
    assert (pooled["cells"].tp, pooled["cells"].fp, pooled["cells"].fn) == (4, 1, 4)
    text = markdown(report, report)
    assert "| all layouts | 2 | 0.50 → 0.50 | 0.62 → 0.62 | 0.62 → 0.62 |" in text  # P 4/5, R 4/8
