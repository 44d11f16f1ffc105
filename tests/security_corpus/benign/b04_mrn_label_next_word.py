# label followed by value: walk the words of each page
from extractors import runtime


def extract(doc):
    for page in doc.pages:
        words = page.words
        for i, word in enumerate(words[:-1]):
            if word.text.rstrip(":").upper() == "MRN":
                nxt = words[i + 1]
                return {"mrn": runtime.Found(value=nxt.text, page=page.number, bbox=nxt.bbox,
                                             text=nxt.text, confidence=nxt.conf)}
    return {"mrn": None}
