"""What the FHIR modules share: where `fhir/` is, docc's uuid5 namespace, media and identifier
types, the mapping keywords, and the two errors (a bad mapping, a document it cannot build)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
FHIR_DIR = Path(os.environ.get("DOCC_FHIR_DIR", ROOT / "fhir"))
MAPPINGS_DIR = Path(os.environ.get("DOCC_FHIR_MAPPINGS", FHIR_DIR / "mappings"))
NAMESPACE = uuid.UUID("6f1b9f7e-3c2a-5d7e-9a41-0d0cc0f4e2b1")  # docc's uuid5 namespace
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
MEDIA_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".tif": "image/tiff", ".tiff": "image/tiff"}
IDENTIFIER_TYPES = {"MR": "Medical record number", "NPI": "National provider identifier", "DEA":
                    "Drug Enforcement Administration registration number", "TAX": "Tax ID number",
                    "MB": "Member Number", "AN": "Account number", "PI": "Patient internal identifier"}

SOURCE_KEYS = {"field", "column", "const", "first", "join", "ref", "for_each", "as"}
OPTION_KEYS = {"lookup", "text", "unit", "map", "sep", "pick", "system", "strict", "all", "if", "unless",
               "when", "elements", "type", "assigner", "display"}


class MappingError(ValueError):
    """A mapping file that cannot be used."""


class BuildError(ValueError):
    """A document whose fields do not make valid FHIR (message names elements, never values)."""
