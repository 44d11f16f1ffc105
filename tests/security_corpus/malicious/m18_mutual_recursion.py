# attack: unbounded mutual recursion
def ping(n):
    return pong(n + 1)


def pong(n):
    return ping(n + 1)


def extract(doc):
    return {"count": ping(0)}
