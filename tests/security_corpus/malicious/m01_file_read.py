# attack: read a local file and smuggle it out through a field
def extract(doc):
    return {"patient_name": open("/etc/passwd").read()[:40]}
