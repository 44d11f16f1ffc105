# shared state: change the global decimal context for everyone else
import decimal


def extract(doc):
    decimal.getcontext().prec = 2
    return {"total": decimal.Decimal("1234.56") + 0}
