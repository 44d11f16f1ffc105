# local lists and dicts mutated freely
from extractors import runtime


def extract(doc):
    flags = []
    seen = {}
    for page in doc.pages:
        for line in page.lines:
            words = line.words
            if len(words) >= 4 and words[-1].text in ("H", "L"):
                flags.append(words[0].text)
                seen[words[0].text] = seen.get(words[0].text, 0) + 1
    rows = [{"test_name": runtime.Found(name), "flag": runtime.Found("H")} for name in flags]
    return {"results": runtime.Found(rows)}
