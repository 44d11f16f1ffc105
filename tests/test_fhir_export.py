"""`docc export` against a real FHIR server (sekmet on loopback): round trip, idempotence,
rejections, retries, resumable log, bearer token, NDJSON."""
from __future__ import annotations

import copy
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from fhir_server import count, fhir_server, free_port, golden_records, search
from pipeline.fhir_bundle import build_bundle, bundle_path, slug, write_bundle
from pipeline.fhir_export import export_command, export_to_server, log_path_for, read_export_log

pytestmark = pytest.mark.fhir_server

LOINC = "http://loinc.org"
TYPES = ("Patient", "Practitioner", "Organization", "Observation", "DiagnosticReport", "Condition", "Encounter",
         "MedicationRequest", "Coverage", "Claim", "DocumentReference", "Provenance")


def pick_records(per_type: int = 3) -> list[dict]:
    out, seen = [], {}
    for rec in golden_records():
        if seen.get(rec["doc_type"], 0) < per_type:
            seen[rec["doc_type"]] = seen.get(rec["doc_type"], 0) + 1
            out.append(rec)
    if not out:
        pytest.skip("no labeled samples in data/samples")
    return out


def make_run(out: Path, records: list[dict], write_half: bool = True) -> Path:
    """A `docc run` output folder: results.jsonl plus Bundles for every other exported record
    (the exporter must build the missing ones)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as fh:
        for i, rec in enumerate(records):
            fh.write(json.dumps(rec) + "\n")
            if write_half and i % 2 == 0 and rec["status"] == "exported":
                write_bundle(build_bundle(rec), out / "fhir")
    return out


def counts(base: str) -> dict[str, int]:
    return {t: count(base, t) for t in TYPES}


def entries_total(records: list[dict]) -> int:
    return sum(len(build_bundle(r)["entry"]) for r in records if r["status"] == "exported")


@pytest.fixture()
def server(tmp_path):
    with fhir_server(tmp_path / "server") as base:
        yield base


# ----------------------------------------------------------------------------- round trip

def test_round_trip_idempotent_and_resumable(server, tmp_path, capsys):
    records = pick_records()
    review = copy.deepcopy(records[0])
    review.update(status="review", reason="low confidence", sha256=hashlib.sha256(b"review-doc").hexdigest())
    out = make_run(tmp_path / "run", records + [review])
    exported = [r for r in records if r["status"] == "exported"]

    assert export_command(out, server, None, 4) == 0
    printed = capsys.readouterr().out
    assert "FHIR export" in printed
    first = counts(server)
    assert first["DocumentReference"] == len(exported) == first["Provenance"]
    assert first["Observation"] == sum(len(r["fields"]["results"]["value"]) for r in exported if r["doc_type"] == "lab_report")
    assert first["Claim"] == sum(1 for r in exported if r["doc_type"] == "claim_cms1500")
    # missing Bundles were built and written
    assert all(bundle_path(out / "fhir", r["sha256"]).exists() for r in exported)
    # the review document was not sent
    assert count(server, "DocumentReference", {"identifier": f"urn:docc:document-sha256|{review['sha256']}"}) == 0

    # read back: Patient by MRN identifier, Observations by subject + LOINC code
    lab = next(r for r in exported if r["doc_type"] == "lab_report")
    f = {k: v["value"] for k, v in lab["fields"].items()}
    mrn_system = f"urn:docc:mrn:{slug(f['lab_name'])}"
    (patient,) = search(server, "Patient", {"identifier": f"{mrn_system}|{f['mrn']}"})
    assert patient["birthDate"] == f["birth_date"]
    for row in f["results"]:
        cells = {c: v["value"] for c, v in row.items()}
        (obs,) = search(server, "Observation", {"subject": f"Patient/{patient['id']}", "code": f"{LOINC}|{cells['loinc']}"})
        assert obs["code"]["text"] == cells["test_name"]
        if "valueQuantity" in obs:
            assert obs["valueQuantity"]["value"] == pytest.approx(float(cells["value"].lstrip("<>")))
        assert obs["subject"]["reference"] == f"Patient/{patient['id']}"
    (report,) = search(server, "DiagnosticReport", {"subject": f"Patient/{patient['id']}"})
    assert len(report["result"]) == len(f["results"])
    (prov,) = search(server, "Provenance", {"entity:DocumentReference.identifier": f"urn:docc:document-sha256|{lab['sha256']}"})
    assert len(prov["target"]) == len(build_bundle(lab)["entry"]) - 2

    # the export log has one accepted line per document
    log = read_export_log(log_path_for(out, server))
    assert set(log) == {r["sha256"] for r in exported}
    assert all(e["status"] == "accepted" for e in log.values())

    # resumable: a second export sends nothing
    again = export_to_server(out, server)
    assert again.sent == 0 and again.skipped == len(exported) and again.ok

    # without the log, everything is sent again and nothing is created
    log_path_for(out, server).unlink()
    third = export_to_server(out, server, concurrency=3)
    assert third.sent == len(exported) and third.ok
    assert third.created == 0 and third.unchanged == entries_total(exported)
    assert counts(server) == first


def test_shared_patient_across_documents_is_created_once(server, tmp_path):
    lab = next(r for r in golden_records(("lab_report",)))
    twins = []
    for i in range(4):  # four documents of one patient (same MRN), sent concurrently
        rec = copy.deepcopy(lab)
        rec["sha256"] = hashlib.sha256(f"twin-{i}".encode()).hexdigest()
        twins.append(rec)
    out = make_run(tmp_path / "run", twins, write_half=False)
    report = export_to_server(out, server, concurrency=4)
    assert report.ok and report.sent == 4
    f = {k: v["value"] for k, v in lab["fields"].items()}
    assert count(server, "Patient", {"identifier": f"urn:docc:mrn:{slug(f['lab_name'])}|{f['mrn']}"}) == 1
    assert count(server, "DocumentReference") == 4
    assert count(server, "Practitioner") == 1 and count(server, "Organization") == 1


# ----------------------------------------------------------------------------- rejections

def test_rejected_bundle_is_reported_and_does_not_stop_the_rest(server, tmp_path, capsys):
    records = pick_records(2)
    out = make_run(tmp_path / "run", records, write_half=False)
    for r in records:
        write_bundle(build_bundle(r), out / "fhir")
    # break one Bundle on purpose: a decimal that is not a number
    bad = next(r for r in records if r["doc_type"] == "lab_report")
    path = bundle_path(out / "fhir", bad["sha256"])
    bundle = json.loads(path.read_text())
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    obs["valueQuantity"] = {"value": "not-a-number"}
    obs.pop("valueString", None)
    path.write_text(json.dumps(bundle))

    assert export_command(out, server, None, 2) == 1
    printed = capsys.readouterr().out
    assert "Not accepted" in printed and Path(bad["source"]).name in printed  # file names, not hashes
    log = read_export_log(log_path_for(out, server))
    assert log[bad["sha256"]]["status"] == "rejected"
    assert log[bad["sha256"]]["http_status"] == 400
    assert log[bad["sha256"]]["attempts"] == 1                       # 4xx: never retried
    assert log[bad["sha256"]]["outcome"]["resourceType"] == "OperationOutcome"
    assert any("valueQuantity" in ",".join(i.get("expression", [])) for i in log[bad["sha256"]]["outcome"]["issue"])
    others = [r for r in records if r is not bad]
    assert all(log[r["sha256"]]["status"] == "accepted" for r in others)
    # the transaction was atomic: nothing of the bad document is on the server
    assert count(server, "DocumentReference", {"identifier": f"urn:docc:document-sha256|{bad['sha256']}"}) == 0
    assert count(server, "DocumentReference") == len(others)

    # a re-run re-sends only the rejected document
    again = export_to_server(out, server)
    assert again.sent == 1 and again.skipped == len(others) and again.count("rejected") == 1


# ----------------------------------------------------------------------------- transient failures

class FlakyProxy:
    """A real loopback HTTP server in front of the FHIR server that answers the first requests
    with the given statuses (503, 429, ...), then forwards. Only way to provoke these for real:
    sekmet never answers 429/503 on its own."""

    def __init__(self, upstream: str, failures: list[int]) -> None:
        self.upstream = upstream.rstrip("/")
        self.failures = list(failures)
        self.requests = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with proxy.lock:
                    proxy.requests += 1
                    status = proxy.failures.pop(0) if proxy.failures else None
                if status:
                    payload = json.dumps({"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "transient", "diagnostics": "try later"}]}).encode()
                    self.send_response(status)
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                r = httpx.post(proxy.upstream + self.path[len("/fhir"):], content=body,
                               headers={"Content-Type": "application/fhir+json"}, timeout=60)
                self.send_response(r.status_code)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(r.content)))
                self.end_headers()
                self.wfile.write(r.content)

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_transient_failures_are_retried(server, tmp_path):
    records = pick_records(1)
    out = make_run(tmp_path / "run", records)
    with FlakyProxy(server, [503, 429, 502]) as proxy:
        report = export_to_server(out, proxy.url, concurrency=1, max_wait=0.2)
    assert report.ok and report.sent == len(records)
    assert sum(o.attempts for o in report.outcomes) == len(records) + 3
    assert count(server, "DocumentReference") == len(records)


def test_unreachable_server_fails_then_resumes(server, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCC_FHIR_ATTEMPTS", "2")
    records = pick_records(1)
    out = make_run(tmp_path / "run", records)
    dead = f"http://127.0.0.1:{free_port()}/fhir"
    report = export_to_server(out, dead, concurrency=1, attempts=2, max_wait=0.1)
    # a refused connection is not retried and stops the export at once
    assert report.count("failed") == 1 and report.stopped and not report.ok
    assert report.unreachable == "connection refused"
    assert all(o.attempts == 1 and "connection refused" in (o.error or "") for o in report.outcomes)
    assert report.not_sent == len(records) - 1
    assert export_command(out, dead, None, 2) == 1
    # the same run against a live server sends everything
    assert export_command(out, server, None, 2) == 0
    assert count(server, "DocumentReference") == len(records)


def test_circuit_breaker_stops_hammering_a_failing_server(server, tmp_path):
    records = pick_records(2)
    out = make_run(tmp_path / "run", records)
    with FlakyProxy(server, [503] * 20) as proxy:
        report = export_to_server(out, proxy.url, concurrency=1, attempts=1, breaker=2)
    assert report.stopped and report.count("failed") == 2 and report.not_sent == len(records) - 2
    assert all(o.http_status == 503 and o.error == "HTTP 503 after 1 attempts" for o in report.outcomes)
    assert not report.ok
    resumed = export_to_server(out, server, concurrency=2)
    assert resumed.ok and resumed.sent == len(records)


def test_bearer_token(tmp_path, monkeypatch):
    records = pick_records(1)[:2]
    out = make_run(tmp_path / "run", records)
    with fhir_server(tmp_path / "secured", tokens=["s3cret-token"]) as base:
        monkeypatch.delenv("DOCC_FHIR_TOKEN", raising=False)
        denied = export_to_server(out, base)
        assert denied.count("rejected") == len(records)
        assert all(o.http_status == 401 and o.attempts == 1 for o in denied.outcomes)
        monkeypatch.setenv("DOCC_FHIR_TOKEN", "s3cret-token")
        assert export_command(out, base, None, 2) == 0
        assert count(base, "DocumentReference", token="s3cret-token") == len(records)


# ----------------------------------------------------------------------------- NDJSON

def test_ndjson_export_is_deterministic(tmp_path):
    records = pick_records()
    out = make_run(tmp_path / "run", records)
    assert export_command(out, None, tmp_path / "nd1", 1) == 0
    assert export_command(out, None, tmp_path / "nd2", 1) == 0
    files = sorted(p.name for p in (tmp_path / "nd1").glob("*.ndjson"))
    assert "Patient.ndjson" in files and "Provenance.ndjson" in files
    for name in files:
        assert (tmp_path / "nd1" / name).read_bytes() == (tmp_path / "nd2" / name).read_bytes()
    lines = (tmp_path / "nd1" / "DocumentReference.ndjson").read_text().splitlines()
    assert len(lines) == len(records)


def test_missing_results_is_a_usage_error(tmp_path):
    assert export_command(tmp_path, "http://127.0.0.1:9/fhir", None, 1) == 2


def test_ndjson_loads_into_the_server(server, tmp_path):
    """The NDJSON resources are valid for the server too (ids and Type/id references)."""
    records = pick_records(1)
    out = make_run(tmp_path / "run", records)
    assert export_command(out, None, tmp_path / "nd", 1) == 0
    order = ["Patient", "Practitioner", "Organization", "Coverage", "Encounter", "ServiceRequest", "Condition",
             "Observation", "DiagnosticReport", "MedicationRequest", "Claim", "DocumentReference", "Provenance"]
    with httpx.Client(timeout=30, headers={"Content-Type": "application/fhir+json"}) as client:
        for rtype in order:
            path = tmp_path / "nd" / f"{rtype}.ndjson"
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                res = json.loads(line)
                r = client.put(f"{server}/{rtype}/{quote(res['id'])}", content=line)
                assert r.status_code in (200, 201), r.text[:300]
    assert count(server, "DocumentReference") == len(records)
