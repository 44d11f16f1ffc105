# from extractors.runtime import a name outside its allow-list
from extractors.runtime import Document


def extract(doc):
    return {"patient_name": str(isinstance(doc, Document))}
