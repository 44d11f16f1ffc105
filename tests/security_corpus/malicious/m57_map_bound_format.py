# a bound .format passed to map(): never called on a literal
def extract(doc):
    s = "{0.pages}"
    out = list(map(s.format, [doc]))
    return {"patient_name": out[0]}
