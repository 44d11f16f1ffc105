# a local copy of a module-level dict, then changed
DEFAULTS = {"mrn": None, "phone": None}


def extract(doc):
    out = dict(DEFAULTS)
    out["mrn"] = None
    for line in doc.pages[0].lines:
        if line.text.startswith("Phone"):
            out["phone"] = line.text.split(":", 1)[-1].strip()
    return out
