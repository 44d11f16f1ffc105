"""What the FHIR modules share: where `fhir/` is, docc's uuid5 namespace, media and identifier
types, the mapping keywords, and the two errors (a bad mapping, a document it cannot build)."""
from __future__ import annotations

import uuid

from pipeline.errors import DoccError
from pipeline.shipped import fhir_dir as shipped_fhir_dir

FHIR_DIR = shipped_fhir_dir()  # the shipped mappings and terminology (DOCC_FHIR_DIR overrides)
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


class MappingError(DoccError, ValueError):
    """A mapping file that cannot be used."""


class BuildError(DoccError, ValueError):
    """A document whose fields do not make valid FHIR (message names elements, never values)."""
