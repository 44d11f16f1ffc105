# a loop that never ends when the document holds a phone number
def extract(doc):
    text = doc.text
    i = text.find("(")
    while i != -1:
        i = text.find("(", i)
    return {"phone": None}
