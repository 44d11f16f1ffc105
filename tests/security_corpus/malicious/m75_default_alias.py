# a default argument bound to a module-level list
HISTORY = []


def remember(doc, seen=HISTORY):
    seen.append(doc.text[:20])
    return len(seen)


def extract(doc):
    return {"count": remember(doc)}
