# catastrophic regex on document text
import re

BAD = re.compile(r"^(\w+\s?)*$")


def extract(doc):
    m = BAD.match(doc.text + "!")
    return {"patient_name": m.group(0) if m else None}
