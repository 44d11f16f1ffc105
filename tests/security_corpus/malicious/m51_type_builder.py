# building classes at run time
def extract(doc):
    Evil = type("Evil", (), {"value": 1})
    return {"count": Evil.value}
