"""Scalar values learned from where the samples print them: what a cell prints after the value
(cut off), the shape a value takes (preferred over a header word), the day/month order per
label wording, and reference ranges that cast no vote on a page's date order. Small hand-built
pages only."""
from __future__ import annotations

from extractors import runtime
from extractors.schema import Schema
from tests.test_formats import compiled, make_doc

RX = Schema(doc_type="rx", fields={"patient_name": {"type": "person_name"}, "drug_name": {"type": "string"},
                                   "strength": {"type": "string"}, "birth_date": {"type": "date"}})


def _rx(drug: str, strength: str, form: str, dob_label: str, dob: str, one_cell: bool):
    rows = [[(50, "Patient"), (250, dob_label)], [(50, "Ann Lee"), (250, dob)]]
    if one_cell:  # 'Rx' over 'Furosemide 40 mg tablet': drug, strength and form in one cell
        rows += [[(50, "Rx")], [(50, f"{drug} {strength} {form}")]]
    else:  # 'Drug  Strength  Form' over their values: 'Form' is right of 'Strength'
        rows += [[(50, "Drug"), (250, "Strength"), (400, "Form")], [(50, drug), (250, strength), (400, form)]]
    return make_doc(rows)


SAMPLES = {
    "a1": (("Furosemide", "40 mg", "tablet", "DOB", "11/16/1992", True), "1992-11-16"),
    "a2": (("Metformin", "500 mg", "tablet", "DOB", "03/25/1980", True), "1980-03-25"),
    "a3": (("Lisinopril", "10 mg", "tablet", "DOB", "12/30/1975", True), "1975-12-30"),
    "b1": (("Aspirin", "81 mg", "tablet", "Birth Date", "20/05/1961", False), "1961-05-20"),
    "b2": (("Atorvastatin", "20 mg", "tablet", "Birth Date", "27/05/1975", False), "1975-05-27"),
    "b3": (("Gabapentin", "300 mg", "capsule", "Birth Date", "14/02/1969", False), "1969-02-14"),
}


def _learned():
    docs = {sid: _rx(*args) for sid, (args, _) in SAMPLES.items()}
    goldens = {sid: {"patient_name": "Ann Lee", "drug_name": args[0], "strength": args[1], "birth_date": dob}
               for sid, (args, dob) in SAMPLES.items()}
    return compiled(RX, docs, goldens)


def test_what_a_cell_prints_after_the_value_is_learned_and_cut_off():
    plan, source, module = _learned()
    assert plan.fields["drug_name"].suffix and "suffix=" in source
    out = module.extract(_rx("Sertraline", "50 mg", "tablet", "DOB", "01/02/1990", True))
    assert out["drug_name"].value == "Sertraline"
    # a value printed alone keeps every word
    out = module.extract(_rx("Sertraline", "50 mg", "tablet", "Birth Date", "01/02/1990", False))
    assert out["drug_name"].value == "Sertraline"


def test_a_value_of_the_learned_shape_ranks_above_a_header_word_beside_the_label():
    plan, _, module = _learned()
    assert plan.fields["strength"].prefer_shape and plan.fields["strength"].shape
    out = module.extract(_rx("Sertraline", "50 mg", "tablet", "Birth Date", "01/02/1990", False))
    assert out["strength"].value == "50 mg"  # not 'Form', printed right of 'Strength'


def test_day_month_order_is_learned_per_label_when_layouts_disagree():
    plan, _, module = _learned()
    fp = plan.fields["birth_date"]
    assert fp.date_order is None and fp.label_orders == {"birth date": "dmy", "dob": "mdy"}
    # an unseen page whose dates are all ambiguous: read the way its label's samples were
    assert module.extract(_rx("X", "1 mg", "tablet", "Birth Date", "01/07/1969", False))["birth_date"].value == "1969-07-01"
    assert module.extract(_rx("X", "1 mg", "tablet", "DOB", "01/07/1969", True))["birth_date"].value == "1969-01-07"
    # a page that settles its order itself is read that way, whatever its label
    doc = make_doc([[(50, "Patient"), (250, "Birth Date")], [(50, "Ann Lee"), (250, "01/07/1969")],
                    [(50, "Printed"), (250, "12/25/2024")]])
    assert module.extract(doc)["birth_date"].value == "1969-01-07"


def test_reference_ranges_cast_no_vote_on_the_page_date_order():
    doc = make_doc([[(50, "Collected"), (250, "06/09/2023")],
                    [(50, "Creatinine"), (250, "0.70"), (350, "0.60-1.30")],
                    [(50, "RBC"), (250, "6.17"), (350, "4.50-5.90")]])
    assert runtime.date_order(doc, "mdy") == "mdy"
    assert runtime.date_order(make_doc([[(50, "Printed 25.06.2024")]]), "mdy") == "dmy"


DS = Schema(doc_type="ds", fields={"patient_name": {"type": "person_name"}, "disposition": {"type": "string"},
                                   "facility": {"type": "string"}, "dx_code": {"type": "code", "system": "icd10cm"}})


def _ds(facility: str, dispo: str, dx: str, code: str, letter: bool):
    rows = [[(50, facility)]]
    if letter:  # a header row over a value row: 'Sex' is printed right of 'Destination'
        rows += [[(50, "Patient"), (250, "Destination"), (400, "Sex")], [(50, "Ann Lee"), (250, dispo), (400, "F")],
                 [(50, "Condition"), (250, "ICD-10")], [(50, dx), (250, code)]]
    else:  # labels left of their values; the code printed after the diagnosis in one cell
        rows += [[(50, "Patient:"), (150, "Ann Lee")], [(50, "Disposition:"), (150, dispo)],
                 [(50, "PRINCIPAL DIAGNOSIS")], [(50, f"{dx} ({code})")]]
    rows += [[(50, "Other diagnoses")], [(50, "Code"), (250, "Description")], [(50, "Z87.891"), (250, "History of smoking")],
             [(50, "Medications")]]  # a heading under a code, as under the facility on some page
    return make_doc(rows)


DS_SAMPLES = {
    "a1": ("Riverside Hospital", "Home", "Sepsis, unspecified organism", "A41.9", False),
    "a2": ("Riverside Hospital", "Skilled nursing facility", "Pneumonia, unspecified organism", "J18.9", False),
    "a3": ("Riverside Hospital", "Home", "Acute pancreatitis, unspecified", "K85.90", False),
    "b1": ("Kingsbridge General", "Home with self care", "Cerebral infarction, unspecified", "I63.9", True),
    "b2": ("Kingsbridge General", "Rehabilitation facility", "Essential hypertension", "I10", True),
    "b3": ("Kingsbridge General", "Home", "Hypothyroidism, unspecified", "E03.9", True),
}


def _ds_learned():
    docs = {sid: _ds(*args) for sid, args in DS_SAMPLES.items()}
    goldens = {sid: {"patient_name": "Ann Lee", "facility": a[0], "disposition": a[1], "dx_code": a[3]}
               for sid, a in DS_SAMPLES.items()}
    return compiled(DS, docs, goldens)


def test_where_a_label_puts_its_value_is_learned_per_wording():
    plan, _, module = _ds_learned()
    assert plan.fields["disposition"].label_relations.get("destination") == "below"
    out = module.extract(_ds("Kingsbridge General", "Assisted living", "Sepsis", "A41.9", True))
    assert out["disposition"].value == "Assisted living"  # not 'Sex', the header right of 'Destination'


def test_a_text_field_never_printed_with_digits_refuses_a_code():
    plan, _, _ = _ds_learned()
    assert plan.fields["facility"].no_digits and not plan.fields["dx_code"].no_digits
    found = runtime.field(_ds("X", "Home", "Sepsis", "A41.9", True), kind="string", trailing=("medications",),
                          no_digits=True, min_score=2.0)
    assert found is None  # 'Z87.891' over 'Medications' is no facility
    found = runtime.field(_ds("X", "Home", "Sepsis", "A41.9", True), kind="string", trailing=("medications",),
                          min_score=2.0)
    assert found is not None and found.value == "Z87.891"


def test_a_code_printed_at_the_end_of_a_description_cell_is_read():
    doc = _ds("Riverside Hospital", "Home", "Acute on chronic systolic heart failure", "I50.23", False)
    found = runtime.field(doc, kind="code", system="icd10cm", labels=["principal diagnosis"], max_words=3, min_score=2.0)
    assert found is not None and found.value == "I50.23"


def test_a_trailing_label_needs_to_follow_the_value_in_most_samples_that_print_it():
    from extractors.synth import FieldEvidence, trailing_precision
    ev = FieldEvidence(observations=[("s1", "medications", "above"), ("s2", "attending physician", "above"),
                                     ("s3", "attending physician", "above")])
    seen = {"s1": {"medications", "attending physician"}, "s2": {"medications", "attending physician"},
            "s3": {"medications", "attending physician"}, "s4": {"medications"}}
    goldens = {s: {"f": "x"} for s in seen}
    assert trailing_precision(ev, "medications", seen, goldens, "f") == 0.25
    assert trailing_precision(ev, "attending physician", seen, goldens, "f") == 2 / 3


def test_a_printed_value_is_no_label_and_short_fields_refuse_sentences():
    from extractors.synth import printed_values, value_length
    schema = Schema(doc_type="c", fields={"payer": {"type": "string"}, "lines": {"type": "table", "columns": {
        "pointer": {"type": "string"}, "units": {"type": "integer"}}}})
    values = printed_values(schema, {"payer": "Medicaid", "lines": [{"pointer": "AB", "units": 1}]})
    assert values == frozenset({"medicaid", "ab"})  # 'AB' left of a unit count is a value, no label
    assert value_length(["Medicaid", "Blue Cross Blue Shield", "Aetna"]) == 10
    assert value_length(["Take 1 tablet by mouth once daily", "x", "y"]) is None  # long values: no limit
    doc = make_doc([[(50, "Insurance: company for reimbursement. Payment is due upon receipt for any amount not covered")],
                    [(50, "Insurance"), (250, "Medicaid")]])
    found = runtime.field(doc, kind="string", labels=["insurance"], min_score=2.0, max_len=10)
    assert found is not None and found.value == "Medicaid"
    assert runtime.field(doc, kind="string", labels=["insurance"], min_score=2.0).value != "Medicaid"


def test_a_known_label_inside_prose_is_no_label_and_placement_demotes_only_on_the_same_cell():
    prose = make_doc([[(50, "Results were reviewed and released by the laboratory director.")],
                      [(50, "Name Jill Williams DOB 11/16/1992")]])
    pairs = list(runtime.iter_pairs(prose, ["laboratory", "dob", "name"]))
    assert not any(runtime.norm_phrase(p.label) == "laboratory" for p in pairs)
    assert any(runtime.norm_phrase(p.label) == "dob" and p.relation == "inline" for p in pairs)
    # the samples put 'Discharged to' right of its value; this layout puts it below: no penalty,
    # so a lexicon wording elsewhere does not win
    doc = make_doc([[(50, "Discharged to")], [(50, "Skilled nursing facility")], [(50, "Discharge: the")]])
    found = runtime.field(doc, kind="string", labels=["discharged to"], lex_labels=["discharge"], min_score=1.0,
                          label_relations={"discharged to": "right"})
    assert found.value == "Skilled nursing facility"


def test_a_field_whose_values_all_start_with_a_capital_refuses_a_scrap_of_prose():
    from extractors.synth import capitalised
    assert capitalised(["Meridian Clinical Laboratories", "St. Aldric Hospital", "Quest"])
    assert not capitalised(["Home", "home with services", "Hospice"])
    doc = make_doc([[(50, "Results were released by the")], [(50, "laboratory director.")],
                    [(50, "Laboratory Meridian Clinical Laboratories")]])
    found = runtime.field(doc, kind="string", labels=["laboratory"], min_score=2.0, capitalised=True)
    assert found.value == "Meridian Clinical Laboratories"
    assert runtime.field(doc, kind="string", labels=["laboratory"], min_score=2.0).value == "director."


def test_an_unspecific_value_shape_is_never_searched_for_on_its_own():
    """MRNs printed as bare numbers of varying length learn the shape `\\d+`: any street number
    has it, so the field reads a labelled value or nothing; a specific shape is still searched."""
    from extractors.plan import FieldPlan, render_field
    from extractors.synth import value_shape

    bare = value_shape(["12345", "678", "99999999"])
    src = render_field("mrn", FieldPlan(kind="identifier", labels=["mrn"], shape=bare))
    assert "runtime.search(" not in src and "runtime.field(" in src
    specific = value_shape(["AB1234", "CD5678", "EF9012"])
    src = render_field("mrn", FieldPlan(kind="identifier", labels=["mrn"], shape=specific))
    assert f"runtime.search(doc, {specific!r}" in src


def test_a_long_text_holding_two_keywords_is_no_label():
    kw = {"date": 1.0, "birt": 1.0}
    assert runtime.label_score("Date birth", [], kw, {}) >= 1.8
    assert runtime.label_score("Chronic rejection of renal transplant [Start Date:", [], kw, {}) < 0.6
    assert runtime.label_score("Date of birth", ["date of birth"], kw, {}) == 2.0


def test_a_field_that_is_no_date_takes_no_date_wording_from_the_lexicon():
    from extractors.plan import FieldPlan, Plan
    from extractors.synth import expand_with_lexicon

    plan = Plan(doc_type="t", date_order="mdy")
    plan.fields["discharge_disposition"] = FieldPlan(kind="string", labels=["discharged to"])
    plan.fields["discharge_date"] = FieldPlan(kind="date", labels=["discharge date"])
    expand_with_lexicon(plan)
    assert "departure" in plan.fields["discharge_disposition"].lex_labels
    assert not any("date" in p.split() for p in plan.fields["discharge_disposition"].lex_labels)
    assert "date out" in plan.fields["discharge_date"].lex_labels
