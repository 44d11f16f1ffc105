"""What `pip install docc` must carry besides code: the FHIR mappings and terminology."""
from __future__ import annotations

import tomllib
from pathlib import Path

from pipeline.shipped import SOURCE_FHIR, fhir_dir

ROOT = Path(__file__).resolve().parents[1]


def test_every_fhir_file_is_installed_as_data():
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {f"{target.removeprefix('share/docc/')}/{path.name}"
               for target, globs in data_files.items() for g in globs for path in ROOT.glob(g)}
    present = {p.relative_to(ROOT).as_posix() for p in (ROOT / "fhir").rglob("*") if p.is_file()}
    assert present and present == shipped


def test_a_checkout_reads_its_own_fhir_folder():
    assert fhir_dir() == SOURCE_FHIR == ROOT / "fhir"
    assert (fhir_dir() / "terminology" / "systems.yaml").is_file()
