# nondeterminism: output depends on the clock
import time


def extract(doc):
    return {"collected": time.strftime("%Y-%m-%d")}
