# mutation of a runtime table through a local alias
from extractors import runtime


def extract(doc):
    table = runtime.RELATION_PENALTY
    try:
        table.update({"below": 9.0})
    except AttributeError:
        pass
    return {"patient_name": None}
