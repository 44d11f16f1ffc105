# a generator helper consumed inside extract
def label_lines(doc):
    for page in doc.pages:
        for line in page.lines:
            if ":" in line.text:
                yield line


def extract(doc):
    found = [ln.text.split(":", 1)[0] for ln in label_lines(doc)]
    return {"count": len(found)}
