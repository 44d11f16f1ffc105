"""The dev set's scanned variant: every document printed and scanned with real scan damage.

`python -m eval.devset.scans --devset .cache/devset --out .cache/devset-scans [--layouts a,b] [--workers N] [--damage heavy|light]`

Why: the dev set's PDFs all carry a text layer, so it says nothing about how the same real
documents read from scans. This writes, for every score-split document, an image-only PDF made
with the corpus scanner's HEAVY damage chain (eval.corpus.scan.to_scan: grey fills, inverted
label cells, photocopy shadow, moire, skew, punch holes, noise, fax binarisation, JPEG; or with
`--damage light` an office scan's slight skew, blur and noise), with
the same golden JSON and the same `layouts/<layout>/<doc_type>/` folders, so `docc eval` can
score a layout's text and scan side by side with one set of extractors.

`compile/` holds the dev set's text-layer compile documents plus a scanned copy of each
(`<id>_scan`): the compiler chooses a doc type's OCR profile from its scanned samples
(extractors.ocr_profiles), so without scans in the compile split the default profile would
be locked untried. Each document's damage is seeded by its id: the same dev set gives the
same bytes on every build.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from eval.corpus.scan import to_scan

SCAN_SUFFIX = "_scan"


def _seed(doc_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"devset-scan:{doc_id}".encode()).digest()[:8], "big")


def scan_pdf(src: Path, dst: Path, doc_id: str, damage: str = "heavy") -> None:
    """One image-only PDF with `damage` ("heavy" or "light") scan damage, seeded by `doc_id`."""
    seed = _seed(doc_id)
    data, ext = to_scan(src.read_bytes(), "pdf", random.Random(seed), np.random.default_rng(seed), damage=damage)
    assert ext == "pdf"
    dst.write_bytes(data)


def _job(args: tuple[str, str, str], damage: str) -> None:
    src, dst, doc_id = args
    scan_pdf(Path(src), Path(dst), doc_id, damage)


def _folder(src_dir: Path, dst_dir: Path, suffix: str, jobs: list, keep_text: bool) -> None:
    """Mirror one `<doc_type>/` folder: schema, golden JSON; scans queued in `jobs`."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted(src_dir.iterdir()):
        if f.suffix in (".yaml", ".yml"):
            shutil.copyfile(f, dst_dir / f.name)
        elif f.suffix == ".json":
            shutil.copyfile(f, dst_dir / f"{f.stem}{suffix}.json")
            if keep_text:
                shutil.copyfile(f, dst_dir / f.name)
        elif f.suffix == ".pdf":
            jobs.append((str(f), str(dst_dir / f"{f.stem}{suffix}.pdf"), f.stem))
            if keep_text:
                shutil.copyfile(f, dst_dir / f.name)


def build_scans(devset: Path, out: Path, layouts: list[str] | None = None, workers: int = 1,
                damage: str = "heavy") -> dict:
    """Write the scanned variant of `devset` under `out`; returns {"layouts", "documents", "damage"}."""
    for stale in ("compile", "layouts"):
        if (out / stale).exists():
            shutil.rmtree(out / stale)
    out.mkdir(parents=True, exist_ok=True)
    jobs: list[tuple[str, str, str]] = []
    for dt_dir in sorted((devset / "compile").iterdir()):
        if dt_dir.is_dir():
            _folder(dt_dir, out / "compile" / dt_dir.name, SCAN_SUFFIX, jobs, keep_text=True)
    names = sorted(p.name for p in (devset / "layouts").iterdir() if p.is_dir())
    if layouts:
        unknown = set(layouts) - set(names)
        if unknown:
            raise SystemExit(f"unknown layouts: {', '.join(sorted(unknown))}")
        names = [n for n in names if n in layouts]
    for name in names:
        for dt_dir in sorted((devset / "layouts" / name).iterdir()):
            if dt_dir.is_dir():
                _folder(dt_dir, out / "layouts" / name / dt_dir.name, "", jobs, keep_text=False)
    job = partial(_job, damage=damage)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(job, jobs))
    else:
        for j in jobs:
            job(j)
    if (devset / "manifest.json").exists():
        shutil.copyfile(devset / "manifest.json", out / "manifest.json")
    return {"layouts": len(names), "documents": len(jobs), "damage": damage}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.devset.scans", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", type=Path, required=True, help="a built dev set (python -m eval.devset)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--layouts", default="", help="comma-separated layout folder names (default: all)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--damage", choices=("heavy", "light"), default="heavy",
                    help="heavy: the corpus's HEAVY chain (default); light: slight skew, blur and noise")
    a = ap.parse_args()
    if a.out.resolve() == a.devset.resolve():
        raise SystemExit("--out must differ from --devset")
    res = build_scans(a.devset, a.out, [s for s in a.layouts.split(",") if s] or None, a.workers, a.damage)
    print(f"dev-set scans: {res['documents']} documents in {res['layouts']} layouts (+ compile) under {a.out}")
    (a.out / "scans.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
