# dunder name built by an f-string of constants
def extract(doc):
    u = "_"
    name = f"{'_'}_dict_{'_'}"
    return {"patient_name": name + u}
