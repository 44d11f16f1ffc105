# attack: grow a string until memory runs out (sizes not constant: the memory limit must stop it)
def extract(doc):
    s = doc.text or "x"
    for i in range(64):
        s = s + s
    return {"count": len(s)}
