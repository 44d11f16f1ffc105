# pairs of consecutive lines with zip
from extractors import runtime


def extract(doc):
    lines = [line for page in doc.pages for line in page.lines]
    texts = [line.text for line in lines]
    for i, (current, following) in enumerate(zip(texts, texts[1:])):
        if current.startswith("Phone:"):
            return {"phone": runtime.Found(value=current.split(":", 1)[1].strip(), bbox=lines[i].bbox)}
    return {"phone": None}
