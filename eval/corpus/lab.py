"""Layouts of `lab_report`: three sample layouts (a, b, c) and one HELD-OUT layout (d)."""
from __future__ import annotations

from typing import Any

from .common import Layout, fdate, page_footer
from .draw import Col, Flow, bold


def _rows(rec: dict[str, Any], order: list[str]) -> list[list[str]]:
    return [[r[k] or "" for k in order] for r in rec["results"]]


# ---------------------------------------------------------------- lab_a: modern commercial lab
def render_a(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 9.5
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, f"{rec['lab_name']}  -  {rec['patient_name']}  -  Accession {rec['accession']}", F, 8, gray=0.3)
        f.y += 20

    f = Flow("letter", margin=50, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"Page {f.page} of {total or '?'}", F, 8, "r", rule=True))
    f.rect(0, 0, f.w, 70, lw=0, fill=0.15, stroke=False)
    f.c.setFillGray(1)
    f.c.setFont(bold(F), 20)
    f.c.drawString(f.left, f.h - 38, rec["lab_name"])
    f.c.setFont(F, 8.5)
    f.c.drawString(f.left, f.h - 55, st["address"])
    f.c.drawRightString(f.right, f.h - 38, "LABORATORY REPORT")
    f.c.drawRightString(f.right, f.h - 55, f"CLIA #{st['clia']}")
    f.c.setFillGray(0)
    f.y = 88
    left = [("Patient Name", rec["patient_name"]), ("Date of Birth", fdate(rec["birth_date"], D)),
            ("Sex", {"F": "Female", "M": "Male"}[rec["sex"]])]
    if rec["mrn"]:
        left.append(("MRN", rec["mrn"]))
    right = [("Accession #", rec["accession"]),
             ("Collected", f"{fdate(rec['collection_date'], D)} {rec['collection_time'].strftime('%H:%M')}"),
             ("Reported", fdate(rec["report_date"], D)),
             ("Ordering Physician", rec["ordering_provider"]), ("Physician NPI", rec["ordering_npi"])]
    y0 = f.y
    f.rect(f.left - 6, y0 - 6, f.content_width + 12, 5 * S * 1.6 + 10, lw=0.6)
    for i, (lab, val) in enumerate(left):
        f.pair(f.left, y0 + i * S * 1.6, lab, val, "left", F, S, label_w=85)
    for i, (lab, val) in enumerate(right):
        f.pair(f.left + 270, y0 + i * S * 1.6, lab, val, "left", F, S, label_w=100)
    f.y = y0 + 5 * S * 1.6 + 22
    cols = [Col("Test", 170), Col("Result", 60, "r"), Col("Flag", 38, "c"), Col("Units", 70),
            Col("Reference Range", 90), Col("LOINC", 84)]
    f.text(f.left, f.y, "RESULTS", bold(F), 11)
    f.y += 18
    rows = _rows(rec, ["test_name", "value", "flag", "unit", "reference_range", "loinc"])
    f.table(cols, rows, style="grid", font=F, size=8.5, header_fill=0.85,
            bold_cells=lambda ri, ci: bool(rec["results"][ri]["flag"]) and ci in (1, 2))
    f.y += 16
    f.ensure(40)
    f.para(f.left, "Flags: H = above reference range, L = below reference range, A = abnormal. "
           "Reference ranges are for adults. Results were reviewed and released by the laboratory director.",
           f.content_width, F, 7.5)
    return f


# ---------------------------------------------------------------- lab_b: mainframe-style, monospace, no rules
def render_b(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Courier", 8.5
    D = st["date"]

    def head(f: Flow) -> None:
        f.text(f.left, f.y, rec["lab_name"], bold(F), 11)
        f.text(f.right, f.y, f"PAGE {f.page}" + (f" OF {total}" if total else ""), F, S, align="r")
        f.y += 16
        f.text(f.left, f.y, st["address"].upper(), F, S)
        f.y += 12
        f.line(f.left, f.y, f.right, f.y, lw=0.8)
        f.y += 8

    def cont(f: Flow) -> None:
        head(f)
        f.text(f.left, f.y, f"PATIENT: {rec['patient_name']}   DOB: {fdate(rec['birth_date'], D)}   (CONTINUED)", F, S)
        f.y += 18

    f = Flow("letter", margin=46, on_new_page=cont)
    head(f)
    f.text(f.w / 2, f.y, "CUMULATIVE RESULTS REPORT", bold(F), 10, align="c")
    f.y += 20
    L = [
        [("PATIENT:", rec["patient_name"]), ("ACCESSION:", rec["accession"])],
        [("DOB:", fdate(rec["birth_date"], D)), ("SEX:", rec["sex"])],
        [("PATIENT ID:", rec["mrn"] or ""), ("COLLECTED:", f"{fdate(rec['collection_date'], D)} {rec['collection_time'].strftime('%H%M')}")],
        [("PHYSICIAN:", rec["ordering_provider"]), ("RECEIVED:", fdate(rec["collection_date"], D))],
        [("NPI:", rec["ordering_npi"]), ("REPORTED:", fdate(rec["report_date"], D))],
    ]
    for row in L:
        for j, (lab, val) in enumerate(row):
            if lab == "PATIENT ID:" and not val:
                continue
            if lab == "REPORTED:" and rec["report_date"] is None:
                continue
            f.pair(f.left + j * 275, f.y, lab, val, "inline", F, S, label_font=bold(F))
        f.y += S * 1.5
    f.y += 8
    f.line(f.left, f.y, f.right, f.y, lw=0.4)
    f.y += 6
    cols = [Col("TEST NAME", 175), Col("RESULT", 70, "r"), Col("FLAG", 40, "c"), Col("REF RANGE", 85),
            Col("UNITS", 75), Col("LOINC", 65)]
    # one table per panel, with the panel name as a heading
    by_panel: dict[str, list[dict[str, Any]]] = {}
    for r in rec["results"]:
        by_panel.setdefault(r["panel"], []).append(r)
    for panel, rs in by_panel.items():
        f.ensure(50)
        f.text(f.left, f.y, panel.upper(), bold(F), 9)
        f.y += 14
        rows = [[r[k] or "" for k in ["test_name", "value", "flag", "reference_range", "unit", "loinc"]] for r in rs]
        f.table(cols, rows, style="plain", font=F, size=S, row_h=12.5, continued_label="CONTINUED")
        f.y += 10
    f.ensure(30)
    f.text(f.left, f.y, "*** END OF REPORT ***", F, S)
    return f


# ---------------------------------------------------------------- lab_c: hospital lab, A4, serif, day-first dates
def render_c(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Times-Roman", 10.5
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.left, f.y, f"{rec['patient_name']}  |  Birth Date {fdate(rec['birth_date'], D)}", F, 9, gray=0.3)
        f.y += 22

    f = Flow("a4", margin=48, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"{st['facility']} - Department of Pathology - Page {f.page}/{total or '?'}", F, 8))
    f.text(f.w / 2, f.y, st["facility"], bold(F), 15, align="c")
    f.y += 19
    f.text(f.w / 2, f.y, rec["lab_name"], F, 11, align="c")
    f.y += 14
    f.text(f.w / 2, f.y, st["address"], F, 9, align="c")
    f.y += 22
    bw = f.content_width / 4
    boxes = [[("Patient", rec["patient_name"], 2), ("Birth Date", fdate(rec["birth_date"], D), 1),
              ("Hospital Number", rec["mrn"] or "", 1)],
             [("Requesting Clinician", rec["ordering_provider"], 2), ("Clinician NPI", rec["ordering_npi"], 1),
              ("Specimen No.", rec["accession"], 1)],
             [("Date Collected", fdate(rec["collection_date"], D), 1),
              ("Time Collected", rec["collection_time"].strftime("%H:%M"), 1),
              ("Date Authorised", fdate(rec["report_date"], D), 1), ("Gender", rec["sex"], 1)]]
    for row in boxes:
        x = f.left
        for lab, val, span in row:
            f.pair(x, f.y, lab, val, "boxed", F, S, box_w=bw * span)
            x += bw * span
        f.y += S * 2.5
    f.y += 18
    cols = [Col("Analyte", 150), Col("LOINC Code", 64), Col("Value", 52, "r"), Col("Flag", 50, "c"),
            Col("Unit", 80), Col("Reference Interval", 103)]
    rows = _rows(rec, ["test_name", "loinc", "value", "flag", "unit", "reference_range"])
    f.table(cols, rows, style="zebra", font=F, size=9.5, row_h=16, continued_label="Results continued")
    f.y += 18
    f.ensure(60)
    f.para(f.left, "Reference intervals apply to adults. Results outside the reference interval are flagged High or Low. "
           "Please contact the laboratory with any queries quoting the specimen number.", f.content_width, "Times-Italic", 9)
    return f


# ---------------------------------------------------------------- HELD-OUT lab_d (tests/heldout only)
# Different vocabulary and arrangement: labels above values in a two-column grid, "12 Mar 2024"
# dates, "Component / Your Value / Standard Range" table, units before the range, no LOINC header word.
def render_d(rec: dict[str, Any], st: dict[str, Any], total: int | None) -> Flow:
    F, S = "Helvetica", 10
    D = st["date"]

    def cont(f: Flow) -> None:
        f.text(f.right, f.y, f"Client: {rec['patient_name']}", F, 8, align="r")
        f.y += 20

    f = Flow("letter", margin=60, on_new_page=cont,
             on_page_end=page_footer(lambda f: f"{f.page} / {total or '?'}", F, 8, "c"))
    f.text(f.left, f.y, rec["lab_name"], "Helvetica-BoldOblique", 17)
    f.text(f.right, f.y + 2, "Test Results Summary", F, 12, align="r")
    f.y += 22
    f.line(f.left, f.y, f.right, f.y, lw=2)
    f.y += 14
    cells = [("Client / Patient", rec["patient_name"]), ("DOB", fdate(rec["birth_date"], D)),
             ("Patient ID", rec["mrn"] or "-"), ("Specimen Collected", fdate(rec["collection_date"], D)),
             ("Requesting Clinician", rec["ordering_provider"]), ("Clinician NPI", rec["ordering_npi"]),
             ("Result Date", fdate(rec["report_date"], D) or "-"), ("Lab Reference", rec["accession"])]
    for i, (lab, val) in enumerate(cells):
        col, row = i % 3, i // 3
        f.pair(f.left + col * 165, f.y + row * 28, lab, val, "above", F, S)
    f.y += 3 * 28 + 10
    cols = [Col("Component", 170), Col("Your Value", 65, "r"), Col("Abn", 34, "c"), Col("Units", 70),
            Col("Standard Range", 82), Col("Code", 71)]
    rows = _rows(rec, ["test_name", "value", "flag", "unit", "reference_range", "loinc"])
    f.table(cols, rows, style="lines", font=F, size=9, row_h=15, header_font="Helvetica-Oblique")
    return f


STYLE_A = {"name": "first_mi_last", "date": "%m/%d/%Y", "lab_name": "Meridian Clinical Laboratories",
           "address": "4400 Research Parkway, Suite 200, Columbus, OH 43219  |  (614) 555-0142",
           "clia": "36D0123456", "mrn_pattern": "########", "p_no_mrn": 0.25}
STYLE_B = {"name": "LAST_FIRST", "date": "UPPER:%d-%b-%Y", "lab_name": "PACIFIC REGIONAL REFERENCE LAB",
           "address": "1200 Harbor Blvd, Long Beach, CA 90802", "upper_tests": True, "mrn_pattern": "P#######",
           "acc_pattern": "##-###-####", "p_no_report_date": 0.35}
STYLE_C = {"name": "last_first", "date": "%d/%m/%Y", "facility": "St. Aldric University Hospital",
           "lab_name": "Clinical Biochemistry and Haematology", "address": "Westgate Road, Building 7, Springfield, IL 62704",
           "flag_words": True, "range_sep": " - ", "mrn_pattern": "H######", "acc_pattern": "??#######"}
STYLE_D = {"name": "first_last", "date": "%d %b %Y", "lab_name": "Northlake Diagnostics",
           "mrn_pattern": "NL-######", "acc_pattern": "#########", "p_no_mrn": 0.2, "p_no_report_date": 0.3,
           "range_sep": "-"}

LAYOUTS = [
    Layout("lab_report", "lab_a", render_a, STYLE_A),
    Layout("lab_report", "lab_b", render_b, STYLE_B),
    Layout("lab_report", "lab_c", render_c, STYLE_C),
    Layout("lab_report", "lab_d", render_d, STYLE_D, heldout=True),
]
