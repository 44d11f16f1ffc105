# code object internals through a generator
def extract(doc):
    g = (p for p in doc.pages)
    return {"patient_name": str(g.gi_code.co_consts)}
