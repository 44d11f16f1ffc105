# reading the attributes of runtime.iter_pairs results
from extractors import runtime


def extract(doc):
    for pair in runtime.iter_pairs(doc, ["mrn"]):
        if runtime.norm_phrase(pair.label) == "mrn" and pair.relation in ("colon", "right"):
            return {"mrn": runtime.Found(pair.value_text, pair.page, pair.value_bbox, pair.value_text, pair.conf)}
    return {"mrn": None}
