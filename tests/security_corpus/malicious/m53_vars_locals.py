# introspection of frames
def extract(doc):
    return {"patient_name": str(vars(doc)) + str(locals())}
