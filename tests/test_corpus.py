"""The labeled sample corpus (eval.corpus): determinism, contract conformance, content."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from eval.corpus import DOC_TYPES, LAYOUTS, generate, layouts, write_bench, write_layouts
from eval.corpus import terminology as T
from eval.corpus.schemas import SCHEMAS, schema_yaml
from extractors.schema import load_sample_set

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
HELDOUT = ROOT / "tests" / "heldout"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LAYOUT_OF = re.compile(r"^(?P<layout>[a-z]+_[a-z])_(?P<n>\d+)$")


def _sets():
    return [load_sample_set(SAMPLES / t) for t in DOC_TYPES] + [load_sample_set(HELDOUT / t) for t in DOC_TYPES]


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# ------------------------------------------------------------------ terminology
def test_npi_check_digit_cms_example():
    # the CMS worked example: 123456789 -> check digit 3
    assert T.npi_check_digit("123456789") == 3
    assert T.is_valid_npi("1234567893")
    assert not T.is_valid_npi("1234567890")
    assert not T.is_valid_npi("123456789")


def test_terminology_tables_are_well_formed():
    assert all(re.fullmatch(r"\d{1,7}-\d", code) for code in T.LAB_TESTS)
    assert all(re.fullmatch(r"[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?", code) for code in T.ICD10CM)
    assert all(re.fullmatch(r"\d{5}", code) for code in T.CPT)
    assert all(re.fullmatch(r"\d{4,8}", d.rxcui) for d in T.DRUGS)
    for panel, (_, codes) in T.PANELS.items():
        assert all(c in T.LAB_TESTS for c in codes), panel


# ------------------------------------------------------------------ layouts and folders
def test_layout_counts():
    for t in DOC_TYPES:
        sample_layouts = layouts(t, heldout=False)
        held = layouts(t, heldout=True)
        assert len(sample_layouts) >= 3, t
        assert len(held) >= 1, t
        on_disk = {LAYOUT_OF.match(s.id)["layout"] for s in load_sample_set(SAMPLES / t).samples}
        assert on_disk == {lay.name for lay in sample_layouts}, t
        held_disk = {LAYOUT_OF.match(s.id)["layout"] for s in load_sample_set(HELDOUT / t).samples}
        assert held_disk == {lay.name for lay in held}, t
        assert not on_disk & held_disk


def test_schema_files_identical_and_match_generator():
    for t in DOC_TYPES:
        a = (SAMPLES / t / "schema.yaml").read_text()
        b = (HELDOUT / t / "schema.yaml").read_text()
        assert a == b == schema_yaml(t)


def test_modalities_present():
    for t in DOC_TYPES:
        docs = load_sample_set(SAMPLES / t).samples
        exts = {s.path.suffix for s in docs}
        assert ".pdf" in exts and exts & {".png", ".jpg", ".tif"}, t
        assert len(docs) >= 3 * 8


def test_corpus_size_budget():
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 40 * 1024 * 1024


# ------------------------------------------------------------------ golden files follow the contract
def _check_value(spec: dict, value, where: str) -> None:
    if value is None:
        assert not spec.get("required"), f"{where}: required but null"
        return
    typ = spec["type"]
    if typ == "date":
        assert isinstance(value, str) and DATE_RE.match(value), where
        dt.date.fromisoformat(value)
    elif typ == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif typ == "decimal":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    else:
        assert isinstance(value, str) and value == _norm(value) and value, where
    if typ == "code":
        system = spec.get("system")
        if system == "npi":
            assert T.is_valid_npi(value), where
        elif system == "loinc":
            assert value in T.LAB_TESTS, where
        elif system == "icd10cm":
            assert value in T.ICD10CM, where
        elif system == "cpt":
            assert value in T.CPT, where
        elif system == "rxnorm":
            assert value in {d.rxcui for d in T.DRUGS}, where


@pytest.mark.parametrize("sample_set", _sets(), ids=lambda s: f"{s.folder.parent.name}/{s.doc_type}")
def test_golden_conforms_to_schema(sample_set):
    schema = SCHEMAS[sample_set.doc_type]["fields"]
    assert set(sample_set.schema_.fields) == set(schema)
    nulls = {f: 0 for f in schema}
    for s in sample_set.samples:
        assert set(s.golden) == set(schema), s.id
        for name, spec in schema.items():
            v = s.golden[name]
            nulls[name] += v is None
            where = f"{s.id}.{name}"
            if spec["type"] == "table":
                if v is None:
                    assert not spec.get("required"), where
                    continue
                assert isinstance(v, list) and v, where
                for i, row in enumerate(v):
                    assert set(row) == set(spec["columns"]), f"{where}[{i}]"
                    for col, cspec in spec["columns"].items():
                        _check_value(cspec, row[col], f"{where}[{i}].{col}")
            else:
                _check_value(spec, v, where)
    if sample_set.folder.parent == SAMPLES:
        # some optional fields are sometimes absent
        assert any(0 < n < len(sample_set.samples) for n in nulls.values()), sample_set.doc_type


def test_claim_totals_add_up():
    for s in load_sample_set(SAMPLES / "claim_cms1500").samples:
        total = sum(ln["charge"] for ln in s.golden["service_lines"])
        assert abs(total - s.golden["total_charge"]) < 0.005, s.id
        pointers = {d["pointer"] for d in s.golden["diagnoses"]}
        for ln in s.golden["service_lines"]:
            assert set(ln["dx_pointer"]) <= pointers, s.id


# ------------------------------------------------------------------ text-layer PDFs carry the golden values
DATE_FORMATS = ["%m/%d/%Y", "%d/%m/%Y", "%d %b %Y", "%d-%b-%Y", "%B %d, %Y", "%b %d, %Y", "%m %d %Y", "%m %d %y",
                "%d.%m.%Y", "%Y-%m-%d"]


def _date_forms(iso: str) -> set[str]:
    d = dt.date.fromisoformat(iso)
    forms = {d.strftime(f) for f in DATE_FORMATS}
    return forms | {f.upper() for f in forms}


def _present(value, spec: dict, text: str, squeezed: str) -> bool:
    typ = spec["type"]
    if typ == "date":
        return any(f in text for f in _date_forms(value))
    if typ == "decimal":
        return f"{value:.2f}" in text or f"{value:,.2f}" in text
    if typ == "integer":
        return re.search(rf"(?<!\d){value}(?!\d)", text) is not None
    s = str(value)
    if spec.get("system") == "icd10cm" and s.replace(".", "") in text:
        return True   # the CMS-1500 form prints ICD-10 codes without the dot
    return s in text or s.replace(" ", "") in squeezed


def _text_samples():
    out = []
    for t in DOC_TYPES:
        for root in (SAMPLES, HELDOUT):
            for s in load_sample_set(root / t).samples:
                if s.path.suffix == ".pdf" and int(LAYOUT_OF.match(s.id)["n"]) <= 5:
                    out.append((t, s))
    return out


@pytest.mark.parametrize("doc_type,sample", _text_samples(), ids=lambda x: getattr(x, "id", x))
def test_text_layer_contains_golden_values(doc_type, sample):
    with pdfplumber.open(sample.path) as pdf:
        text = _norm(" ".join(p.extract_text() or "" for p in pdf.pages))
    squeezed = text.replace(" ", "")
    fields = SCHEMAS[doc_type]["fields"]
    for name, spec in fields.items():
        v = sample.golden[name]
        if v is None:
            continue
        if spec["type"] == "table":
            for row in v:
                for col, cspec in spec["columns"].items():
                    if row[col] is not None:
                        assert _present(row[col], cspec, text, squeezed), f"{sample.id}.{name}.{col}={row[col]!r}"
        else:
            assert _present(v, spec, text, squeezed), f"{sample.id}.{name}={v!r}"


def test_some_documents_are_multipage():
    for t in ("lab_report", "discharge_summary"):
        pages = []
        for s in load_sample_set(SAMPLES / t).samples:
            if s.path.suffix == ".pdf":
                with pdfplumber.open(s.path) as pdf:
                    pages.append(len(pdf.pages))
            elif s.path.suffix == ".tif":
                pages.append(getattr(Image.open(s.path), "n_frames", 1))
        assert max(pages) >= 2, t


# ------------------------------------------------------------------ scans
def test_scans_are_images_some_with_junk_text():
    junk = clean = 0
    for t in DOC_TYPES:
        for s in load_sample_set(SAMPLES / t).samples:
            if int(LAYOUT_OF.match(s.id)["n"]) <= 5:
                continue
            if s.path.suffix != ".pdf":
                with Image.open(s.path) as im:
                    assert im.mode in ("L", "1"), s.id
                    assert 150 <= round(im.info["dpi"][0]) <= 300, s.id
                continue
            with pdfplumber.open(s.path) as pdf:
                assert pdf.pages[0].images, s.id
                text = " ".join(p.extract_text() or "" for p in pdf.pages)
            if text.strip():
                junk += 1
                assert s.golden["patient_name"] not in text, s.id   # the layer is garbage, not the content
            else:
                clean += 1
    assert junk >= 4 and clean >= 4


# ------------------------------------------------------------------ determinism
def test_generate_is_deterministic_and_seed_sensitive():
    for name, lay in LAYOUTS.items():
        a = generate(lay.doc_type, name, 3, seed=7, modality="text")
        b = generate(lay.doc_type, name, 3, seed=7, modality="text")
        assert a == b, name
        c = generate(lay.doc_type, name, 3, seed=8, modality="text")
        assert c[2] != a[2], name
    for fmt in ("pdf", "pdf_junk", "png", "jpg", "tiff"):
        a = generate("lab_report", "lab_a", 2, seed=1, modality="scan", scan_format=fmt)
        b = generate("lab_report", "lab_a", 2, seed=1, modality="scan", scan_format=fmt)
        assert a == b, fmt


def test_corpus_regenerates_byte_identical(tmp_path):
    # one layout per type, all eight documents (text and scans), against the committed files
    lays = [layouts(t, heldout=False)[0] for t in DOC_TYPES]
    write_layouts(tmp_path, lays, seed=0)
    for t in DOC_TYPES:
        for p in sorted((tmp_path / t).iterdir()):
            assert p.read_bytes() == (SAMPLES / t / p.name).read_bytes(), f"{t}/{p.name}"


def test_text_layer_committed_files_regenerate():
    for t in DOC_TYPES:
        for root in (SAMPLES, HELDOUT):
            for s in load_sample_set(root / t).samples:
                m = LAYOUT_OF.match(s.id)
                n = int(m["n"])
                if n > 5:
                    continue
                data, ext, gold = generate(t, m["layout"], n, seed=0, modality="text")
                assert data == s.path.read_bytes(), s.id
                assert gold == json.loads(s.path.with_suffix(".json").read_text()), s.id


def test_bench_writer(tmp_path):
    paths = write_bench(tmp_path, 10, "text")
    assert len(paths) == 10
    for p in paths:
        assert p.exists() and p.with_suffix(".json").exists()
    for t in {p.parent.name for p in paths}:
        assert len(load_sample_set(tmp_path / t).samples) >= 1
