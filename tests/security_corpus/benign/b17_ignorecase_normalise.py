# case-insensitive labels and whitespace normalisation
import re

from extractors import runtime

LABEL = re.compile(r"patient\s*(?:name)?\s*[:#]\s*(.*)", re.IGNORECASE)
SPACES = re.compile(r"\s+")


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            m = LABEL.match(line.text)
            if m:
                name = SPACES.sub(" ", m.group(1)).strip()
                return {"patient_name": runtime.Found(name, page.number, line.bbox, line.text)}
    return {"patient_name": None}
