# recursion through a function passed as an argument
def walk(f, n):
    return f(f, n + 1)


def extract(doc):
    return {"count": walk(walk, 0)}
