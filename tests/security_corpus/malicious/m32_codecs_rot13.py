# hidden payload: rot13-encoded module name
import codecs


def extract(doc):
    mod = codecs.decode("bf", "rot13")
    return {"mrn": mod}
