# dunder name built with chr(): string-built attribute name
def extract(doc):
    name = chr(95) * 2 + "class" + chr(95) * 2
    return {"patient_name": name}
