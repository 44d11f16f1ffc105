# a named helper as a sort key and a map function
def top(word):
    return (word.top, word.x0)


def text_of(word):
    return word.text


def extract(doc):
    words = sorted(doc.pages[0].words, key=top)
    first = list(map(text_of, words[:2]))
    return {"patient_name": " ".join(first) if first else None}
