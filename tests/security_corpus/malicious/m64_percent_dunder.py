# dunder name built with %-formatting
def extract(doc):
    name = "%s%sclass%s%s" % ("_", "_", "_", "_")
    return {"patient_name": name}
