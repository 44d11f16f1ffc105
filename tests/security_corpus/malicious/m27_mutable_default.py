# smuggling: a mutable default argument keeps state between calls
def remember(value, memory=[]):
    memory.append(value)
    return memory


def extract(doc):
    return {"count": len(remember(doc.text))}
