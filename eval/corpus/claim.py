"""Layouts of `claim_cms1500`: three sample layouts (a, b, c) and one HELD-OUT layout (d)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .common import Layout, fdate, page_footer
from .draw import Col, Flow, bold
from .terminology import ICD10CM


def money(x: Decimal, dollar: bool = False) -> str:
    s = f"{x:,.2f}"
    return f"${s}" if dollar else s.replace(",", "")


def icd_nodot(code: str) -> str:
    return code.replace(".", "")


# ---------------------------------------------------------------- claim_a: the CMS-1500 (02/12) form
def render_a(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F = "Helvetica"
    LF, LS = "Helvetica", 5.6      # box captions
    VF, VS = "Courier-Bold", 9.5   # machine-printed values
    f = Flow("letter", margin=30)
    x0, W = 30.0, f.w - 60

    def box(x: float, y: float, w: float, h: float, caption: str, value: str = "", vdx: float = 4) -> None:
        f.rect(x, y, w, h, lw=0.5)
        f.text(x + 2, y + 1.5, caption, LF, LS, gray=0.1)
        if value:
            f.text(x + vdx, y + h - VS - 2, value, VF, VS)

    def checks(x: float, y: float, opts: list[tuple[str, bool]]) -> None:
        cx = x
        for label, on in opts:
            f.rect(cx, y, 6, 6, lw=0.4)
            if on:
                f.text(cx + 0.9, y - 0.6, "X", VF, 7)
            f.text(cx + 8, y + 0.5, label, LF, LS)
            cx += 8 + len(label) * 3.2 + 8

    # carrier block
    f.text(x0 + W - 230, 34, rec["payer_name"].upper(), VF, VS)
    f.text(x0 + W - 230, 46, st["payer_address"][rec["payer_name"].upper()], VF, VS)
    f.text(x0, 70, "HEALTH INSURANCE CLAIM FORM", bold(F), 13)
    f.text(x0, 86, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12", LF, 6)
    y = 100.0
    h = 30.0
    prog = {"MEDICARE PART B": "MEDICARE", "MEDICAID": "MEDICAID", "TRICARE": "TRICARE"}.get(rec["payer_name"].upper(), "GROUP HEALTH PLAN")
    box(x0, y, W * 0.62, h, "1. MEDICARE   MEDICAID   TRICARE   CHAMPVA   GROUP HEALTH PLAN   FECA BLK LUNG   OTHER")
    checks(x0 + 4, y + 12, [(p, p == prog) for p in ["MEDICARE", "MEDICAID", "TRICARE", "CHAMPVA", "GROUP HEALTH PLAN", "FECA", "OTHER"]])
    box(x0 + W * 0.62, y, W * 0.38, h, "1a. INSURED'S I.D. NUMBER                    (For Program in Item 1)", rec["insured_id"])
    y += h
    box(x0, y, W * 0.38, h, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", rec["patient_name"])
    box(x0 + W * 0.38, y, W * 0.24, h, "3. PATIENT'S BIRTH DATE                      SEX", "")
    f.text(x0 + W * 0.38 + 4, y + 8, "MM   DD   YYYY", LF, LS)
    f.text(x0 + W * 0.38 + 4, y + h - VS - 2, fdate(rec["birth_date"], "MM DD YYYY"), VF, VS)
    checks(x0 + W * 0.38 + 82, y + 14, [("M", rec["sex"] == "M"), ("F", rec["sex"] == "F")])
    box(x0 + W * 0.62, y, W * 0.38, h, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)", rec["insured_name"])
    y += h
    box(x0, y, W * 0.38, h, "5. PATIENT'S ADDRESS (No., Street)", rec["patient_address"].upper())
    rel = "Self" if rec["insured_name"] == rec["patient_name"] else "Spouse"
    box(x0 + W * 0.38, y, W * 0.24, h, "6. PATIENT RELATIONSHIP TO INSURED")
    checks(x0 + W * 0.38 + 4, y + 12, [(r_, r_ == rel) for r_ in ["Self", "Spouse", "Child", "Other"]])
    box(x0 + W * 0.62, y, W * 0.38, h, "7. INSURED'S ADDRESS (No., Street)", rec["patient_address"].upper() if rel == "Self" else "")
    y += h
    box(x0, y, W * 0.25, h, "CITY", rec["patient_city"].upper())
    box(x0 + W * 0.25, y, W * 0.05, h, "STATE", rec["patient_state"])
    box(x0 + W * 0.30, y, W * 0.08, h, "ZIP CODE", rec["patient_zip"])
    box(x0 + W * 0.38, y, W * 0.24, h, "8. RESERVED FOR NUCC USE")
    box(x0 + W * 0.62, y, W * 0.38, h, "11. INSURED'S POLICY GROUP OR FECA NUMBER", "NONE")
    y += h
    box(x0, y, W * 0.62, h, "12. PATIENT'S OR AUTHORIZED PERSON'S SIGNATURE   I authorize the release of any medical information", "SIGNATURE ON FILE")
    box(x0 + W * 0.62, y, W * 0.38, h, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE", "SIGNATURE ON FILE")
    y += h
    box(x0, y, W * 0.62, h, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE")
    box(x0 + W * 0.62, y, W * 0.38, h, "20. OUTSIDE LAB?        $ CHARGES")
    checks(x0 + W * 0.62 + 4, y + 12, [("YES", False), ("NO", True)])
    y += h
    # box 21
    dh = 52.0
    box(x0, y, W * 0.62, dh, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY  Relate A-L to service line below (24E)      ICD Ind.  0")
    letters = "ABCDEFGHIJKL"
    codes = {d["pointer"]: d["icd10_code"] for d in rec["diagnoses"]}
    for i, L in enumerate(letters):
        cx = x0 + 6 + (i % 4) * (W * 0.62 / 4)
        cy = y + 11 + (i // 4) * 11
        f.text(cx, cy + 1, f"{L}.", LF, 6.5)
        f.line(cx + 8, cy + 9, cx + 70, cy + 9, lw=0.3)
        if L in codes:
            f.text(cx + 12, cy, icd_nodot(codes[L]), VF, VS)
    box(x0 + W * 0.62, y, W * 0.38, dh / 2, "22. RESUBMISSION CODE       ORIGINAL REF. NO.")
    box(x0 + W * 0.62, y + dh / 2, W * 0.38, dh / 2, "23. PRIOR AUTHORIZATION NUMBER")
    y += dh
    # box 24
    cols = [("24. A.  DATE(S) OF SERVICE\nFrom MM DD YY", 0.17), ("B. PLACE OF\nSERVICE", 0.06), ("C.\nEMG", 0.04),
            ("D. PROCEDURES, SERVICES\nCPT/HCPCS        MODIFIER", 0.20), ("E. DIAGNOSIS\nPOINTER", 0.08),
            ("F.\n$ CHARGES", 0.12), ("G. DAYS\nOR UNITS", 0.07), ("H. EPSDT", 0.05), ("I. ID.\nQUAL.", 0.05),
            ("J. RENDERING\nPROVIDER ID. #", 0.16)]
    hh = 18.0
    cx = x0
    for cap, frac in cols:
        f.rect(cx, y, W * frac, hh, lw=0.5)
        for k, part in enumerate(cap.split("\n")):
            f.text(cx + 2, y + 2 + k * 7, part, LF, LS)
        cx += W * frac
    y += hh
    rh = 27.0
    for i in range(6):
        cx = x0
        for cap, frac in cols:
            f.rect(cx, y, W * frac, rh, lw=0.3)
            cx += W * frac
        f.text(x0 + W - 10, y + 6, str(i + 1), LF, 7, gray=0.4, align="r")
        if i < len(rec["service_lines"]):
            ln = rec["service_lines"][i]
            xs = [x0]
            for _, frac in cols:
                xs.append(xs[-1] + W * frac)
            vy = y + rh - VS - 3
            f.text(xs[0] + 4, vy, fdate(ln["date_of_service"], "%m %d %y"), VF, VS)
            f.text(xs[1] + 6, vy, "11", VF, VS)
            f.text(xs[3] + 4, vy, ln["cpt_code"], VF, VS)
            if ln["modifier"]:
                f.text(xs[3] + 58, vy, ln["modifier"], VF, VS)
            f.text(xs[4] + 6, vy, ln["dx_pointer"], VF, VS)
            f.text(xs[6] - 4, vy, money(ln["charge"]), VF, VS, align="r")
            f.text(xs[6] + 10, vy, str(ln["units"]), VF, VS)
            f.text(xs[8] + 4, vy, "NPI", LF, 6)
            if rec["rendering_npi"]:
                f.text(xs[9] + 4, vy, rec["rendering_npi"], VF, VS)
        y += rh
    # bottom boxes
    h = 34.0
    box(x0, y, W * 0.22, h, "25. FEDERAL TAX I.D. NUMBER     SSN  EIN", rec["federal_tax_id"])
    box(x0 + W * 0.22, y, W * 0.18, h, "26. PATIENT'S ACCOUNT NO.", rec["patient_account_no"] or "")
    box(x0 + W * 0.40, y, W * 0.16, h, "27. ACCEPT ASSIGNMENT?")
    checks(x0 + W * 0.40 + 4, y + 14, [("YES", True), ("NO", False)])
    box(x0 + W * 0.56, y, W * 0.16, h, "28. TOTAL CHARGE", f"$ {money(rec['total_charge'])}")
    box(x0 + W * 0.72, y, W * 0.14, h, "29. AMOUNT PAID", f"$ {money(rec['amount_paid'])}")
    box(x0 + W * 0.86, y, W * 0.14, h, "30. Rsvd for NUCC Use")
    y += h
    h = 70.0
    box(x0, y, W * 0.30, h, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER")
    f.text(x0 + 4, y + 30, rec["rendering_name"].upper() + " MD", VF, 8)
    f.text(x0 + 4, y + 48, "DATE " + fdate(rec["signature_date"], "%m %d %y"), VF, 8)
    box(x0 + W * 0.30, y, W * 0.33, h, "32. SERVICE FACILITY LOCATION INFO")
    f.text(x0 + W * 0.30 + 4, y + 14, rec["billing_provider"].upper(), VF, 8)
    f.text(x0 + W * 0.30 + 4, y + 25, rec["billing_address"].upper(), VF, 8)
    box(x0 + W * 0.63, y, W * 0.37, h, "33. BILLING PROVIDER INFO & PH #")
    bx = x0 + W * 0.63 + 4
    f.text(bx, y + 12, rec["billing_provider"].upper(), VF, 8.5)
    f.text(bx, y + 23, rec["billing_address"].upper(), VF, 8.5)
    f.text(bx, y + 34, rec["billing_city"].upper(), VF, 8.5)
    f.line(x0 + W * 0.63, y + 48, x0 + W, y + 48, lw=0.4)
    f.text(bx, y + 50, "a.", LF, 6)
    f.text(bx + 8, y + 52, rec["billing_npi"], VF, VS)
    f.text(bx + 90, y + 50, "b.", LF, 6)
    y += h + 6
    f.text(x0, y, "NUCC Instruction Manual available at: www.nucc.org", LF, 6)
    f.text(x0 + W, y, "APPROVED OMB-0938-1197 FORM CMS-1500 (02-12)", LF, 6, align="r")
    return f


# ---------------------------------------------------------------- claim_b: practice-management claim detail report
def render_b(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 9
    D = st["date"]
    f = Flow("letter", margin=44,
             on_page_end=page_footer(lambda f: f"Printed from {st['system']}  -  page {f.page}", F, 7, "l"))
    f.text(f.left, f.y, "Claim Detail Report", bold(F), 15)
    f.text(f.right, f.y + 3, rec["billing_provider"], bold(F), 10, align="r")
    f.y += 20
    f.text(f.right, f.y, f"{rec['billing_address']}, {rec['billing_city']}", F, 8, align="r")
    f.y += 12
    f.line(f.left, f.y, f.right, f.y, lw=1.2)
    f.y += 12
    colx = [f.left, f.left + 180, f.left + 360]
    grid = [
        [("Patient:", rec["patient_name"]), ("DOB:", fdate(rec["birth_date"], D)), ("Acct #:", rec["patient_account_no"])],
        [("Subscriber:", rec["insured_name"]), ("Member ID:", rec["insured_id"]), ("Payer:", rec["payer_name"])],
        [("Billing NPI:", rec["billing_npi"]), ("Tax ID:", rec["federal_tax_id"]), ("Rendering NPI:", rec["rendering_npi"])],
    ]
    for row in grid:
        for j, (lab, val) in enumerate(row):
            if val:
                f.pair(colx[j], f.y, lab, val, "inline", F, S)
        f.y += S * 1.8
    f.y += 8
    f.text(f.left, f.y, "Diagnosis Codes (ICD-10-CM)", bold(F), 10)
    f.y += 15
    f.text(f.left, f.y, "    ".join(f"{d['pointer']}: {d['icd10_code']}" for d in rec["diagnoses"]), F, S + 0.5)
    f.y += 22
    f.text(f.left, f.y, "Charges", bold(F), 10)
    f.y += 15
    cols = [Col("DOS", 62), Col("Code", 46), Col("Mod", 32), Col("Description", 206), Col("Dx Ptr", 40, "c"),
            Col("Units", 36, "r"), Col("Charge", 62, "r")]
    rows = [[fdate(ln["date_of_service"], D), ln["cpt_code"], ln["modifier"] or "", ln["description"], ln["dx_pointer"],
             str(ln["units"]), money(ln["charge"], dollar=True)] for ln in rec["service_lines"]]
    f.table(cols, rows, style="zebra", font=F, size=8.5, row_h=15, header_fill=0.75)
    f.y += 6
    f.text(f.left + 484, f.y, "Total Charges:", bold(F), S, align="r")
    f.text(f.left + 484 + 0, f.y, "", F, S)
    f.text(f.right - 0, f.y, money(rec["total_charge"], dollar=True), bold(F), S, align="r")
    f.y += 24
    f.para(f.left, f"Claim status: Ready to bill. Submitted electronically (837P) on {fdate(rec['signature_date'], D)}.",
           f.content_width, F, 8)
    return f


# ---------------------------------------------------------------- claim_c: itemized statement / superbill
def render_c(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Times-Roman", 10.5
    D = st["date"]
    f = Flow("letter", margin=60)
    f.text(f.w / 2, f.y, rec["billing_provider"], bold(F), 15, align="c")
    f.y += 17
    f.text(f.w / 2, f.y, f"{rec['billing_address']}  *  {rec['billing_city']}", F, 9, align="c")
    f.y += 12
    f.text(f.w / 2, f.y, f"NPI {rec['billing_npi']}   *   TIN {rec['federal_tax_id']}", F, 9, align="c")
    f.y += 22
    f.text(f.w / 2, f.y, "ITEMIZED STATEMENT OF SERVICES (SUPERBILL)", bold(F), 12, align="c")
    f.y += 26
    left = [("Patient Name", rec["patient_name"]), ("Birth Date", fdate(rec["birth_date"], D)),
            ("Chart / Account", rec["patient_account_no"] or "")]
    right = [("Insurance", rec["payer_name"]), ("Policy Holder", rec["insured_name"]), ("Policy Number", rec["insured_id"])]
    for i in range(3):
        if left[i][1]:
            f.pair(f.left, f.y, left[i][0], left[i][1], "left", F, S, label_w=95)
        f.pair(f.left + 255, f.y, right[i][0], right[i][1], "left", F, S, label_w=90)
        f.y += S * 1.6
    if rec["rendering_npi"]:
        f.pair(f.left + 255, f.y, "Rendering NPI", rec["rendering_npi"], "left", F, S, label_w=90)
        f.y += S * 1.6
    f.y += 10
    f.text(f.left, f.y, "Diagnoses", bold(F), 11)
    f.y += 15
    f.table([Col("Ref", 40, "c"), Col("ICD-10-CM", 80), Col("Description", 372)],
            [[d["pointer"], d["icd10_code"], st["icd_desc"][d["icd10_code"]]] for d in rec["diagnoses"]],
            style="grid", font=F, size=9.5)
    f.y += 16
    f.text(f.left, f.y, "Services Rendered", bold(F), 11)
    f.y += 15
    cols = [Col("Service Date", 80), Col("CPT", 46), Col("Modifier", 50), Col("Description", 200), Col("Dx", 34, "c"),
            Col("Qty", 30, "r"), Col("Amount", 52, "r")]
    rows = [[fdate(ln["date_of_service"], D), ln["cpt_code"], ln["modifier"] or "", ln["description"], ln["dx_pointer"],
             str(ln["units"]), money(ln["charge"])] for ln in rec["service_lines"]]
    f.table(cols, rows, style="grid", font=F, size=9.5, header_fill=0.9)
    f.y += 8
    f.text(f.right - 60, f.y, "Total Due", bold(F), S, align="r")
    f.text(f.right - 3, f.y, money(rec["total_charge"]), bold(F), S, align="r")
    f.y += 30
    f.para(f.left, "Submit this statement to your insurance company for reimbursement. Payment is due upon receipt "
           "for any amount not covered by your plan.", f.content_width, "Times-Italic", 9)
    return f


# ---------------------------------------------------------------- HELD-OUT claim_d (tests/heldout only)
# Other vocabulary ("Subscriber ID", "Beneficiary", "Claim Total", "Billing Provider NPI"),
# labels above values, dd.mm.yyyy dates, services as a ruled list with line numbers.
def render_d(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 9.5
    D = st["date"]
    f = Flow("a4", margin=50)
    f.text(f.left, f.y, "Professional Claim Submission Summary", "Helvetica-Bold", 14)
    f.y += 18
    f.text(f.left, f.y, f"Clearinghouse batch {rec['federal_tax_id'].replace('-', '')[:6]}-{rec['insured_id'][-4:]}", F, 8, gray=0.35)
    f.y += 20
    cells = [("Beneficiary", rec["patient_name"]), ("Beneficiary DOB", fdate(rec["birth_date"], D)),
             ("Subscriber ID", rec["insured_id"]), ("Subscriber", rec["insured_name"]),
             ("Health Plan", rec["payer_name"]), ("Patient Control No.", rec["patient_account_no"] or "-"),
             ("Billing Provider", rec["billing_provider"]), ("Billing Provider NPI", rec["billing_npi"]),
             ("EIN", rec["federal_tax_id"])]
    cw = f.content_width / 3
    for i, (lab, val) in enumerate(cells):
        f.pair(f.left + (i % 3) * cw, f.y + (i // 3) * 28, lab, val, "above", F, S)
    f.y += 3 * 28 + 4
    if rec["rendering_npi"]:
        f.pair(f.left, f.y, "Rendering Provider NPI", rec["rendering_npi"], "above", F, S)
        f.y += 28
    f.text(f.left, f.y, "ICD-10 codes: " + ", ".join(f"({d['pointer']}) {d['icd10_code']}" for d in rec["diagnoses"]), F, S)
    f.y += 22
    cols = [Col("Line", 30, "c"), Col("From", 62), Col("Code", 48), Col("Mod", 32), Col("Ptr", 32, "c"),
            Col("Qty", 30, "r"), Col("Billed", 70, "r")]
    rows = [[str(i + 1), fdate(ln["date_of_service"], D), ln["cpt_code"], ln["modifier"] or "", ln["dx_pointer"],
             str(ln["units"]), money(ln["charge"], dollar=True)] for i, ln in enumerate(rec["service_lines"])]
    f.table(cols, rows, style="lines", font=F, size=9, row_h=15)
    f.y += 10
    f.pair(f.left + 200, f.y, "Claim Total", money(rec["total_charge"], dollar=True), "inline", F, 10.5)
    return f


PAYER_ADDRESS = {
    "Medicare Part B": "PO BOX 6700, FARGO ND 58108",
    "Aetna": "PO BOX 981106, EL PASO TX 79998",
    "Blue Cross Blue Shield": "PO BOX 105187, ATLANTA GA 30348",
    "UnitedHealthcare": "PO BOX 740800, ATLANTA GA 30374",
    "Cigna": "PO BOX 188061, CHATTANOOGA TN 37422",
    "Humana": "PO BOX 14601, LEXINGTON KY 40512",
    "Medicaid": "PO BOX 2000, COLUMBUS OH 43216",
    "Tricare": "PO BOX 7031, CAMDEN SC 29021",
}

STYLE_A = {"name": "LAST_FIRST_MI", "upper": True, "payer_address": {k.upper(): v for k, v in PAYER_ADDRESS.items()}, "acct_pattern": "#######"}
STYLE_B = {"name": "last_first", "date": "%m/%d/%Y", "system": "PracticeSuite PM 9", "acct_pattern": "A######"}
STYLE_C = {"name": "first_mi_last", "date": "%d %b %Y", "icd_desc": ICD10CM, "acct_pattern": "######", "p_no_acct": 0.3}
STYLE_D = {"name": "first_last", "date": "%d.%m.%Y", "acct_pattern": "PCN#######"}

LAYOUTS = [
    Layout("claim_cms1500", "claim_a", render_a, STYLE_A),
    Layout("claim_cms1500", "claim_b", render_b, STYLE_B),
    Layout("claim_cms1500", "claim_c", render_c, STYLE_C),
    Layout("claim_cms1500", "claim_d", render_d, STYLE_D, heldout=True),
]
