# %-formatting of data
import re

PHONE = re.compile(r"(\d{3})\D*(\d{3})\D*(\d{4})")


def extract(doc):
    m = PHONE.search(doc.text)
    return {"phone": "(%s) %s-%s" % (m.group(1), m.group(2), m.group(3)) if m else None}
