# fields that may be absent stay None
import re

FAX = re.compile(r"Fax:\s*(\S+)")


def extract(doc):
    m = FAX.search(doc.text)
    return {"phone": m.group(1) if m else None, "total": None}
