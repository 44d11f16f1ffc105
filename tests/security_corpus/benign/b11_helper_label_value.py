# a generic helper used for several fields
from extractors import runtime


def label_value(doc, label):
    for page in doc.pages:
        for line in page.lines:
            text = line.text
            if text.lower().startswith(label.lower() + ":"):
                value = text[len(label) + 1:].strip()
                if value:
                    return runtime.Found(value=value, page=page.number, bbox=line.bbox, text=text)
    return None


def extract(doc):
    return {
        "patient_name": label_value(doc, "Patient"),
        "mrn": label_value(doc, "MRN"),
        "collected": label_value(doc, "Collected"),
    }
