# CPU/memory bomb: a gigantic integer
def extract(doc):
    n = 10 ** 10 ** 10
    return {"count": n % 7}
