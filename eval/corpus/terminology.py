"""Small, real terminology tables used by the sample corpus generator.

Codes are real: LOINC lab codes with UCUM units and typical adult reference ranges,
RxNorm clinical drugs (SCD RxCUIs), ICD-10-CM diagnoses and CPT procedures.
Reference ranges are typical textbook adult ranges, not any laboratory's.
"""
from __future__ import annotations

from dataclasses import dataclass

from extractors.codes import luhn_check_digit, npi_check_digit  # noqa: F401  (used by the corpus generator)


@dataclass(frozen=True)
class LabTest:
    loinc: str
    name: str          # name as commonly printed on a report
    short: str         # abbreviation some vendors print
    unit: str          # unit as printed
    ucum: str          # UCUM code
    low: float | None  # reference range low (None: open)
    high: float | None  # reference range high (None: open)
    decimals: int      # decimals printed for values
    qualitative: tuple[str, ...] = ()  # for qualitative tests: the possible results (first = normal)


LAB_TESTS: dict[str, LabTest] = {t.loinc: t for t in [
    # Basic / comprehensive metabolic panel
    LabTest("2345-7", "Glucose", "GLU", "mg/dL", "mg/dL", 70, 99, 0),
    LabTest("3094-0", "Urea Nitrogen (BUN)", "BUN", "mg/dL", "mg/dL", 7, 20, 0),
    LabTest("2160-0", "Creatinine", "CREAT", "mg/dL", "mg/dL", 0.6, 1.3, 2),
    LabTest("33914-3", "eGFR", "EGFR", "mL/min/1.73m2", "mL/min/{1.73_m2}", 60, None, 0),
    LabTest("2951-2", "Sodium", "NA", "mmol/L", "mmol/L", 136, 145, 0),
    LabTest("2823-3", "Potassium", "K", "mmol/L", "mmol/L", 3.5, 5.1, 1),
    LabTest("2075-0", "Chloride", "CL", "mmol/L", "mmol/L", 98, 107, 0),
    LabTest("2028-9", "Carbon Dioxide, Total", "CO2", "mmol/L", "mmol/L", 22, 29, 0),
    LabTest("17861-6", "Calcium", "CA", "mg/dL", "mg/dL", 8.6, 10.3, 1),
    LabTest("2885-2", "Protein, Total", "TP", "g/dL", "g/dL", 6.0, 8.3, 1),
    LabTest("1751-7", "Albumin", "ALB", "g/dL", "g/dL", 3.5, 5.0, 1),
    LabTest("1975-2", "Bilirubin, Total", "TBIL", "mg/dL", "mg/dL", 0.1, 1.2, 1),
    LabTest("6768-6", "Alkaline Phosphatase", "ALP", "U/L", "U/L", 44, 147, 0),
    LabTest("1742-6", "ALT (SGPT)", "ALT", "U/L", "U/L", 7, 56, 0),
    LabTest("1920-8", "AST (SGOT)", "AST", "U/L", "U/L", 10, 40, 0),
    # CBC
    LabTest("6690-2", "WBC", "WBC", "10^3/uL", "10*3/uL", 4.5, 11.0, 1),
    LabTest("789-8", "RBC", "RBC", "10^6/uL", "10*6/uL", 4.5, 5.9, 2),
    LabTest("718-7", "Hemoglobin", "HGB", "g/dL", "g/dL", 13.5, 17.5, 1),
    LabTest("4544-3", "Hematocrit", "HCT", "%", "%", 41, 53, 1),
    LabTest("787-2", "MCV", "MCV", "fL", "fL", 80, 100, 1),
    LabTest("785-6", "MCH", "MCH", "pg", "pg", 27, 33, 1),
    LabTest("786-4", "MCHC", "MCHC", "g/dL", "g/dL", 32, 36, 1),
    LabTest("777-3", "Platelets", "PLT", "10^3/uL", "10*3/uL", 150, 400, 0),
    # Lipids
    LabTest("2093-3", "Cholesterol, Total", "CHOL", "mg/dL", "mg/dL", None, 200, 0),
    LabTest("2571-8", "Triglycerides", "TRIG", "mg/dL", "mg/dL", None, 150, 0),
    LabTest("2085-9", "HDL Cholesterol", "HDL", "mg/dL", "mg/dL", 40, None, 0),
    LabTest("13457-7", "LDL Cholesterol (calc)", "LDL", "mg/dL", "mg/dL", None, 100, 0),
    # Endocrine
    LabTest("4548-4", "Hemoglobin A1c", "HBA1C", "%", "%", 4.0, 5.6, 1),
    LabTest("3016-3", "TSH", "TSH", "mIU/L", "m[IU]/L", 0.4, 4.0, 2),
    LabTest("3024-7", "Free T4", "FT4", "ng/dL", "ng/dL", 0.8, 1.8, 2),
    # Misc chemistry
    LabTest("2276-4", "Ferritin", "FERR", "ng/mL", "ng/mL", 24, 336, 0),
    LabTest("2132-9", "Vitamin B12", "B12", "pg/mL", "pg/mL", 200, 900, 0),
    LabTest("62292-8", "Vitamin D, 25-Hydroxy", "VITD", "ng/mL", "ng/mL", 30, 100, 1),
    LabTest("2777-1", "Phosphorus", "PHOS", "mg/dL", "mg/dL", 2.5, 4.5, 1),
    LabTest("19123-9", "Magnesium", "MG", "mg/dL", "mg/dL", 1.7, 2.2, 1),
    LabTest("3084-1", "Uric Acid", "URIC", "mg/dL", "mg/dL", 3.4, 7.0, 1),
    LabTest("1988-5", "C-Reactive Protein", "CRP", "mg/L", "mg/L", None, 10, 1),
    LabTest("2857-1", "PSA, Total", "PSA", "ng/mL", "ng/mL", None, 4.0, 2),
    # Coagulation / cardiac
    LabTest("5902-2", "Prothrombin Time", "PT", "s", "s", 11.0, 13.5, 1),
    LabTest("6301-6", "INR", "INR", "", "{INR}", 0.8, 1.2, 1),
    LabTest("10839-9", "Troponin I", "TROP", "ng/mL", "ng/mL", None, 0.04, 2),
    LabTest("30934-4", "BNP", "BNP", "pg/mL", "pg/mL", None, 100, 0),
    # Urinalysis (dipstick)
    LabTest("5811-5", "Specific Gravity, Urine", "SG", "", "1", 1.005, 1.030, 3),
    LabTest("5803-2", "pH, Urine", "UPH", "", "[pH]", 5.0, 8.0, 1),
    LabTest("5804-0", "Protein, Urine", "UPRO", "", "", None, None, 0, ("Negative", "Trace", "1+", "2+")),
    LabTest("5792-7", "Glucose, Urine", "UGLU", "", "", None, None, 0, ("Negative", "Trace", "1+")),
    LabTest("5797-6", "Ketones, Urine", "UKET", "", "", None, None, 0, ("Negative", "Trace", "Small")),
]}

PANELS: dict[str, tuple[str, list[str]]] = {
    "BMP": ("Basic Metabolic Panel", ["2345-7", "3094-0", "2160-0", "33914-3", "2951-2", "2823-3", "2075-0", "2028-9", "17861-6"]),
    "CMP": ("Comprehensive Metabolic Panel", ["2345-7", "3094-0", "2160-0", "33914-3", "2951-2", "2823-3", "2075-0", "2028-9", "17861-6", "2885-2", "1751-7", "1975-2", "6768-6", "1742-6", "1920-8"]),
    "CBC": ("Complete Blood Count", ["6690-2", "789-8", "718-7", "4544-3", "787-2", "785-6", "786-4", "777-3"]),
    "LIPID": ("Lipid Panel", ["2093-3", "2571-8", "2085-9", "13457-7"]),
    "A1C": ("Hemoglobin A1c", ["4548-4"]),
    "THYROID": ("Thyroid Panel", ["3016-3", "3024-7"]),
    "IRON": ("Anemia Studies", ["2276-4", "2132-9"]),
    "VITD": ("Vitamin D", ["62292-8"]),
    "MINERALS": ("Minerals", ["2777-1", "19123-9", "3084-1"]),
    "CRP": ("Inflammation", ["1988-5"]),
    "PSA": ("Prostate Specific Antigen", ["2857-1"]),
    "COAG": ("Coagulation", ["5902-2", "6301-6"]),
    "CARDIAC": ("Cardiac Markers", ["10839-9", "30934-4"]),
    "UA": ("Urinalysis, Dipstick", ["5811-5", "5803-2", "5804-0", "5792-7", "5797-6"]),
}


@dataclass(frozen=True)
class Drug:
    rxcui: str
    name: str        # generic name as printed
    strength: str    # as printed, e.g. "10 mg"
    form: str        # tablet, capsule ...
    sigs: tuple[str, ...]   # typical frequencies ("once daily", ...)


# RxNorm SCD concepts (RxCUI -> clinical drug).
DRUGS: list[Drug] = [
    Drug("314076", "Lisinopril", "10 mg", "tablet", ("once daily",)),
    Drug("314077", "Lisinopril", "20 mg", "tablet", ("once daily",)),
    Drug("197361", "Amlodipine", "5 mg", "tablet", ("once daily",)),
    Drug("861007", "Metformin", "500 mg", "tablet", ("twice daily with meals", "once daily with breakfast")),
    Drug("617312", "Atorvastatin", "10 mg", "tablet", ("once daily at bedtime", "once daily")),
    Drug("259255", "Atorvastatin", "80 mg", "tablet", ("once daily at bedtime",)),
    Drug("312961", "Simvastatin", "20 mg", "tablet", ("once daily in the evening",)),
    Drug("310798", "Hydrochlorothiazide", "25 mg", "tablet", ("once daily in the morning",)),
    Drug("866924", "Metoprolol Tartrate", "25 mg", "tablet", ("twice daily",)),
    Drug("310429", "Furosemide", "20 mg", "tablet", ("once daily", "twice daily")),
    Drug("313988", "Furosemide", "40 mg", "tablet", ("once daily",)),
    Drug("855332", "Warfarin Sodium", "5 mg", "tablet", ("once daily in the evening",)),
    Drug("1364430", "Apixaban", "5 mg", "tablet", ("twice daily",)),
    Drug("309362", "Clopidogrel", "75 mg", "tablet", ("once daily",)),
    Drug("243670", "Aspirin", "81 mg", "tablet", ("once daily",)),
    Drug("198440", "Acetaminophen", "500 mg", "tablet", ("every 6 hours as needed for pain",)),
    Drug("197806", "Ibuprofen", "600 mg", "tablet", ("every 8 hours as needed with food",)),
    Drug("308191", "Amoxicillin", "500 mg", "capsule", ("three times daily for 10 days",)),
    Drug("562251", "Amoxicillin-Clavulanate", "875-125 mg", "tablet", ("twice daily for 7 days",)),
    Drug("308460", "Azithromycin", "250 mg", "tablet", ("once daily for 4 days",)),
    Drug("198145", "Prednisone", "10 mg", "tablet", ("once daily for 5 days",)),
    Drug("310385", "Fluoxetine", "20 mg", "capsule", ("once daily",)),
    Drug("312940", "Sertraline", "50 mg", "tablet", ("once daily",)),
    Drug("310431", "Gabapentin", "300 mg", "capsule", ("three times daily", "at bedtime")),
]


# ICD-10-CM (code -> description)
ICD10CM: dict[str, str] = {
    "I10": "Essential (primary) hypertension",
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E78.5": "Hyperlipidemia, unspecified",
    "J18.9": "Pneumonia, unspecified organism",
    "I50.9": "Heart failure, unspecified",
    "I50.23": "Acute on chronic systolic (congestive) heart failure",
    "N17.9": "Acute kidney failure, unspecified",
    "J44.1": "Chronic obstructive pulmonary disease with (acute) exacerbation",
    "A41.9": "Sepsis, unspecified organism",
    "I21.4": "Non-ST elevation (NSTEMI) myocardial infarction",
    "N39.0": "Urinary tract infection, site not specified",
    "I48.91": "Unspecified atrial fibrillation",
    "E87.1": "Hypo-osmolality and hyponatremia",
    "D64.9": "Anemia, unspecified",
    "K92.2": "Gastrointestinal hemorrhage, unspecified",
    "I63.9": "Cerebral infarction, unspecified",
    "J96.01": "Acute respiratory failure with hypoxia",
    "N18.30": "Chronic kidney disease, stage 3 unspecified",
    "K85.90": "Acute pancreatitis without necrosis or infection, unspecified",
    "L03.115": "Cellulitis of right lower limb",
    "E86.0": "Dehydration",
    "F32.9": "Major depressive disorder, single episode, unspecified",
    "M54.50": "Low back pain, unspecified",
    "E66.9": "Obesity, unspecified",
    "J45.909": "Unspecified asthma, uncomplicated",
    "K21.9": "Gastro-esophageal reflux disease without esophagitis",
    "I25.10": "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    "E03.9": "Hypothyroidism, unspecified",
    "Z87.891": "Personal history of nicotine dependence",
    "J06.9": "Acute upper respiratory infection, unspecified",
    "Z00.00": "Encounter for general adult medical examination without abnormal findings",
    "R07.9": "Chest pain, unspecified",
    "M17.11": "Unilateral primary osteoarthritis, right knee",
}

# Diagnoses that make sense as the principal reason for an inpatient stay.
INPATIENT_PRIMARY = ["J18.9", "I50.23", "N17.9", "J44.1", "A41.9", "I21.4", "N39.0",
                     "I48.91", "K92.2", "I63.9", "J96.01", "K85.90", "L03.115", "E11.65"]
CHRONIC_SECONDARY = ["I10", "E11.9", "E78.5", "D64.9", "E87.1", "N18.30", "E66.9",
                     "K21.9", "I25.10", "E03.9", "Z87.891", "F32.9", "J45.909", "E86.0"]
OUTPATIENT_DX = ["I10", "E11.9", "E78.5", "J06.9", "Z00.00", "R07.9", "M17.11", "M54.50",
                 "E03.9", "K21.9", "F32.9", "J45.909", "E66.9", "N39.0"]


@dataclass(frozen=True)
class Procedure:
    cpt: str
    description: str
    charge: str   # typical charge, as a decimal string


CPT: dict[str, Procedure] = {p.cpt: p for p in [
    Procedure("99203", "Office visit, new patient, low MDM", "165.00"),
    Procedure("99204", "Office visit, new patient, moderate MDM", "250.00"),
    Procedure("99213", "Office visit, established patient, low MDM", "125.00"),
    Procedure("99214", "Office visit, established patient, moderate MDM", "185.00"),
    Procedure("99396", "Preventive visit, established, age 40-64", "240.00"),
    Procedure("80053", "Comprehensive metabolic panel", "48.00"),
    Procedure("80048", "Basic metabolic panel", "36.00"),
    Procedure("85025", "Complete blood count with differential", "32.00"),
    Procedure("80061", "Lipid panel", "45.00"),
    Procedure("83036", "Hemoglobin A1c", "38.00"),
    Procedure("84443", "Thyroid stimulating hormone", "55.00"),
    Procedure("36415", "Routine venipuncture", "15.00"),
    Procedure("93000", "Electrocardiogram, complete", "75.00"),
    Procedure("71046", "Chest X-ray, 2 views", "110.00"),
    Procedure("81002", "Urinalysis, non-automated, without microscopy", "18.00"),
    Procedure("87880", "Strep A antigen, immunoassay", "35.00"),
    Procedure("90471", "Immunization administration", "25.00"),
    Procedure("90686", "Influenza vaccine, quadrivalent, preservative free", "42.00"),
    Procedure("20610", "Arthrocentesis, major joint", "160.00"),
    Procedure("69210", "Removal of impacted cerumen", "70.00"),
    Procedure("97110", "Therapeutic exercise, each 15 minutes", "60.00"),
]}

MODIFIERS = ["25", "59", "LT", "RT"]

PAYERS = ["Medicare Part B", "Aetna", "Blue Cross Blue Shield", "UnitedHealthcare",
          "Cigna", "Humana", "Medicaid", "Tricare"]


def is_valid_npi(npi: str) -> bool:
    return len(npi) == 10 and npi.isdigit() and npi[0] in "12" and npi_check_digit(npi[:9]) == int(npi[9])
