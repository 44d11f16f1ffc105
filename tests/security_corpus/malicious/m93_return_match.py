# returning a re.Match object
import re


def extract(doc):
    return {"patient_name": re.search(r"Patient", doc.text)}
