"""The schema of each document type (written to `<doc_type>/schema.yaml`)."""
from __future__ import annotations

from typing import Any

import yaml

SCHEMAS: dict[str, dict[str, Any]] = {
    "lab_report": {
        "doc_type": "lab_report",
        "description": "Clinical laboratory results for one patient and one collection",
        "fields": {
            "patient_name": {"type": "person_name", "required": True},
            "birth_date": {"type": "date", "required": True},
            "mrn": {"type": "identifier", "description": "medical record number / patient ID"},
            "collection_date": {"type": "date", "required": True},
            "report_date": {"type": "date"},
            "ordering_provider": {"type": "person_name"},
            "ordering_npi": {"type": "code", "system": "npi"},
            "lab_name": {"type": "string"},
            "results": {
                "type": "table", "required": True,
                "columns": {
                    "test_name": {"type": "string", "required": True},
                    "loinc": {"type": "code", "system": "loinc"},
                    "value": {"type": "string", "required": True, "description": "result as printed"},
                    "unit": {"type": "string"},
                    "reference_range": {"type": "string"},
                    "flag": {"type": "string", "description": "abnormal flag as printed (H, L, High, ...); null when normal"},
                },
            },
        },
    },
    "discharge_summary": {
        "doc_type": "discharge_summary",
        "description": "Hospital discharge summary for one inpatient stay",
        "fields": {
            "patient_name": {"type": "person_name", "required": True},
            "birth_date": {"type": "date", "required": True},
            "mrn": {"type": "identifier"},
            "admission_date": {"type": "date", "required": True},
            "discharge_date": {"type": "date", "required": True},
            "attending_physician": {"type": "person_name"},
            "facility_name": {"type": "string"},
            "primary_diagnosis": {"type": "string", "required": True},
            "primary_diagnosis_code": {"type": "code", "system": "icd10cm"},
            "discharge_disposition": {"type": "string"},
            "diagnoses": {
                "type": "table", "description": "secondary diagnoses",
                "columns": {
                    "description": {"type": "string"},
                    "icd10_code": {"type": "code", "system": "icd10cm"},
                },
            },
            "discharge_medications": {
                "type": "table",
                "columns": {
                    "drug": {"type": "string", "required": True},
                    "dose": {"type": "string"},
                    "frequency": {"type": "string"},
                },
            },
        },
    },
    "prescription": {
        "doc_type": "prescription",
        "description": "Outpatient prescription for one medication",
        "fields": {
            "patient_name": {"type": "person_name", "required": True},
            "birth_date": {"type": "date", "required": True},
            "drug_name": {"type": "string", "required": True},
            "strength": {"type": "string"},
            "drug_rxnorm": {"type": "code", "system": "rxnorm"},
            "sig": {"type": "string", "description": "directions for use"},
            "quantity": {"type": "integer"},
            "refills": {"type": "integer"},
            "prescriber_name": {"type": "person_name", "required": True},
            "prescriber_npi": {"type": "code", "system": "npi"},
            "prescriber_dea": {"type": "identifier"},
            "date_written": {"type": "date", "required": True},
            "pharmacy_name": {"type": "string"},
        },
    },
    "claim_cms1500": {
        "doc_type": "claim_cms1500",
        "description": "Professional health insurance claim (CMS-1500 and equivalents)",
        "fields": {
            "payer_name": {"type": "string"},
            "insured_id": {"type": "identifier", "required": True},
            "patient_name": {"type": "person_name", "required": True},
            "birth_date": {"type": "date", "required": True},
            "insured_name": {"type": "person_name"},
            "patient_account_no": {"type": "identifier"},
            "diagnoses": {
                "type": "table", "required": True,
                "columns": {
                    "pointer": {"type": "string", "description": "diagnosis letter A-L"},
                    "icd10_code": {"type": "code", "system": "icd10cm", "description": "canonical form with the dot"},
                },
            },
            "service_lines": {
                "type": "table", "required": True,
                "columns": {
                    "date_of_service": {"type": "date"},
                    "cpt_code": {"type": "code", "system": "cpt"},
                    "modifier": {"type": "string"},
                    "dx_pointer": {"type": "string"},
                    "units": {"type": "integer"},
                    "charge": {"type": "decimal"},
                },
            },
            "total_charge": {"type": "decimal", "required": True},
            "billing_provider": {"type": "string"},
            "billing_npi": {"type": "code", "system": "npi", "required": True},
            "rendering_npi": {"type": "code", "system": "npi"},
            "federal_tax_id": {"type": "identifier"},
        },
    },
}


def schema_yaml(doc_type: str) -> str:
    return yaml.safe_dump(SCHEMAS[doc_type], sort_keys=False, default_flow_style=False, width=100)


def field_spec(doc_type: str) -> dict[str, list[str] | None]:
    """{field: column names (tables) or None (scalars)}."""
    out: dict[str, list[str] | None] = {}
    for name, spec in SCHEMAS[doc_type]["fields"].items():
        out[name] = list(spec["columns"]) if spec["type"] == "table" else None
    return out
