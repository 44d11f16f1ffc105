"""Turning extracted values into FHIR datatypes: presence, numbers, human names, slugs, ranges."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any


# ----------------------------------------------------------------------------- values

def _cell(entry: Any) -> Any:
    """The value of a results.jsonl field or table cell (also accepts bare golden values)."""
    if isinstance(entry, dict) and "value" in entry:
        return entry["value"]
    return entry


def _json_number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() and "." not in str(d) and "E" not in str(d) else float(d)


_TITLE = {"dr", "mr", "mrs", "ms", "miss", "prof"}
_SUFFIX = {"md", "do", "np", "pa", "pa-c", "rn", "phd", "pharmd", "dds", "jr", "sr", "ii", "iii", "iv", "facp", "mph"}


def human_name(text: str) -> dict | None:
    """'Doe, Jane M' / 'Jane M. Doe' / 'Dr. Jane Doe, MD' -> HumanName (text keeps the print)."""
    text = " ".join(str(text).split())
    if not text:
        return None
    prefix, suffix = [], []
    parts = [p.strip() for p in text.split(",")]
    # trailing credentials after a comma: "Jane Doe, MD"
    while len(parts) > 1 and all(t.strip(".").casefold() in _SUFFIX for t in parts[-1].split()):
        suffix = parts.pop().split() + suffix
    if len(parts) >= 2:
        family = parts[0]
        given = " ".join(parts[1:]).split()
    else:
        tokens = parts[0].split()
        while tokens and tokens[0].strip(".").casefold() in _TITLE:
            prefix.append(tokens.pop(0))
        while len(tokens) > 1 and tokens[-1].strip(".").casefold() in _SUFFIX:
            suffix.insert(0, tokens.pop())
        family = tokens[-1] if tokens else ""
        given = tokens[:-1]
    out: dict[str, Any] = {"text": text}
    if family:
        out["family"] = family
    if given:
        out["given"] = given
    if prefix:
        out["prefix"] = prefix
    if suffix:
        out["suffix"] = suffix
    return out


def slug(text: Any) -> str | None:
    s = re.sub(r"[^0-9a-z]+", "-", str(text).casefold()).strip("-")
    return s or None


_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|—|to)\s*(-?\d+(?:\.\d+)?)\s*$", re.I)
_BOUND = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*(-?\d+(?:\.\d+)?)\s*$")
_VALUE = re.compile(r"^\s*(<=|>=|<|>|≤|≥)?\s*(-?\d+(?:,\d{3})*(?:\.\d+)?)\s*$")
_COMPARATOR = {"≤": "<=", "≥": ">="}
