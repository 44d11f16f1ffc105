# a nested function closing over module state via an alias, called each document
BUCKET = {"docs": []}


def extract(doc):
    docs = BUCKET["docs"]

    def keep():
        docs.append(doc.pages[0].text)
        return docs[0]
    return {"patient_name": keep()}
