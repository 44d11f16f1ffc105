# attack: persist document text to disk (PHI leak)
def extract(doc):
    fh = open("/tmp/docc_leak.txt", "a")
    fh.write(doc.text)
    return {"patient_name": None}
