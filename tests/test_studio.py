"""docc studio end to end in a real browser: Playwright driving Debian's Chromium (no browser
download) against the real server (`docc studio` as a child process on a free loopback port),
with real ingest, the real locked extractors, Great Expectations runtime checks, the FHIR
building code and the loopback FHIR server (`tests/fhir_server.py`).

Screenshots are kept under out/test-artifacts/studio/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fhir_server import count, fhir_server, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "out" / "test-artifacts" / "studio"
pytestmark = [pytest.mark.fhir_server,
              pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (`make test-system-deps`)")]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
RX_SAMPLES = ["rx_a_01", "rx_a_02", "rx_b_01", "rx_b_02", "rx_c_01", "rx_c_02"]  # text PDFs, three layouts
BAD_NPI, GOOD_NPI = "2113786704", "2113786703"


def redraw_pdf(src: Path, dst: Path, replace: dict[str, str]) -> None:
    """A copy of a text PDF drawn from its ingested words (same words at the same places), with
    some words replaced: a document the locked extractor reads like the original."""
    from reportlab.pdfgen import canvas

    from pipeline.ingest import ingest

    doc = ingest(str(src))
    c = None
    for page in doc.pages:
        if c is None:
            c = canvas.Canvas(str(dst), pagesize=(page.width, page.height))
        for w in page.words:
            size = max(6.0, (w.bottom - w.top) * 0.95)
            c.setFont("Helvetica", size)
            c.drawString(w.x0, page.height - w.bottom + size * 0.22, replace.get(w.text, w.text))
        c.showPage()
    c.save()


def referral_pdf(path: Path) -> None:
    """A new kind of document nobody has labeled: a referral letter with an orders table."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 720, "Riverside Clinic - Referral")
    c.setFont("Helvetica", 11)
    for y, label, value in ((680, "Patient:", "Jane Q Doe"), (662, "Date of birth:", "03/14/1961"), (644, "Reason:", "Persistent cough")):
        c.drawString(72, y, label)
        c.drawString(180, y, value)
    c.setFont("Helvetica-Bold", 11)
    c.drawString(72, 600, "Test")
    c.drawString(260, 600, "Code")
    c.setFont("Helvetica", 11)
    for y, test, code in ((582, "Chest X-ray", "71046"), (564, "Spirometry", "94010")):
        c.drawString(72, y, test)
        c.drawString(260, y, code)
    c.showPage()
    c.save()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from pipeline.batch import run_command

    tmp = tmp_path_factory.mktemp("studio")
    samples = tmp / "samples"
    (samples / "prescription").mkdir(parents=True)
    src = ROOT / "data" / "samples" / "prescription"
    shutil.copy(src / "schema.yaml", samples / "prescription")
    for sid in RX_SAMPLES:
        for ext in (".pdf", ".json"):
            shutil.copy(src / f"{sid}{ext}", samples / "prescription" / f"{sid}{ext}")
    extractors = tmp / "extractors"
    shutil.copytree(ROOT / "extractors" / "compiled", extractors)
    inputs = tmp / "inputs"
    inputs.mkdir()
    redraw_pdf(ROOT / "tests" / "heldout" / "prescription" / "rx_d_01.pdf", inputs / "rx_fax_01.pdf", {GOOD_NPI: BAD_NPI})
    referral_pdf(tmp / "referral_01.pdf")
    run = tmp / "run"
    assert run_command([inputs], run, extractors, workers=1, progress=False, quiet=True) == 0
    (line,) = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    assert line["status"] == "review" and "prescriber_npi:npi_luhn" in line["checks_failed"], line["reason"]
    return {"tmp": tmp, "samples": samples, "extractors": extractors, "run": run, "sha": line["sha256"]}


@pytest.fixture(scope="module")
def fhir(world):
    with fhir_server(world["tmp"] / "fhir") as base:
        yield base


@pytest.fixture(scope="module")
def studio(world, fhir):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "studio", "--samples", str(world["samples"]), "--run", str(world["run"]),
         "--extractors", str(world["extractors"]), "--port", str(port), "--fhir-url", fhir],
        cwd=world["tmp"], env=env, stdout=subprocess.PIPE, stderr=open(world["tmp"] / "studio.log", "w"), text=True)
    url = None
    try:
        for line in proc.stdout:  # the start-up line carries the token URL
            m = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
            if m:
                url = m.group(1)
                break
        assert url, "studio printed no URL"
        base = url.split("/?")[0]
        while True:  # readiness: poll until the server answers
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (world["tmp"] / "studio.log").read_text()
        yield {"url": url, "base": base}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def page(studio):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(studio["url"])
        yield pg
        browser.close()
        assert not errors, errors


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def click_words(page, *texts: str, shift_first: bool = False) -> None:
    """Click each word's box on the page (the words ingest found)."""
    for i, t in enumerate(texts):
        loc = page.locator(f'.word[title="{t}"]').first
        loc.click(modifiers=["Shift"] if (i > 0 or shift_first) else [])


def drag_over(page, first: str, last: str) -> None:
    a = page.locator(f'.word[title="{first}"]').first.bounding_box()
    b = page.locator(f'.word[title="{last}"]').first.bounding_box()
    page.mouse.move(a["x"] - 3, a["y"] - 2)
    page.mouse.down()
    page.mouse.move((a["x"] + b["x"] + b["width"]) / 2, (a["y"] + b["y"]) / 2, steps=4)
    page.mouse.move(b["x"] + b["width"] + 3, b["y"] + b["height"] + 2, steps=4)
    page.mouse.up()


def test_token_required(studio):
    assert httpx.get(studio["base"] + "/api/doctypes").status_code == 401
    assert httpx.get(studio["base"] + "/?token=wrong").status_code == 401
    r = httpx.get(studio["url"], follow_redirects=False)
    assert r.status_code == 303 and "httponly" in r.headers["set-cookie"].lower()
    assert httpx.get(studio["base"] + "/api/doctypes", headers={"Host": "evil.example"}, cookies=r.cookies).status_code == 403


def test_label_a_new_doc_type_from_scratch(page, world):
    page.keyboard.press("l")
    page.click("#new-doctype")
    page.fill("#schema-doctype", "referral")
    page.fill("#schema-fields .field-row .f-name", "patient_name")
    page.select_option("#schema-fields .field-row .f-type", "person_name")
    page.check("#schema-fields .field-row .f-required")
    for name, typ in (("birth_date", "date"), ("reason", "string"), ("orders", "table")):
        page.click("#schema-add-field")
        row = page.locator("#schema-fields tr.field-row").last
        row.locator(".f-name").fill(name)
        row.locator(".f-type").select_option(typ)
    cols = page.locator("#schema-fields tr.cols-holder").last
    cols.locator(".col-row .f-name").first.fill("test")
    cols.locator(".add-col").click()
    cols.locator(".col-row").last.locator(".f-name").fill("code")
    cols.locator(".col-row").last.locator(".f-type").select_option("code")
    cols.locator(".col-row").last.locator(".f-system").select_option("cpt")
    shot(page, "01-schema-editor")
    page.click("#schema-save")
    page.wait_for_selector("#schema-dialog:not([open])", state="attached")
    schema = (world["samples"] / "referral" / "schema.yaml").read_text()
    assert "patient_name:\n    type: person_name\n    required: true" in schema and "system: cpt" in schema

    page.set_input_files("#upload", str(world["tmp"] / "referral_01.pdf"))
    page.wait_for_selector('.page[data-page="1"] .word[title="Jane"]')
    # patient_name is active first: drag over the name; birth_date becomes active
    drag_over(page, "Jane", "Doe")
    page.fill('input[name="birth_date"]', "14th of March")  # a typed value that is no date
    page.click('.field[data-field="reason"]')
    click_words(page, "Persistent")
    click_words(page, "cough", shift_first=True)  # Shift+click appends to the field just assigned
    page.click('.field[data-field="orders"] .name')
    drag_over(page, "Chest", "94010")  # two rows, split into columns at the gap
    page.keyboard.press("Control+s")
    page.wait_for_selector('.field[data-field="birth_date"].problem')
    assert "not a date" in page.inner_text("#status")
    shot(page, "02-label-type-check")
    page.click('.field[data-field="birth_date"] .name')
    click_words(page, "03/14/1961")
    page.keyboard.press("Control+s")
    page.wait_for_selector("#status.ok")
    page.wait_for_selector("#doc-list li.labeled.current")
    shot(page, "03-label-saved")
    golden = json.loads((world["samples"] / "referral" / "referral_01.json").read_text())
    assert golden == {"patient_name": "Jane Q Doe", "birth_date": "1961-03-14", "reason": "Persistent cough",
                      "orders": [{"test": "Chest X-ray", "code": "71046"}, {"test": "Spirometry", "code": "94010"}]}
    assert (world["samples"] / "referral" / "referral_01.pdf").exists()
    assert not any((world["samples"] / "referral" / ".inbox").iterdir())


def test_review_fix_and_approve_exports(page, world, fhir):
    run, sha = world["run"], world["sha"]
    page.keyboard.press("r")
    page.click(f'#review-list li[data-sha="{sha}"]')
    page.wait_for_selector('.field.flag-failed[data-field="prescriber_npi"]')
    page.wait_for_selector('.box.flag-failed[data-field="prescriber_npi"]')
    shot(page, "04-review-flagged")
    # approving without a fix: the checks (Great Expectations) still fail and say so
    page.keyboard.press("a")
    page.wait_for_selector("#approve-anyway")
    assert "prescriber_npi:npi_luhn" in page.inner_text("#status")
    # fix a missing or low-confidence value by clicking the right word, and the NPI by typing it as written
    # on the original prescription
    page.click('.field[data-field="drug_name"] .name')
    click_words(page, "Gabapentin")
    assert page.input_value('input[name="drug_name"]') == "Gabapentin"
    page.fill('input[name="prescriber_npi"]', GOOD_NPI)
    page.check("#add-sample")
    page.click("#approve")
    page.wait_for_selector("#status.ok")
    shot(page, "05-review-approved")
    assert "the review queue is empty" in page.inner_text("#review-list")

    manifest = json.loads((run / "manifest.json").read_text())
    assert (manifest["inputs"], manifest["exported"], manifest["review"], manifest["reconciles"]) == (1, 1, 0, True)
    (line,) = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    assert line["status"] == "exported" and line["fields"]["prescriber_npi"]["value"] == GOOD_NPI
    bundle = json.loads((run / "fhir" / f"{sha}.json").read_text())
    assert GOOD_NPI in json.dumps(bundle) and BAD_NPI not in json.dumps(bundle)
    assert (run / "ndjson" / "MedicationRequest.ndjson").exists()
    assert (run / "review" / "review.jsonl").read_text() == ""
    audit = [json.loads(x) for x in (run / "review" / "audit.jsonl").read_text().splitlines()]
    fix = next(a for a in audit if a["action"] == "correct" and a["field"] == "prescriber_npi")
    assert fix["before"]["value"] == BAD_NPI and fix["after"]["value"] == GOOD_NPI and fix["at"].endswith("Z")
    assert [a["action"] for a in audit][-2:] == ["approve", "add_sample"]
    drug = next(a for a in audit if a["action"] == "correct" and a["field"] == "drug_name")
    # the locked code reads this fax's drug wrong or not at all (then the record has no `before`)
    assert (drug.get("before") or {}).get("value") != "Gabapentin"
    assert drug["after"]["value"] == "Gabapentin" and drug["after"]["bbox"]
    assert count(fhir, "DocumentReference", {"identifier": f"urn:docc:document-sha256|{sha}"}) == 1
    added = json.loads((world["samples"] / "prescription" / "rx_fax_01.json").read_text())
    assert added["prescriber_npi"] == GOOD_NPI and added["birth_date"] == "1951-03-06" and added["drug_name"] == "Gabapentin"

    # the decision survives a re-run of the batch over the same folder
    from pipeline.batch import run_command

    before = (run / "results.jsonl").read_bytes()
    assert run_command([world["tmp"] / "inputs"], run, world["extractors"], workers=1, progress=False, quiet=True) == 0
    assert (run / "results.jsonl").read_bytes() == before


def test_label_prefilled_by_the_locked_extractor(page, world):
    page.keyboard.press("l")
    page.select_option("#doctype", "prescription")
    page.wait_for_selector('#doc-list li[data-name="rx_a_01.pdf"]')
    page.set_input_files("#upload", str(ROOT / "tests" / "heldout" / "prescription" / "rx_d_02.pdf"))
    page.wait_for_selector("text=prefilled by the compiled extractor")
    golden = json.loads((ROOT / "tests" / "heldout" / "prescription" / "rx_d_02.json").read_text())
    assert page.input_value('input[name="patient_name"]') == golden["patient_name"]
    assert page.locator('.box[data-field="patient_name"]').count() == 1
    shot(page, "06-label-prefilled")


def test_recompile_shows_f1_before_after(page, world):
    page.keyboard.press("c")
    page.select_option("#compile-doctype", "prescription")
    lock_before = (world["extractors"] / "extractors.lock").read_text()
    page.click("#recompile")
    page.wait_for_selector('#compile-view[data-state="blocked"], #compile-view[data-state="promoted"], #compile-view[data-state="failed"]',
                           timeout=300_000)
    shot(page, "07-recompile-result")
    state = page.get_attribute("#compile-view", "data-state")
    rows = page.locator("#compile-table tbody tr")
    assert rows.count() == 13  # the prescription fields, each with F1 before and after
    first = rows.first.locator("td")
    assert re.match(r"\d\.\d{3}", first.nth(1).inner_text()) and re.match(r"\d\.\d{3}", first.nth(2).inner_text())
    if state == "blocked":  # the guard: nothing installed until the drop is accepted
        assert page.locator("#compile-table tr.regressed").count() >= 1
        assert (world["extractors"] / "extractors.lock").read_text() == lock_before
        page.click("text=Accept the drop and install")
        page.wait_for_selector('#compile-view[data-state="promoted"]')
    assert state != "failed", page.inner_text("#compile-log")
    lock = json.loads((world["extractors"] / "extractors.lock").read_text())
    assert lock["doc_types"]["prescription"]["samples"] == len(RX_SAMPLES) + 1  # the approved document joined
    from extractors.artifacts import load_locked

    assert "prescription" in load_locked(world["extractors"], ["prescription"])
    shot(page, "08-recompile-installed")


def test_nothing_imports_the_studio():
    import ast

    for pkg in ("pipeline", "extractors", "eval"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "studio" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                assert not any(n.startswith("pipeline.studio") for n in names) or path.name == "cli.py", path


# ---------------------------------------------------------------- the samples contract, without a browser

def test_golden_values_are_canonical_and_type_checked(tmp_path):
    from extractors.schema import Schema
    from pipeline.studio import labels

    schema = Schema.model_validate({"doc_type": "t", "fields": {
        "when": {"type": "date"}, "n": {"type": "integer"}, "amount": {"type": "decimal"},
        "npi": {"type": "code", "system": "npi"}, "name": {"type": "person_name"},
        "rows": {"type": "table", "columns": {"code": {"type": "code", "system": "loinc", "required": True}, "v": {"type": "string"}}}}})
    g = labels.canonical_golden(schema, {"when": "Mar 6, 1951", "n": "1,200", "amount": "$12.50", "npi": "2113786703",
                                         "name": "  Sara   Woods ", "rows": [{"code": "2345-7", "v": "5.1"}, {"code": "", "v": ""}]})
    assert g == {"when": "1951-03-06", "n": 1200, "amount": 12.5, "npi": "2113786703", "name": "Sara Woods",
                 "rows": [{"code": "2345-7", "v": "5.1"}]}
    assert list(labels.golden_bytes(g).decode().splitlines())[1] == '  "when": "1951-03-06",'
    with pytest.raises(labels.LabelError) as e:
        labels.canonical_golden(schema, {"when": "soon", "n": "2.5", "npi": "2113786704", "rows": [{"v": "x"}], "extra": 1})
    assert set(e.value.problems) == {"when", "n", "npi", "rows[1].code", "extra"}
    assert "check digit" in e.value.problems["npi"]


def test_schema_and_sample_conflicts(tmp_path):
    from pipeline.studio import labels

    samples = tmp_path / "samples"
    schema = labels.parse_schema({"doc_type": "note", "fields": {"a": {"type": "string"}, "b": {"type": "date"}}})
    labels.save_schema(samples, schema, create=True, expected_sha=None)
    with pytest.raises(labels.Conflict):
        labels.save_schema(samples, schema, create=True, expected_sha=None)
    doc = tmp_path / "x.pdf"
    referral_pdf(doc)
    path, golden = labels.save_sample(samples, schema, doc, {"a": "hello", "b": "2024-01-02"}, expected_sha=None)
    assert golden == {"a": "hello", "b": "2024-01-02"} and (samples / "note" / "x.pdf").exists()
    with pytest.raises(labels.Conflict):  # someone saved it meanwhile
        labels.save_sample(samples, schema, samples / "note" / "x.pdf", {"a": "other"}, expected_sha="0" * 64)
    with pytest.raises(labels.LabelError):  # an existing sample keeps its id (no duplicate samples)
        labels.save_sample(samples, schema, samples / "note" / "x.pdf", {"a": "hello"}, expected_sha=labels.digest(path), sample_id="y")
    sha = labels.digest(samples / "note" / "schema.yaml")
    narrower = labels.parse_schema({"doc_type": "note", "fields": {"a": {"type": "string"}}})
    with pytest.raises(labels.LabelError) as e:  # b is labeled in sample x: cannot be dropped silently
        labels.save_schema(samples, narrower, create=False, expected_sha=sha)
    assert "x" in e.value.problems["b"]
    with pytest.raises(labels.Conflict):
        labels.save_schema(samples, narrower, create=False, expected_sha="stale")
    from extractors.schema import load_sample_set

    assert [s.id for s in load_sample_set(samples / "note").samples] == ["x"]
