# a table of a hundred thousand rows
from extractors import runtime


def extract(doc):
    rows = [{"test_name": runtime.Found("x")} for _ in range(100_000)]
    return {"results": runtime.Found(rows)}
