# nondeterminism: naive timestamps depend on the machine's time zone
from datetime import datetime


def extract(doc):
    d = datetime(2024, 1, 1)
    return {"count": int(d.timestamp())}
