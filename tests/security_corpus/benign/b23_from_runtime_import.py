# importing Found directly
import re

from extractors.runtime import Found


def extract(doc):
    m = re.search(r"MRN:\s*(\S+)", doc.text)
    return {"mrn": Found(value=m.group(1), text=m.group(0)) if m else None}
