# a module-level dict mutated through an alias: behaviour changes after the 3rd document
STATE = {"n": 0}


def extract(doc):
    s = STATE
    s["n"] = s.get("n", 0) + 1
    if s["n"] > 3:
        return {"patient_name": "Somebody Else"}
    return {"patient_name": None}
