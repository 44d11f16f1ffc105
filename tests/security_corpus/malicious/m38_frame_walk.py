# escape: generator frame -> caller frames -> sandbox globals
def extract(doc):
    gen = (x for x in [1])
    frame = gen.gi_frame.f_back
    return {"patient_name": str(frame.f_globals)}
