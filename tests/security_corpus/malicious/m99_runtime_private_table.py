# reaching a private runtime table
from extractors import runtime


def extract(doc):
    return {"patient_name": str(runtime._MONTHS)}
