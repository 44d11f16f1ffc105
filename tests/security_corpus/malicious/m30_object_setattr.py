# tampering: bypass frozen dataclasses
def extract(doc):
    object.__setattr__(doc, "source", "forged.pdf")
    return {}
