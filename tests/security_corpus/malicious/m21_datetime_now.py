# nondeterminism: today's date instead of the document's
from datetime import datetime


def extract(doc):
    return {"collected": datetime.now().date()}
