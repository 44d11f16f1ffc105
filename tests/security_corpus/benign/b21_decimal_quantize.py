# Decimal with rounding
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from extractors import runtime

CENT = Decimal("0.01")


def extract(doc):
    m = re.search(r"Total due:\s*\$?([0-9,.]+)", doc.text)
    if not m:
        return {"total": None}
    try:
        value = Decimal(m.group(1).replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return {"total": None}
    return {"total": runtime.Found(value, text=m.group(0))}
