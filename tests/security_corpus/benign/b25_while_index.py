# a bounded while loop with an index and break
from extractors import runtime


def extract(doc):
    lines = [line for page in doc.pages for line in page.lines]
    i = 0
    found = None
    while i < len(lines):
        if lines[i].text.startswith("Tests:"):
            found = lines[i]
            break
        i += 1
    if found is None:
        return {"count": None}
    digits = "".join(ch for ch in found.text if ch.isdigit())
    return {"count": runtime.Found(int(digits), bbox=found.bbox, text=found.text) if digits else None}
