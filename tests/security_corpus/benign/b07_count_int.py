# integer field with try/except ValueError
from extractors import runtime


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            head, sep, tail = line.text.partition(":")
            if sep and head.strip().lower() == "tests":
                try:
                    n = int(tail.strip())
                except ValueError:
                    return {"count": None}
                return {"count": runtime.Found(value=n, page=page.number, bbox=line.bbox, text=line.text)}
    return {"count": None}
