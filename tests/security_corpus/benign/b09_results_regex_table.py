# a table read line by line with a row pattern
import re

from extractors import runtime

ROW = re.compile(r"^(?P<test>[A-Z][A-Za-z ]+?) (?P<value>\d+(?:\.\d+)?) (?P<unit>\S+)(?: (?P<flag>[HL]))?$")


def extract(doc):
    rows = []
    for page in doc.pages:
        for line in page.lines:
            m = ROW.match(line.text)
            if not m:
                continue
            row = {
                "test_name": runtime.Found(m.group("test"), page.number, line.bbox, line.text),
                "value": runtime.Found(m.group("value"), page.number, line.bbox, line.text),
                "unit": runtime.Found(m.group("unit"), page.number, line.bbox, line.text),
                "flag": runtime.Found(m.group("flag"), page.number, line.bbox, line.text) if m.group("flag") else None,
            }
            rows.append(row)
    return {"results": runtime.Found(value=rows) if rows else None}
