# dunder name built with str.join of constants
def extract(doc):
    name = "".join(["_", "_", "globals", "_", "_"])
    return {"patient_name": name}
