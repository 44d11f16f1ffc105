# attack: never return
def extract(doc):
    while True:
        pass
    return {}
