"""Layouts of `discharge_summary`: three sample layouts (a, b, c) and one HELD-OUT layout (d)."""
from __future__ import annotations

from typing import Any

from .common import Layout, fdate, page_footer
from .draw import Col, Flow, bold


def _section(f: Flow, title: str, font: str, size: float, upper: bool = True, rule: bool = False) -> None:
    f.ensure(size * 4)
    f.y += size * 0.6
    f.text(f.left, f.y, title.upper() if upper else title, bold(font), size)
    f.y += size * 1.5
    if rule:
        f.line(f.left, f.y - size * 0.35, f.right, f.y - size * 0.35, lw=0.5)
        f.y += 3


def _extras(f: Flow, rec: dict[str, Any], titles: tuple[str, str, str], font: str, size: float, upper: bool,
            rule: bool = False, indent: float = 0) -> None:
    """Narrative sections printed on the page but not part of the schema."""
    if rec["procedures"]:
        _section(f, titles[0], font, size + 0.5, upper, rule)
        f.para(f.left + indent, "; ".join(rec["procedures"]) + ".", f.content_width - indent, font, size)
    _section(f, titles[1], font, size + 0.5, upper, rule)
    f.para(f.left + indent, rec["results_text"][0].upper() + rec["results_text"][1:], f.content_width - indent, font, size)
    _section(f, titles[2], font, size + 0.5, upper, rule)
    f.para(f.left + indent, rec["exam"], f.content_width - indent, font, size)


def _meds(rec: dict[str, Any], order: list[str]) -> list[list[str]]:
    return [[m[k] for k in order] for m in rec["discharge_medications"]]


def _signature(f: Flow, rec: dict[str, Any], st: dict[str, Any], font: str, size: float, prefix: str) -> None:
    f.ensure(60)
    f.y += 16
    att = rec["attending_person"]
    f.text(f.left, f.y, f"{prefix} {att['first']} {att['last']}, MD on {fdate(rec['dictated'], st['date'])}", "Helvetica-Oblique" if font == "Helvetica" else "Times-Italic", size)
    f.y += size * 1.6


# ---------------------------------------------------------------- ds_a: community hospital, inline labels
def render_a(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 10.5
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, f"DISCHARGE SUMMARY - {rec['patient_name']} - MRN {rec['mrn']}", F, 8.5, gray=0.3)
        f.y += 22

    f = Flow("letter", margin=60, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"Page {f.page} of {total or '?'}  -  CONFIDENTIAL PATIENT INFORMATION", F, 7.5))
    f.text(f.w / 2, f.y, rec["facility_name"], bold(F), 16, align="c")
    f.y += 19
    f.text(f.w / 2, f.y, st["address"], F, 9, align="c")
    f.y += 24
    f.text(f.w / 2, f.y, "DISCHARGE SUMMARY", bold(F), 13, align="c")
    f.y += 26
    rows = [[("Patient:", rec["patient_name"]), ("MRN:", rec["mrn"])],
            [("DOB:", fdate(rec["birth_date"], D)), ("Account #:", rec["account"])],
            [("Admit Date:", fdate(rec["admission_date"], D)), ("Discharge Date:", fdate(rec["discharge_date"], D))],
            [("Attending:", rec["attending_physician"]), ("Disposition:", rec["discharge_disposition"] or "")]]
    for row in rows:
        for j, (lab, val) in enumerate(row):
            if val:
                f.pair(f.left + j * 260, f.y, lab, val, "inline", F, S)
        f.y += S * 1.55
    f.y += 4
    f.line(f.left, f.y, f.right, f.y, lw=1)
    f.y += 6
    _section(f, "Principal Diagnosis", F, S + 0.5)
    f.text(f.left + 12, f.y, f"{rec['primary_diagnosis']} ({rec['primary_diagnosis_code']})", F, S)
    f.y += S * 1.6
    _section(f, "Secondary Diagnoses", F, S + 0.5)
    f.table([Col("Diagnosis", 380), Col("ICD-10-CM", 90)],
            [[d["description"], d["icd10_code"]] for d in rec["diagnoses"]],
            style="plain", font=F, size=S - 1, x=f.left + 12)
    _section(f, "Hospital Course", F, S + 0.5)
    f.para(f.left + 12, rec["hospital_course"], f.content_width - 12, F, S)
    _extras(f, rec, ("Procedures", "Pertinent Results", "Discharge Exam"), F, S, True, indent=12)
    _section(f, "Discharge Medications", F, S + 0.5)
    f.table([Col("Medication", 180), Col("Dose", 100), Col("Frequency", 200)], _meds(rec, ["drug", "dose", "frequency"]),
            style="grid", font=F, size=S - 1, header_fill=0.88, x=f.left + 12)
    _section(f, "Discharge Instructions", F, S + 0.5)
    for ins in rec["instructions"]:
        f.para(f.left + 12, "- " + ins, f.content_width - 12, F, S)
    _section(f, "Follow-up", F, S + 0.5)
    f.para(f.left + 12, rec["follow_up"], f.content_width - 12, F, S)
    _signature(f, rec, st, F, S - 1, "Electronically signed by")
    return f


# ---------------------------------------------------------------- ds_b: academic center, serif, label column
def render_b(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Times-Roman", 11
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, rec["facility_name"], bold(F), 9)
        f.text(f.right, f.y, f"{rec['patient_name']} | {fdate(rec['birth_date'], D)}", F, 9, align="r")
        f.y += 24

    f = Flow("letter", margin=66, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"{f.page}/{total or '?'}", F, 9, "r"))
    f.text(f.left, f.y, rec["facility_name"], bold(F), 17)
    f.y += 20
    f.text(f.left, f.y, st["address"], F, 9.5, gray=0.25)
    f.y += 14
    f.line(f.left, f.y, f.right, f.y, lw=1.5)
    f.y += 14
    f.text(f.left, f.y, "Discharge Summary", "Times-Bold", 14)
    f.y += 24
    pairs = [("Patient Name", rec["patient_name"]), ("Date of Birth", fdate(rec["birth_date"], D)),
             ("Medical Record No.", rec["mrn"]), ("Date of Admission", fdate(rec["admission_date"], D)),
             ("Date of Discharge", fdate(rec["discharge_date"], D)), ("Attending Physician", rec["attending_physician"]),
             ("Discharged To", rec["discharge_disposition"])]
    for lab, val in pairs:
        if val:
            f.pair(f.left, f.y, lab, val, "left", F, S, label_w=140)
            f.y += S * 1.5
    f.y += 6
    _section(f, "Primary Diagnosis", F, S + 1, upper=False, rule=True)
    f.pair(f.left, f.y, "Diagnosis", rec["primary_diagnosis"], "left", F, S, label_w=90)
    f.y += S * 1.5
    f.pair(f.left, f.y, "ICD-10-CM", rec["primary_diagnosis_code"], "left", F, S, label_w=90)
    f.y += S * 1.5
    _section(f, "Hospital Course", F, S + 1, upper=False, rule=True)
    f.para(f.left, rec["hospital_course"], f.content_width, F, S)
    _extras(f, rec, ("Procedures Performed", "Laboratory Data at Discharge", "Physical Examination at Discharge"), F, S, False, True)
    _section(f, "Comorbidities", F, S + 1, upper=False, rule=True)
    f.table([Col("Code", 80), Col("Description", 400)], [[d["icd10_code"], d["description"]] for d in rec["diagnoses"]],
            style="lines", font=F, size=S - 1, row_h=16)
    _section(f, "Medications at Discharge", F, S + 1, upper=False, rule=True)
    f.table([Col("Drug", 170), Col("Strength", 90), Col("Directions", 220)], _meds(rec, ["drug", "dose", "frequency"]),
            style="zebra", font=F, size=S - 1, row_h=16)
    _section(f, "Patient Instructions", F, S + 1, upper=False, rule=True)
    f.para(f.left, " ".join(rec["instructions"]) + " " + rec["follow_up"], f.content_width, F, S)
    _signature(f, rec, st, F, S - 1, "Dictated and signed by")
    return f


# ---------------------------------------------------------------- ds_c: boxed header, day-first dates, compact
def render_c(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 9.5
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, f"Patient: {rec['patient_name']}", F, 8)
        f.text(f.right, f.y, f"Hosp. No: {rec['mrn']}", F, 8, align="r")
        f.y += 20

    f = Flow("a4", margin=42, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"Page {f.page} of {total or '?'}", F, 8, "c"))
    f.rect(f.left, f.y, f.content_width, 44, lw=0, fill=0.82, stroke=False)
    f.text(f.left + 10, f.y + 8, rec["facility_name"], bold(F), 13)
    f.text(f.left + 10, f.y + 26, "INPATIENT DISCHARGE LETTER", F, 10)
    f.text(f.right - 10, f.y + 26, st["address"], F, 7.5, align="r")
    f.y += 56
    bw = f.content_width / 3
    grid = [[("Patient Name", rec["patient_name"]), ("Birth Date", fdate(rec["birth_date"], D)), ("Hospital Number", rec["mrn"])],
            [("Admitted", fdate(rec["admission_date"], D)), ("Discharged", fdate(rec["discharge_date"], D)),
             ("Consultant", rec["attending_physician"])],
            [("Ward", st["ward"]), ("Discharge Destination", rec["discharge_disposition"] or "Not recorded"), ("Sex", rec["sex"])]]
    for row in grid:
        for j, (lab, val) in enumerate(row):
            f.pair(f.left + j * bw, f.y, lab, val, "boxed", F, S, box_w=bw)
        f.y += S * 2.5
    f.y += 12
    _section(f, "Main condition treated", F, S + 1, upper=False)
    f.table([Col("Condition", 390), Col("ICD-10", 80)], [[rec["primary_diagnosis"], rec["primary_diagnosis_code"]]],
            style="grid", font=F, size=S)
    _section(f, "Other diagnoses", F, S + 1, upper=False)
    f.table([Col("No.", 30, "c"), Col("Condition", 360), Col("ICD-10", 80)],
            [[str(i + 1), d["description"], d["icd10_code"]] for i, d in enumerate(rec["diagnoses"])],
            style="grid", font=F, size=S)
    _section(f, "Summary of admission", F, S + 1, upper=False)
    f.para(f.left, rec["hospital_course"], f.content_width, F, S)
    _extras(f, rec, ("Procedures", "Key investigations", "Condition on discharge"), F, S, False)
    _section(f, "Medicines on discharge", F, S + 1, upper=False)
    f.table([Col("Medicine", 170), Col("Dose", 90), Col("How often", 210)], _meds(rec, ["drug", "dose", "frequency"]),
            style="lines", font=F, size=S, row_h=15)
    _section(f, "Advice given to the patient", F, S + 1, upper=False)
    for ins in rec["instructions"]:
        f.para(f.left, "* " + ins, f.content_width, F, S)
    f.para(f.left, rec["follow_up"], f.content_width, F, S)
    _signature(f, rec, st, F, S, "Letter authorised by")
    return f


# ---------------------------------------------------------------- HELD-OUT ds_d (tests/heldout only)
# Other vocabulary ("Reason for admission", "Hosp. Reg. No.", "Responsible clinician",
# "Date in"/"Date out"), labels above values, "12 Mar 2024" dates, Courier tables.
def render_d(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Times-Roman", 10.5
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, f"{rec['patient_name']}  (continued)", "Times-Italic", 9)
        f.y += 22

    f = Flow("letter", margin=58, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"- {f.page} -", F, 9, "c"))
    f.text(f.right, f.y, rec["facility_name"], bold(F), 14, align="r")
    f.y += 17
    f.text(f.right, f.y, st["address"], F, 9, align="r")
    f.y += 30
    f.text(f.left, f.y, "Summary of Hospital Stay", "Times-BoldItalic", 15)
    f.y += 26
    cells = [("Patient", rec["patient_name"]), ("D.O.B.", fdate(rec["birth_date"], D)), ("Hosp. Reg. No.", rec["mrn"]),
             ("Date in", fdate(rec["admission_date"], D)), ("Date out", fdate(rec["discharge_date"], D)),
             ("Responsible clinician", rec["attending_physician"])]
    for i, (lab, val) in enumerate(cells):
        f.pair(f.left + (i % 3) * 170, f.y + (i // 3) * 30, lab, val, "above", F, S)
    f.y += 64
    f.pair(f.left, f.y, "Reason for admission", rec["primary_diagnosis"], "above", F, S)
    f.pair(f.left + 380, f.y, "Code", rec["primary_diagnosis_code"], "above", F, S)
    f.y += 30
    if rec["discharge_disposition"]:
        f.pair(f.left, f.y, "Discharged to", rec["discharge_disposition"], "above", F, S)
        f.y += 30
    _section(f, "Clinical narrative", F, S + 1, upper=False)
    f.para(f.left, rec["hospital_course"], f.content_width, F, S)
    _extras(f, rec, ("Interventions", "Investigations", "Examination on leaving"), F, S, False)
    _section(f, "Co-existing conditions", F, S + 1, upper=False)
    f.table([Col("ICD-10", 70), Col("Comorbidity", 420)], [[d["icd10_code"], d["description"]] for d in rec["diagnoses"]],
            style="plain", font="Courier", size=8.5, header_font="Courier-Bold")
    _section(f, "Going-home medication", F, S + 1, upper=False)
    f.table([Col("Medication", 170), Col("Dose", 90), Col("Sig", 230)], _meds(rec, ["drug", "dose", "frequency"]),
            style="plain", font="Courier", size=9, header_font="Courier-Bold")
    _section(f, "Plan", F, S + 1, upper=False)
    f.para(f.left, rec["follow_up"], f.content_width, F, S)
    _signature(f, rec, st, F, S, "Signed:")
    return f


STYLE_A = {"name": "first_last", "date": "%m/%d/%Y", "facility": "Riverside Community Hospital",
           "address": "2100 River Road, Dayton, OH 45402  Tel (937) 555-0100", "mrn_pattern": "########"}
STYLE_B = {"name": "last_first_mi", "prov_name": "first_mi_last", "date": "%B %d, %Y",
           "facility": "Lakeshore University Medical Center", "address": "900 Lakeshore Drive, Chicago, IL 60611",
           "mrn_pattern": "LU#######", "p_no_disposition": 0.3}
STYLE_C = {"name": "LAST_FIRST", "prov_name": "first_last", "date": "%d/%m/%Y", "facility": "Kingsbridge General Hospital",
           "address": "14 Hospital Way, Kingsbridge, NY 10463", "ward": "Medical Ward 4B", "mrn_pattern": "K#######"}
STYLE_D = {"name": "first_mi_last", "date": "%d %b %Y", "facility": "Mercy Valley Regional Medical Center",
           "address": "301 Valley View Road, Fresno, CA 93720", "mrn_pattern": "MV-#######"}

LAYOUTS = [
    Layout("discharge_summary", "ds_a", render_a, STYLE_A),
    Layout("discharge_summary", "ds_b", render_b, STYLE_B),
    Layout("discharge_summary", "ds_c", render_c, STYLE_C),
    Layout("discharge_summary", "ds_d", render_d, STYLE_D, heldout=True),
]
