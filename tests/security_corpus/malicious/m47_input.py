# blocks on stdin
def extract(doc):
    return {"patient_name": input("name? ")}
