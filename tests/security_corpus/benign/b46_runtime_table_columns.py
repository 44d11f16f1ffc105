# runtime.table with runtime.Column, tuples of labels
from extractors import runtime

COLUMNS = [
    runtime.Column("test_name", "string", ("test",)),
    runtime.Column("value", "decimal", ("result",)),
    runtime.Column("unit", "string", ("units",)),
]


def extract(doc):
    return {"results": runtime.table(doc, COLUMNS)}
