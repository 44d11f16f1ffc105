# a module-level generator expression keeps state between documents
GEN = (i for i in range(1000))


def extract(doc):
    return {"count": next(GEN)}
