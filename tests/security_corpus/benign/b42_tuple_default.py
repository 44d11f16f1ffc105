# a helper with literal tuple and None defaults
def after(text, labels=("MRN:", "MRN"), default=None):
    for label in labels:
        if text.startswith(label):
            return text[len(label):].strip()
    return default


def extract(doc):
    for line in doc.pages[0].lines:
        v = after(line.text)
        if v:
            return {"mrn": v}
    return {"mrn": None}
