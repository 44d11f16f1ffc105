"""Ingest benchmark: text-layer pages/s, scanned pages/s on 1 and 2 workers, OCR accuracy.

    python -m eval.bench.ingest_bench [--text-pages 200] [--scan-pages 8] [--samples data/samples]

Writes eval/bench/results/ingest.json and prints it. Wall-clock rates on a shared machine
move with the load, so CPU seconds (this process plus its children) and the load average are
recorded next to them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import IngestError
from pipeline.ingest import ingest, ingest_many, iter_inputs, tesseract_version

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"

VOCAB = (
    "patient name date of birth mrn collected reported physician glucose hemoglobin a1c creatinine "
    "sodium potassium chloride cholesterol triglycerides result units reference range flag high low "
    "normal mg/dL mmol/L g/dL % 98 6.1 0.92 139 4.4 212 70-99 4.0-5.6 134-144 2024-02-11 03/14/1962 "
    "comments specimen received fasting clinic laboratory diagnosis medication dose tablet daily"
).split()


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _load() -> float:
    return round(os.getloadavg()[0], 2)


# --- documents ----------------------------------------------------------------------------------


def make_text_pdfs(folder: Path, pages: int, per_doc: int = 20, lines: int = 46, words_per_line: int = 8, seed: int = 1) -> list[Path]:
    """Text-layer PDFs of a typical report density (~370 words, ~2,300 characters a page)."""
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    paths = []
    for d in range((pages + per_doc - 1) // per_doc):
        p = folder / f"text_{d:03d}.pdf"
        c = canvas.Canvas(str(p))
        for _ in range(min(per_doc, pages - d * per_doc)):
            c.setFont("Helvetica-Bold", 13)
            c.drawString(54, 800, "RIVERSIDE MEDICAL LABORATORY")
            c.setFont("Helvetica", 9.5)
            for li in range(lines):
                c.drawString(54, 770 - li * 15.5, " ".join(rng.choice(VOCAB) for _ in range(words_per_line)))
            c.showPage()
        c.save()
        paths.append(p)
    return paths


def make_scans(folder: Path, pages: int, dpi: int = 300) -> tuple[list[Path], list[list[str]]]:
    """Noisy 300-dpi image-only PDFs (one page each) and the words printed on them."""
    from reportlab.pdfgen import canvas
    import pypdfium2 as pdfium

    rng = random.Random(3)
    paths, truths = [], []
    for i in range(pages):
        src = folder / f"_src_{i}.pdf"
        c = canvas.Canvas(str(src))
        c.setFont("Helvetica-Bold", 14)
        c.drawString(60, 780, "RIVERSIDE MEDICAL LABORATORY")
        words = ["RIVERSIDE", "MEDICAL", "LABORATORY"]
        c.setFont("Helvetica", 10.5)
        for li in range(34):
            line = [rng.choice(VOCAB) for _ in range(7)]
            c.drawString(60, 750 - li * 20, " ".join(line))
            words += line
        c.showPage()
        c.save()
        img = pdfium.PdfDocument(str(src))[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        img = img.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, fillcolor=255)
        a = np.asarray(img, dtype=np.float32) + np.random.default_rng(i).normal(0, 14, (img.height, img.width))
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
        p = folder / f"scan_{i:02d}.pdf"
        img.save(p, format="PDF", resolution=float(dpi))
        src.unlink()
        paths.append(p)
        truths.append(words)
    return paths, truths


def word_accuracy(expected: list[str], got: list[str]) -> float:
    prev = [0] * (len(got) + 1)
    for e in expected:
        cur = [0]
        for j, g in enumerate(got):
            cur.append(prev[j] + 1 if e == g else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1] / len(expected) if expected else 1.0


# --- measurements -------------------------------------------------------------------------------


def bench_text(folder: Path, pages: int) -> dict:
    paths = make_text_pdfs(folder, pages)
    ingest(paths[0], cache_dir=None)  # warm imports and pdfium
    t0, c0, l0 = time.perf_counter(), _cpu(), _load()
    n = words = 0
    for p in paths:
        doc = ingest(p, cache_dir=None)
        n += len(doc.pages)
        words += sum(len(pg.words) for pg in doc.pages)
        assert all(pg.source == "text-layer" for pg in doc.pages)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    t1 = time.perf_counter()
    n2 = sum(len(d.pages) for _, d in ingest_many(paths, workers=2, cache_dir=None))
    wall2 = time.perf_counter() - t1
    return {
        "pages": n,
        "words_per_page": round(words / n, 1),
        "pages_per_s_1_process_wall": round(n / wall, 1),
        "pages_per_cpu_s": round(n / cpu, 1),
        "pages_per_s_2_workers_wall": round(n2 / wall2, 1),
        "load_avg_1min_at_start": l0,
    }


def bench_scans(folder: Path, pages: int) -> dict:
    paths, truths = make_scans(folder, pages)
    out: dict = {"pages": pages, "dpi": 300}
    # One worker, in this process: Tesseract CPU seconds per page are the children's CPU time.
    t0, c0, l0 = time.perf_counter(), _cpu(), _load()
    accs = []
    for p, truth in zip(paths, truths):
        doc = ingest(p, cache_dir=None)
        accs.append(word_accuracy(truth, [w.text for w in doc.pages[0].words]))
    wall1, cpu1 = time.perf_counter() - t0, _cpu() - c0
    out["workers_1"] = {"pages_per_s_wall": round(pages / wall1, 3), "s_per_page_wall": round(wall1 / pages, 3),
                        "cpu_s_per_page": round(cpu1 / pages, 3), "load_avg_1min_at_start": l0}
    t1, l1 = time.perf_counter(), _load()
    n = 0
    for _, r in ingest_many(paths, workers=2, cache_dir=None):
        assert not isinstance(r, IngestError), r
        n += len(r.pages)
    wall2 = time.perf_counter() - t1
    out["workers_2"] = {"pages_per_s_wall": round(n / wall2, 3), "load_avg_1min_at_start": l1}
    # What Tesseract allows on this machine: cores / one-thread seconds per page.
    cores = os.cpu_count() or 1
    allowed = min(cores, 2) / (cpu1 / pages)
    out["tesseract_allows_pages_per_s"] = round(allowed, 3)
    out["workers_2_share_of_allowed"] = round((n / wall2) / allowed, 3)
    out["ocr_word_accuracy_mean"] = round(float(np.mean(accs)), 4)
    out["ocr_word_accuracy_min"] = round(float(np.min(accs)), 4)
    return out


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.\-/][A-Za-z0-9]+)*")


def _tokens(s: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(s)]


def _golden_tokens(obj) -> list[str]:
    out: list[str] = []
    if isinstance(obj, dict):
        for v in obj.values():
            out += _golden_tokens(v)
    elif isinstance(obj, list):
        for v in obj:
            out += _golden_tokens(v)
    elif isinstance(obj, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", obj):  # canonical dates are re-formatted in print
            out += _tokens(obj)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out += _tokens(str(obj))
    return out


def bench_samples(samples: Path, cache: Path) -> dict:
    """Recall of golden-value tokens in the ingested text, scanned vs text-layer samples.

    The golden JSON holds field values, not the page text, so this is a proxy: the share of
    value tokens (names, IDs, numbers, codes; canonical dates excluded) that appear among the
    document's words. Text-layer samples give the ceiling of the proxy itself.
    """
    files = [p for p in iter_inputs([samples]) if p.with_suffix(".json").exists()]
    if not files:
        return {"available": False}
    by = {"ocr": [], "text-layer": []}
    per_type: dict[str, dict[str, list[float]]] = {}
    errors = {}
    t0 = time.perf_counter()
    for p, r in ingest_many(files, workers=2, cache_dir=cache):
        if isinstance(r, IngestError):
            errors[str(p)] = r.kind
            continue
        gold = _golden_tokens(json.loads(p.with_suffix(".json").read_text()))
        if not gold:
            continue
        have: dict[str, int] = {}
        for pg in r.pages:
            for w in pg.words:
                for t in _tokens(w.text):
                    have[t] = have.get(t, 0) + 1
        hit = 0
        for t in gold:
            if have.get(t, 0) > 0:
                have[t] -= 1
                hit += 1
        src = "ocr" if any(pg.source == "ocr" for pg in r.pages) else "text-layer"
        by[src].append(hit / len(gold))
        per_type.setdefault(p.parent.name, {"ocr": [], "text-layer": []})[src].append(hit / len(gold))
    res = {
        "available": True,
        "documents": len(files),
        "errors": errors,
        "seconds": round(time.perf_counter() - t0, 1),
        "golden_token_recall_scanned": round(float(np.mean(by["ocr"])), 4) if by["ocr"] else None,
        "golden_token_recall_text_layer": round(float(np.mean(by["text-layer"])), 4) if by["text-layer"] else None,
        "scanned_documents": len(by["ocr"]),
        "text_layer_documents": len(by["text-layer"]),
        "per_doc_type": {
            k: {s: (round(float(np.mean(v)), 4) if v else None) for s, v in d.items()} for k, d in sorted(per_type.items())
        },
    }
    if res["golden_token_recall_scanned"] and res["golden_token_recall_text_layer"]:
        res["scanned_relative_to_text_layer"] = round(res["golden_token_recall_scanned"] / res["golden_token_recall_text_layer"], 4)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.bench.ingest_bench")
    ap.add_argument("--text-pages", type=int, default=200)
    ap.add_argument("--scan-pages", type=int, default=8)
    ap.add_argument("--samples", type=Path, default=ROOT / "data" / "samples")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "tesseract": tesseract_version()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "note": "wall-clock rates mean something only when load_avg_1min_at_start is below the core count; "
                "pages_per_cpu_s and cpu_s_per_page hold up better on a shared machine",
    }
    with tempfile.TemporaryDirectory(prefix="docc-ingest-bench-") as tmp:
        tmp = Path(tmp)
        (tmp / "text").mkdir()
        (tmp / "scan").mkdir()
        results["text_layer"] = bench_text(tmp / "text", a.text_pages)
        print("text layer:", json.dumps(results["text_layer"]), flush=True)
        results["scanned"] = bench_scans(tmp / "scan", a.scan_pages)
        print("scanned:", json.dumps(results["scanned"]), flush=True)
        if a.samples.is_dir():
            results["samples"] = bench_samples(a.samples, tmp / "cache")
        else:
            results["samples"] = {"available": False}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
