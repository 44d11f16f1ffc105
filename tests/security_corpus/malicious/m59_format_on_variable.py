# .format called on a string assembled at run time
def extract(doc):
    head = "{0"
    tail = ".text}"
    return {"patient_name": (head + tail).format(doc)}
