"""Table strategies and grounding: hand-built pages and one real vendor page."""
from __future__ import annotations

import json
from pathlib import Path

from eval.devset.build import Page as TextPage, gold_for
from eval.devset.ccda import read_gold
from extractors import runtime
from extractors.grounding import ground, heading_above
from extractors.schema import FieldSpec, Schema
from extractors.scoring import plain, score_table
from extractors.tables import STRATEGIES, grid, keyed, section, strategy_candidates
from pipeline.document import Document, Page, Word, group_lines
from pipeline.ingest.core import ingest

FIX = Path(__file__).parent / "fixtures" / "ccda"
RESULTS = FieldSpec.model_validate({"type": "table", "columns": {
    "test_name": {"type": "string"}, "value": {"type": "string"}, "unit": {"type": "string"}}})


def make_page(number: int, rows: list[tuple[float, list[tuple[float, str]]]]) -> Page:
    """rows: (height, [(x, text)]) top to bottom; 5pt per character, 3pt between words."""
    words, top = [], 40.0
    for height, cells in rows:
        for x, text in cells:
            for k, token in enumerate(text.split()):
                x0 = x + sum(len(t) * 5 + 3 for t in text.split()[:k])
                words.append(Word(token, x0, top, x0 + len(token) * 5, top + height))
        top += height + 6
    return Page(number, 612, 792, "text-layer", tuple(words), group_lines(words))


def lab_doc() -> Document:
    body, head = 10.0, 14.0
    p1 = make_page(1, [
        (body, [(40, "Clinic Report")]),
        (head, [(40, "Results")]),
        (body, [(40, "Test"), (200, "Result")]),
        (body, [(40, "BMP")]),                                   # panel row: no value
        (body, [(40, "Sodium"), (200, "135 mmol/L")]),           # value and unit in one cell
        (body, [(40, "Potassium"), (200, "4.1 mmol/L")]),
        (body, [(40, "Page footer text")]),
    ])
    p2 = make_page(2, [
        (body, [(40, "Clinic Report")]),
        (body, [(40, "Test"), (200, "Result")]),                 # header repeated after the break
        (body, [(40, "Glucose"), (200, "98 mg/dL")]),
        (head, [(40, "Medications")]),                           # the next section ends the list
        (body, [(40, "Aspirin"), (200, "81 mg")]),
        (body, [(40, "Page footer text")]),
    ])
    return Document("mem", "0" * 64, (p1, p2))


def test_section_rows_panel_rows_page_break_and_combined_cells():
    found = runtime.section_rows(lab_doc(), headings=("results",),
                                 roles={"test_name": "name", "value": "value", "unit": "unit"})
    assert plain(found.value) == [
        {"test_name": "Sodium", "value": "135", "unit": "mmol/L"},
        {"test_name": "Potassium", "value": "4.1", "unit": "mmol/L"},
        {"test_name": "Glucose", "value": "98", "unit": "mg/dL"},
    ]


def test_section_rows_name_lists_cut_where_the_samples_end_names():
    doc = Document("mem", "0" * 64, (make_page(1, [
        (14.0, [(40, "Problems")]),
        (10.0, [(40, "Overweight(278.02) Onset: 31-Dec-2006")]),
        (10.0, [(40, "Iron deficiency anemia(280.9) Onset: 22-Jun-2015")]),
        (10.0, [(60, "continued note")]),
        (14.0, [(40, "Allergies")]),
        (10.0, [(40, "Penicillin G")]),
    ]),))
    found = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut=r"\(")
    assert [r["problem"] for r in plain(found.value)] == ["Overweight", "Iron deficiency anemia"]


def test_grounding_tolerates_ocr_noise_and_finds_the_heading():
    doc = lab_doc()
    assert [(p.page, p.index) for p in ground(doc, "Potassium")] == [(1, 5)]
    noisy = ground(doc, "Potasslum 4.1 mmol/L")  # one OCR confusion
    assert noisy and noisy[0].page == 1 and noisy[0].score < 100
    assert heading_above(doc, ground(doc, "Sodium")[0]) == "results"
    assert ground(doc, "Creatinine") == []


def test_roles_and_cut_are_learned_from_golden_rows():
    rows = [{"test_name": "Sodium", "value": "135", "unit": "mmol/L"}, {"test_name": "Color", "value": "YELLOW", "unit": None},
            {"test_name": "Glucose", "value": "98", "unit": "mg/dL"}]
    assert section.learn_roles(RESULTS, rows) == {"value": "value", "test_name": "name", "unit": "unit"}
    assert section._learn_cut([("Overweight(278.02) Onset: x", "overweight"), ("Anemia(280.9)", "anemia")]) == r"\("
    assert section._learn_cut([("Aspirin", "aspirin")]) is None


def test_section_strategy_on_a_real_vendor_page():
    """Learn from the real page's gold, read it back: the learned heading and row shape hold."""
    doc = ingest(str(FIX / "sophrona_newman.pdf"))
    fields, _ = gold_for(read_gold((FIX / "sophrona_newman.xml").read_bytes()), TextPage(
        "\n".join(ln.text for p in doc.pages for ln in p.lines)))
    schema = Schema.model_validate({"doc_type": "t", "fields": {"results": RESULTS.model_dump()}})
    params = section.learn("results", RESULTS, {"a": doc}, {"a": fields})
    assert "results" in params["headings"] and params["roles"]["value"] == "value"
    cands = strategy_candidates(schema, {"a": doc}, {"a": fields})
    assert [c.variant for c in cands] == ["section", "grid"] and "runtime.section_rows(" in cands[0].source
    assert "runtime.grid_rows(" in cands[1].source
    got = runtime.section_rows(doc, headings=params["headings"], roles=params["roles"])
    rows = plain(got.value)
    assert {"test_name": "Sp Gr Ur Strip", "value": "1.015", "unit": None} in rows
    assert {"test_name": "pH Ur Strip", "value": "5.0", "unit": "[pH]"} in rows  # value and unit in one cell
    counts = score_table(got, fields["results"], RESULTS)
    # gold keeps only rows the page prints under their C-CDA name; the wrapped Glucose and Protein
    # rows are read but have no gold row, so precision stays modest
    assert counts.tp >= 5 and counts.precision >= 0.35, counts
    assert STRATEGIES[:2] == (section, grid)


def test_one_pairing_rule_for_ranking_validation_and_eval():
    from eval.metrics import align_rows as eval_align
    from extractors.scoring import align_rows, canon_rows
    from extractors.validation.accuracy import score_fields

    schema = Schema.model_validate({"doc_type": "t", "fields": {"results": RESULTS.model_dump()}})
    want = [{"test_name": "Glucose", "value": "98", "unit": "mg/dL"}, {"test_name": "Sodium", "value": "139", "unit": "mmol/L"}]
    got = [{"test_name": "BMP", "value": None, "unit": None}, {"test_name": "Sodium", "value": "139", "unit": "mmol/L"},
           {"test_name": "Glucose", "value": "98.0", "unit": "mg/dl"}]
    ranking = score_table(got, want, RESULTS)
    stage = score_fields({"a": {"results": {"value": [{c: {"value": v} for c, v in r.items()} for r in got]}}},
                         {"a": {"results": want}}, schema, ["a"])["results"]
    assert (ranking.tp, ranking.fp, ranking.fn) == (stage.tp, stage.fp, stage.fn) == (5, 2, 1)
    assert eval_align(got, want, RESULTS) == align_rows(canon_rows(got, RESULTS), canon_rows(want, RESULTS), RESULTS.columns)


def test_keyed_list_strategy_reads_diagnosis_pointers_on_a_layout_it_did_not_learn():
    """Learned from claim forms that print `A. F329  B. E669` in a box and `A: J45.909` along a
    line, the keyed list reads `(A) I10` on an unseen claim layout; a `Ref | ICD-10-CM` table's
    rows read the same way, and a table without a key column is no keyed list."""
    from extractors.schema import load_sample_set

    root = Path(__file__).resolve().parents[1]
    claims = load_sample_set(root / "data" / "samples" / "claim_cms1500")
    spec = claims.schema_.fields["diagnoses"]
    train = {s.id: s for s in claims.samples if s.id in ("claim_a_01", "claim_b_01")}
    docs = {i: ingest(s.path) for i, s in train.items()}
    params = keyed.learn("diagnoses", spec, docs, {i: s.golden for i, s in train.items()})
    assert params == {"key": "pointer", "value": "icd10_code", "kind": "code", "key_shape": "letter", "system": "icd10cm"}
    assert keyed.learn("results", RESULTS, docs, {i: {"results": [{"test_name": "A", "value": "1"}]} for i in docs}) is None
    assert keyed in STRATEGIES

    def read(path: Path) -> list[tuple[str, str]]:
        found = runtime.keyed_list(ingest(path), key="pointer", value="icd10_code", kind="code",
                                   key_shape="letter", system="icd10cm")
        return [(r["pointer"].value, r["icd10_code"].value) for r in found.value]

    unseen = root / "tests" / "heldout" / "claim_cms1500" / "claim_d_03.pdf"
    golden = json.loads(unseen.with_suffix(".json").read_text())["diagnoses"]
    assert read(unseen) == [(r["pointer"], r["icd10_code"]) for r in golden]
    table_layout = root / "data" / "samples" / "claim_cms1500" / "claim_c_01.pdf"
    assert read(table_layout) == [(r["pointer"], r["icd10_code"]) for r in json.loads(table_layout.with_suffix(".json").read_text())["diagnoses"]]


def test_name_list_under_group_titles_and_numbered_items_on_a_real_vendor_page():
    """Medfusion prints problems as `Active Concerns` / `Problem #1` / `Essential Hypertension
    [Start Date: 10/5/2011] [59621000]`, in type as large as the group title, across a page
    break; medications under a `Medication  Directions  Start Date` header row, each name with
    a bracketed code. Group titles, item numbers, header rows and bracketed details are no part
    of the list."""
    doc = ingest(FIX / "medfusion_newman.pdf", cache_dir=None)
    problems = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"}, cut=r"\(")
    assert [r["problem"].value for r in problems.value] == [
        "Essential Hypertension", "Severe Hypothyroidism", "Chronic Rejection Of Renal Transplant", "Fever",
        "Overweight"]
    meds = runtime.section_rows(doc, headings=("medications",), roles={"medication": "name"}, cut=r"\s\S+:")
    assert [r["medication"].value for r in meds.value] == [
        "Ceftriaxone 100 MG/ML Injectable Solution", "Tylenol 500 MG Oral Tablet", "Aranesp 0.5 MG/ML"]


def test_code_references_and_their_separator_are_cut_but_bracketed_words_stay():
    from extractors._rt_rows import without_code_refs

    assert without_code_refs("FEVER UNSPECIFIED, [ICD9: 780.60]") == "FEVER UNSPECIFIED"
    assert without_code_refs("clindamycin 300 mg capsule, [RxNorm: 748748]") == "clindamycin 300 mg capsule"
    assert without_code_refs("Overweight [Start Date: 12/31/2006] [238131007]") == "Overweight"
    assert without_code_refs("Glucose [Mass/volume] in urine by test strip") == "Glucose [Mass/volume] in urine by test strip"
    assert without_code_refs("pH [pH]") == "pH [pH]"


def test_codes_and_ranges_closing_a_name_and_dose_instructions_are_cut():
    from extractors._rt_rows import row_name, without_code_refs, without_directions

    assert without_code_refs("Color of Urine (test code = 5778-6)") == "Color of Urine"
    assert without_code_refs("pH of Urine by Test Strip [5803-2]") == "pH of Urine by Test Strip"
    assert without_code_refs("Specific gravity of Urine by Test strip ( 1.005 - 1.03 )") == \
        "Specific gravity of Urine by Test strip"
    assert without_code_refs("[RxNorm:309090] Ceftriaxone 100MG/ML") == "Ceftriaxone 100MG/ML"
    assert without_code_refs("Appearance (UA)") == "Appearance (UA)"  # a bracketed word is part of the name
    assert without_code_refs("(5.0-8.0)") == "(5.0-8.0)"            # nothing else to name the row
    assert without_directions("prednisoLONE 5 mg oral tablet 1 unit(s) orally once a day") == \
        "prednisoLONE 5 mg oral tablet"
    assert without_directions("CefTRIAXone Sodium 100 GM Injection Solution 1 (one) Unit two times daily") == \
        "CefTRIAXone Sodium 100 GM Injection Solution"
    # strengths are part of the product
    for name in ("Insulin glargine 100 unit/mL", "Heparin 5000 units in 500 mL", "Aranesp 0.5 MG/1 ML SOL"):
        assert without_directions(name) == name
    assert row_name("Tylenol 500mg Oral Tablet 1 unit(s) [RxNorm: 209459]") == "Tylenol 500mg Oral Tablet"
    assert without_directions("Aranesp 500 mcg/mL injectable solution 500 microgram(s) injectable once a week") == \
        "Aranesp 500 mcg/mL injectable solution"


def test_a_row_saying_there_is_nothing_to_list_is_no_entry():
    from extractors._rt_rows import says_none

    for text in ("No known Medications", "No Current Medications", "No Medication Information", "None",
                 "Drug Treatment Unknown", "N/A", "This patient has no known medications."):
        assert says_none(text), text
    for text in ("Nonspecific chest pain", "Noonan syndrome", "Unknown etiology fever", "Norovirus infection"):
        assert not says_none(text), text


def test_a_wrapped_list_item_is_one_item():
    """A borderless list whose cells wrap: the tight lower-case line under an item is the rest of
    its cell (rows sit further apart than the lines of one cell); evenly spaced one-line items
    that start lower-case stay items."""
    words: list[Word] = []

    def put(top: float, x: float, text: str, height: float = 10.0) -> None:
        for k, token in enumerate(text.split()):
            x0 = x + sum(len(t) * 5 + 3 for t in text.split()[:k])
            words.append(Word(token, x0, top, x0 + len(token) * 5, top + height))

    put(40, 40, "MEDICATIONS", 14.0)
    put(64, 40, "ciprofloxacin 250 mg oral tablet 1")
    put(64, 300, "Ordered: 11-Jul")
    put(75.5, 40, "unit(s) orally 3 times a day")
    put(87, 40, "Quantity: 90")
    put(107, 40, "cefTRIAXone 10 g injection 1 unit(s)")
    put(118.5, 40, "injectable 2 times a day")
    put(130, 40, "Quantity: 1")
    put(150, 40, "Tylenol 500mg Oral Tablet 1 unit(s)")
    put(161.5, 40, "(RxNorm: 209459)")
    put(173, 40, "Orally, As Needed")
    put(200, 40, "PROBLEMS", 14.0)
    put(220, 40, "essential hypertension")
    put(236, 40, "fever")
    put(252, 40, "overweight")
    doc = Document("x.pdf", "0" * 64, (Page(1, 612, 792, "text-layer", tuple(words), group_lines(words)),))
    meds = runtime.section_rows(doc, headings=("medications",), roles={"medication": "name"}, cut=r"\s\S+:")
    assert [r["medication"].value for r in meds.value] == [
        "ciprofloxacin 250 mg oral tablet", "cefTRIAXone 10 g injection", "Tylenol 500mg Oral Tablet"]
    problems = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"})
    assert [r["problem"].value for r in problems.value] == ["essential hypertension", "fever", "overweight"]


def test_group_titles_code_lines_and_labelled_details_are_no_items():
    """`Active Concerns` over `Problem #1` (same indent) titles a group; a line of bracketed codes
    and a `Start Date: ...` line under an item belong to it."""
    body = 10.0
    doc = Document("x.pdf", "0" * 64, (make_page(1, [
        (14.0, [(40, "PROBLEMS")]),
        (body, [(40, "Active Concerns")]),
        (body, [(40, "Problem #1")]),
        (body, [(40, "Essential hypertension")]),
        (body, [(40, "Start Date: Wed Oct 05 2011")]),
        (body, [(40, "Problem #2")]),
        (body, [(40, "Fever")]),
        (body, [(40, "(T86.11) (996.81)")]),
        (body, [(40, "Resolved Concerns")]),
        (body, [(40, "Problem #1")]),
        (body, [(40, "Overweight (E66.3)")]),
        (14.0, [(40, "MEDICATIONS")]),
    ]),))
    problems = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"})
    assert [r["problem"].value for r in problems.value] == ["Essential hypertension", "Fever", "Overweight"]


def test_a_table_of_contents_under_the_heading_lists_no_items():
    """`Medications` in a contents list is followed by the other sections' names: those are the
    document's headings (printed larger further on), not medications."""
    body, head = 10.0, 14.0
    doc = Document("x.pdf", "0" * 64, (make_page(1, [
        (body, [(40, "Contents")]),
        (body, [(40, "Medications")]),
        (body, [(40, "Problems")]),
        (body, [(40, "Results")]),
        (head, [(40, "Problems")]),
        (body, [(40, "Fever")]),
        (head, [(40, "Results")]),
        (body, [(40, "Glucose 90 mg/dL")]),
    ]),))
    meds = runtime.section_rows(doc, headings=("medications",), roles={"medication": "name"})
    assert meds is None or [r["medication"].value for r in meds.value] == []
    problems = runtime.section_rows(doc, headings=("problems",), roles={"problem": "name"})
    assert [r["problem"].value for r in problems.value] == ["Fever"]


def test_detail_lines_under_a_listed_item_are_no_items():
    """`Quantity: 2` and `Refills: 0` printed under a medication at the list's left edge are
    details of it, not medications."""
    body = 10.0
    doc = Document("x.pdf", "0" * 64, (make_page(1, [
        (14.0, [(40, "MEDICATIONS")]),
        (body, [(40, "Ceftriaxone 100MG/ML Injection")]),
        (body, [(40, "Quantity: 2")]),
        (body, [(40, "Refills: 0")]),
        (body, [(40, "Tylenol 500mg Oral Tablet")]),
        (body, [(40, "Quantity: 10")]),
        (14.0, [(40, "PROBLEMS")]),
    ]),))
    found = runtime.section_rows(doc, headings=("medications",), roles={"medication": "name"}, cut=r"\s\S+:")
    assert [r["medication"].value for r in found.value] == ["Ceftriaxone 100MG/ML Injection", "Tylenol 500mg Oral Tablet"]


def two_tables_doc() -> Document:
    body, head = 10.0, 14.0
    p1 = make_page(1, [
        (head, [(40, "Main condition treated")]),
        (body, [(40, "Condition"), (300, "ICD-10")]),
        (body, [(40, "Sepsis, unspecified organism"), (300, "A41.9")]),
        (head, [(40, "Other diagnoses")]),
        (body, [(40, "Condition"), (300, "ICD-10")]),
        (body, [(40, "Hypothyroidism, unspecified"), (300, "E03.9")]),
    ])
    p2 = make_page(2, [
        (body, [(40, "CONTINUED")]),                               # a caption in capitals, not the section
        (body, [(40, "Condition"), (300, "ICD-10")]),              # the header repeated after the break
        (body, [(40, "Gastro-esophageal reflux disease"), (300, "K21.9")]),
    ])
    return Document("mem", "0" * 64, (p1, p2))


DIAGNOSES = [runtime.Column("description", "string", ("condition",), (("cond", 1.0),), required=True),
             runtime.Column("icd10_code", "code", ("icd-10",), (("icd-", 1.0),), system="icd10cm", required=True)]


def test_a_learned_section_keeps_only_its_own_table_of_a_shared_header():
    doc = two_tables_doc()
    names = lambda found: [r["description"].value for r in found.value]  # noqa: E731
    assert names(runtime.table(doc, DIAGNOSES)) == [
        "Sepsis, unspecified organism", "Hypothyroidism, unspecified", "Gastro-esophageal reflux disease"]
    # the samples print the field's rows under `Other diagnoses`: the table under another
    # heading goes, the one continued on the next page under the same header stays
    assert names(runtime.table(doc, DIAGNOSES, sections=("other diagnoses",))) == [
        "Hypothyroidism, unspecified", "Gastro-esophageal reflux disease"]
    # an unseen layout whose headings name none of the learned sections keeps every table
    assert len(runtime.table(doc, DIAGNOSES, sections=("secondary diagnoses",)).value) == 3


def test_the_header_strategy_learns_its_section_from_real_samples():
    from extractors.plan import render_table
    from extractors.schema import load_sample_set
    from extractors.synth import learn_plan

    ss = load_sample_set(Path(__file__).parents[1] / "data" / "samples" / "discharge_summary")
    train = [s for s in ss.samples if s.id in ("ds_c_02", "ds_c_03", "ds_c_04")]
    docs = {s.id: ingest(s.path) for s in train}
    plan = learn_plan(ss.schema_, docs, {s.id: s.golden for s in train})
    assert "other diagnoses" in plan.tables["diagnoses"].sections
    ns = {"runtime": runtime}
    exec(render_table("diagnoses", plan.tables["diagnoses"]), ns)  # the generated field function
    found = ns["field_diagnoses"](ingest(ss.folder / "ds_c_01.pdf"), None, "mdy")
    # `Main condition treated` prints the primary diagnosis under the same header: not a row
    assert [r["icd10_code"].value for r in found.value] == ["Z87.891", "E03.9", "K21.9"]


def test_a_running_footer_ends_a_table_on_a_real_sample():
    doc = ingest(Path(__file__).parents[1] / "data" / "samples" / "discharge_summary" / "ds_a_02.pdf")
    columns = [runtime.Column("drug", "string", ("medication",), (("medi", 1.0),), required=True),
               runtime.Column("dose", "string", ("dose",), (("dose", 1.0),), required=True),
               runtime.Column("frequency", "string", ("frequency",), (("freq", 1.0),), required=True)]
    found = runtime.table(doc, columns)
    # `Page 1 of 2 - CONFIDENTIAL PATIENT INFORMATION` prints under the last row on both pages
    assert [r["drug"].value for r in found.value] == ["Sertraline", "Furosemide", "Apixaban"]


def test_rows_repeating_another_fields_value_are_learned_and_left_out_on_an_unseen_layout():
    """The samples never list the principal diagnosis among the other diagnoses: the compile
    learns that from their labels, and on a held-out layout that prints `Reason for admission |
    Code` over the principal diagnosis (read as one more diagnoses row), the generated module
    leaves that row to its own field. A sample set whose labels do repeat it learns nothing."""
    import copy

    from extractors.schema import load_sample_set
    from extractors.synth import learn_plan, named_alike, never_repeated

    root = Path(__file__).parents[1]
    ss = load_sample_set(root / "data" / "samples" / "discharge_summary")
    train = [s for s in ss.samples if s.id.endswith(("_01", "_02"))]
    docs = {s.id: ingest(s.path) for s in train}
    goldens = {s.id: s.golden for s in train}
    plan = learn_plan(ss.schema_, docs, goldens)
    repeats = plan.tables["diagnoses"].repeats
    assert repeats == {"description": ["primary_diagnosis"], "icd10_code": ["primary_diagnosis_code"]}
    assert plan.tables["discharge_medications"].repeats == {}  # no field is named like a medication
    # labels that list the principal diagnosis among the others teach nothing
    listed = copy.deepcopy(goldens)
    for g in listed.values():
        g["diagnoses"] = g["diagnoses"] + [{"description": g["primary_diagnosis"], "icd10_code": g["primary_diagnosis_code"]}]
    alike = named_alike(plan.tables["diagnoses"], plan.fields)
    assert never_repeated(ss.schema_, "diagnoses", list(listed.values()), alike) == {}

    # the committed extractor, compiled on every sample, on a layout it was not shown
    from extractors.artifacts import load_locked

    compiled = root / "extractors" / "compiled"
    assert "runtime.drop_repeated_rows(found, " in (compiled / "discharge_summary.py").read_text()
    extract = load_locked(compiled, ["discharge_summary"])["discharge_summary"].extract
    held_out = ingest(root / "tests" / "heldout" / "discharge_summary" / "ds_d_01.pdf")
    got = extract(held_out)
    codes = [r["icd10_code"].value for r in got["diagnoses"].value]
    assert got["primary_diagnosis_code"].value == "J18.9" and "J18.9" not in codes
    assert codes == [r["icd10_code"] for r in json.loads(held_out_gold(root))["diagnoses"]]


def held_out_gold(root: Path) -> str:
    return (root / "tests" / "heldout" / "discharge_summary" / "ds_d_01.json").read_text()


def test_a_row_goes_only_when_every_compared_column_repeats_the_field():
    """A misread principal-diagnosis code that happens to read as a listed diagnosis's code
    drops no right row while the row's description says otherwise; a table left without rows
    is None, and the table's Found is replaced, not changed."""
    F = runtime.Found
    rows = [{"description": F("Pneumonia, unspecified organism"), "icd10_code": F("J18.9")},
            {"description": F("Anemia, unspecified"), "icd10_code": F("D64.9")}]
    table = F(rows, page=1)
    repeats = {"diagnoses": {"description": ("primary_diagnosis",), "icd10_code": ("primary_diagnosis_code",)}}
    found = {"diagnoses": table, "primary_diagnosis": F("pneumonia unspecified organism"), "primary_diagnosis_code": F("J18.9")}
    out = runtime.drop_repeated_rows(found, repeats)
    assert [r["icd10_code"].value for r in out["diagnoses"].value] == ["D64.9"] and out["diagnoses"].page == 1
    assert table.value is rows and len(rows) == 2 and found["diagnoses"] is table
    misread = {**found, "primary_diagnosis_code": F("D64.9"), "primary_diagnosis": F("Sepsis")}
    assert len(runtime.drop_repeated_rows(misread, repeats)["diagnoses"].value) == 2
    code_only = {"diagnoses": table, "primary_diagnosis": None, "primary_diagnosis_code": F("D64.9")}
    assert [r["icd10_code"].value for r in runtime.drop_repeated_rows(code_only, repeats)["diagnoses"].value] == ["J18.9"]
    alone = {"diagnoses": F(rows[:1]), "primary_diagnosis_code": F("J18.9")}
    assert runtime.drop_repeated_rows(alone, repeats)["diagnoses"] is None
