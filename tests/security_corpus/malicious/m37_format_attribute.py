# string-built attribute access through str.format fields
def extract(doc):
    template = "{0.pages.count.__self__}"
    return {"patient_name": template.format(doc)}
