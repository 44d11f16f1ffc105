# ReDoS: catastrophic backtracking inside C code; only the wall timeout can stop it
import re

NESTED = re.compile(r"^(a+)+$")


def extract(doc):
    probe = "a" * 34 + "!"
    hit = NESTED.match(probe)
    return {"mrn": hit.group(0) if hit else None}
