"""Dev set's scanned variant: image-only, seeded per document, same gold and folders (real vendor page)."""
from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium

from eval.devset.scans import SCAN_SUFFIX, build_scans, scan_pdf

FIX = Path(__file__).parent / "fixtures" / "ccda"


def _one_page(src: Path, dst: Path) -> None:
    doc, new = pdfium.PdfDocument(src), pdfium.PdfDocument.new()
    new.import_pages(doc, [0])
    new.save(dst)


def _text(pdf: Path) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def _devset(root: Path) -> None:
    gold = {"patient_name": "Alice Newman", "birth_date": "1970-05-01"}
    for folder, doc_id in (("compile/ccd_summary", "vendor_pdf_c1"), ("layouts/vendor_pdf/ccd_summary", "vendor_pdf_s1")):
        d = root / folder
        d.mkdir(parents=True)
        (d / "schema.yaml").write_text("doc_type: ccd_summary\n")
        _one_page(FIX / "sophrona_newman.pdf", d / f"{doc_id}.pdf")
        (d / f"{doc_id}.json").write_text(json.dumps(gold))
    (root / "manifest.json").write_text("{}")


def test_scanned_devset_is_image_only_deterministic_and_keeps_gold(tmp_path):
    _devset(tmp_path / "dev")
    res = build_scans(tmp_path / "dev", tmp_path / "a")
    assert res == {"layouts": 1, "documents": 2, "damage": "heavy"}
    lay = Path("layouts/vendor_pdf/ccd_summary")
    scan = tmp_path / "a" / lay / "vendor_pdf_s1.pdf"
    assert "Newman" in _text(tmp_path / "dev" / lay / "vendor_pdf_s1.pdf")
    assert _text(scan).strip() == ""                      # image only: OCR has to read it
    scan_pdf(tmp_path / "dev" / lay / "vendor_pdf_s1.pdf", tmp_path / "again.pdf", "vendor_pdf_s1")
    assert scan.read_bytes() == (tmp_path / "again.pdf").read_bytes()
    assert (tmp_path / "a" / lay / "vendor_pdf_s1.json").read_text() == (tmp_path / "dev" / lay / "vendor_pdf_s1.json").read_text()
    assert (tmp_path / "a" / lay / "schema.yaml").exists() and (tmp_path / "a" / "manifest.json").exists()
    # the compile split keeps its text documents and gains a scanned copy of each (for the OCR profile choice)
    comp = sorted(p.name for p in (tmp_path / "a" / "compile" / "ccd_summary").iterdir())
    assert comp == ["schema.yaml", "vendor_pdf_c1.json", "vendor_pdf_c1.pdf",
                    f"vendor_pdf_c1{SCAN_SUFFIX}.json", f"vendor_pdf_c1{SCAN_SUFFIX}.pdf"]


def test_light_damage_scans_differ_from_heavy_and_keep_gold(tmp_path):
    _devset(tmp_path / "dev")
    assert build_scans(tmp_path / "dev", tmp_path / "light", damage="light")["damage"] == "light"
    lay = Path("layouts/vendor_pdf/ccd_summary")
    light = tmp_path / "light" / lay / "vendor_pdf_s1.pdf"
    scan_pdf(tmp_path / "dev" / lay / "vendor_pdf_s1.pdf", tmp_path / "heavy.pdf", "vendor_pdf_s1")
    assert _text(light).strip() == "" and light.read_bytes() != (tmp_path / "heavy.pdf").read_bytes()
    scan_pdf(tmp_path / "dev" / lay / "vendor_pdf_s1.pdf", tmp_path / "again.pdf", "vendor_pdf_s1", damage="light")
    assert light.read_bytes() == (tmp_path / "again.pdf").read_bytes()
    assert (tmp_path / "light" / lay / "vendor_pdf_s1.json").read_text() == (tmp_path / "dev" / lay / "vendor_pdf_s1.json").read_text()
