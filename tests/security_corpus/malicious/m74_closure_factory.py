# a closure built at module level counts documents
def make_counter():
    seen = []

    def count(x):
        seen.append(x)
        return len(seen)
    return count


COUNTER = make_counter()


def extract(doc):
    return {"count": COUNTER(doc)}
