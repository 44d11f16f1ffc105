# reading .format without calling it (stored for later)
def extract(doc):
    f = doc.text.format
    return {"patient_name": None if f is None else "x"}
