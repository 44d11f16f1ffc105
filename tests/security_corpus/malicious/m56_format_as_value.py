# str.format bound as a value, dunder name built from pieces: reaches module globals
FMT = str.format


def extract(doc):
    field = "{0." + "_" + "_globals_" + "_}"
    return {"patient_name": FMT(field, extract)}
