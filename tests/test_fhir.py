"""FHIR Bundles built from the sample corpus: structure, codes, determinism, bindings, NDJSON."""
from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from fhir_server import golden_records
from pipeline.fhir_bundle import (FHIR_DIR, BuildError, MappingError, Terminology, build_bundle, dumps,
                                  human_name, write_bundle, write_ndjson)
from pipeline.fhir_codes import BindingError, check_bindings

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
NPI = "http://hl7.org/fhir/sid/us-npi"
DOC_TYPES = ("lab_report", "discharge_summary", "prescription", "claim_cms1500")


@pytest.fixture(scope="module")
def records() -> list[dict]:
    recs = golden_records()
    if not recs:
        pytest.skip("no labeled samples in data/samples")
    return recs


@pytest.fixture(scope="module")
def bundles(records) -> dict[str, dict]:
    return {r["sha256"]: build_bundle(r) for r in records}


def by_type(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in bundle["entry"]:
        out.setdefault(e["resource"]["resourceType"], []).append(e["resource"])
    return out


def first_of(records, doc_type):
    recs = [r for r in records if r["doc_type"] == doc_type]
    if not recs:
        pytest.skip(f"no {doc_type} samples")
    return recs[0]


def golden(record, name):
    value = record["fields"][name]["value"]
    if isinstance(value, list):
        return [{c: cell["value"] for c, cell in row.items()} for row in value]
    return value


# ----------------------------------------------------------------------------- every sample

def test_every_sample_builds_a_valid_transaction_bundle(records, bundles):
    assert {r["doc_type"] for r in records} <= set(DOC_TYPES)
    for rec in records:
        bundle = bundles[rec["sha256"]]
        Bundle.model_validate(bundle)
        assert bundle["type"] == "transaction"
        assert check_bindings(bundle) == []
        urls = [e["fullUrl"] for e in bundle["entry"]]
        assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)
        for e in bundle["entry"]:
            res = e["resource"]
            get_fhir_model_class(res["resourceType"]).model_validate(res)
            assert e["request"]["method"] == "POST" and e["request"]["url"] == res["resourceType"]
            assert e["request"]["ifNoneExist"]
        # every urn:uuid reference points into the Bundle
        refs = set()

        def walk(node):
            if isinstance(node, dict):
                if isinstance(node.get("reference"), str):
                    refs.add(node["reference"])
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk([e["resource"] for e in bundle["entry"]])
        assert refs <= set(urls)


def test_resources_equal_the_models_own_json(records, bundles):
    """build_bundle keeps its dicts after validation: they must already be the models' JSON form."""
    for rec in records[:: max(1, len(records) // 20)]:
        for e in bundles[rec["sha256"]]["entry"]:
            res = e["resource"]
            model = get_fhir_model_class(res["resourceType"]).model_validate(res)
            assert json.loads(model.model_dump_json()) == res


def test_mappings_name_only_schema_fields():
    """Every field/column a mapping reads exists in data/samples/<doc_type>/schema.yaml."""
    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    checked = 0
    for path in sorted((FHIR_DIR / "mappings").glob("*.yaml")):
        schema_path = samples / path.stem / "schema.yaml"
        if not schema_path.exists():
            continue
        fields = yaml.safe_load(schema_path.read_text())["fields"]
        mapping = yaml.safe_load(path.read_text())
        tables = {k: set((v.get("columns") or {}).keys()) for k, v in fields.items() if v.get("type") == "table"}

        def walk(node, table=None):
            nonlocal checked
            if isinstance(node, list):
                for x in node:
                    walk(x, table)
            elif isinstance(node, dict):
                t = node.get("for_each", table)
                if "for_each" in node:
                    assert node["for_each"] in tables, f"{path.name}: unknown table {node['for_each']}"
                    for c in node.get("when") or []:
                        assert c in tables[node["for_each"]], f"{path.name}: unknown column {c}"
                if isinstance(node.get("field"), str):
                    assert node["field"] in fields, f"{path.name}: unknown field {node['field']}"
                    if isinstance(node.get("column"), str):
                        assert node["column"] in tables[node["field"]], f"{path.name}: unknown column {node['column']}"
                    checked += 1
                elif isinstance(node.get("column"), str):
                    assert t and node["column"] in tables[t], f"{path.name}: unknown column {node['column']}"
                    checked += 1
                for k, v in node.items():
                    if k != "for_each":
                        walk(v, t)

        for key, res in mapping["resources"].items():
            if res.get("for_each"):
                assert res["for_each"] in tables
                for c in res.get("when") or []:
                    assert c in tables[res["for_each"]], f"{path.name}:{key}: unknown column {c}"
            else:
                for c in res.get("when") or []:
                    assert c in fields, f"{path.name}:{key}: unknown field {c}"
            walk(res.get("identifier"), res.get("for_each"))
            walk(res.get("elements"), res.get("for_each"))
        walk(mapping.get("document"))
    if not checked:
        pytest.skip("no schemas in data/samples")


def test_bundles_are_byte_identical_run_to_run(records):
    for rec in records[:: max(1, len(records) // 12)]:
        a = dumps(build_bundle(copy.deepcopy(rec)))
        b = dumps(build_bundle(json.loads(json.dumps(rec))))
        assert a == b


def test_document_reference_and_provenance(records, bundles):
    for rec in records:
        bundle = bundles[rec["sha256"]]
        res = by_type(bundle)
        (doc,) = res["DocumentReference"]
        assert doc["identifier"] == [{"system": "urn:docc:document-sha256", "value": rec["sha256"]}]
        assert doc["status"] == "current"
        assert doc["content"][0]["attachment"]["contentType"] in ("application/pdf", "image/tiff", "image/png", "image/jpeg")
        assert "data" not in doc["content"][0]["attachment"]
        (prov,) = res["Provenance"]
        doc_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DocumentReference")
        others = {e["fullUrl"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] not in ("DocumentReference", "Provenance")}
        assert {t["reference"] for t in prov["target"]} == others
        assert prov["entity"][0]["what"]["reference"] == doc_url
        assert prov["entity"][1]["what"]["identifier"]["value"] == rec["extractor_sha256"]


# ----------------------------------------------------------------------------- per doc type

def test_lab_report(records):
    rec = first_of(records, "lab_report")
    res = by_type(build_bundle(rec))
    counts = Counter({t: len(v) for t, v in res.items()})
    rows = golden(rec, "results")
    assert counts["Observation"] == len(rows)
    assert counts["Patient"] == counts["DiagnosticReport"] == counts["ServiceRequest"] == 1
    (patient,) = res["Patient"]
    mr = patient["identifier"][0]
    assert mr["type"]["coding"][0]["code"] == "MR" and mr["value"] == golden(rec, "mrn")
    assert patient["birthDate"] == golden(rec, "birth_date")
    assert patient["name"][0]["family"] and patient["name"][0]["given"]
    (report,) = res["DiagnosticReport"]
    assert len(report["result"]) == len(rows) and report["status"] == "final"
    (practitioner,) = res["Practitioner"]
    assert practitioner["identifier"][0] == {"system": NPI, "value": golden(rec, "ordering_npi")}
    term = Terminology(FHIR_DIR / "terminology")
    for obs, row in zip(res["Observation"], rows):
        coding = obs["code"]["coding"][0]
        expected = row["loinc"] or term.lookup("loinc", row["test_name"]).code
        assert coding["system"] == LOINC and coding["code"] == expected
        assert obs["code"]["text"] == row["test_name"]
        assert obs["effectiveDateTime"] == golden(rec, "collection_date")


def test_observation_values_ranges_and_flags(records):
    seen = Counter()
    for rec in (r for r in records if r["doc_type"] == "lab_report"):
        res = by_type(build_bundle(rec))
        for obs, row in zip(res["Observation"], golden(rec, "results")):
            rng = obs["referenceRange"][0]
            assert rng["text"] == row["reference_range"]
            if "valueQuantity" in obs:
                q = obs["valueQuantity"]
                assert q["value"] == pytest.approx(float(row["value"].lstrip("<>")))
                if row["unit"]:
                    assert q["unit"] == row["unit"] and q["system"] == UCUM and q["code"]
                    seen["ucum"] += 1
                if "-" in row["reference_range"][1:]:
                    assert rng["low"]["value"] < rng["high"]["value"]
                    seen["range"] += 1
                elif row["reference_range"].startswith("<"):
                    assert "high" in rng and "low" not in rng
                    seen["upper"] += 1
            else:
                assert obs["valueString"] == row["value"]
                seen["qualitative"] += 1
            if row["flag"]:
                code = obs["interpretation"][0]["coding"][0]
                assert code["system"].endswith("v3-ObservationInterpretation")
                assert code["code"] == {"high": "H", "low": "L", "abnormal": "A"}.get(row["flag"].lower(), row["flag"])
                seen["flag"] += 1
            else:
                assert "interpretation" not in obs
    assert seen["ucum"] and seen["range"] and seen["flag"]


def test_discharge_summary(records):
    rec = first_of(records, "discharge_summary")
    res = by_type(build_bundle(rec))
    (enc,) = res["Encounter"]
    assert enc["status"] == "finished" and enc["class"]["code"] == "IMP"
    assert enc["period"] == {"start": golden(rec, "admission_date"), "end": golden(rec, "discharge_date")}
    dx = golden(rec, "diagnoses") or []
    assert len(res["Condition"]) == 1 + len(dx)
    primary = res["Condition"][0]
    assert primary["code"]["coding"][0] == {"system": ICD10CM, "code": golden(rec, "primary_diagnosis_code"),
                                            "display": primary["code"]["coding"][0]["display"]}
    assert primary["clinicalStatus"]["coding"][0]["code"] == "active"
    assert len(enc["diagnosis"]) == len(res["Condition"]) and enc["diagnosis"][0]["rank"] == 1
    meds = golden(rec, "discharge_medications") or []
    assert len(res.get("MedicationRequest", [])) == len(meds)
    for mr, row in zip(res.get("MedicationRequest", []), meds):
        assert mr["medicationCodeableConcept"]["coding"][0]["system"] == RXNORM
        assert mr["dosageInstruction"][0]["text"].endswith(row["frequency"])


def test_prescription(records):
    rec = first_of(records, "prescription")
    res = by_type(build_bundle(rec))
    (mr,) = res["MedicationRequest"]
    assert mr["status"] == "active" and mr["intent"] == "order"
    coding = mr["medicationCodeableConcept"]["coding"][0]
    assert coding["system"] == RXNORM and coding["code"].isdigit()
    assert mr["dosageInstruction"][0]["text"] == golden(rec, "sig")
    assert mr["dispenseRequest"]["quantity"]["value"] == golden(rec, "quantity")
    assert mr["dispenseRequest"]["numberOfRepeatsAllowed"] == golden(rec, "refills")
    (prescriber,) = res["Practitioner"]
    assert {"system": NPI, "value": golden(rec, "prescriber_npi")} in prescriber["identifier"]
    assert mr["requester"]["reference"] == next(e["fullUrl"] for e in build_bundle(rec)["entry"]
                                                if e["resource"]["resourceType"] == "Practitioner")


def test_prescriptions_with_printed_rxnorm_keep_that_code(records):
    for rec in (r for r in records if r["doc_type"] == "prescription"):
        printed = golden(rec, "drug_rxnorm")
        if printed:
            (mr,) = by_type(build_bundle(rec))["MedicationRequest"]
            assert mr["medicationCodeableConcept"]["coding"][0]["code"] == printed


def test_claim(records):
    rec = first_of(records, "claim_cms1500")
    bundle = build_bundle(rec)
    res = by_type(bundle)
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    (claim,) = res["Claim"]
    (coverage,) = res["Coverage"]
    assert claim["use"] == "claim" and claim["status"] == "active"
    assert claim["total"] == {"value": pytest.approx(golden(rec, "total_charge")), "currency": "USD"}
    lines = golden(rec, "service_lines")
    assert len(claim["item"]) == len(lines)
    for item, line in zip(claim["item"], lines):
        assert item["productOrService"]["coding"][0]["system"] == CPT
        assert item["productOrService"]["coding"][0]["code"] == line["cpt_code"]
        assert item["net"] == {"value": pytest.approx(line["charge"]), "currency": "USD"}
        assert item["diagnosisSequence"] == [ord(c) - 64 for c in line["dx_pointer"]]
    dx = golden(rec, "diagnoses")
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == [d["icd10_code"] for d in dx]
    assert {d["sequence"] for d in claim["diagnosis"]} >= {s for i in claim["item"] for s in i["diagnosisSequence"]}
    billing = by_url[claim["provider"]["reference"]]
    assert billing["resourceType"] == "Organization"
    assert {"system": NPI, "value": golden(rec, "billing_npi")} in billing["identifier"]
    assert coverage["subscriberId"] == golden(rec, "insured_id")
    assert claim["insurance"][0]["coverage"]["reference"].startswith("urn:uuid:")


# ----------------------------------------------------------------------------- conditional-create keys

def test_conditional_create_keys(records):
    rec = first_of(records, "lab_report")
    bundle = build_bundle(rec)
    cond = {e["resource"]["resourceType"]: e["request"]["ifNoneExist"] for e in bundle["entry"]}
    assert cond["Patient"].startswith("identifier=urn:docc:mrn:")
    assert cond["Practitioner"] == f"identifier=http://hl7.org/fhir/sid/us-npi%7C{golden(rec, 'ordering_npi')}"
    assert cond["DocumentReference"] == f"identifier=urn:docc:document-sha256%7C{rec['sha256']}"
    assert cond["Observation"].startswith(f"identifier=urn:docc:derived-id%7C{rec['sha256']}:result/")
    assert cond["Provenance"].startswith("entity:DocumentReference.identifier=")


def test_same_business_key_twice_in_one_document_is_one_resource(records, fhir_copy):
    # a second Practitioner with the same NPI (e.g. ordering and reviewing doctor are one person)
    path = fhir_copy / "mappings" / "lab_report.yaml"
    data = yaml.safe_load(path.read_text())
    resources = data["resources"]
    resources["reviewer"] = {"type": "Practitioner", "identifier": [{"system": "npi", "field": "ordering_npi"}],
                             "elements": {"name": [{"field": "ordering_provider", "as": "name"}]}}
    resources["report"]["elements"]["resultsInterpreter"] = [{"ref": "reviewer"}]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    rec = first_of(records, "lab_report")
    bundle = build_bundle(rec, fhir_dir=fhir_copy)
    practitioners = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Practitioner"]
    assert len(practitioners) == 1
    (report,) = by_type(bundle)["DiagnosticReport"]
    assert report["resultsInterpreter"] == [{"reference": practitioners[0]["fullUrl"]}]


def test_missing_identifiers_fall_back_to_document_derived_keys(records):
    rec = copy.deepcopy(first_of(records, "lab_report"))
    rec["fields"]["mrn"] = {"value": None}
    # no MRN: the Patient is matched by name + birth date (conditional create on demographics) ...
    bundle = build_bundle(rec)
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["request"]["ifNoneExist"] == "family:exact=Rhodes&given:exact=Matthew&birthdate=1964-05-05"
    assert "identifier" not in patient["resource"]  # no per-document identifier on a shared Patient
    # ... and without a birth date too, it is keyed to this document: never a guess
    rec["fields"]["birth_date"] = {"value": None}
    bundle = build_bundle(rec)
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["request"]["ifNoneExist"] == f"identifier=urn:docc:derived-id%7C{rec['sha256']}:patient"


# ----------------------------------------------------------------------------- bindings & mapping errors

def test_required_binding_check_rejects_bad_codes():
    assert check_bindings({"resourceType": "Observation", "status": "final", "code": {"text": "x"}}) == []
    assert check_bindings({"resourceType": "Observation", "status": "done", "code": {"text": "x"}})
    assert check_bindings({"resourceType": "MedicationRequest", "status": "active", "intent": "prescription"})
    assert check_bindings({"resourceType": "Claim", "status": "active", "use": "bill"})
    assert check_bindings({"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]}})
    assert check_bindings({"resourceType": "Bundle", "type": "transaction",
                           "entry": [{"request": {"method": "FETCH", "url": "Patient"}}]})
    assert check_bindings({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Encounter", "status": "done"}, "request": {"method": "POST", "url": "Encounter"}}]})


@pytest.fixture()
def fhir_copy(tmp_path) -> Path:
    dst = tmp_path / "fhir"
    shutil.copytree(FHIR_DIR, dst)
    return dst


def test_build_refuses_a_mapping_that_emits_a_bad_status(records, fhir_copy):
    path = fhir_copy / "mappings" / "lab_report.yaml"
    data = yaml.safe_load(path.read_text())
    data["resources"]["result"]["elements"]["status"] = "done"   # not in the required value set
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(BindingError, match="Observation.status"):
        build_bundle(first_of(records, "lab_report"), fhir_dir=fhir_copy)


def test_mapping_typos_are_errors(records, fhir_copy):
    path = fhir_copy / "mappings" / "prescription.yaml"
    data = yaml.safe_load(path.read_text())
    data["resources"]["prescription"]["elements"]["authoredOn"] = {"feild": "date_written", "as": "date"}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(MappingError, match="feild"):
        build_bundle(first_of(records, "prescription"), fhir_dir=fhir_copy)


def test_fields_that_cannot_make_valid_fhir_are_a_build_error(records):
    rec = copy.deepcopy(first_of(records, "prescription"))
    rec["fields"]["date_written"] = {"value": "2024-02-30"}
    with pytest.raises(BuildError, match="date_written: not a date"):
        build_bundle(rec)
    rec["fields"]["date_written"] = {"value": "2024-02-03"}
    rec["fields"]["refills"] = {"value": 1.5}          # numberOfRepeatsAllowed must be an integer
    with pytest.raises(BuildError, match="refills: not an integer"):
        build_bundle(rec)
    # a doc type nobody mapped: the certain default (Patient from well-known field names,
    # DocumentReference, Provenance), never a mapping error
    default = build_bundle({**rec, "doc_type": "no_such_type", "fields": {**rec["fields"], "refills": {"value": 1}}})
    assert [e["resource"]["resourceType"] for e in default["entry"]] == ["Patient", "DocumentReference", "Provenance"]


# ----------------------------------------------------------------------------- terminology & parsing

def test_terminology_lookups():
    t = Terminology(FHIR_DIR / "terminology")
    assert t.lookup("loinc", "GLUCOSE").code == "2345-7"
    assert t.lookup("loinc", "Glucose, Urine").code == "5792-7"
    assert t.lookup("loinc", "Some Unknown Test") is None
    assert t.lookup("loinc", "12345-6").display is None           # looks like a LOINC code: kept
    assert t.lookup("ucum", "10^3/uL").code == "10*3/uL"
    assert t.lookup("ucum", "MG/DL").code == "mg/dL"
    assert t.lookup("ucum", "mIU/L").code == "m[IU]/L"
    assert t.lookup("icd10cm", "E119").code == "E11.9"
    assert t.lookup("cpt", "99213").display.startswith("Office visit")
    assert t.lookup("rxnorm", "Lisinopril 10 mg").code == "314076"             # clinical drug
    assert t.lookup("rxnorm", "Lisinopril 5 mg").code == "29046"               # ingredient
    assert t.lookup("rxnorm", "Metoprolol Tartrate 50 mg").code == "6918"
    assert t.lookup("rxnorm", "Amoxicillin-Clavulanate 500-125 mg") is None    # not plain amoxicillin
    assert t.lookup("interpretation", "High").code == "H"


def test_human_names():
    assert human_name("Doe, Jane M") == {"text": "Doe, Jane M", "family": "Doe", "given": ["Jane", "M"]}
    assert human_name("Jane M. Doe") == {"text": "Jane M. Doe", "family": "Doe", "given": ["Jane", "M."]}
    n = human_name("Dr. John Smith, MD")
    assert n["family"] == "Smith" and n["given"] == ["John"] and n["prefix"] == ["Dr."] and n["suffix"] == ["MD"]


# ----------------------------------------------------------------------------- files

def test_write_bundle_is_deterministic(records, bundles, tmp_path):
    rec = records[0]
    p1 = write_bundle(bundles[rec["sha256"]], tmp_path / "a")
    p2 = write_bundle(build_bundle(rec), tmp_path / "b")
    assert p1.name == f"{rec['sha256']}.json" and p1.read_bytes() == p2.read_bytes()


def test_ndjson_is_deterministic_and_shares_resources(records, bundles, tmp_path):
    items = list(bundles.values())
    counts = write_ndjson(items, tmp_path / "one")
    write_ndjson(list(reversed(items)), tmp_path / "two")
    for f in sorted((tmp_path / "one").glob("*.ndjson")):
        assert f.read_bytes() == (tmp_path / "two" / f.name).read_bytes()
    assert counts["DocumentReference"] == len(items)
    ids = {}
    for f in (tmp_path / "one").glob("*.ndjson"):
        for line in f.read_text().splitlines():
            res = json.loads(line)
            get_fhir_model_class(res["resourceType"]).model_validate(res)
            ids[(res["resourceType"], res["id"])] = res
    # references are Type/id and resolve inside the NDJSON set
    for res in ids.values():
        for ref in _refs(res):
            t, i = ref.split("/")
            assert (t, i) in ids
    # labs and a hospital share organisations by name: fewer Organizations than documents naming one
    n_orgs_named = sum(1 for b in items for e in b["entry"] if e["resource"]["resourceType"] == "Organization")
    assert counts["Organization"] < n_orgs_named


def _refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for v in node.values():
            yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_odd_field_values_build_or_fail_cleanly(records):
    """Absent, empty or ill-typed values either build or raise BuildError/BindingError naming the
    field; never another exception (the batch runner turns these into review items)."""
    by_doc_type = {}
    for r in records:
        by_doc_type.setdefault(r["doc_type"], r)
    for rec in by_doc_type.values():
        for name, entry in rec["fields"].items():
            for value in (None, "", "???", 7, [], {"x": 1}):
                variant = copy.deepcopy(rec)
                if isinstance(entry["value"], list) and entry["value"]:
                    for col in entry["value"][0]:
                        variant["fields"][name]["value"][0][col] = {"value": value}
                else:
                    variant["fields"][name] = {"value": value}
                try:
                    build_bundle(variant)
                except (BuildError, BindingError) as e:
                    assert "???" not in str(e)
            # an absent optional field never breaks the build
            if name not in ("service_lines",):
                variant = copy.deepcopy(rec)
                variant["fields"][name] = {"value": None}
                if name in ("patient_name", "birth_date", "collection_date", "admission_date", "discharge_date",
                            "date_written", "total_charge", "insured_id"):
                    continue
                build_bundle(variant)
