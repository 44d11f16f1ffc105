# frame back-walk through a generator's frame
def extract(doc):
    g = (p for p in doc.pages)
    f = g.gi_frame
    while f is not None:
        f = f.f_back
    return {"patient_name": None}
