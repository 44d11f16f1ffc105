# traceback frame walk from a caught exception
def extract(doc):
    try:
        int("x")
    except ValueError as e:
        tb = e.with_traceback(None)
        return {"patient_name": str(tb)}
    return {"patient_name": None}
