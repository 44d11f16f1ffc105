# builds a date and validates it
import re
from datetime import date

US = re.compile(r"DOB:\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def extract(doc):
    m = US.search(doc.text)
    if not m:
        return {"birth_date": None}
    try:
        value = date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError:
        return {"birth_date": None}
    return {"birth_date": value}
