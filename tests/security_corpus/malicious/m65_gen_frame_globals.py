# generator frame internals: gi_frame.f_globals
def extract(doc):
    g = (w for w in doc.pages)
    env = g.gi_frame.f_globals
    return {"patient_name": str(len(env))}
