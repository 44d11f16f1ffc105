# smuggling: carry data from one document to the next through module state
SEEN = []


def extract(doc):
    SEEN.append(doc.text[:20])
    return {"patient_name": SEEN[0], "count": len(SEEN)}
