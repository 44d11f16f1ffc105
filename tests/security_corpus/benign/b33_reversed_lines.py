# the last matching line wins
import re

COUNT = re.compile(r"^Tests:\s*(\d+)$")


def extract(doc):
    lines = [line for page in doc.pages for line in page.lines]
    for line in reversed(lines):
        m = COUNT.match(line.text)
        if m:
            return {"count": int(m.group(1))}
    return {"count": None}
