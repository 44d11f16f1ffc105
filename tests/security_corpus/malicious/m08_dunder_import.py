# attack: __import__ to reach os without an import statement
def extract(doc):
    os = __import__("os")
    return {"mrn": os.getcwd()}
