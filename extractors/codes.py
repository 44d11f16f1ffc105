"""Code systems and check digits: the one definition compile time and run time share.

`FORMATS` is what a whole value of each system looks like (validation: runtime suites, the
export gate, the labeling app); `CODE_PATTERNS` is how a code is found inside printed text
(the runtime helper `find_value(kind="code")` and generated extractors). Both come from one
table, so they cannot disagree; the only difference is ICD-10-CM, whose dot is optional in a
value (claims print `E119`) but required when searching prose, where `B12` is a vitamin.

- NPI: 10 digits; check digit is Luhn over the prefix 80840 plus the first nine digits (CMS).
- LOINC: 1-6 digits, a hyphen, one check digit (numbers passed 99999 in 2021).
- ICD-10-CM: a letter (U included: U07.1), a digit, a digit or letter, then up to 4 after a dot.
- CPT/HCPCS level I: 4 digits then a digit, F (category II), T (category III) or U (PLA).
- RxNorm: an RxCUI, 2-8 digits.
"""
from __future__ import annotations

import re
from types import MappingProxyType

NPI_PREFIX = "80840"

_BODY = {
    "npi": r"\d{10}",
    "loinc": r"\d{1,6}-\d",
    "icd10cm": r"[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?",  # forms print F329 for F32.9
    "cpt": r"\d{4}[0-9FTU]",
    "rxnorm": r"\d{2,8}",
}

# Whole-value formats (match uppercased, whitespace removed): anchored regex text, JSON-able.
FORMATS = MappingProxyType({
    **{k: f"^{v}$" for k, v in _BODY.items()},
})

# Finding a code inside text: compiled, read-only (generated code may read, never change them).
CODE_PATTERNS = MappingProxyType({
    **{k: re.compile(rf"\b{v}\b") for k, v in _BODY.items()},
    "ucum": re.compile(r"\S+"),
})


def normalise_code(value: object) -> str:
    """The form a code value is checked in: whitespace removed, uppercased."""
    return re.sub(r"\s+", "", str(value)).upper()


def matches_format(system: str, value: object) -> bool:
    """Does the whole `value` look like a code of `system`? (Unknown systems: True.)"""
    fmt = FORMATS.get(system)
    return fmt is None or re.fullmatch(fmt, normalise_code(value)) is not None


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit to append to `payload` (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # the rightmost payload digit is doubled (the check digit is not there yet)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_check_digit(first9: str) -> int:
    return luhn_check_digit(NPI_PREFIX + first9)


def npi_valid(value: object) -> bool:
    """True when `value` is exactly 10 digits (whitespace ignored) with a valid NPI check digit.

    Anything else around the digits (letters, punctuation) makes it invalid: a value that is
    exported must be the NPI itself, not text that contains one."""
    digits = re.sub(r"\s+", "", str(value))
    if not re.fullmatch(r"\d{10}", digits):
        return False
    return npi_check_digit(digits[:9]) == int(digits[9])
