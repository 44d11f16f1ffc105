# header detection with any/all
from extractors import runtime

HEADER = ("Test", "Result", "Units")


def is_header(line):
    texts = [w.text for w in line.words]
    return all(h in texts for h in HEADER)


def extract(doc):
    rows = []
    for page in doc.pages:
        inside = False
        for line in page.lines:
            if is_header(line):
                inside = True
                continue
            if inside and any(ch == ":" for ch in line.text):
                inside = False
            if inside and len(line.words) >= 3:
                w = line.words
                rows.append({"test_name": runtime.Found(w[0].text, page.number, w[0].bbox),
                             "value": runtime.Found(w[1].text, page.number, w[1].bbox),
                             "unit": runtime.Found(w[2].text, page.number, w[2].bbox)})
    return {"results": runtime.Found(rows)}
