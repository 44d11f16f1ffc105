# nondeterminism: memory addresses
def extract(doc):
    return {"count": id(doc) % 1000}
