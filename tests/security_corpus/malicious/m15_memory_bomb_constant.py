# attack: allocate gigabytes with a constant repetition
def extract(doc):
    junk = [0] * 10 ** 9
    return {"count": len(junk)}
