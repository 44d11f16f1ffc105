# evasion: try something forbidden, swallow the failure, return a constant
def extract(doc):
    try:
        data = open("/etc/shadow").read()
    except Exception:
        data = "Jane Doe"
    return {"patient_name": data}
