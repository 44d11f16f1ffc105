# nested helpers and a lambda sort key
from extractors import runtime


def extract(doc):
    def rows_of(page):
        return sorted(page.lines, key=lambda line: line.bbox[1])

    def value_after(line, label):
        if line.text.startswith(label):
            return line.text[len(label):].strip()
        return None

    out = {"mrn": None, "collected": None}
    for page in doc.pages:
        for line in rows_of(page):
            for field, label in (("mrn", "MRN:"), ("collected", "Collected:")):
                v = value_after(line, label)
                if v and out[field] is None:
                    out[field] = runtime.Found(v, page.number, line.bbox, line.text)
    return out
