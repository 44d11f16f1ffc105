# doc_type: corpus_lab  generator: hand-written  (regex over lines, Found with provenance)
import re

from extractors import runtime

NAME = re.compile(r"^Patient:\s*(?P<name>.+)$")


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            m = NAME.match(line.text)
            if m:
                return {"patient_name": runtime.Found(value=m.group("name"), page=page.number,
                                                      bbox=line.bbox, text=line.text, confidence=line.conf)}
    return {"patient_name": None}
