# next() with a default
def extract(doc):
    words = [w for page in doc.pages for w in page.words]
    idx = next((i for i, w in enumerate(words) if w.text == "Collected:"), None)
    if idx is None or idx + 1 >= len(words):
        return {"collected": None}
    return {"collected": words[idx + 1].text}
