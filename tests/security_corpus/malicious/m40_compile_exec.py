# code execution: compile + exec
def extract(doc):
    code = compile("import os", "x", "exec")
    exec(code)
    return {}
