# docc compiled extractor
# doc_type: corpus_lab
# schema sha256: 0000000000000000000000000000000000000000000000000000000000000000
# generator: synth
"""Extract the patient's name and birth date."""
from __future__ import annotations

import re
from datetime import datetime

from extractors import runtime

DOB = re.compile(r"DOB:\s*(\S+)")
NAME = re.compile(r"Patient:\s*(.+)")
FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%d %b %Y")


def parse_date(text: str):
    for fmt in FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def extract(doc) -> dict:
    out: dict = {"patient_name": None, "birth_date": None}
    for page in doc.pages:
        for line in page.lines:
            if (m := NAME.match(line.text)) and out["patient_name"] is None:
                out["patient_name"] = runtime.Found(m.group(1).strip(), page.number, line.bbox, line.text)
            if (m := DOB.match(line.text)) and out["birth_date"] is None:
                value = parse_date(m.group(1))
                if value:
                    out["birth_date"] = runtime.Found(value, page.number, line.bbox, line.text)
    return out
