# tampering: write into the input document
def extract(doc):
    doc.meta["doc_type"] = "discharge_summary"
    return {}
