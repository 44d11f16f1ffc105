# attack: tamper with builtins so later candidates misbehave
def extract(doc):
    __builtins__["len"] = lambda x: 0
    return {}
