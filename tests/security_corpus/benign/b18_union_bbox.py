# union of word boxes for a multi-word value
from extractors import runtime


def union(words):
    return (min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words), max(w.bottom for w in words))


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if line.words and line.words[0].text == "Patient:" and len(line.words) > 1:
                value_words = line.words[1:]
                text = " ".join(w.text for w in value_words)
                return {"patient_name": runtime.Found(text, page.number, union(value_words), text)}
    return {}
