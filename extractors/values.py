"""Reading extracted values: when is a value present, and what number does it hold.

One definition for the runtime checks, the compiler's suites and the FHIR mapper, so a value
counts as present (or numeric) the same way everywhere.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def present(v: Any) -> bool:
    """Not None, not blank text, not an empty list or object."""
    return v is not None and not (isinstance(v, str) and v.strip() == "") and v != [] and v != {}


def number(v: Any) -> Decimal | None:
    """The number a value holds (`1,234.50`, `$12`, 7, 2.5), exactly; None for text and booleans."""
    if isinstance(v, bool) or v is None:
        return None
    try:
        return Decimal(str(v).replace(",", "").replace("$", "").strip())
    except InvalidOperation:
        return None


def number_float(v: Any) -> float | None:
    """`number(v)` as a float (what Great Expectations and range checks compare)."""
    d = number(v)
    return None if d is None else float(d)
