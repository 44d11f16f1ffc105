# returns plain values rather than Found
import re


def extract(doc):
    text = doc.text
    mrn = re.search(r"MRN:\s*(\S+)", text)
    tests = re.search(r"Tests:\s*(\d+)", text)
    return {
        "mrn": mrn.group(1) if mrn else None,
        "count": int(tests.group(1)) if tests else None,
    }
