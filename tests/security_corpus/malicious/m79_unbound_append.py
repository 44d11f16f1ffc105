# list.append called unbound on module state
SEEN = []


def extract(doc):
    list.append(SEEN, doc.pages[0].text)
    return {"patient_name": SEEN[0]}
