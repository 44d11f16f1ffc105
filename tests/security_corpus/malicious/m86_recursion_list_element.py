# calling an element of a list of functions
def extract(doc):
    fs = [extract]
    return fs[0](doc)
