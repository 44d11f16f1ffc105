# leak: print document text to the logs
def extract(doc):
    print(doc.text)
    return {}
