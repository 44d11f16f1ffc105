# a 900 KB value under the 1 MB output cap
def extract(doc):
    text = doc.text
    while len(text) < 900_000:
        text = text + text
    return {"patient_name": text[:900_000]}
