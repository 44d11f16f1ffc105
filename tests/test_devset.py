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


# A tiny hand-written C-CDA (not from any sample set): coded names the page does not print.
_CCDA = """<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<recordTarget><patientRole><id extension="12345"/><patient><name><given>Ann</given><family>Test</family></name>
<administrativeGenderCode code="F"/><birthTime value="19700501"/></patient></patientRole></recordTarget>
<component><structuredBody>
<component><section><templateId root="2.16.840.1.113883.10.20.22.2.4.1"/><title>Vital Signs</title>
<text><table><thead><tr><th>Date / Time:</th><th>June 22, 2015</th></tr></thead><tbody>
<tr><th>Weight</th><td>88 kg</td></tr>
<tr><th>Heart Rate</th><td>80 beats per minute</td></tr>
<tr><th>Blood Pressure</th><td>145/88</td></tr>
</tbody></table></text>
<entry><organizer classCode="CLUSTER" moodCode="EVN">
<component><observation classCode="OBS" moodCode="EVN"><code code="3141-9" displayName="Patient Body Weight - Measured"/>
<value xsi:type="PQ" value="88" unit="kg"/></observation></component>
<component><observation classCode="OBS" moodCode="EVN"><code code="8867-4" displayName="Pulse rate"/>
<value xsi:type="PQ" value="80" unit="/min"/></observation></component>
<component><observation classCode="OBS" moodCode="EVN"><code code="8480-6" displayName="Intravascular Systolic"/>
<value xsi:type="PQ" value="145" unit="mm[Hg]"/></observation></component>
<component><observation classCode="OBS" moodCode="EVN"><code code="8462-4" displayName="BP Diastolic"/>
<value xsi:type="PQ" value="88" unit="mm[Hg]"/></observation></component>
<component><observation classCode="OBS" moodCode="EVN"><code code="39156-5" displayName="BMI (Body Mass Index)"/>
<value xsi:type="PQ" value="28.1" unit="kg/m2"/></observation></component>
</organizer></entry></section></component>
<component><section><templateId root="2.16.840.1.113883.10.20.22.2.1.1"/><title>Medications</title>
<text><table><thead><tr><th>Medication</th><th>Instructions</th></tr></thead><tbody>
<tr ID="med1"><td>Vantin 100 mg</td><td>once daily</td></tr>
<tr ID="med2"><td>FenoFibric Acid 35 mg</td><td>once daily</td></tr>
</tbody></table></text>
<entry><substanceAdministration classCode="SBADM" moodCode="INT"><text><reference value="#med1"/></text>
<consumable><manufacturedProduct><manufacturedMaterial><code code="1" displayName="cefpodoxime proxetil 100 MG Oral Tablet"/>
</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>
<entry><substanceAdministration classCode="SBADM" moodCode="INT"><text><reference value="#med2"/></text>
<consumable><manufacturedProduct><manufacturedMaterial><code code="2" displayName="FenoFibric Acid 35 mg"/>
</manufacturedMaterial></manufacturedProduct></consumable></substanceAdministration></entry>
</section></component>
<component><section><templateId root="2.16.840.1.113883.10.20.22.2.5.1"/><title>Problems</title>
<text><table><thead><tr><th>Problem</th><th>Code</th></tr></thead><tbody>
<tr><td>Essential hypertension</td><td>59621000</td></tr></tbody></table></text>
<entry><act classCode="ACT" moodCode="EVN"><entryRelationship typeCode="SUBJ"><observation classCode="OBS" moodCode="EVN">
<templateId root="2.16.840.1.113883.10.20.22.4.4"/><value xsi:type="CD" code="59621000" codeSystem="2.16.840.1.113883.6.96"/>
</observation></entryRelationship></act></entry></section></component>
</structuredBody></component></ClinicalDocument>"""

_PAGE = """Ann Test  Female  May 1, 1970
Vital Signs
Date / Time: June 22, 2015
Weight 88 kg
Heart Rate 80 beats per minute
Blood Pressure 145/88
Medications
Medication Instructions
Vantin 100 mg once daily
FenoFibric Acid 35mg once daily
Problems
Essential hypertension 59621000
"""


def test_rows_whose_coded_name_is_not_printed_take_the_narrative_name():
    """Transposed vitals (rows are vital names, the column a date): each entry is tied to the
    cell printing its value and named by the row header; systolic and diastolic printed in one
    cell are one row; a medication referencing its narrative row takes that row's name; cells
    keep the page's spacing (`35mg`)."""
    incomplete: list[str] = []
    fields, notes = gold_for(read_gold(_CCDA.encode()), Page(_PAGE), incomplete)
    assert fields["vital_signs"] == [
        {"vital": "Weight", "value": "88", "unit": "kg"},
        {"vital": "Heart Rate", "value": "80", "unit": "beats per minute"},
        {"vital": "Blood Pressure", "value": "145/88", "unit": None}]
    assert fields["medications"] == [{"medication": "Vantin 100 mg"}, {"medication": "FenoFibric Acid 35mg"}]
    # a problem with a code and no name: the narrative row printing that code names it
    assert fields["problems"] == [{"problem": "Essential hypertension"}]
    # BMI is neither in the narrative nor on the page: dropped, and the table is still complete
    assert "vital_signs[4]: name not printed" in notes and incomplete == []


def test_a_printed_entry_that_cannot_be_labeled_marks_its_table_incomplete():
    incomplete: list[str] = []
    fields, _ = gold_for(read_gold(_CCDA.encode()), Page(_PAGE + "Body mass index 28.1\n"), incomplete)
    assert len(fields["vital_signs"]) == 3 and incomplete == ["vital_signs"]


def test_printed_spelling_follows_the_page():
    page = Page("FenoFibric Acid 35mg daily\nGlucose Ur\nStrip-mCnc 50 mg/dl\nHGB 10.2 g/dL")
    assert page.printed("FenoFibric Acid 35 mg") == "FenoFibric Acid 35mg"
    assert page.printed("Glucose Ur Strip-mCnc") == "Glucose Ur Strip-mCnc"  # a line break is not a space lost
    assert page.printed("mg/dL") == "mg/dl" and page.printed("g/dl") == "g/dL"  # whole words, the page's case
    assert page.printed("Creatinine") is None


def test_summary_scores_complete_tables_only(tmp_path):
    from eval.devset.build import SCHEMA_YAML
    from eval.devset.summary import complete_only, summarise

    (tmp_path / "ccd_summary").mkdir()
    (tmp_path / "ccd_summary" / "schema.yaml").write_text(SCHEMA_YAML)
    report = {"sets": {"a": {"root": str(tmp_path), "doc_types": {"ccd_summary": {}}}}}
    got = {"patient_name": "Ann Test", "medications": [{"medication": "Vantin"}, {"medication": "Aspirin"}]}
    rec = {"set": "a", "doc_type": "ccd_summary", "error": None}
    records = [{**rec, "doc_id": "d1", "extracted": got, "golden": {"patient_name": "Ann Test", "medications": [{"medication": "Aspirin"}]}},
               {**rec, "doc_id": "d2", "extracted": got, "golden": {"patient_name": "Ann Test", "medications": [{"medication": "Vantin"}, {"medication": "Aspirin"}]}}]
    both, _ = complete_only(report, records, {})
    only, left_out = complete_only(report, records, {"d1": {"medications"}})
    cells = summarise(both)["all layouts"]["cells"], summarise(only)["all layouts"]["cells"]
    assert (cells[0].tp, cells[0].fp) == (3, 1)  # d1's correct Vantin row counts as a false positive
    assert (cells[1].tp, cells[1].fp, left_out) == (2, 0, 1)
    assert summarise(only)["all layouts"]["scalar"].tp == 2  # scalars unchanged


def test_a_unit_printed_in_its_own_column_is_the_rows_unit():
    """`Test | Result | Flag | Range | Units`: the value cell holds the number alone and the unit
    sits in the row's unit column, not right after the value (a flag does)."""
    head, tail = _CCDA.split("<component><structuredBody>")
    ccda = head + """<component><structuredBody>
<component><section><templateId root="2.16.840.1.113883.10.20.22.2.3.1"/><title>Results</title>
<text><table><thead><tr><th>Test</th><th>Result</th><th>Flag</th><th>Range</th><th>Units</th></tr></thead><tbody>
<tr><td ID="lab1">Glucose Ur Strip-mCnc</td><td>50</td><td>A</td><td>Neg</td><td>mg/dL</td></tr>
</tbody></table></text>
<entry><organizer classCode="BATTERY" moodCode="EVN">
<component><observation classCode="OBS" moodCode="EVN"><code code="5792-7" displayName="Glucose Ur Strip-mCnc"/>
<text><reference value="#lab1"/></text><value xsi:type="PQ" value="50" unit="mg/dL"/></observation></component>
</organizer></entry></section></component>""" + tail.split("<component><structuredBody>")[-1]
    page = Page("Ann Test  Female  May 1, 1970\nResults\nTest Result Flag Range Units\n"
                "Glucose Ur Strip-mCnc 50 A Neg mg/dL\n")
    fields, _ = gold_for(read_gold(ccda.encode()), page, [])
    assert fields["results"] == [{"test_name": "Glucose Ur Strip-mCnc", "value": "50", "unit": "mg/dL"}]


def test_a_flag_printed_after_the_unit_is_not_part_of_it():
    from eval.devset.narrative import printed_value_unit
    assert printed_value_unit("100 mg/dL (Normal)", "100", "mg/dL") == ("100", "mg/dL")
    assert printed_value_unit("5.0 [pH] (Normal)", "5.0", "[pH]") == ("5.0", "[pH]")
    assert printed_value_unit("80 beats per minute", "80", "/min") == ("80", "beats per minute")
