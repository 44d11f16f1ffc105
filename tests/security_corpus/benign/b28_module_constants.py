# module-level tuples and dicts, read only
import re

FIELDS = (
    ("mrn", re.compile(r"MRN:\s*(\S+)")),
    ("collected", re.compile(r"Collected:\s*(\d{4}-\d{2}-\d{2})")),
)
DEFAULTS = {"mrn": None, "collected": None}


def extract(doc):
    out = dict(DEFAULTS)
    text = doc.text
    for name, pattern in FIELDS:
        m = pattern.search(text)
        if m:
            out[name] = m.group(1)
    return out
