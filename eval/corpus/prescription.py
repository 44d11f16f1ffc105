"""Layouts of `prescription`: three sample layouts (a, b, c) and one HELD-OUT layout (d)."""
from __future__ import annotations

from typing import Any

from .common import Layout, fdate
from .draw import Flow, bold

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve"]


def words(n: int) -> str:
    """Quantity in words, as written on paper prescriptions to prevent alteration."""
    if n < len(NUM_WORDS):
        return NUM_WORDS[n]
    tens = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
    teens = {13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen"}
    if n < 20:
        return teens[n]
    if n < 100:
        return tens[n // 10] + ("-" + NUM_WORDS[n % 10] if n % 10 else "")
    h, rest = divmod(n, 100)
    return NUM_WORDS[h] + " hundred" + (" " + words(rest) if rest else "")


def _checkbox(f: Flow, x: float, y: float, checked: bool, label: str, font: str, size: float) -> None:
    f.rect(x, y, size, size, lw=0.6)
    if checked:
        f.text(x + size * 0.15, y - 0.5, "X", bold(font), size)
    f.text(x + size * 1.5, y, label, font, size)


# ---------------------------------------------------------------- rx_a: classic paper prescription pad
def render_a(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 11
    D = st["date"]
    f = Flow("letter", margin=72)
    pr = rec["prescriber_person"]
    f.rect(f.left - 14, f.y - 14, f.content_width + 28, 500, lw=1.2)
    f.text(f.w / 2, f.y, rec["clinic"], bold(F), 15, align="c")
    f.y += 18
    f.text(f.w / 2, f.y, rec["clinic_address"], F, 9, align="c")
    f.y += 13
    f.text(f.w / 2, f.y, f"Phone {rec['prescriber_phone']}", F, 9, align="c")
    f.y += 20
    f.text(f.left, f.y, rec["prescriber_name"] + ", MD" if st.get("md_suffix") else rec["prescriber_name"], bold(F), 10)
    f.text(f.right, f.y, f"NPI {rec['prescriber_npi']}", F, 10, align="r")
    f.y += 14
    if rec["prescriber_dea"]:
        f.text(f.right, f.y, f"DEA {rec['prescriber_dea']}", F, 10, align="r")
    f.y += 16
    f.line(f.left, f.y, f.right, f.y, lw=0.8)
    f.y += 14

    def underline_field(x: float, label: str, value: str, w: float) -> None:
        lw = f.text(x, f.y, label, F, S)
        f.text(x + lw + 6, f.y - 1, value, "Courier-Bold", S)
        f.line(x + lw + 3, f.y + S + 1, x + w, f.y + S + 1, lw=0.4)

    underline_field(f.left + 310, "Date", fdate(rec["date_written"], D), f.content_width - 310)
    f.y += 24
    underline_field(f.left, "Name", rec["patient_name"], 295)
    underline_field(f.left + 310, "DOB", fdate(rec["birth_date"], D), f.content_width - 310)
    f.y += 24
    f.text(f.left, f.y, "Address", F, S)
    f.text(f.left + 48, f.y, rec["patient_address"], "Courier", 9.5)
    f.line(f.left + 45, f.y + S + 1, f.right, f.y + S + 1, lw=0.4)
    f.y += 34
    f.text(f.left, f.y, "Rx", "Times-BoldItalic", 34)
    f.y += 44
    f.text(f.left + 20, f.y, f"{rec['drug_name']} {rec['strength']} {rec['dosage_form']}", "Courier-Bold", 13)
    f.y += 22
    f.text(f.left + 20, f.y, f"Sig: {rec['sig']}", "Courier", 11.5)
    f.y += 20
    f.text(f.left + 20, f.y, f"Disp: {rec['quantity']} ({words(rec['quantity'])})", "Courier", 11.5)
    f.y += 20
    f.text(f.left + 20, f.y, f"Refills: {rec['refills']}", "Courier", 11.5)
    f.y += 34
    _checkbox(f, f.left, f.y, rec["substitution"], "Substitution permitted", F, 9)
    _checkbox(f, f.left + 170, f.y, not rec["substitution"], "Dispense as written", F, 9)
    f.line(f.right - 180, f.y + 10, f.right, f.y + 10, lw=0.5)
    f.text(f.right - 90, f.y + 13, "Prescriber signature", F, 7.5, align="c")
    f.y += 30
    if rec["pharmacy_name"]:
        f.text(f.left, f.y, f"Send to: {rec['pharmacy_name']}", F, 9)
    return f


# ---------------------------------------------------------------- rx_b: EHR e-prescription record
def render_b(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 10
    D = st["date"]
    f = Flow("letter", margin=54)
    f.text(f.left, f.y, "ELECTRONIC PRESCRIPTION RECORD", bold(F), 13)
    f.text(f.right, f.y, st["system"], F, 8, align="r", gray=0.3)
    f.y += 18
    f.text(f.left, f.y, f"Transmitted {fdate(rec['date_written'], D)}  |  Message ID {rec['clinic'][:3].upper()}{rec['prescriber_npi'][-6:]}{rec['quantity']:03d}", F, 8, gray=0.3)
    f.y += 18

    def block(title: str, rows: list[tuple[str, str | None]]) -> None:
        f.rect(f.left, f.y, f.content_width, 16, lw=0, fill=0.85, stroke=False)
        f.text(f.left + 6, f.y + 3, title, bold(F), 10)
        f.y += 22
        for lab, val in rows:
            if val is None:
                continue
            f.pair(f.left + 6, f.y, lab, val, "left", F, S, label_w=130, label_font=F)
            f.y += S * 1.55
        f.y += 8

    block("Patient", [("Name", rec["patient_name"]), ("Date of Birth", fdate(rec["birth_date"], D)),
                      ("Address", rec["patient_address"])])
    block("Medication", [("Drug", rec["drug_name"]), ("Strength", rec["strength"]), ("Dose Form", rec["dosage_form"]),
                         ("RxNorm CUI", rec["drug_rxnorm"]), ("Directions", rec["sig"]),
                         ("Quantity", f"{rec['quantity']} {rec['dosage_form']}s"), ("Days Supply", str(rec["days_supply"])),
                         ("Refills", str(rec["refills"])),
                         ("Substitutions", "Allowed" if rec["substitution"] else "Not allowed - brand medically necessary")])
    block("Prescriber", [("Name", rec["prescriber_name"]), ("NPI", rec["prescriber_npi"]), ("DEA", rec["prescriber_dea"]),
                         ("Practice", rec["clinic"]), ("Phone", rec["prescriber_phone"])])
    block("Pharmacy", [("Pharmacy", rec["pharmacy_name"] or "Patient to choose"), ("Written", fdate(rec["date_written"], D))])
    return f


# ---------------------------------------------------------------- rx_c: boxed form, day-first dates
def render_c(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Times-Roman", 11
    D = st["date"]
    f = Flow("a4", margin=50)
    f.text(f.left, f.y, rec["clinic"], bold(F), 16)
    f.y += 18
    f.text(f.left, f.y, rec["clinic_address"], F, 9)
    f.text(f.right, f.y - 18, "PRESCRIPTION", bold(F), 14, align="r")
    f.y += 26
    w = f.content_width
    rows = [
        [("Patient Name", rec["patient_name"], 0.6), ("Birth Date", fdate(rec["birth_date"], D), 0.4)],
        [("Patient Address", rec["patient_address"], 1.0)],
        [("Drug", rec["drug_name"], 0.5), ("Strength", rec["strength"], 0.25), ("Form", rec["dosage_form"], 0.25)],
        [("Directions for use", rec["sig"], 1.0)],
        [("Qty", str(rec["quantity"]), 0.25), ("Repeats", str(rec["refills"]), 0.25),
         ("Pharmacy", rec["pharmacy_name"] or "", 0.5)],
        [("Prescriber", rec["prescriber_name"], 0.5), ("Prescriber NPI", rec["prescriber_npi"], 0.25),
         ("Date Issued", fdate(rec["date_written"], D), 0.25)],
    ]
    for row in rows:
        x = f.left
        for lab, val, frac in row:
            f.pair(x, f.y, lab, val, "boxed", F, S, box_w=w * frac)
            x += w * frac
        f.y += S * 2.5
    f.y += 24
    if rec["prescriber_dea"]:
        f.text(f.left, f.y, f"DEA Reg. {rec['prescriber_dea']}", F, 9)
    f.line(f.right - 200, f.y + 10, f.right, f.y + 10, lw=0.5)
    f.text(f.right - 100, f.y + 13, "Signature of prescriber", "Times-Italic", 8, align="c")
    f.y += 40
    f.para(f.left, "Valid for 6 months from the date issued. Keep all medicines out of reach of children.", w, "Times-Italic", 8.5)
    return f


# ---------------------------------------------------------------- HELD-OUT rx_d (tests/heldout only)
# Other vocabulary ("Pt", "D.O.B.", "Medication Ordered", "Dosage Strength", "Instructions",
# "Dispense #", "Refills Authorized", "Provider", "NPI #", "Issued") in a two-column inline layout.
def render_d(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Courier", 10
    D = st["date"]
    f = Flow("letter", margin=64)
    f.text(f.left, f.y, rec["clinic"].upper(), bold(F), 12)
    f.y += 15
    f.text(f.left, f.y, rec["clinic_address"], F, 8.5)
    f.y += 12
    f.text(f.left, f.y, "=" * 78, F, 8.5)
    f.y += 16
    left = [("Pt:", rec["patient_name"]), ("D.O.B.:", fdate(rec["birth_date"], D)),
            ("Issued:", fdate(rec["date_written"], D))]
    right = [("Provider:", rec["prescriber_name"]), ("NPI #:", rec["prescriber_npi"]),
             ("DEA #:", rec["prescriber_dea"] or "n/a")]
    for i in range(3):
        f.pair(f.left, f.y, left[i][0], left[i][1], "inline", F, S)
        f.pair(f.left + 250, f.y, right[i][0], right[i][1], "inline", F, S)
        f.y += S * 1.6
    f.y += 14
    f.text(f.left, f.y, "Medication Ordered:", bold(F), S)
    f.text(f.left + 150, f.y, rec["drug_name"], F, S)
    f.y += S * 1.6
    f.text(f.left, f.y, "Dosage Strength:", bold(F), S)
    f.text(f.left + 150, f.y, rec["strength"], F, S)
    f.y += S * 1.6
    f.text(f.left, f.y, "Instructions:", bold(F), S)
    f.text(f.left + 150, f.y, rec["sig"], F, S)
    f.y += S * 1.6
    f.text(f.left, f.y, "Dispense #:", bold(F), S)
    f.text(f.left + 150, f.y, f"{rec['quantity']}", F, S)
    f.text(f.left + 260, f.y, "Refills Authorized:", bold(F), S)
    f.text(f.left + 400, f.y, f"{rec['refills']}", F, S)
    f.y += S * 1.6
    if rec["pharmacy_name"]:
        f.text(f.left, f.y, "Preferred pharmacy:", bold(F), S)
        f.text(f.left + 150, f.y, rec["pharmacy_name"], F, S)
        f.y += S * 1.6
    f.y += 20
    f.text(f.left, f.y, "[" + ("X" if not rec["substitution"] else " ") + "] Brand medically necessary", F, 9)
    return f


STYLE_A = {"name": "first_last", "date": "%m/%d/%Y", "p_dea": 0.7, "p_pharmacy": 0.5, "md_suffix": True}
STYLE_B = {"name": "last_first", "prov_name": "first_mi_last", "date": "%m/%d/%Y", "print_rxnorm": True,
           "system": "eRx Gateway v4.2", "p_pharmacy": 0.8}
STYLE_C = {"name": "first_mi_last", "prov_name": "first_last", "date": "%d/%m/%Y", "p_dea": 0.4}
STYLE_D = {"name": "LAST_FIRST", "prov_name": "first_last", "date": "%b %d, %Y", "p_pharmacy": 0.5}


for _st, _c in ((STYLE_A, "Oak Street Family Practice"), (STYLE_B, "Summit Internal Medicine"),
                (STYLE_C, "Harbourview Medical Centre"), (STYLE_D, "Pinecrest Urgent Care")):
    _st["clinic"] = _c

LAYOUTS = [
    Layout("prescription", "rx_a", render_a, STYLE_A),
    Layout("prescription", "rx_b", render_b, STYLE_B),
    Layout("prescription", "rx_c", render_c, STYLE_C),
    Layout("prescription", "rx_d", render_d, STYLE_D, heldout=True),
]
