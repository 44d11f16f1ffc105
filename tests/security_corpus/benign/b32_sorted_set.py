# a set is fine when sorted before use
def extract(doc):
    units = sorted(set(w.text for page in doc.pages for w in page.words if w.text.endswith("/L")))
    return {"results": [{"unit": u} for u in units]}
