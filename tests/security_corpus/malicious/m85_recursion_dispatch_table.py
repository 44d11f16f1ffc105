# recursion hidden in a dispatch table
def step(n):
    return TABLE["go"](n + 1)


TABLE = {"go": step}


def extract(doc):
    return {"count": step(0)}
