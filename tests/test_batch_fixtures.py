"""Builders for batch tests: two small document types drawn with reportlab, hand-written
locked extractors for them (plain regex, recorded with the real artifact writer and lock),
the real classifier and runtime suites built from their samples, and a folder of inputs that
mixes good documents with every kind of bad input.

(No tests here: pytest collects this module because of its name, which the batch suite owns.)
"""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

sys.path.insert(0, str(Path(__file__).parent))
import ingest_fixtures as IF  # noqa: E402

from extractors.artifacts import record_artifact  # noqa: E402

FIRST = ["Maria", "James", "Aisha", "Chen", "Olga", "Pedro", "Fatima", "Liam", "Noor", "Grace", "Ivan", "Zoe"]
LAST = ["Gonzalez", "Smith", "Khan", "Wei", "Petrova", "Alvarez", "Haddad", "Murphy", "Patel", "Okafor", "Novak", "Berg"]
TESTS = [("Glucose", "mg/dL", 70, 140), ("Sodium", "mmol/L", 130, 150), ("Potassium", "mmol/L", 3, 6),
         ("Hemoglobin", "g/dL", 10, 18), ("Creatinine", "mg/dL", 0.5, 1.5), ("Calcium", "mg/dL", 8, 11)]
DRUGS = [("Lisinopril", "10 mg"), ("Metformin", "500 mg"), ("Atorvastatin", "20 mg"), ("Amoxicillin", "250 mg")]


def npi(rng: random.Random) -> str:
    """A random NPI with a valid Luhn check digit."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    total = 0
    for i, ch in enumerate(reversed("80840" + body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def _date(rng: random.Random, y0: int, y1: int) -> str:
    return f"{rng.randrange(y0, y1)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def lab_doc(rng: random.Random, variant: int = 0, **over) -> tuple[list[str], dict]:
    """Lines of a lab report (variant 1 = other label wording, an unseen layout) and its golden."""
    name = over.get("name") or f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    g = {
        "patient_name": name,
        "birth_date": over.get("birth_date", _date(rng, 1930, 2010)),
        "mrn": over.get("mrn", "MRN" + "".join(str(rng.randrange(10)) for _ in range(8))),
        "ordering_npi": over.get("npi", npi(rng)),
        "collection_date": _date(rng, 2020, 2025),
        "results": [],
    }
    for test, unit, lo, hi in rng.sample(TESTS, 4):
        val = round(rng.uniform(lo, hi), 1)
        flag = "H" if val > hi * 0.95 else ""
        g["results"].append({"test_name": test, "value": str(val), "unit": unit, "flag": flag or None})
    if variant == 0:
        lines = ["RIVERSIDE MEDICAL LABORATORY", "Laboratory Report", f"Patient Name: {name}",
                 f"Date of Birth: {g['birth_date']}", f"MRN: {g['mrn']}", f"Ordering NPI: {g['ordering_npi']}",
                 f"Collection Date: {g['collection_date']}", "Test Result Units Flag"]
    else:
        lines = ["NORTHGATE CLINICAL LAB SERVICES", "Results of laboratory testing", f"Pt Name: {name}",
                 f"DOB: {g['birth_date']}", f"MRN: {g['mrn']}", f"Ordering NPI: {g['ordering_npi']}",
                 f"Specimen collected: {g['collection_date']}", "Analyte Result Units Flag"]
    for r in g["results"]:
        lines.append(f"{r['test_name']} {r['value']} {r['unit']} {r['flag'] or ''}".rstrip())
    lines.append("Reference ranges and units per laboratory standard. Specimen serum.")
    return lines, g


def rx_doc(rng: random.Random) -> tuple[list[str], dict]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    drug, strength = rng.choice(DRUGS)
    g = {"patient_name": name, "birth_date": _date(rng, 1930, 2010), "drug_name": drug, "strength": strength,
         "quantity": rng.choice([30, 60, 90]), "prescriber_npi": npi(rng), "date_written": _date(rng, 2020, 2025)}
    lines = ["PRESCRIPTION", "Community Pharmacy Rx Form", f"Patient: {name}", f"DOB: {g['birth_date']}",
             f"Rx: {drug} {strength} tablet", "Sig: take one tablet by mouth daily", f"Quantity: {g['quantity']}",
             "Refills: 2", f"Prescriber NPI: {g['prescriber_npi']}", f"Date written: {g['date_written']}",
             "Dispense as written. Substitution permitted."]
    return lines, g


def radiology_lines() -> list[str]:
    """A document of a type nobody compiled."""
    return ["MOUNTAIN VIEW IMAGING CENTER", "Radiology Consultation", "Exam: CT chest without contrast",
            "Technique: axial images acquired through the thorax", "Comparison: prior chest radiograph",
            "Findings: lungs are clear bilaterally, no pleural effusion or pneumothorax",
            "Heart size normal, mediastinal contours unremarkable", "Impression: no acute cardiopulmonary abnormality",
            "Electronically signed by the interpreting radiologist"]


def write_pdf(path: Path, lines: list[str], pages: int = 1) -> None:
    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    for _ in range(pages):
        c.setFont("Helvetica", 11)
        y = 720
        for line in lines:
            c.drawString(72, y, line)
            y -= 20
        c.showPage()
    c.save()


LAB_EXTRACTOR = r'''
import re
from extractors.runtime import Found

def _find(doc, pattern):
    for page in doc.pages:
        for line in page.lines:
            m = re.search(pattern, line.text)
            if m:
                return Found(m.group(1).strip(), page=page.number, bbox=line.bbox, text=line.text, confidence=0.95)
    return None

ROW = re.compile(r"^([A-Z][a-z]+) ([0-9.]+) (\S+)(?: ([HL]))?$")

def extract(doc):
    if "EXPLODE" in doc.text:
        raise ValueError("cannot parse this layout")
    if "KILLWORKER" in doc.text:
        sum(range(10 ** 18))  # stuck in C where no signal handler runs: only the CPU backstop stops it
    rows = []
    first = None
    for page in doc.pages:
        for line in page.lines:
            m = ROW.match(line.text)
            if m:
                first = first or (page.number, line.bbox)
                rows.append({
                    "test_name": Found(m.group(1), page.number, line.bbox, m.group(1)),
                    "value": Found(m.group(2), page.number, line.bbox, m.group(2)),
                    "unit": Found(m.group(3), page.number, line.bbox, m.group(3)),
                    "flag": Found(m.group(4), page.number, line.bbox, m.group(4)) if m.group(4) else None,
                })
    return {
        "patient_name": _find(doc, r"(?:Patient|Pt) Name: (.+)"),
        "birth_date": _find(doc, r"(?:Date of Birth|DOB): (\S+)"),
        "mrn": _find(doc, r"MRN: (\S+)"),
        "ordering_npi": _find(doc, r"Ordering NPI: (\S+)"),
        "collection_date": _find(doc, r"(?:Collection Date|Specimen collected): (\S+)"),
        "results": Found(rows, first[0], first[1], "", 0.9) if rows else None,
    }
'''

RX_EXTRACTOR = r'''
import re
from extractors.runtime import Found

def _find(doc, pattern, conv=None):
    for page in doc.pages:
        for line in page.lines:
            m = re.search(pattern, line.text)
            if m:
                v = m.group(1).strip()
                return Found(conv(v) if conv else v, page=page.number, bbox=line.bbox, text=line.text, confidence=0.9)
    return None

def extract(doc):
    return {
        "patient_name": _find(doc, r"Patient: (.+)"),
        "birth_date": _find(doc, r"DOB: (\S+)"),
        "drug_name": _find(doc, r"Rx: ([A-Za-z]+)"),
        "strength": _find(doc, r"Rx: [A-Za-z]+ (\d+ mg)"),
        "quantity": _find(doc, r"Quantity: (\d+)", int),
        "prescriber_npi": _find(doc, r"Prescriber NPI: (\S+)"),
        "date_written": _find(doc, r"Date written: (\S+)"),
    }
'''

LAB_SCHEMA = {
    "doc_type": "lab_report",
    "fields": {
        "patient_name": {"type": "person_name", "required": True},
        "birth_date": {"type": "date", "required": True},
        "mrn": {"type": "identifier"},
        "ordering_npi": {"type": "code", "system": "npi"},
        "collection_date": {"type": "date", "required": True},
        "results": {"type": "table", "required": True, "columns": {
            "test_name": {"type": "string"}, "value": {"type": "decimal"}, "unit": {"type": "string"},
            "flag": {"type": "code"}}},
    },
}
RX_SCHEMA = {
    "doc_type": "prescription",
    "fields": {
        "patient_name": {"type": "person_name", "required": True},
        "birth_date": {"type": "date", "required": True},
        "drug_name": {"type": "string", "required": True},
        "strength": {"type": "string"},
        "quantity": {"type": "integer"},
        "prescriber_npi": {"type": "code", "system": "npi"},
        "date_written": {"type": "date", "required": True},
    },
}


def build_compiled(folder: Path, n_samples: int = 6, seed: int = 1, lab_source: str = LAB_EXTRACTOR) -> Path:
    """A locked extractors folder like `docc compile` writes: artifacts, lock, classifier, suites."""
    from extractors.classifier import build_classifier, save_classifier
    from extractors.expectations import build_runtime_suite, save_runtime_suite
    from pipeline.ingest import ingest

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    samples = folder / "_samples"
    samples.mkdir(exist_ok=True)
    docs: dict[str, list] = {"lab_report": [], "prescription": []}
    goldens: dict[str, list] = {"lab_report": [], "prescription": []}
    for i in range(n_samples):
        for t, make in (("lab_report", lambda: lab_doc(rng, variant=0)), ("prescription", lambda: rx_doc(rng))):
            lines, g = make()
            p = samples / f"{t}_{i}.pdf"
            write_pdf(p, lines)
            docs[t].append(ingest(p, cache_dir=None))
            goldens[t].append(g)
    record_artifact(folder, "lab_report", lab_source, {"doc_type": "lab_report"})
    record_artifact(folder, "prescription", RX_EXTRACTOR, {"doc_type": "prescription"})
    save_runtime_suite(folder, "lab_report", build_runtime_suite(LAB_SCHEMA, goldens["lab_report"]))
    save_runtime_suite(folder, "prescription", build_runtime_suite(RX_SCHEMA, goldens["prescription"]))
    save_classifier(folder, build_classifier(docs))
    return folder


def make_good_inputs(folder: Path, n_lab: int = 6, n_rx: int = 4, seed: int = 7) -> dict[str, dict]:
    """Good documents, some needing review (unknown type, failed checks, extractor error)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    golden = {}
    for i in range(n_lab):
        lines, g = lab_doc(rng, variant=i % 2)
        write_pdf(folder / f"lab_{i:03d}.pdf", lines)
        golden[f"lab_{i:03d}.pdf"] = g
    sub = folder / "rx" / "deeper"
    sub.mkdir(parents=True, exist_ok=True)
    for i in range(n_rx):
        lines, g = rx_doc(rng)
        write_pdf(sub / f"rx_{i:03d}.pdf", lines)
        golden[f"rx/deeper/rx_{i:03d}.pdf"] = g
    write_pdf(folder / "radiology.pdf", radiology_lines())
    lines, _ = lab_doc(rng, mrn="X-12")  # MRN breaks the learned pattern -> review
    write_pdf(folder / "lab_badmrn.pdf", lines)
    lines, _ = lab_doc(rng, npi="1234567890")  # NPI fails the Luhn check -> review
    write_pdf(folder / "lab_badnpi.pdf", lines)
    lines, _ = lab_doc(rng)
    write_pdf(folder / "lab_explode.pdf", lines + ["EXPLODE"])  # extractor raises -> review
    # same content under two names: two result lines, one processing
    (folder / "lab_copy.pdf").write_bytes((folder / "lab_000.pdf").read_bytes())
    # a PDF with the wrong extension is still read (format is sniffed from the bytes)
    lines, _ = lab_doc(rng)
    write_pdf(folder / "lab_named.txt", lines)
    # sidecars and hidden files are not inputs
    (folder / "lab_000.json").write_text("{}")
    (folder / ".hidden.pdf").write_bytes((folder / "lab_000.pdf").read_bytes())
    return golden


def make_bad_inputs(folder: Path) -> dict[str, str]:
    """Every kind of bad input; returns {relative path: expected reason kind}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(3)
    good = folder / "_tmp_good.pdf"
    write_pdf(good, lab_doc(rng)[0])
    data = good.read_bytes()
    good.unlink()
    expect = {}
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(3000)) + b"\n%%EOF\n")
    expect["corrupt.pdf"] = "corrupt"
    IF.encrypted_pdf(folder / "encrypted.pdf")
    expect["encrypted.pdf"] = "encrypted"
    (folder / "zero.pdf").write_bytes(b"")
    expect["zero.pdf"] = "empty"
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    expect["truncated.pdf"] = "corrupt"
    (folder / "notes.pdf").write_text("just some text, not a PDF at all\n")
    expect["notes.pdf"] = "unsupported"
    IF.bomb_png(folder / "bomb.png")
    expect["bomb.png"] = "too_large"
    IF.many_pages_pdf(folder / "huge_500_pages.pdf", 500)
    expect["huge_500_pages.pdf"] = "too_large"
    # symlink loops: a folder link back to an ancestor, and two file links pointing at each other
    (folder / "loopdir").mkdir()
    os.symlink("..", folder / "loopdir" / "back")
    expect["loopdir/back"] = "unreadable"
    os.symlink("link_b.pdf", folder / "link_a.pdf")
    os.symlink("link_a.pdf", folder / "link_b.pdf")
    expect["link_a.pdf"] = expect["link_b.pdf"] = "unreadable"
    os.symlink("does_not_exist.pdf", folder / "dangling.pdf")
    expect["dangling.pdf"] = "unreadable"
    # Permissions: tests run as root, for whom chmod 000 does not stop reading. What we can
    # provoke for real instead: a named pipe (not a regular file: opening it would block
    # forever), and, when not root, a chmod 000 file.
    os.mkfifo(folder / "pipe.pdf")
    expect["pipe.pdf"] = "unsupported"
    if os.geteuid() != 0:
        p = folder / "noperm.pdf"
        p.write_bytes(data)
        p.chmod(0)
        expect["noperm.pdf"] = "unreadable"
    # a good document whose file name is not valid UTF-8
    with open(os.path.join(os.fsencode(folder), b"caf\xe9_lab.pdf"), "wb") as fh:
        fh.write(data)
    return expect
