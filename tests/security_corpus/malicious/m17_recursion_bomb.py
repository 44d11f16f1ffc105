# attack: unbounded recursion
def dig(n):
    return dig(n + 1) + 1


def extract(doc):
    return {"count": dig(0)}
