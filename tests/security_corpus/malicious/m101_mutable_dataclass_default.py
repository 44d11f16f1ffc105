# a runtime Column holding a list at module level, mutated per document
from extractors import runtime

COL = runtime.Column("a", "string", [])


def extract(doc):
    COL.labels.append("x")
    return {"count": len(COL.labels)}
