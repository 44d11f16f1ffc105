"""Value formats learned from the labeled samples: person names, per-field day/month order,
labels printed after their value, and a label two people share (small hand-built pages and
one real vendor page)."""
from __future__ import annotations

import types
from pathlib import Path

from extractors import runtime
from extractors.plan import render_field, render_module
from extractors.schema import Schema
from extractors.synth import learn_plan
from pipeline.document import Document, Page, Word, group_lines

REAL_PAGE = Path(__file__).parent / "fixtures" / "ccda" / "sophrona_newman.pdf"


def make_doc(rows: list[list[tuple[float, str]]], name: str = "mem") -> Document:
    """A one-page document: each row is a list of (x, text) with 5pt per character."""
    words = []
    for r, row in enumerate(rows):
        top = 50 + r * 16
        for x, text in row:
            for k, token in enumerate(text.split()):
                x0 = x + sum(len(t) * 5 + 3 for t in text.split()[:k])
                words.append(Word(token, x0, top, x0 + len(token) * 5, top + 10))
    page = Page(1, 612, 792, "text-layer", tuple(words), group_lines(words))
    return Document(name, "0" * 64, (page,))


def compiled(schema: Schema, docs: dict[str, Document], goldens: dict[str, dict]):
    """Learn a plan from the samples and load the generated module it renders to."""
    plan = learn_plan(schema, docs, goldens)
    source = render_module("# test", plan, schema, {n: render_field(n, fp) for n, fp in plan.fields.items()})
    module = types.ModuleType("generated")
    exec(compile(source, "generated", "exec"), module.__dict__)  # noqa: S102 - our own rendered plan
    return plan, source, module


def test_person_names_lose_titles_and_turn_round_when_asked():
    assert runtime.person_name("Dr. Jessica Aguilar, MD") == "Jessica Aguilar"
    assert runtime.person_name("Hayley Gabrielle Reyes") == "Hayley Gabrielle Reyes"
    assert runtime.person_name("HENDERSON, JENNIFER S") == "HENDERSON, JENNIFER S"  # printed order kept
    assert runtime.person_name("HENDERSON, JENNIFER S", "first_last") == "JENNIFER S HENDERSON"
    assert runtime.person_name("Jessica Aguilar", "last_first") == "Aguilar, Jessica"
    assert runtime.person_name("Wise, Tiffany V") == "Wise, Tiffany V"  # an initial, not a roman numeral
    # a generation is part of the name, a degree is not
    assert runtime.person_name("Jeremy V Bates Jr") == "Jeremy V Bates Jr"
    assert runtime.person_name("BATES JR, JEREMY", "first_last") == "JEREMY BATES JR"
    assert runtime.person_name("Dr. John Wright III, MD") == "John Wright III"


def test_a_title_line_is_no_label_value_pair():
    """`Patient Summary Document` printed as the page title reads like `Patient <name>`; the
    body's own `Patient Jane Doe` line is the patient."""
    words: list[Word] = []
    for top, height, text in ((30, 14.0, "Patient Summary Document"), (60, 10.0, "Patient Jane Doe"),
                              (76, 10.0, "Sex Female"), (92, 10.0, "Language English")):
        x = 40.0
        for token in text.split():
            words.append(Word(token, x, top, x + 0.6 * height * len(token), top + height))
            x += 0.6 * height * len(token) + 4
    doc = Document("x.pdf", "0" * 64, (Page(1, 612, 792, "text-layer", tuple(words), group_lines(tuple(words))),))
    found = runtime.field(doc, kind="person_name", labels=["patient"], min_score=0.6, max_words=5)
    assert found is not None and found.value == "Jane Doe"


def test_identifiers_are_whole_tokens_never_pieces_of_an_oid():
    from extractors._rt_values import parse_value

    assert parse_value("UNK [ 2.16.840.1.113883.4.1 ]", "identifier") is None
    assert parse_value("290 [ 2.16.840.1.113883.3.493 ]", "identifier") == ("290", "290")
    assert parse_value("T-10118", "identifier") == ("T-10118", "T-10118")


def test_whole_name_without_title_on_a_real_vendor_page():
    from pipeline.ingest.core import ingest

    doc = ingest(str(REAL_PAGE))
    pairs = runtime.pair_index(doc)
    patient = runtime.field(doc, kind="person_name", labels=["patient"], pairs=pairs, name_order="first_last")
    assert patient.value == "Alice Newman"
    performer = runtime.field(doc, kind="person_name", labels=["performer"], pairs=pairs, name_order="first_last")
    assert performer.value.startswith("Albert Davis")  # 'Dr Albert Davis of ...': the title is gone


RX = Schema(doc_type="rx", fields={
    "patient_name": {"type": "person_name"},
    "birth_date": {"type": "date"},
    "prescriber_name": {"type": "person_name"},
    "prescriber_npi": {"type": "code", "system": "npi"},
})


def _titled(prescriber: str, patient: str, dob: str, npi: str) -> Document:
    """Layout A: two 'Name' labels, told apart by the block titles above them."""
    return make_doc([
        [(40, "Prescriber")],
        [(40, "Name"), (160, prescriber)],
        [(40, "NPI"), (160, npi)],
        [(40, "Patient")],
        [(40, "Name"), (160, patient)],
        [(40, "DOB"), (160, dob)],
    ])


def _letterhead(prescriber: str, patient: str, dob: str, npi: str) -> Document:
    """Layout B: the prescriber's name printed before the NPI label, no title, no name label."""
    return make_doc([
        [(40, prescriber), (300, f"NPI {npi}")],
        [(40, "Date 06/10/2023")],
        [(40, f"Name {patient}"), (300, f"DOB {dob}")],
    ])


def test_label_after_its_value_and_a_shared_label_are_learned_from_the_samples():
    docs = {
        "a1": _titled("Sherry Cooper", "Jill Williams", "11/16/1992", "1014190577"),
        "a2": _titled("Omar Haddad", "Rita Moreno", "02/28/1971", "1234567893"),
        "b1": _letterhead("Darrell Jenkins, MD", "Amy Lowe", "12/30/1980", "1014190577"),
        "b2": _letterhead("Mia Chen, DO", "Tom Price", "07/19/1955", "1234567893"),
    }
    goldens = {
        "a1": {"patient_name": "Jill Williams", "birth_date": "1992-11-16", "prescriber_name": "Sherry Cooper", "prescriber_npi": "1014190577"},
        "a2": {"patient_name": "Rita Moreno", "birth_date": "1971-02-28", "prescriber_name": "Omar Haddad", "prescriber_npi": "1234567893"},
        "b1": {"patient_name": "Amy Lowe", "birth_date": "1980-12-30", "prescriber_name": "Darrell Jenkins", "prescriber_npi": "1014190577"},
        "b2": {"patient_name": "Tom Price", "birth_date": "1955-07-19", "prescriber_name": "Mia Chen", "prescriber_npi": "1234567893"},
    }
    plan, source, module = compiled(RX, docs, goldens)
    fp = plan.fields["prescriber_name"]
    assert fp.trailing == ["npi"] and fp.needs_context == ["name"] and "prescriber" in fp.context
    assert plan.fields["patient_name"].needs_context == []  # the patient's 'Name' needs no title
    assert "trailing=('npi',)" in source and "needs_context=('name',)" in source
    unseen = module.extract(_letterhead("Dr. Ana Ruiz, MD", "Ben Stone", "03/15/1990", "1014190577"))
    assert unseen["prescriber_name"].value == "Ana Ruiz"  # not the patient under 'Name'
    assert unseen["patient_name"].value == "Ben Stone"
    titled = module.extract(_titled("Lena Park", "Ian Moss", "04/22/1964", "1014190577"))
    assert (titled["prescriber_name"].value, titled["patient_name"].value) == ("Lena Park", "Ian Moss")


DATES = Schema(doc_type="visit", fields={"birth_date": {"type": "date"}, "visit_date": {"type": "date"}})


def _visit(dob: str, visit: str, footer: str) -> Document:
    return make_doc([[(40, "Date of Birth"), (160, dob)], [(40, "Visit Date"), (160, visit)], [(40, footer)]])


def test_day_month_order_is_learned_per_field_for_dates_the_page_leaves_open():
    # birth dates always month first, visit dates always day first
    docs = {
        "s1": _visit("03/04/1990", "05/06/2024", "Printed 01/02/2024"),
        "s2": _visit("11/05/1985", "25/06/2024", "Printed 01/02/2024"),
        "s3": _visit("08/14/1979", "21/07/2024", "Printed 01/02/2024"),
    }
    goldens = {
        "s1": {"birth_date": "1990-03-04", "visit_date": "2024-06-05"},
        "s2": {"birth_date": "1985-11-05", "visit_date": "2024-06-25"},
        "s3": {"birth_date": "1979-08-14", "visit_date": "2024-07-21"},
    }
    plan, source, module = compiled(DATES, docs, goldens)
    assert (plan.fields["birth_date"].date_order, plan.fields["visit_date"].date_order) == ("mdy", "dmy")
    assert "runtime.date_order(doc, 'dmy')" in source and "runtime.date_order(doc, 'mdy')" in source
    # an unseen page whose dates are all ambiguous: each field reads them its own way
    out = module.extract(_visit("04/05/1991", "02/03/2024", "Printed 01/02/2024"))
    assert out["birth_date"].value == "1991-04-05"
    assert out["visit_date"].value == "2024-03-02"
    # a page that settles its order itself (a day > 12) is read that way
    out = module.extract(_visit("04/05/1991", "02/03/2024", "Printed 28/02/2024"))
    assert out["birth_date"].value == "1991-05-04"
