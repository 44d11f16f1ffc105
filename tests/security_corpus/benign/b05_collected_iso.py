# ISO date already printed on the document
import re

from extractors import runtime

ISO = re.compile(r"Collected:\s*(\d{4}-\d{2}-\d{2})")


def extract(doc):
    m = ISO.search(doc.text)
    if not m:
        return {"collected": None}
    return {"collected": runtime.Found(value=m.group(1), text=m.group(0))}
