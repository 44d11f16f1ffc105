"""Synthetic facts for each document type, drawn from a seeded Faker instance.

A record holds what a layout prints: strings exactly as printed (names already in the
layout's name style), `date` objects (the layout picks the date format), ints and
Decimals. `golden()` turns a record into the canonical golden JSON of the contract.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from faker import Faker

from . import terminology as T

REF_START = dt.date(2023, 1, 2)
REF_END = dt.date(2025, 9, 30)


# ---------------------------------------------------------------- helpers
def collapse(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def golden(record: dict[str, Any], fields: dict[str, list[str] | None]) -> dict[str, Any]:
    """Canonical golden JSON for the schema's fields ({field: table columns or None})."""
    def conv(v: Any) -> Any:
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return v.isoformat(timespec="minutes")
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, str):
            s = collapse(v)
            return s or None
        raise TypeError(type(v))
    out: dict[str, Any] = {}
    for f, cols in fields.items():
        v = record.get(f)
        if cols is None:
            out[f] = conv(v)
        else:
            out[f] = [{c: conv(row.get(c)) for c in cols} for row in v] if v else None
    return out


def person(fake: Faker) -> dict[str, str]:
    sex = fake.random.choice("FM")
    first = fake.first_name_female() if sex == "F" else fake.first_name_male()
    middle = fake.first_name_female() if sex == "F" else fake.first_name_male()
    return {"first": first, "middle": middle, "last": fake.last_name(), "sex": sex}


def name_as(p: dict[str, str], style: str) -> str:
    """Format a person's name in a layout's style."""
    f, m, last = p["first"], p["middle"][0], p["last"]
    out = {
        "first_last": f"{f} {last}",
        "first_mi_last": f"{f} {m}. {last}",
        "last_first": f"{last}, {f}",
        "last_first_mi": f"{last}, {f} {m}",
        "LAST_FIRST": f"{last}, {f}".upper(),
        "LAST_FIRST_MI": f"{last}, {f} {m}".upper(),
        "FIRST_LAST": f"{f} {last}".upper(),
    }[style]
    return out


def npi(fake: Faker) -> str:
    body = fake.random.choice("12") + "".join(str(fake.random.randint(0, 9)) for _ in range(8))
    return body + str(T.npi_check_digit(body))


def dea(fake: Faker, last_name: str) -> str:
    """A DEA registration number with a valid check digit."""
    digits = [fake.random.randint(0, 9) for _ in range(6)]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    return fake.random.choice("ABF") + last_name[0].upper() + "".join(map(str, digits)) + str(check)


def day(fake: Faker, start: dt.date = REF_START, end: dt.date = REF_END) -> dt.date:
    return fake.date_between_dates(start, end)


def birth_date(fake: Faker, lo: int = 1934, hi: int = 2004) -> dt.date:
    return fake.date_between_dates(dt.date(lo, 1, 1), dt.date(hi, 12, 31))


def fmt_num(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def fmt_bound(x: float) -> str:
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return s


# ---------------------------------------------------------------- lab report
def lab_record(fake: Faker, st: dict[str, Any]) -> dict[str, Any]:
    r = fake.random
    p = person(fake)
    prov = person(fake)
    coll = day(fake)
    panels = st.get("panels") or ["CMP", "CBC", "LIPID", "A1C", "THYROID", "BMP", "UA", "IRON",
                                   "VITD", "MINERALS", "CRP", "COAG", "CARDIAC", "PSA"]
    n_panels = r.choice(st.get("n_panels", (1, 2, 2, 3)))
    chosen: list[str] = []
    for name in r.sample(panels, len(panels)):
        if len(chosen) >= n_panels:
            break
        if {"BMP", "CMP"} <= set(chosen + [name]):
            continue
        chosen.append(name)
    if st.get("force_long"):
        chosen = ["CMP", "CBC", "LIPID", "UA", "COAG", "THYROID"] + [
            c for c in chosen if c not in ("CMP", "CBC", "LIPID", "BMP", "UA", "COAG", "THYROID")][:1]
    rows = []
    for panel in chosen:
        for code in T.PANELS[panel][1]:
            rows.append(lab_result(fake, T.LAB_TESTS[code], st) | {"panel": T.PANELS[panel][0]})
    rec = {
        "patient": p,
        "patient_name": name_as(p, st["name"]),
        "sex": p["sex"],
        "birth_date": birth_date(fake),
        "mrn": fake.bothify(st.get("mrn_pattern", "########")) if r.random() > st.get("p_no_mrn", 0.0) else None,
        "collection_date": coll,
        "collection_time": dt.time(r.randint(6, 16), r.choice([0, 5, 10, 15, 20, 30, 35, 40, 45, 50])),
        "report_date": coll + dt.timedelta(days=r.choice([0, 1, 1, 2, 3])),
        "ordering_provider": name_as(prov, st.get("prov_name", st["name"])),
        "ordering_npi": npi(fake),
        "lab_name": st["lab_name"],
        "accession": fake.bothify(st.get("acc_pattern", "??########")).upper(),
        "results": rows,
        "panels": chosen,
    }
    if st.get("p_no_report_date") and r.random() < st["p_no_report_date"]:
        rec["report_date"] = None
    return rec


def lab_result(fake: Faker, t: T.LabTest, st: dict[str, Any]) -> dict[str, Any]:
    r = fake.random
    flag = None
    if t.qualitative:
        value = t.qualitative[0] if r.random() < 0.8 else r.choice(t.qualitative[1:])
        if value != t.qualitative[0]:
            flag = "A"
        rng = t.qualitative[0]
    else:
        lo = t.low if t.low is not None else (t.high * 0.3 if t.high else 0)
        hi = t.high if t.high is not None else lo * 2.2
        span = hi - lo
        u = r.random()
        if u < 0.08 and t.low is not None:
            x = lo - span * r.uniform(0.05, 0.4)
        elif u < 0.19:
            x = hi + span * r.uniform(0.05, 0.6)
        else:
            x = r.uniform(lo + span * 0.05, hi - span * 0.05)
        x = max(x, 10 ** -t.decimals)
        value = fmt_num(x, t.decimals)
        xv = float(value)
        if t.low is not None and xv < t.low:
            flag = "L"
        elif t.high is not None and xv > t.high:
            flag = "H"
        sep = st.get("range_sep", "-")
        if t.low is not None and t.high is not None:
            rng = f"{fmt_num(t.low, t.decimals)}{sep}{fmt_num(t.high, t.decimals)}"
        elif t.high is not None:
            rng = f"<{fmt_num(t.high, t.decimals)}"
        else:
            rng = f">{fmt_num(t.low, t.decimals)}"
    if flag and st.get("flag_words"):
        flag = {"H": "High", "L": "Low", "A": "Abnormal"}[flag]
    name = t.name.upper() if st.get("upper_tests") else t.name
    return {"test_name": name, "loinc": t.loinc, "value": value, "unit": t.unit or None,
            "reference_range": rng, "flag": flag}


# ---------------------------------------------------------------- discharge summary
COURSE = [
    "The patient presented to the emergency department with {sx} and was admitted for management of {dx_l}.",
    "Initial laboratory studies were notable for {lab}. {img}",
    "{tx}",
    "The hospital course was otherwise uncomplicated. Home medications were resumed on day {d2} and the patient tolerated a regular diet.",
    "By the day of discharge the patient was afebrile, hemodynamically stable, ambulating independently and agreeable to the plan.",
]
SYMPTOMS = ["two days of worsening shortness of breath", "fever and chills", "substernal chest pressure",
            "progressive leg swelling", "generalized weakness and poor oral intake", "a productive cough",
            "left-sided weakness", "abdominal pain and nausea", "dizziness and palpitations"]
LABS = ["a leukocytosis of 14.2", "a creatinine of 2.1 from a baseline of 1.0", "a sodium of 128",
        "a troponin of 0.31", "a BNP of 1,240", "a lactate of 3.4", "a hemoglobin of 7.9", "a lipase of 812"]
IMAGING = ["Chest radiograph showed a right lower lobe infiltrate.", "CT of the head was negative for hemorrhage.",
           "Echocardiogram showed an ejection fraction of 30 to 35 percent.", "Chest radiograph showed pulmonary vascular congestion.",
           "Ultrasound of the right lower extremity was negative for deep vein thrombosis.", ""]
TREATMENT = ["The patient was treated with intravenous antibiotics and transitioned to oral therapy once afebrile for 48 hours.",
             "The patient was diuresed with intravenous furosemide with net negative fluid balance of 4.5 liters.",
             "Cardiology was consulted and the patient was started on dual antiplatelet therapy and a high-intensity statin.",
             "The patient received intravenous fluids with improvement in renal function and electrolytes.",
             "Nephrology was consulted. Nephrotoxic medications were held and renal function returned toward baseline.",
             "Gastroenterology performed an upper endoscopy, and the patient was transfused one unit of packed red blood cells."]
INSTRUCTIONS = ["Take all medications as prescribed.", "Weigh yourself every morning and call if weight increases by more than 3 pounds in a day.",
                "Return to the emergency department for chest pain, shortness of breath, fever above 101 F or confusion.",
                "Follow a low sodium, heart-healthy diet.", "No driving until cleared by your physician.",
                "Resume normal activity as tolerated."]
EXTRA_COURSE = [
    "On hospital day 3 the patient developed transient delirium overnight, managed with reorientation and sleep hygiene without antipsychotics.",
    "Physical therapy and occupational therapy evaluated the patient and recommended a rolling walker for home use.",
    "Blood glucose was managed with basal-bolus insulin and the patient was transitioned back to the home oral regimen prior to discharge.",
    "Case management met with the patient and family to arrange transportation, durable medical equipment and follow-up appointments.",
    "A repeat chest radiograph on the day before discharge showed interval improvement.",
    "Potassium and magnesium were repleted as needed throughout the stay.",
    "The patient's blood pressure was elevated on admission and antihypertensive therapy was adjusted as listed below.",
]
EXAM = ["General: alert and oriented, in no acute distress.", "Cardiovascular: regular rate and rhythm, no murmurs.",
        "Lungs: clear to auscultation bilaterally, no wheezes or crackles.", "Abdomen: soft, non-tender, non-distended.",
        "Extremities: trace bilateral lower extremity edema.", "Neurologic: no focal deficits.",
        "Skin: warm and dry, no rashes."]
RESULTS_TEXT = ["WBC 8.1", "hemoglobin 11.2", "platelets 244", "sodium 137", "potassium 4.2", "creatinine 1.1",
                "glucose 132", "BNP 410", "troponin less than 0.01", "lactate 1.1", "INR 1.1"]
PROCEDURES = ["Transthoracic echocardiogram", "CT angiography of the chest", "Esophagogastroduodenoscopy",
              "Peripherally inserted central catheter placement", "Left heart catheterization", "MRI of the brain without contrast"]
DISPOSITIONS = ["Home", "Home with home health services", "Skilled nursing facility", "Inpatient rehabilitation facility", "Home with self care"]


def discharge_record(fake: Faker, st: dict[str, Any]) -> dict[str, Any]:
    r = fake.random
    p = person(fake)
    att = person(fake)
    adm = day(fake)
    dis = adm + dt.timedelta(days=r.randint(2, 9))
    prim = r.choice(T.INPATIENT_PRIMARY)
    secs = r.sample(T.CHRONIC_SECONDARY, r.randint(2, 5))
    meds, seen = [], set()
    for d in r.sample(T.DRUGS, len(T.DRUGS)):
        if d.name in seen:
            continue
        seen.add(d.name)
        meds.append(d)
        if len(meds) >= r.randint(3, 8):
            break
    dx_desc = T.ICD10CM[prim]
    course = " ".join(s for s in [
        COURSE[0].format(sx=r.choice(SYMPTOMS), dx_l=dx_desc[0].lower() + dx_desc[1:]),
        COURSE[1].format(lab=r.choice(LABS), img=r.choice(IMAGING)),
        r.choice(TREATMENT),
        COURSE[3].format(d2=r.randint(2, 3)),
        COURSE[4],
    ] if s)
    if st.get("force_long"):
        course += " " + " ".join(r.sample(EXTRA_COURSE, 3))
    rec = {
        "exam": " ".join(r.sample(EXAM, 4)),
        "results_text": ", ".join(r.sample(RESULTS_TEXT, 4)) + ".",
        "procedures": r.sample(PROCEDURES, r.randint(0, 2)),
        "patient_name": name_as(p, st["name"]),
        "birth_date": birth_date(fake),
        "mrn": fake.bothify(st.get("mrn_pattern", "########")),
        "account": fake.bothify(st.get("acct_pattern", "#########")),
        "sex": p["sex"],
        "admission_date": adm,
        "discharge_date": dis,
        "attending_physician": name_as(att, st.get("prov_name", st["name"])),
        "attending_person": att,
        "primary_diagnosis": dx_desc,
        "primary_diagnosis_code": prim,
        "diagnoses": [{"description": T.ICD10CM[c], "icd10_code": c} for c in secs],
        "discharge_medications": [
            {"drug": m.name, "dose": m.strength, "frequency": r.choice(m.sigs)} for m in meds],
        "discharge_disposition": r.choice(DISPOSITIONS) if r.random() > st.get("p_no_disposition", 0.2) else None,
        "facility_name": st["facility"],
        "hospital_course": course,
        "instructions": r.sample(INSTRUCTIONS, 3),
        "follow_up": f"Follow up with {name_as(person(fake), 'first_last')}, primary care, in {r.choice([1, 2])} week(s). "
                     f"Repeat basic metabolic panel in {r.choice([3, 5, 7])} days.",
        "dictated": dis + dt.timedelta(days=r.choice([0, 1])),
    }
    return rec


# ---------------------------------------------------------------- prescription
def prescription_record(fake: Faker, st: dict[str, Any]) -> dict[str, Any]:
    r = fake.random
    p = person(fake)
    pr = person(fake)
    d = r.choice(T.DRUGS)
    freq = r.choice(d.sigs)
    unit = d.form
    n = r.choice([1, 1, 1, 2]) if unit in ("tablet", "capsule") and "mg" in d.strength else 1
    sig = f"Take {n} {unit}{'s' if n > 1 else ''} by mouth {freq}"
    per_day = 3 if "three" in freq else 2 if "twice" in freq or "every 8" in freq else 4 if "every 6" in freq else 1
    m = re.search(r"for (\d+) days", freq)
    days = int(m.group(1)) if m else r.choice([30, 30, 90])
    qty = n * per_day * days
    refills = 0 if m else r.choice([0, 1, 2, 3, 5, 11])
    written = day(fake)
    rec = {
        "patient_name": name_as(p, st["name"]),
        "birth_date": birth_date(fake),
        "patient_address": fake.address().replace("\n", ", "),
        "drug_name": d.name,
        "strength": d.strength,
        "dosage_form": d.form,
        "drug_rxnorm": d.rxcui if st.get("print_rxnorm") else None,
        "sig": sig,
        "quantity": qty,
        "refills": refills,
        "days_supply": days,
        "prescriber_name": name_as(pr, st.get("prov_name", st["name"])),
        "prescriber_person": pr,
        "prescriber_npi": npi(fake),
        "prescriber_dea": dea(fake, pr["last"]) if r.random() < st.get("p_dea", 0.6) else None,
        "prescriber_phone": fake.numerify("(###) ###-####"),
        "clinic": st["clinic"],
        "clinic_address": fake.address().replace("\n", ", "),
        "date_written": written,
        "pharmacy_name": (r.choice(["Walgreens #", "CVS Pharmacy #", "Rite Aid #", "Kroger Pharmacy #"]) + fake.numerify("####"))
        if r.random() < st.get("p_pharmacy", 0.6) else None,
        "substitution": r.random() < 0.8,
    }
    return rec


# ---------------------------------------------------------------- CMS-1500 claim
def mbi(fake: Faker) -> str:
    """A Medicare Beneficiary Identifier shaped string (11 chars, no S L O I B Z)."""
    letters = "ACDEFGHJKMNPQRTUVWXY"
    alnum = letters + "0123456789"
    r = fake.random
    pat = ["N1", "A", "AN", "N", "A", "AN", "N", "A", "A", "N", "N"]
    out = []
    for k in pat:
        out.append(str(r.randint(1, 9)) if k == "N1" else str(r.randint(0, 9)) if k == "N"
                   else r.choice(letters) if k == "A" else r.choice(alnum))
    return "".join(out)


def claim_record(fake: Faker, st: dict[str, Any]) -> dict[str, Any]:
    r = fake.random
    p = person(fake)
    payer = r.choice(T.PAYERS)
    if r.random() < 0.7:
        ins = p
    else:
        ins = person(fake)
        ins["last"] = p["last"]
    insured_id = mbi(fake) if payer == "Medicare Part B" else fake.bothify(r.choice(["???#########", "W#########", "##########", "XJ#######"])).upper()
    dxs = r.sample(T.OUTPATIENT_DX, r.randint(1, 4))
    letters = "ABCDEFGHIJKL"
    dos = day(fake)
    lines = []
    visit = r.choice(["99213", "99214", "99203", "99204", "99396"])
    codes = [visit] + r.sample([c for c in T.CPT if not c.startswith("99")], r.randint(0, 4))
    for i, code in enumerate(codes[: st.get("max_lines", 6)]):
        units = 2 if code == "97110" and r.random() < 0.5 else 1
        charge = Decimal(T.CPT[code].charge) * units
        ptr_n = min(len(dxs), r.randint(1, 2))
        lines.append({
            "date_of_service": dos if r.random() < 0.85 or i == 0 else dos + dt.timedelta(days=r.randint(1, 6)),
            "cpt_code": code,
            "modifier": ("25" if code.startswith("99") and len(codes) > 1 and r.random() < 0.5 else
                         (r.choice(["59", "RT", "LT"]) if code in ("20610", "97110") and r.random() < 0.5 else None)),
            "dx_pointer": letters[:ptr_n],
            "units": units,
            "charge": charge,
            "description": T.CPT[code].description,
        })
    total = sum((ln["charge"] for ln in lines), Decimal("0.00"))
    up = (lambda s: s.upper()) if st.get("upper") else (lambda s: s)
    rec = {
        "payer_name": up(payer),
        "insured_id": insured_id,
        "patient": p,
        "patient_name": name_as(p, st["name"]),
        "birth_date": birth_date(fake),
        "sex": p["sex"],
        "insured_name": name_as(ins, st["name"]),
        "patient_address": fake.street_address(),
        "patient_city": fake.city(),
        "patient_state": fake.state_abbr(),
        "patient_zip": fake.zipcode(),
        "patient_account_no": fake.bothify(st.get("acct_pattern", "#######")) if r.random() > st.get("p_no_acct", 0.2) else None,
        "diagnoses": [{"pointer": letters[i], "icd10_code": c} for i, c in enumerate(dxs)],
        "service_lines": lines,
        "total_charge": total,
        "amount_paid": Decimal("0.00"),
        "billing_provider": up(fake.last_name() + " " + r.choice(["Family Medicine", "Medical Group", "Internal Medicine Associates", "Primary Care", "Health Partners"])),
        "billing_address": fake.street_address(),
        "billing_city": f"{fake.city()}, {fake.state_abbr()} {fake.zipcode()}",
        "billing_npi": npi(fake),
        "rendering_npi": npi(fake) if r.random() < st.get("p_rendering", 0.5) else None,
        "federal_tax_id": fake.numerify("##-#######"),
        "signature_date": dos + dt.timedelta(days=r.randint(0, 10)),
        "rendering_name": name_as(person(fake), "first_last"),
    }
    return rec
