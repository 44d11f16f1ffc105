# from-imported runtime table mutated in place
from extractors.runtime import CODE_PATTERNS


def extract(doc):
    try:
        CODE_PATTERNS.pop("npi")
    except (AttributeError, KeyError):
        pass
    return {"patient_name": None}
