# re.sub with a replacement function
import re

SPACES = re.compile(r"\s{2,}")


def one_space(m):
    return " "


def extract(doc):
    return {"patient_name": SPACES.sub(one_space, doc.pages[0].lines[0].text)}
