# a sort key that sorts again with itself
def key(x):
    return len(sorted([x, x], key=key))


def extract(doc):
    return {"count": key(1)}
