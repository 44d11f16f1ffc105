# dict comprehension over a label table
import re

LABELS = {"mrn": "MRN", "collected": "Collected", "phone": "Phone"}


def find(text, label):
    m = re.search(r"^" + re.escape(label) + r":\s*(.+)$", text, re.MULTILINE)
    return m.group(1).strip() if m else None


def extract(doc):
    text = doc.text
    return {field: find(text, label) for field, label in LABELS.items()}
