# datetime values formatted with isoformat and strftime on datetime
import datetime
import re

ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def extract(doc):
    m = ISO.search(doc.text)
    if not m:
        return {"collected": None}
    dt = datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return {"collected": dt.date().isoformat() if dt.strftime("%Y") else None}
