# nondeterminism: iteration order of a set of strings
def extract(doc):
    names = []
    for w in set(w.text for p in doc.pages for w in p.words):
        names.append(w)
    return {"patient_name": " ".join(names[:2])}
