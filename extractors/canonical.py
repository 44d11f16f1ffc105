"""Canonical forms of field values, so extracted and golden values compare fairly.

Used by the accuracy validation stage at compile time and by `docc eval`: both must score
the same way. Canonical values are strings (or None for absent).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_WS = re.compile(r"\s+")
_NAME_PUNCT = re.compile(r"[^\w\s'-]")
_TITLES = {"mr", "mrs", "ms", "dr", "md", "do", "np", "pa", "rn", "phd", "pharmd", "jr", "sr"}


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def canonical(value: Any, field_type: str) -> str | None:
    """The comparable form of one scalar value of `field_type`; None when absent or empty."""
    if value is None:
        return None
    if isinstance(value, str):
        value = collapse(value)
        if value == "":
            return None
    try:
        if field_type in ("date", "datetime"):
            if isinstance(value, datetime):
                return value.isoformat() if field_type == "datetime" else value.date().isoformat()
            if isinstance(value, date):
                return value.isoformat()
            return str(value)[:10] if field_type == "date" else str(value)
        if field_type in ("integer", "decimal"):
            text = str(value).replace(",", "").replace("$", "").strip()
            number = Decimal(text)
            if field_type == "integer" and number == number.to_integral_value():
                return str(int(number))
            return format(number.normalize(), "f")
        if field_type == "phone":
            digits = re.sub(r"\D", "", str(value))
            return digits[-10:] if len(digits) >= 10 else digits
        if field_type in ("identifier", "code"):
            return re.sub(r"\s+", "", str(value)).upper()
        if field_type == "person_name":
            text = _NAME_PUNCT.sub(" ", str(value).replace(",", " ")).casefold()
            tokens = sorted(t.strip("'-") for t in text.split() if t.strip("'-") and t.strip("'-") not in _TITLES)
            return " ".join(tokens) or None
    except (InvalidOperation, ValueError):
        return collapse(str(value)).casefold()
    return collapse(str(value)).casefold()


def values_match(extracted: Any, golden: Any, field_type: str) -> bool:
    """Whether an extracted scalar equals the golden one after canonicalisation."""
    return canonical(extracted, field_type) == canonical(golden, field_type)
