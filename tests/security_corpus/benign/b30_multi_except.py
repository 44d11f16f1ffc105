# several exception types
from extractors import runtime


def extract(doc):
    try:
        line = next(line for page in doc.pages for line in page.lines if line.text.startswith("Tests:"))
        value = int(line.words[1].text)
    except (StopIteration, IndexError, ValueError):
        return {"count": None}
    return {"count": runtime.Found(value, bbox=line.bbox, text=line.text)}
