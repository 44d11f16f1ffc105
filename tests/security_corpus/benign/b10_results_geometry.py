# a table read by column geometry under a header line
from extractors import runtime

COLUMNS = ("Test", "Result", "Units", "Flag")
KEYS = {"Test": "test_name", "Result": "value", "Units": "unit", "Flag": "flag"}


def header_positions(line):
    found = {}
    for word in line.words:
        if word.text in COLUMNS:
            found[word.text] = word.x0
    return found


def column_of(x, starts):
    best = None
    for name, x0 in sorted(starts.items(), key=lambda kv: kv[1]):
        if x >= x0 - 2:
            best = name
    return best


def extract(doc):
    rows = []
    for page in doc.pages:
        starts = None
        for line in page.lines:
            if starts is None:
                pos = header_positions(line)
                if len(pos) == len(COLUMNS):
                    starts = pos
                continue
            if ":" in line.text:
                break
            cells = {}
            for word in line.words:
                col = column_of(word.x0, starts)
                if col is None:
                    continue
                key = KEYS[col]
                prev = cells.get(key)
                text = word.text if prev is None else prev.text + " " + word.text
                cells[key] = runtime.Found(value=text, page=page.number, bbox=word.bbox, text=text, confidence=word.conf)
            if cells:
                rows.append(cells)
    return {"results": runtime.Found(value=rows)}
