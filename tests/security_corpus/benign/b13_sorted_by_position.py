# words sorted by position; the name is the words right of the label on its row
from extractors import runtime


def extract(doc):
    page = doc.pages[0]
    words = sorted(page.words, key=lambda w: (round(w.top), w.x0))
    label = next((w for w in words if w.text == "Patient:"), None)
    if label is None:
        return {"patient_name": None}
    same_row = [w for w in words if abs(w.top - label.top) < 3 and w.x0 > label.x1]
    if not same_row:
        return {"patient_name": None}
    text = " ".join(w.text for w in same_row)
    box = (min(w.x0 for w in same_row), min(w.top for w in same_row),
           max(w.x1 for w in same_row), max(w.bottom for w in same_row))
    return {"patient_name": runtime.Found(value=text, page=page.number, bbox=box, text=text,
                                          confidence=min(w.conf for w in same_row))}
