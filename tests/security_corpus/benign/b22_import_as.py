# the other import spelling
import re

import extractors.runtime as runtime


def extract(doc):
    m = re.search(r"Collected:\s*(\S+)", doc.text)
    return {"collected": runtime.Found(m.group(1)) if m else None}
