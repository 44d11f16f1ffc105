# format_map with a mapping argument (attribute fields inside)
def extract(doc):
    return {"patient_name": "{d.pages}".format_map({"d": doc})}
