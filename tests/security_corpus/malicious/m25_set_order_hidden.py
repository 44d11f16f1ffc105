# nondeterminism: set order hidden behind a variable (caught by the second run's other hash seed)
def extract(doc):
    seen = set()
    for page in doc.pages:
        for word in page.words:
            seen.add(word.text)
    bag = seen
    first = [w for w in bag]
    return {"patient_name": " ".join(first[:3])}
