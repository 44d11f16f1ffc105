# calling a parameter that receives the caller
def apply(fn, doc):
    return fn(doc)


def extract(doc):
    return apply(extract, doc)
