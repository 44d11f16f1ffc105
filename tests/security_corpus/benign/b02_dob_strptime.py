# date parsing with datetime.strptime, returns a date object
from datetime import datetime

from extractors import runtime


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if line.text.startswith("DOB:") and len(line.words) > 1:
                try:
                    value = datetime.strptime(line.words[1].text, "%m/%d/%Y").date()
                except ValueError:
                    continue
                return {"birth_date": runtime.Found(value=value, page=page.number, bbox=line.words[1].bbox,
                                                    text=line.words[1].text)}
    return {"birth_date": None}
