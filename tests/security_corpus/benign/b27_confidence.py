# confidence taken from OCR word confidences
from extractors import runtime


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            words = line.words
            if words and words[0].text == "MRN:" and len(words) > 1:
                conf = min(w.conf for w in words[1:])
                return {"mrn": runtime.Found(words[1].text, page.number, words[1].bbox, words[1].text, round(conf, 3))}
    return {"mrn": None}
