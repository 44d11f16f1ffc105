# attack: read and rewrite module globals
def extract(doc):
    g = globals()
    g["extract"] = None
    return {}
