# structural pattern matching on split lines
def extract(doc):
    out = {"mrn": None, "count": None}
    for page in doc.pages:
        for line in page.lines:
            match line.text.split():
                case ["MRN:", value]:
                    out["mrn"] = value
                case ["Tests:", n] if n.isdigit():
                    out["count"] = int(n)
                case _:
                    pass
    return out
