# returning a set (non-JSON value)
def extract(doc):
    return {"patient_name": {doc.text[:3]}}
