# calling the result of a call (a function returned as a value)
def pick():
    return extract


def extract(doc):
    return pick()(doc)
