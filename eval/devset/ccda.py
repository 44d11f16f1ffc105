"""Gold fields from one C-CDA XML document (structured entries; narrative text for names).

Why structured entries: they are what every certified product must emit, whatever its
narrative or rendering looks like, so the same reader works across ~50 vendors. Values that
the page does not print are removed later by the page cross-check (`eval.devset.build`).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

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


def _sections(root: ET.Element, template_ids: tuple[str, ...]) -> list[ET.Element]:
    out = []
    for sec in root.iterfind(".//h:section", NS):
        if any(t.get("root") in template_ids for t in sec.findall("h:templateId", NS)):
            out.append(sec)
    return out


def _observation_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    """One row per observation with a printed value: names, value, unit."""
    rows = []
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
        names = _code_name(obs.find("h:code", NS), refs)
        if not value or not names:
            continue
        rows.append({"names": names, "value": value, "unit": unit})
    return rows


def _medication_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    rows = []
    for sa in sec.iterfind("h:entry/h:substanceAdministration", NS):
        code = sa.find("h:consumable/h:manufacturedProduct/h:manufacturedMaterial/h:code", NS)
        names = _code_name(code, refs)
        if code is not None and not names:
            continue
        if names:
            rows.append({"names": names})
    return rows


def _problem_rows(sec: ET.Element, refs: dict[str, str]) -> list[dict]:
    rows = []
    for obs in sec.iterfind(".//h:observation", NS):
        if obs.get("negationInd") == "true":
            continue
        tids = {t.get("root") for t in obs.findall("h:templateId", NS)}
        if "2.16.840.1.113883.10.20.22.4.4" not in tids:  # Problem Observation
            continue
        names = _code_name(obs.find("h:value", NS), refs)
        if names:
            rows.append({"names": names})
    return rows


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
        g.results += _observation_rows(sec, refs)
    for sec in _sections(root, SECTION_VITALS):
        g.vitals += _observation_rows(sec, refs)
    for sec in _sections(root, SECTION_MEDS):
        g.medications += _medication_rows(sec, refs)
    for sec in _sections(root, SECTION_PROBLEMS):
        g.problems += _problem_rows(sec, refs)
    return g
