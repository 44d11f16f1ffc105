# anonymous recursion: a lambda applied to itself
def extract(doc):
    y = (lambda g: g(g))(lambda g: g(g))
    return {"count": y}
