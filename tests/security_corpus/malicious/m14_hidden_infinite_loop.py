# attack: an infinite loop the static stage cannot see; the wall timeout must stop it
def extract(doc):
    n = len(doc.pages)
    while n > 0:
        n = n + 1
    return {"count": n}
