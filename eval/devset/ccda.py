"""Gold fields from one C-CDA XML document (structured entries; narrative text for names).

Why structured entries: they are what every certified product must emit, whatever its
narrative or rendering looks like, so the same reader works across ~50 vendors. Each entry is
also tied to the narrative row that prints it (`eval.devset.narrative`: by a referenced `ID`, by
the cell that prints its value, or by position when the table and the entries line up), because
the page prints the narrative's names (`Weight`) where the coded name (`Patient Body Weight -
Measured`) is not printed. Values that the page does not print are removed later by the page
cross-check (`eval.devset.build`).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

from eval.devset.narrative import Link, Narrative, name_before_value, printed_value_unit, value_pattern

NS = {"h": "urn:hl7-org:v3", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

# C-CDA section templateIds (entries-required and entries-optional variants).
SECTION_RESULTS = ("2.16.840.1.113883.10.20.22.2.3.1", "2.16.840.1.113883.10.20.22.2.3")
SECTION_VITALS = ("2.16.840.1.113883.10.20.22.2.4.1", "2.16.840.1.113883.10.20.22.2.4")
SECTION_MEDS = ("2.16.840.1.113883.10.20.22.2.1.1", "2.16.840.1.113883.10.20.22.2.1")
SECTION_PROBLEMS = ("2.16.840.1.113883.10.20.22.2.5.1", "2.16.840.1.113883.10.20.22.2.5")

SEX = {"M": "Male", "F": "Female", "UN": "Undifferentiated"}


@dataclass
class Gold:
    """Candidate gold values before the page cross-check."""

    patient_name: str | None = None
    given: list[str] = field(default_factory=list)
    family: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    ids: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    vitals: list[dict] = field(default_factory=list)
    medications: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    # coded entries as the first builds counted them (nested observations included): ranks the
    # XMLs of a product for stylesheet rendering, kept so that the same documents are chosen
    richness: int = 0


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _ts_date(value: str | None) -> date | None:
    m = re.match(r"(\d{4})(\d{2})(\d{2})", value or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _narrative_ids(root: ET.Element) -> dict[str, str]:
    """ID attribute -> text of the narrative element, for `reference value="#id"` lookups."""
    out: dict[str, str] = {}
    for el in root.iter():
        ident = el.get("ID")
        if ident:
            out[ident] = _text(el)
    return out


def _code_name(code: ET.Element | None, refs: dict[str, str]) -> list[str]:
    """Names a code may be printed as: displayName, originalText, the referenced narrative."""
    if code is None:
        return []
    names: list[str] = []
    if code.get("displayName"):
        names.append(" ".join(code.get("displayName", "").split()))
    orig = code.find("h:originalText", NS)
    if orig is not None:
        ref = orig.find("h:reference", NS)
        if ref is not None and (ref.get("value") or "").startswith("#"):
            t = refs.get(ref.get("value", "")[1:], "")
            if t:
                names.append(t)
        t = _text(orig)
        if t:
            names.append(t)
    for tr in code.findall("h:translation", NS):
        if tr.get("displayName"):
            names.append(" ".join(tr.get("displayName", "").split()))
    seen: list[str] = []
    for n in names:
        if n and n not in seen:
            seen.append(n)
    return seen


def _refs(el: ET.Element, first: ET.Element | None = None) -> list[str]:
    """IDs an entry references (`reference value="#id"`), those under `first` (its code) first."""
    out: list[str] = []
    for root in ([first] if first is not None else []) + [el]:
        for ref in root.iter(f"{{{NS['h']}}}reference"):
            v = ref.get("value") or ""
            if v.startswith("#") and v[1:] not in out:
                out.append(v[1:])
    return out


def _codes(code: ET.Element | None) -> list[str]:
    """The code and its translations' codes (a page may print `[ICD9: 780.60]` for a SNOMED entry)."""
    if code is None:
        return []
    return [c for el in (code, *code.findall("h:translation", NS)) if (c := el.get("code"))]


def _sections(root: ET.Element, template_ids: tuple[str, ...]) -> list[ET.Element]:
    out = []
    for sec in root.iterfind(".//h:section", NS):
        if any(t.get("root") in template_ids for t in sec.findall("h:templateId", NS)):
            out.append(sec)
    return out


def _observation_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    """One row per observation with a printed value: names, value, unit."""
    rows = []
    nested = {id(o) for rel in sec.iterfind(".//h:entryRelationship", NS) for o in rel.iterfind(".//h:observation", NS)}
    for obs in sec.iterfind(".//h:observation", NS):
        if obs.get("nullFlavor") or obs.get("negationInd") == "true":
            continue
        val = obs.find("h:value", NS)
        if val is None or val.get("nullFlavor"):
            continue
        kind = val.get(XSI_TYPE, "")
        if kind.endswith("PQ"):
            value, unit = val.get("value"), val.get("unit")
            if unit == "1":
                unit = None
        elif kind.endswith("ST"):
            value, unit = _text(val), None
        elif kind.endswith(("CD", "CE", "CO")):
            names = _code_name(val, refs)
            value, unit = (names[0] if names else None), None
        else:
            continue
        code = obs.find("h:code", NS)
        names = _code_name(code, refs)
        if not value:
            continue
        # an observation inside another one's entryRelationship (its status, a reference range
        # note) is not a row of its own
        rows.append({"names": names, "value": value, "unit": unit, "refs": _refs(obs, code), "nested": id(obs) in nested})
    return rows


def _medication_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    rows = []
    for sa in sec.iterfind("h:entry/h:substanceAdministration", NS):
        code = sa.find("h:consumable/h:manufacturedProduct/h:manufacturedMaterial/h:code", NS)
        names = _code_name(code, refs)
        if code is not None or names:
            rows.append({"names": names, "refs": _refs(sa, code), "code": code.get("code") if code is not None else None,
                         "codes": _codes(code)})
    return rows


def _problem_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    rows = []
    for obs in sec.iterfind(".//h:observation", NS):
        if obs.get("negationInd") == "true":
            continue
        tids = {t.get("root") for t in obs.findall("h:templateId", NS)}
        if "2.16.840.1.113883.10.20.22.4.4" not in tids:  # Problem Observation
            continue
        val = obs.find("h:value", NS)
        names = _code_name(val, refs)
        if names or val is not None:
            rows.append({"names": names, "refs": _refs(obs, val), "code": val.get("code") if val is not None else None,
                         "codes": _codes(val)})
    return rows


def _link(sec: ET.Element, rows: list[dict]) -> list[dict]:
    """Tie each entry to the narrative row that prints it: `row["narrative"] = {"name", "value",
    "unit", "via"}` (value and unit as the value cell prints them, observations only)."""
    nar = Narrative(sec.find("h:text", NS))
    if not nar.tables:
        return rows
    nar.learn([r["names"] for r in rows])
    taken: dict[int, int] = {}
    cells: dict[int, list[dict]] = {}
    for r in rows:
        link = nar.by_reference(r["refs"], r.get("value"))
        cell = link.cell if link is not None else None
        if "value" in r and cell is None:
            if link is not None:
                pat = value_pattern(r["value"])
                cell = next((c for c in link.row.cells if pat.search(c.text) and c.text != link.name), None)
            else:
                hits = nar.value_cells(r["value"], r.get("unit"), taken)
                if hits:
                    row, cell = hits[0]
                    link = Link(row, nar.row_name(row, cell), cell, "value")
        if cell is not None:
            taken[id(cell)] = taken.get(id(cell), 0) + 1
            cells.setdefault(id(cell), []).append(r)
        if link is None and r.get("code"):  # the row that prints the entry's code
            hits = [(row, c) for row in nar.rows() for c in row.cells if c.text == r["code"]]
            if len({id(h[0]) for h in hits}) == 1:
                link = Link(hits[0][0], nar.row_name(*hits[0]), None, "code")
        if link is None:
            continue
        row = link.row
        name = link.name
        if name and "value" in r and value_pattern(r["value"]).fullmatch(name):
            name = None  # the cell printing the value (a text result) is not its name
        r["narrative"] = {"name": name, "via": link.via, "value": None, "unit": None}
        if cell is not None:
            text = cell.text
            if (named := name_before_value(text, r["value"])) is not None:  # `Heart Rate 80 /min`
                r["narrative"]["name"], text = named
            split = printed_value_unit(text, r["value"], r.get("unit"))
            if split is not None:
                r["narrative"]["value"], r["narrative"]["unit"] = split
                if split[1] is None and r.get("unit"):  # a unit column beside the value
                    u = next((c.text for c in row.cells if c is not cell and c.text.casefold() == r["unit"].casefold()), None)
                    r["narrative"]["unit"] = u
            r["narrative"]["cell"] = text
    _merge_pairs(cells)
    _by_position(nar, rows)
    return rows


def _merge_pairs(cells: dict[int, list[dict]]) -> None:
    """Two entries printed in one cell as `145/88` (systolic/diastolic): one printed row."""
    for group in cells.values():
        if len(group) < 2:
            continue
        text = group[0]["narrative"]["cell"]
        m = re.match(r"^(\S+/\S+)\s*(.*)$", text)
        if not m or not all(value_pattern(r["value"]).search(m.group(1)) for r in group):
            continue
        first = group[0]["narrative"]
        first["value"], first["unit"] = m.group(1), (m.group(2) or None)
        first["pair"] = True
        for r in group[1:]:
            r["merged"] = True


def _by_position(nar: Narrative, rows: list[dict]) -> None:
    """Entries not tied otherwise, when one table has a row per entry in entry order and every
    entry whose name the table prints sits in the row of its own position."""
    tables = [t for t in nar.tables if len(t.data()) == len(rows)]
    if len(tables) != 1:
        return
    data = tables[0].data()
    checked = 0
    for i, r in enumerate(rows):
        keys = {n.casefold() for n in r["names"]}
        at = [j for j, row in enumerate(data) if any(c.text.casefold() in keys for c in row.cells)]
        if at:
            if i not in at:
                return
            checked += 1
    if not checked:
        return
    for i, r in enumerate(rows):
        if "narrative" not in r and not ("value" in r):
            name = nar.row_name(data[i], None)
            if name:
                r["narrative"] = {"name": name, "via": "position", "value": None, "unit": None}


def read_gold(xml_bytes: bytes) -> Gold:
    """Parse a C-CDA document into candidate gold values (raises ET.ParseError on bad XML)."""
    root = ET.fromstring(xml_bytes)
    refs = _narrative_ids(root)
    g = Gold()
    role = root.find("h:recordTarget/h:patientRole", NS)
    if role is not None:
        g.ids = [i.get("extension", "") for i in role.findall("h:id", NS) if i.get("extension")]
        pat = role.find("h:patient", NS)
        if pat is not None:
            name = pat.find("h:name", NS)
            if name is not None:
                g.given = [_text(e) for e in name.findall("h:given", NS) if _text(e)]
                g.family = _text(name.find("h:family", NS)) or None
                suffix = _text(name.find("h:suffix", NS))
                parts = g.given + ([g.family] if g.family else []) + ([suffix] if suffix else [])
                g.patient_name = " ".join(parts) or None
            bt = pat.find("h:birthTime", NS)
            g.birth_date = _ts_date(bt.get("value") if bt is not None else None)
            sex = pat.find("h:administrativeGenderCode", NS)
            if sex is not None:
                g.sex = SEX.get(sex.get("code", ""), sex.get("displayName"))
    for sec in _sections(root, SECTION_RESULTS):
        obs = _observation_rows(sec, refs)
        g.richness += sum(1 for r in obs if r["names"])
        g.results += _link(sec, [r for r in obs if not r["nested"]])
    for sec in _sections(root, SECTION_VITALS):
        obs = _observation_rows(sec, refs)
        g.richness += sum(1 for r in obs if r["names"])
        g.vitals += _link(sec, [r for r in obs if not r["nested"]])
    for sec in _sections(root, SECTION_MEDS):
        g.medications += _link(sec, _medication_rows(sec, refs))
    for sec in _sections(root, SECTION_PROBLEMS):
        g.problems += _link(sec, _problem_rows(sec, refs))
    g.richness += sum(1 for r in g.medications + g.problems if r["names"])
    return g
