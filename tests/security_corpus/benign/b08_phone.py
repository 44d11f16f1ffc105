# phone number by pattern
import re

from extractors import runtime

PHONE = re.compile(r"\(?(\d{3})\)?[\s.-]*(\d{3})[\s.-]*(\d{4})")


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if not line.text.lower().startswith("phone"):
                continue
            m = PHONE.search(line.text)
            if m:
                digits = "".join(m.groups())
                return {"phone": runtime.Found(value=digits, page=page.number, bbox=line.bbox, text=m.group(0))}
    return {"phone": None}
