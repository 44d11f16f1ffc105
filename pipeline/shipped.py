"""Where the data docc ships (FHIR mappings and terminology) is found.

`fhir/` stays a top-level folder of the source tree (it is data, reviewed like code), and a wheel
installs it as `<prefix>/share/docc/fhir` (`[tool.setuptools.data-files]` in pyproject.toml): the
top-level name `fhir` is taken by `fhir.resources`, so it cannot be a Python package. Bottom layer:
imports nothing from docc.
"""
from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

SOURCE_FHIR = Path(__file__).resolve().parents[1] / "fhir"


def fhir_dir() -> Path:
    """The shipped FHIR folder: the source tree's when running from a checkout (an edit there is
    seen at once), else the installed copy."""
    if (SOURCE_FHIR / "mappings").is_dir():
        return SOURCE_FHIR
    for base in (sysconfig.get_path("data"), sys.prefix):
        installed = Path(base) / "share" / "docc" / "fhir"
        if (installed / "mappings").is_dir():
            return installed
    raise FileNotFoundError("docc's FHIR mappings are not installed (expected <prefix>/share/docc/fhir; "
                            "set DOCC_FHIR_DIR)")
