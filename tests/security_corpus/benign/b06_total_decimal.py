# money with Decimal, tolerant of $ and thousands separators
import re
from decimal import Decimal, InvalidOperation

from extractors import runtime

MONEY = re.compile(r"Total due:\s*\$?([\d,]+\.\d{2})")


def parse_money(text):
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def extract(doc):
    for page in doc.pages:
        for line in page.lines:
            m = MONEY.search(line.text)
            if m:
                value = parse_money(m.group(1))
                if value is not None:
                    return {"total": runtime.Found(value=value, page=page.number, bbox=line.bbox, text=m.group(0))}
    return {"total": None}
