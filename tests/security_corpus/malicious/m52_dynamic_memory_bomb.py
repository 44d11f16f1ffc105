# memory bomb with a size computed from the document (static rules cannot size it)
def extract(doc):
    width = len(doc.text) + 1
    blob = "x" * (width * 10 ** 9)
    return {"count": len(blob)}
