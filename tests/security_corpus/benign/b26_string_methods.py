# plain string methods
def clean_name(raw):
    raw = raw.strip().strip(",")
    if "," in raw:
        last, _sep, first = raw.partition(",")
        raw = first.strip() + " " + last.strip()
    return raw.title()


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            if line.text.startswith("Patient:"):
                return {"patient_name": clean_name(line.text.removeprefix("Patient:"))}
    return {"patient_name": None}
