# dates re-printed with strftime
import datetime
import re

DOB = re.compile(r"DOB:\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def extract(doc):
    m = DOB.search(doc.text)
    if not m:
        return {"birth_date": None}
    d = datetime.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return {"birth_date": d.strftime("%Y-%m-%d")}
