"""Units of measure on OCR'd pages, part of `extractors.runtime`.

A scanned unit cell is often one OCR slip away from what was printed (`1043/uL` for `10^3/uL`,
`mg/dL.`, `£L`). A column that prints known units in most of its cells is a unit column; its
other cells on OCR'd pages are read as the one known unit they are a single edit from (two
for a long unit). A text layer is never touched, and an unknown unit that is close to no known
one, or as close to two, stays as read.

A column that prints a number, a space and a known unit in most of its cells (`40 mg`) is a
measure column. Its scanned cells that lost the space (`5mg`) get it back; a number read as
letters OCR confuses with digits (`Smg`, `SO mg`) is read as digits, and a number mixing
digits and such letters (`5S mg`) stays as read: both leave the table doubted, for a dose read
wrong is worse than one sent to review.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from extractors._rt_values import OCR_CONFUSABLE, OCR_TO_DIGIT, Found
from pipeline.document import Document

# Units laboratories and vital-sign tables print (UCUM and its common printed forms): general
# domain knowledge, not any one sender's vocabulary.
KNOWN_UNITS = (
    "%", "/hpf", "/lpf", "/min", "/uL", "Cel", "[degF]", "[pH]", "10^12/L", "10^3/uL", "10^6/uL", "10^9/L",
    "IU/L", "IU/mL", "K/uL", "M/uL", "U/L", "U/mL", "bpm", "beats/min", "breaths/min", "cells/uL",
    "cm", "copies/mL", "fL", "g", "g/L", "g/dL", "in", "kg", "kg/m2", "kU/L", "L", "lb", "lbs",
    "m", "mEq/L", "mIU/L", "mIU/mL", "mL", "mL/min", "mL/min/1.73m2", "mOsm/kg", "mcg", "mcg/mL",
    "mg", "mg/L", "mg/dL", "mm", "mm/hr", "mm[Hg]", "mmHg", "mmol/L", "nmol/L", "ng/L", "ng/dL",
    "ng/mL", "pct", "percent", "pg", "pg/mL", "pH", "pmol/L", "ratio", "s", "sec", "ug/L", "ug/dL", "ug/mL", "uIU/mL",
    "umol/L", "µg/dL", "µg/L", "µmol/L", "°C", "°F",
)
_BY_FOLD = {u.casefold(): u for u in KNOWN_UNITS}
# a column is a unit column when at least this share of its filled cells is a known unit
UNIT_COLUMN_SHARE = 0.5
LONG_UNIT = 8  # characters from which a reading may be two edits from its unit
MIN_TIE_READ = 4  # characters from which a reading as near two units takes the one its column prints


# UCUM's powers of ten as C-CDA documents print them (`10*3/uL`, `x10*3/uL`): known as printed,
# never the nearest of a misreading (`1043/uL` is `10^3/uL`, a caret read as a 4)
_UCUM_POWER = re.compile(r"^x?10\*\d+/[A-Za-zµ]+$")


def known_unit(text: str) -> str | None:
    """The known unit `text` prints, in its usual case (`mg/dl` -> `mg/dL`), or None."""
    text = text.strip()
    return _BY_FOLD.get(text.casefold()) or (text if _UCUM_POWER.match(text) else None)


def nearest_unit(text: str, printed: frozenset[str] = frozenset()) -> str | None:
    """The known unit an OCR reading is one slip from (letter case aside), or None when none
    is, or two are as near (`g/d` is as near `g/L` as `g/dL`): then the one of them the
    reading's column prints (`printed`: its cells as read that are known units; `mg/d` among
    `mg/L` cells is `mg/L`), when the reading is long enough to tell (`c` is one slip from
    `cm`, `g`, `%` and more). The unit comes back in the case its column prints it (`mq/dl`
    among `mg/dl` cells is `mg/dl`), else in the case the reading kept with the slipped letters
    in the unit's own (`Ibs` is `lbs`). A known unit printed in brackets (`(10*3/uL)`) is no slip."""
    read = text.strip().rstrip(".")
    if not read:
        return None
    if known_unit(read) is not None:
        return read  # as printed, in the printed case (`MM[HG]`, `mg/dl`): no slip
    if read[0] + read[-1] == "()" and known_unit(read[1:-1]) is not None:
        return None  # printed in brackets, `(10*3/uL)`: no slip
    ranked = process.extract(read, KNOWN_UNITS, scorer=Levenshtein.distance, processor=str.casefold, limit=None)
    distance = ranked[0][1]
    if distance > (2 if len(read) >= LONG_UNIT else 1):
        return None
    tied = [unit for unit, d, _ in ranked if d == distance]
    if len(tied) > 1:
        among = sorted({known_unit(p) for p in printed} & set(tied))
        if len(among) != 1 or len(read) < MIN_TIE_READ:
            return None
        tied = among
    mended = _mended(read, tied[0])
    as_printed = sorted(p for p in printed if p.casefold() == mended.casefold())
    return as_printed[0] if as_printed else mended


def _mended(read: str, unit: str) -> str:
    """`read` with its slips replaced by the unit's own letters, the rest as read."""
    out = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(read.casefold(), unit.casefold()):
        out.append(read[i1:i2] if tag == "equal" else unit[j1:j2])
    return "".join(out)


# a whole number and a unit behind a speck OCR read as a point (`177.cm`)
_SPECK_BEFORE_UNIT = re.compile(r"^([-+]?\d[\d,]*)\.(?=[A-Za-zµ])(\S+)(.*)$", re.S)


def without_speck(text: str) -> str:
    """`177 cm` for `177.cm`: a point between a whole number and a known unit is a speck (no
    number ends with a point); any other text as it is."""
    m = _SPECK_BEFORE_UNIT.match(text)
    return f"{m.group(1)} {m.group(2)}{m.group(3)}" if m and known_unit(m.group(2)) else text


def snap_unit_columns(doc: Document, found: Found | None) -> Found | None:
    """Table rows with the misread cells of their unit and measure columns read as known units
    and `number unit`, on OCR'd pages only (see the module docstring)."""
    if found is None or not isinstance(found.value, list) or not any(p.source == "ocr" for p in doc.pages):
        return found
    rows: list[dict[str, Found | None]] = found.value
    scanned = frozenset(p.number for p in doc.pages if p.source == "ocr")
    changed = False
    # `L` alone may be a flag, not litres
    for name in _columns_where(rows, lambda v: len(v.strip()) > 1 and nearest_unit(v) is not None, UNIT_COLUMN_SHARE):
        # the units the column prints as read break a tie: `mg/d` among `mg/L` cells is `mg/L`
        printed = frozenset(v.strip() for row in rows if row.get(name) is not None and isinstance(v := row[name].value, str)
                            and known_unit(v) is not None)
        if not printed:
            continue  # no cell reads as a known unit: nothing says the slips are units
        for row, cell in _scanned_cells(rows, name, scanned):
            unit = nearest_unit(cell.value, printed)
            if unit is not None and unit != cell.value:
                row[name] = replace(cell, value=unit)
                changed = True
    measured, doubted = _snap_measure_columns(rows, scanned)
    changed = changed or measured
    if doubted:
        return replace(found, value=rows, confidence=min(found.confidence, DIGITS_FROM_LETTERS))
    return replace(found, value=rows) if changed else found


DIGITS_FROM_LETTERS = 0.5  # confidence kept by a table holding a number read back from letters
MEASURE_COLUMN_SHARE = 0.5  # share of a column's filled cells printed `number unit`
_DIGIT_LIKE = frozenset("0123456789.,/-" + OCR_CONFUSABLE)
_SPACED_MEASURE = re.compile(r"^\d[\d.,/-]*\s+(\S+)")


def _columns_where(rows: list[dict[str, Found | None]], typical: Callable[[str], Any], share: float) -> list[str]:
    """The columns (sorted by name) where at least `share` of the text cells, and two, are `typical`."""
    names = sorted({n for row in rows for n, cell in row.items() if cell is not None and isinstance(cell.value, str)})
    out = []
    for name in names:
        cells = [row[name].value for row in rows if row.get(name) is not None and isinstance(row[name].value, str)]
        if sum(1 for v in cells if typical(v)) >= max(2, share * len(cells)):
            out.append(name)
    return out


def _scanned_cells(rows: list[dict[str, Found | None]], name: str, scanned: frozenset[int]) -> Iterator[tuple[dict, Found]]:
    """(row, cell) for each text cell of one column read on an OCR'd page."""
    for row in rows:
        cell = row.get(name)
        if cell is not None and isinstance(cell.value, str) and cell.page in scanned:
            yield row, cell


def _spaced_measure(text: str) -> bool:
    """`40 mg`: a number, a space and a known unit."""
    m = _SPACED_MEASURE.match(text.strip())
    return m is not None and known_unit(m.group(1)) is not None


def _read_measure(text: str) -> tuple[str, str, str, str] | None:
    """(number, space, unit, rest) of a cell that starts with a number (digits or letters OCR
    confuses with them) and a known unit of more than one letter, or None."""
    for i in range(1, len(text)):
        if text[i - 1] not in _DIGIT_LIKE:
            return None
        after = text[i:]
        words = after.split(maxsplit=1)
        if not words:
            return None
        unit = words[0]
        if not (len(unit) == 1 and unit.isalpha()) and known_unit(unit):
            space = after[: len(after) - len(after.lstrip())]
            return text[:i], space, unit, after.lstrip()[len(unit):]
    return None


def _snap_measure_columns(rows: list[dict[str, Found | None]], scanned: frozenset[int]) -> tuple[bool, bool]:
    """Scanned cells of measure columns read as `number unit` (see the module docstring), in
    place; returns (whether a cell changed, whether a number was read from letters)."""
    changed = doubted = False
    for name in _columns_where(rows, _spaced_measure, MEASURE_COLUMN_SHARE):
        for row, cell in _scanned_cells(rows, name, scanned):
            read = _read_measure(cell.value.strip())
            if read is None:
                continue
            num, space, unit, rest = read
            letters = any(ch.isalpha() for ch in num)
            if letters and any(ch.isdigit() for ch in num):
                doubted = True  # `5S`: a 5 read twice, or 55? not for docc to guess
                continue
            if not letters and space:
                continue  # as printed
            value = f"{num.translate(OCR_TO_DIGIT)} {unit}{rest}"
            row[name] = replace(cell, value=value)
            changed = True
            doubted = doubted or letters
    return changed, doubted
