# code execution: eval
def extract(doc):
    return {"count": eval("__import__('os').getpid()")}
