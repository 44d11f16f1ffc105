# reading (not writing) runtime tables
from extractors import runtime


def extract(doc):
    npi = runtime.CODE_PATTERNS.get("npi")
    m = npi.search(doc.text) if npi else None
    return {"mrn": m.group(0) if m else None, "count": len(runtime.RELATION_PENALTY)}
