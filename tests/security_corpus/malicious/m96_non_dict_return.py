# returning a list instead of a dict
def extract(doc):
    return [doc.text]
