"""The labeled sample corpus generator.

Deterministic (seeded) synthetic healthcare documents with golden fields, in several
layouts per document type, as text-layer PDFs and as "scans" (image PDFs, PNG, JPEG,
multi-page TIFF, image PDFs with a garbage invisible text layer).

    from eval.corpus import generate
    data, ext, golden = generate("lab_report", "lab_a", index=3, seed=0, modality="text")

CLI: `python -m eval.corpus --out data/samples --heldout tests/heldout` writes the
sample corpus (sample layouts) and the held-out layouts; `--bench N` writes N documents
for benchmarks.
"""
from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
from faker import Faker

from . import claim, discharge, lab, prescription
from . import records as R
from .common import Layout, run
from .scan import SCAN_FORMATS, to_scan
from .schemas import SCHEMAS, field_spec, schema_yaml

Modality = Literal["text", "scan"]

DOC_TYPES = ["lab_report", "discharge_summary", "prescription", "claim_cms1500"]
LAYOUTS: dict[str, Layout] = {
    lay.name: lay for mod in (lab, discharge, prescription, claim) for lay in mod.LAYOUTS
}
RECORD = {
    "lab_report": R.lab_record,
    "discharge_summary": R.discharge_record,
    "prescription": R.prescription_record,
    "claim_cms1500": R.claim_record,
}

# default corpus plan per layout: indices 1-5 text layer, 6-8 scans
TEXT_PER_LAYOUT = 5
SCANS_PER_LAYOUT = 3

__all__ = ["DOC_TYPES", "LAYOUTS", "SCHEMAS", "generate", "layouts", "write_corpus", "write_bench"]


def layouts(doc_type: str | None = None, heldout: bool | None = None) -> list[Layout]:
    """Layouts, optionally of one doc type and only sample (False) or held-out (True) ones."""
    return [lay for lay in LAYOUTS.values()
            if (doc_type is None or lay.doc_type == doc_type) and (heldout is None or lay.heldout == heldout)]


def _seed(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def _fake(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def record(doc_type: str, layout: str, index: int, seed: int = 0) -> dict[str, Any]:
    """The facts of one document (before rendering)."""
    lay = LAYOUTS[layout]
    if lay.doc_type != doc_type:
        raise ValueError(f"layout {layout} is not a {doc_type} layout")
    st = dict(lay.style)
    st["index"] = index
    st["force_long"] = index % 4 == 2        # some documents run over several pages
    return RECORD[doc_type](_fake(_seed(seed, doc_type, layout, index, "record")), st)


def generate(doc_type: str, layout: str, index: int, seed: int = 0, modality: Modality = "text",
             scan_format: str | None = None, damage: str = "light") -> tuple[bytes, str, dict[str, Any]]:
    """One labeled document: (file bytes, file extension without dot, golden fields).

    `scan_format` (scan modality only) is one of pdf, pdf_junk, png, jpg, tiff; by default
    it is picked from the index; `damage` is "light" or "heavy" (see scan.to_scan).
    Same arguments give byte-identical output.
    """
    lay = LAYOUTS[layout]
    rec = record(doc_type, layout, index, seed)
    pdf, _pages = run(lay, rec)
    gold = R.golden(rec, field_spec(doc_type))
    if modality == "text":
        return pdf, "pdf", gold
    if modality != "scan":
        raise ValueError(modality)
    if scan_format is None:
        scan_format = SCAN_FORMATS[_seed(seed, layout, index, "fmt") % len(SCAN_FORMATS)]
    r = random.Random(_seed(seed, doc_type, layout, index, "scan"))
    rng = np.random.default_rng(_seed(seed, doc_type, layout, index, "noise"))
    data, ext = to_scan(pdf, scan_format, r, rng, damage)
    return data, ext, gold


def _default_scan_format(layout_pos: int, k: int) -> str:
    """Scan k (0, 1, 2) of a layout: an image PDF, an image file, an image PDF with junk text."""
    if k == 0:
        return "pdf"
    if k == 2:
        return "pdf_junk"
    return ("png", "tiff", "jpg")[layout_pos % 3]


def _write(folder: Path, stem: str, data: bytes, ext: str, gold: dict[str, Any]) -> None:
    (folder / f"{stem}.{ext}").write_bytes(data)
    (folder / f"{stem}.json").write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_layouts(root: Path, lays: list[Layout], seed: int = 0, text: int = TEXT_PER_LAYOUT,
                  scans: int = SCANS_PER_LAYOUT) -> list[Path]:
    """Write schema.yaml and `<layout>_<nn>.*` for each layout under root/<doc_type>/."""
    written = []
    for doc_type in DOC_TYPES:
        mine = [lay for lay in lays if lay.doc_type == doc_type]
        if not mine:
            continue
        folder = root / doc_type
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "schema.yaml").write_text(schema_yaml(doc_type), encoding="utf-8")
        for pos, lay in enumerate(mine):
            for old in folder.glob(f"{lay.name}_*"):
                if re.fullmatch(rf"{lay.name}_\d+\.\w+", old.name):
                    old.unlink()
            for i in range(1, text + scans + 1):
                if i <= text:
                    data, ext, gold = generate(doc_type, lay.name, i, seed, "text")
                else:
                    fmt = _default_scan_format(pos + i, i - text - 1)
                    data, ext, gold = generate(doc_type, lay.name, i, seed, "scan", fmt)
                stem = f"{lay.name}_{i:02d}"
                _write(folder, stem, data, ext, gold)
                written.append(folder / f"{stem}.{ext}")
    return written


def write_corpus(out: Path, heldout: Path | None = None, seed: int = 0) -> list[Path]:
    """The sample corpus (sample layouts) under `out` and the held-out layouts under `heldout`."""
    paths = write_layouts(Path(out), layouts(heldout=False), seed)
    if heldout is not None:
        paths += write_layouts(Path(heldout), layouts(heldout=True), seed)
    return paths


def write_bench(out: Path, n: int, modality: Modality = "text", seed: int = 0,
                doc_types: list[str] | None = None, include_heldout: bool = True,
                scan_format: str | None = None, damage: str = "light") -> list[Path]:
    """N documents for benchmarks, cycling over doc types and layouts, with golden JSON.

    Indices start at 1000, so benchmark documents never repeat the sample corpus's."""
    lays = [lay for lay in LAYOUTS.values()
            if (doc_types is None or lay.doc_type in doc_types) and (include_heldout or not lay.heldout)]
    out = Path(out)
    written = []
    for k in range(n):
        lay = lays[k % len(lays)]
        idx = 1000 + k // len(lays)
        folder = out / lay.doc_type
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "schema.yaml").exists():
            (folder / "schema.yaml").write_text(schema_yaml(lay.doc_type), encoding="utf-8")
        data, ext, gold = generate(lay.doc_type, lay.name, idx, seed, modality,
                                   scan_format if modality == "scan" else None, damage)
        stem = f"{lay.name}_{idx:05d}"
        _write(folder, stem, data, ext, gold)
        written.append(folder / f"{stem}.{ext}")
    return written
