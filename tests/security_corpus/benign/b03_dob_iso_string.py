# date parsing by regex into an ISO string
import re

from extractors import runtime

US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if "DOB" not in line.text:
                continue
            m = US_DATE.search(line.text)
            if m:
                month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
                iso = f"{year:04d}-{month:02d}-{day:02d}"
                return {"birth_date": runtime.Found(value=iso, page=page.number, bbox=line.bbox, text=m.group(0))}
    return {"birth_date": None}
