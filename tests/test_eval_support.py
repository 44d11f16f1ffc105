"""Builders for the eval tests: a tiny labeled corpus (reportlab PDFs with a text layer) and a
hand-written locked extractor recorded with the real artifact writer. Generated at test time."""
from __future__ import annotations

import json
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from extractors.artifacts import record_artifact

SCHEMA = """\
doc_type: mini_lab
description: A one-page lab result
fields:
  patient_name: {type: person_name, required: true}
  birth_date: {type: date, required: true}
  mrn: {type: identifier}
  results:
    type: table
    columns:
      test_name: {type: string}
      value: {type: string}
      unit: {type: string}
"""

PATIENTS = [
    ("Maria Gonzalez", "03/14/1962", "1962-03-14", "00482913",
     [("Glucose", "98", "mg/dL"), ("Sodium", "139", "mmol/L"), ("Potassium", "4.4", "mmol/L")]),
    ("John Smith", "11/02/1975", "1975-11-02", "A77120",
     [("Glucose", "110", "mg/dL"), ("Creatinine", "0.92", "mg/dL")]),
    ("Lena Park", "07/30/1990", "1990-07-30", None,
     [("Hemoglobin", "13.5", "g/dL")]),
]

# Reads "Label: value" lines and the rows under the "Test Result Units" header. The table reader
# deliberately drops the unit of the last row and the MRN is read with low confidence, so the
# scores are not all perfect.
EXTRACTOR = '''\
# docc compiled extractor (hand-written for tests): mini_lab
import re
from extractors.runtime import Found


def _label(doc, label):
    for page in doc.pages:
        for line in page.lines:
            text = line.text
            if text.startswith(label + ":"):
                return Found(text[len(label) + 1:].strip(), page.number, line.bbox, text, 0.95)
    return None


def extract(doc):
    name = _label(doc, "Patient Name")
    dob = _label(doc, "Date of Birth")
    if dob is not None:
        m = re.match(r"(\\d\\d)/(\\d\\d)/(\\d{4})", dob.value)
        dob = Found(m.group(3) + "-" + m.group(1) + "-" + m.group(2), dob.page, dob.bbox, dob.text, 0.9) if m else None
    mrn = _label(doc, "MRN")
    if mrn is not None:
        mrn = Found(mrn.value, mrn.page, mrn.bbox, mrn.text, 0.6)
    rows = []
    in_table = False
    for page in doc.pages:
        for line in page.lines:
            if line.text.startswith("Test Result Units"):
                in_table = True
                continue
            if in_table:
                parts = line.text.split(" ")
                if len(parts) != 3:
                    in_table = False
                    continue
                rows.append({"test_name": Found(parts[0], page.number, line.bbox, line.text, 0.8),
                             "value": Found(parts[1], page.number, line.bbox, line.text, 0.8),
                             "unit": Found(parts[2], page.number, line.bbox, line.text, 0.8)})
    if rows:
        rows[-1]["unit"] = None
    return {"patient_name": name, "birth_date": dob, "mrn": mrn,
            "results": Found(rows, 1, None, "", 0.8) if rows else None}
'''


def make_pdf(path: Path, name: str, dob: str, mrn: str | None, rows: list[tuple[str, str, str]]) -> None:
    c = canvas.Canvas(str(path), pagesize=letter)
    y = 760
    lines = ["RIVERSIDE MEDICAL LABORATORY", f"Patient Name: {name}", f"Date of Birth: {dob}"]
    if mrn:
        lines.append(f"MRN: {mrn}")
    lines.append("Test Result Units")
    lines += [" ".join(r) for r in rows]
    lines.append("Comments: none")
    for text in lines:
        c.setFont("Helvetica", 11)
        c.drawString(72, y, text)
        y -= 22
    c.showPage()
    c.save()


def make_corpus(root: Path, doc_type: str = "mini_lab", patients=PATIENTS) -> Path:
    folder = root / doc_type
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schema.yaml").write_text(SCHEMA.replace("mini_lab", doc_type), encoding="utf-8")
    for i, (name, dob, iso, mrn, rows) in enumerate(patients):
        doc_id = f"{doc_type}_{i:03d}"
        make_pdf(folder / f"{doc_id}.pdf", name, dob, mrn, rows)
        golden = {"patient_name": name, "birth_date": iso, "mrn": mrn,
                  "results": [{"test_name": t, "value": v, "unit": u} for t, v, u in rows]}
        (folder / f"{doc_id}.json").write_text(json.dumps(golden, indent=2), encoding="utf-8")
    return root


def make_extractors(folder: Path, doc_type: str = "mini_lab", source: str = EXTRACTOR, entry: dict | None = None) -> Path:
    record_artifact(folder, doc_type, source, entry or {"backend": "hand", "model": None,
                                                        "cost": {"prompt_tokens": 3000, "completion_tokens": 1000, "seconds": 12.5}})
    return folder
