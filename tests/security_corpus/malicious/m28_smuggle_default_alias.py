# smuggling: module state reached through a default argument alias (caught by the reversed second run)
STATE = []


def remember(value, memory=STATE):
    memory.append(value)
    return len(memory)


def extract(doc):
    return {"count": remember(doc.text)}
