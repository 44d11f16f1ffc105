# str.format on a literal and f-strings
import re

PHONE = re.compile(r"(\d{3})\D*(\d{3})\D*(\d{4})")


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if line.text.startswith("Phone"):
                m = PHONE.search(line.text)
                if m:
                    return {"phone": "({}) {}-{}".format(m.group(1), m.group(2), m.group(3))}
    return {"phone": None}
