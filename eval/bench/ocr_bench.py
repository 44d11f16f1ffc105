"""OCR throughput of a profile against its bound, beside a baseline profile measured in the same run.

    python -m eval.bench.ocr_bench [--profile clean] [--baseline default] [--docs 12] [--blank 2] [--repeat 3]

The pages are heavy-damage scans of the corpus generator (`eval.corpus --damage heavy`) plus
blank scanned pages (paper tone, noise, a photocopy shadow). For each profile:

- one thread: every page OCR'd in this process, in turn; seconds per page (wall, and CPU of
  this process plus its Tesseract children);
- bound = cores / one-thread seconds per page (what the cores allow if nothing is lost to
  parallel overhead); measured both from wall time and from CPU time;
- parallel: `ingest_many` on `cores` worker processes, no cache; pages/s and pages/s ÷ bound.

Page counts and rates are of the damaged pages; blank pages (each its own document, which
ingest reports as "empty") are counted apart.

Blank pages must cost no OCR: the one-thread pass counts Tesseract calls per page and the
result records whether any blank page reached Tesseract. Wall-clock rates mean little when the
1-minute load average exceeds the core count (recorded at each step); the CPU-based figures hold
up better on a shared machine. Writes eval/bench/results/ocr.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import IngestError
from pipeline.ingest import ingest, ingest_many, ocr, tesseract_version

RESULTS = Path(__file__).resolve().parent / "results" / "ocr.json"
DOC_TYPES = ("lab_report", "discharge_summary", "prescription", "claim_cms1500")


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def make_pages(folder: Path, docs: int, blank: int, dpi: int = 300) -> tuple[list[Path], list[Path]]:
    """Heavy-damage corpus scans (round-robin over doc types) and blank scanned pages."""
    per_type = {dt: docs // len(DOC_TYPES) + (1 if i < docs % len(DOC_TYPES) else 0) for i, dt in enumerate(DOC_TYPES)}
    for dt, n in per_type.items():
        if n:
            subprocess.run([sys.executable, "-m", "eval.corpus", "--bench", str(n), "--doc-type", dt, "--modality", "scan",
                            "--damage", "heavy", "--scan-format", "pdf", "--out", str(folder / "scans")],
                           check=True, stdout=subprocess.DEVNULL)
    scans = sorted((folder / "scans").glob("*/*.pdf"))
    from eval.corpus.damage import noise, photocopy_shadow

    blanks = []
    for i in range(blank):
        r, rng = random.Random(i), np.random.default_rng(i)
        a = np.full((int(11 * dpi), int(8.5 * dpi)), 238, np.uint8)
        a = noise(photocopy_shadow(a, dpi, r, rng), dpi, r, rng)
        p = folder / f"blank_{i}.pdf"
        Image.fromarray(a, "L").save(p, format="PDF", resolution=float(dpi))
        blanks.append(p)
    return scans, blanks


def one_thread(paths: list[Path], blanks: set[Path], profile: str) -> dict:
    """Every page in this process, one after the other (Tesseract runs one thread). A blank
    document is an IngestError "empty" (nothing to extract): its page counts as blank, not in
    the page rates."""
    pages = blank_pages = blank_ocr_calls = 0
    l0, t0, c0 = _load(), time.perf_counter(), _cpu()
    for p in paths:
        calls = ocr.OCR_CALLS
        try:
            n = len(ingest(p, cache_dir=None, profile=profile).pages)
        except IngestError as e:
            if p not in blanks or e.kind != "empty":
                raise
            n = 1
        if p in blanks:
            blank_pages += n
            blank_ocr_calls += ocr.OCR_CALLS - calls
        else:
            pages += n
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"pages": pages, "s_per_page_wall": round(wall / pages, 3) if pages else None,
            "cpu_s_per_page": round(cpu / pages, 3) if pages else None,
            "blank_pages": blank_pages, "blank_pages_ocr_calls": blank_ocr_calls, "load_avg_1min_at_start": l0}


def _warm() -> None:
    """Run in a pool worker: import what OCR needs before the clock starts."""
    import pipeline.ingest.core  # noqa: F401


def parallel(paths: list[Path], blanks: set[Path], profile: str, workers: int) -> dict:
    """`ingest_many` on a pool started and warmed (modules imported in each worker) beforehand,
    so a short run measures OCR, not the pool's start-up."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver")) as pool:
        for f in [pool.submit(_warm) for _ in range(workers * 2)]:
            f.result()
        l0, t0, c0 = _load(), time.perf_counter(), _cpu()
        pages = 0
        for p, r in ingest_many(paths, workers=workers, cache_dir=None, profile=profile, pool=pool):
            if isinstance(r, IngestError):
                if p in blanks and r.kind == "empty":
                    continue
                raise RuntimeError(f"ingest failed: {r.kind}")
            pages += len(r.pages)
        wall = time.perf_counter() - t0
    return {"workers": workers, "pages": pages, "pages_per_s_wall": round(pages / wall, 4),
            "load_avg_1min_at_start": l0, "wall_s": round(wall, 2), "cpu_s_this_process": round(_cpu() - c0, 2)}


def _median_run(runs: list[dict], key: str) -> dict:
    """The run with the median `key` (an odd count of runs gives a run that happened)."""
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def measure(paths: list[Path], blanks: set[Path], profile: str, cores: int, repeat: int = 3) -> dict:
    """Median of `repeat` one-thread and `repeat` parallel passes: a few seconds of wall time
    per pass moves with the host's other tenants, and the median drops the outliers."""
    one = _median_run([one_thread(paths, blanks, profile) for _ in range(repeat)], "s_per_page_wall")
    par = _median_run([parallel(paths, blanks, profile, cores) for _ in range(repeat)], "pages_per_s_wall")
    one["runs"], par["runs"] = repeat, repeat
    bound_wall = cores / one["s_per_page_wall"]
    bound_cpu = cores / one["cpu_s_per_page"]
    return {
        "profile": profile,
        "one_thread": one,
        "parallel": par,
        "bound_pages_per_s_from_wall": round(bound_wall, 4),
        "bound_pages_per_s_from_cpu": round(bound_cpu, 4),
        "share_of_bound_wall": round(par["pages_per_s_wall"] / bound_wall, 3),
        "share_of_bound_cpu": round(par["pages_per_s_wall"] / bound_cpu, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.bench.ocr_bench")
    ap.add_argument("--profile", default="clean", help="the profile to measure")
    ap.add_argument("--baseline", default="default", help="measured the same way in the same run")
    ap.add_argument("--docs", type=int, default=12, help="heavy-damage corpus documents (1-2 pages each)")
    ap.add_argument("--repeat", type=int, default=3, help="passes per measurement; the median is reported")
    ap.add_argument("--blank", type=int, default=2, help="blank scanned pages mixed in")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    res: dict = {"machine": {"cpus": os.cpu_count(), "cores_used": a.cores, "tesseract": tesseract_version()},
                 "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    with tempfile.TemporaryDirectory(prefix="docc-ocr-bench-") as tmp:
        scans, blanks = make_pages(Path(tmp), a.docs, a.blank)
        # blanks spread among the scans, in a fixed order
        paths = list(scans)
        for i, b in enumerate(blanks):
            paths.insert((i + 1) * len(paths) // (len(blanks) + 1), b)
        res["documents"] = len(paths)
        ingest(scans[0], cache_dir=None)  # imports, pdfium and Tesseract warm
        for name in dict.fromkeys([a.baseline, a.profile]):
            res[name] = measure(paths, set(blanks), name, a.cores, a.repeat)
            print(name, json.dumps(res[name]), flush=True)
    res["blank_pages_cost_no_ocr"] = all(res[n]["one_thread"]["blank_pages_ocr_calls"] == 0 for n in (a.baseline, a.profile))
    res["note"] = ("bound = cores / one-thread seconds per page; share_of_bound = parallel pages/s / bound. "
                   "Wall figures are meaningful only when load_avg_1min_at_start is below the core count.")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
