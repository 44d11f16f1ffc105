"""Runtime validation suites: built from schema + goldens at compile time, run as Great
Expectations suites over batches of documents at run time."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_batch_fixtures as F  # noqa: E402

from extractors.expectations import build_runtime_suite, generalise_pattern, npi_luhn_ok  # noqa: E402
from pipeline.checks import RuntimeChecks  # noqa: E402


def test_generalise_pattern():
    assert generalise_pattern(["MRN12345678", "MRN87654321"]) == r"^[A-Z]{3}\d{8}$"
    p = generalise_pattern(["AB-1234", "ABC-12345"])
    assert re.fullmatch(p, "XY-9999") and not re.fullmatch(p, "1234-AB")
    many = ["a1", "B-2", "c.3", "dd_44", "E/5", "f 6"]
    assert all(re.fullmatch(generalise_pattern(many), v) for v in many)


def test_npi_luhn():
    assert npi_luhn_ok("1234567893")  # the CMS documentation example
    assert not npi_luhn_ok("1234567890")
    assert not npi_luhn_ok("123456789")
    import random

    rng = random.Random(0)
    assert all(npi_luhn_ok(F.npi(rng)) for _ in range(50))


def test_suite_contents():
    import random

    rng = random.Random(2)
    goldens = [F.lab_doc(rng)[1] for _ in range(8)]
    suite = build_runtime_suite(F.LAB_SCHEMA, goldens)
    names = {c["name"]: c for c in suite["checks"]}
    assert {"patient_name:required", "birth_date:required", "collection_date:required", "results:required"} <= set(names)
    assert names["mrn:pattern"]["regex"] == r"^[A-Z]{3}\d{8}$"
    assert names["ordering_npi:npi_luhn"]["kind"] == "derived"
    assert names["birth_date:iso_date"]["kind"] == "regex" and "birth_date:valid_date" in names
    assert sorted(names["results.unit:value_set"]["values"]) == ["g/dl", "mg/dl", "mmol/l"]
    assert names["results.value:range"]["min"] == 0 and names["results.value:range"]["max"] > 100
    assert "patient_name:no_digits" in names
    assert build_runtime_suite(F.LAB_SCHEMA, goldens) == suite  # deterministic


@pytest.fixture(scope="module")
def checks():
    import random

    rng = random.Random(2)
    goldens = [F.lab_doc(rng)[1] for _ in range(8)]
    return RuntimeChecks({"lab_report": build_runtime_suite(F.LAB_SCHEMA, goldens)})


def _fields(g: dict) -> dict:
    f = {k: {"value": v} for k, v in g.items() if k != "results"}
    f["results"] = {"value": [{c: {"value": v} for c, v in r.items()} for r in g["results"]]}
    return f


def test_gx_validation_per_document(checks):
    import random

    rng = random.Random(9)
    good = [_fields(F.lab_doc(rng)[1]) for _ in range(5)]
    bad_mrn = _fields(F.lab_doc(rng, mrn="12-AB")[1])
    bad_npi = _fields(F.lab_doc(rng, npi="1234567890")[1])
    bad_date = _fields(F.lab_doc(rng, birth_date="2023-02-30")[1])
    no_name = _fields(F.lab_doc(rng)[1])
    no_name["patient_name"] = None
    odd_unit = _fields(F.lab_doc(rng)[1])
    odd_unit["results"]["value"][1]["unit"] = {"value": "furlongs"}
    batch = good[:2] + [bad_mrn, bad_npi, bad_date, no_name, odd_unit] + good[2:]
    failed = checks.validate("lab_report", batch)
    assert failed[:2] == [[], []] and failed[-3:] == [[], [], []]
    assert failed[2] == ["mrn:pattern"]
    assert failed[3] == ["ordering_npi:npi_luhn"]
    assert failed[4] == ["birth_date:valid_date"]
    assert failed[5] == ["patient_name:required"]
    assert failed[6] == ["results.unit:value_set"]
    # row-wise: a document's verdict does not depend on its batch
    assert checks.validate("lab_report", [bad_npi]) == [["ordering_npi:npi_luhn"]]
    assert checks.validate("lab_report", good[:1]) == [[]]
    assert checks.validate("prescription", good[:1]) == [[]]  # no suite: nothing to fail


def test_a_withheld_value_is_not_checked(checks):
    """The checks judge what a document would send: an optional value the export gate withholds
    is left out of FHIR, so its failed pattern does not hold the document; a sent one does."""
    import random

    from pipeline.batch_driver import sent_fields
    from pipeline.records import DocRecord

    rng = random.Random(11)
    fields = _fields(F.lab_doc(rng, mrn="12-AB")[1])
    withheld = {"field": "mrn", "code": "low_confidence", "action": "withhold"}
    held = DocRecord("ab" * 32, "exported", doc_type="lab_report", fields=fields, gate=(withheld,))
    sent = DocRecord("ab" * 32, "exported", doc_type="lab_report", fields=fields, gate=())
    assert sent_fields(held)["mrn"] is None and sent_fields(held)["patient_name"] == fields["patient_name"]
    assert checks.validate("lab_report", [sent_fields(held), sent_fields(sent)]) == [[], ["mrn:pattern"]]
    # a value withheld because it fails its own format is a printed defect: it is still checked
    invalid = DocRecord("ab" * 32, "exported", doc_type="lab_report", fields=fields,
                        gate=({**withheld, "code": "format_invalid"},))
    assert checks.validate("lab_report", [sent_fields(invalid)]) == [["mrn:pattern"]]
