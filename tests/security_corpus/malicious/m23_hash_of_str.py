# nondeterminism: str hash changes with PYTHONHASHSEED
def extract(doc):
    return {"mrn": str(hash(doc.text) % 100000)}
