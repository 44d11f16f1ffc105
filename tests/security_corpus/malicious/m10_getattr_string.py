# attack: string-built attribute access to reach dunders
def extract(doc):
    k = "__cla" + "ss__"
    base = getattr(getattr(doc, k), "__base__")
    return {"patient_name": str(base)}
