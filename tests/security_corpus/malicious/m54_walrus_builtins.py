# reaching builtins through a function's globals
def helper():
    return 1


def extract(doc):
    g = helper.__globals__
    return {"patient_name": str(g["__builtins__"])}
