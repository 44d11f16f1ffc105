"""Batch benchmark: `docc run` over generated corpora of N documents.

    python -m eval.bench.batch_bench [--sizes 100,1000,10000] [--scan 100] [--workers 1,2]
                                     [--scaling-size 1000] [--extractors extractors/compiled]
                                     [--work ~/.cache/docc/bench] [--quick]

For each size N (text-layer PDFs from `python -m eval.corpus --bench N --modality text`) it runs
`docc run` as a subprocess on 2 workers into a fresh output folder and records: docs/s (wall),
ms per document for the extraction step alone (the locked `extract(doc)` call, measured in the
workers), peak RSS of the driver and of every worker (sampled from the process tree) plus the
first/last worker RSS (flat memory over a long batch), and the time of an incremental re-run
that finds nothing to do. The scaling run repeats one size on 1 and 2 workers. The scan run
OCRs N scanned documents (fresh OCR cache) and reports pages/s against what Tesseract allows
on this machine (workers / one-thread seconds per page, from the workers' own OCR timings).

Writes eval/bench/results/batch.json and batch.md. Wall-clock numbers on a shared machine move
with the load; the 1-minute load average is recorded next to each run. Generated corpora are
cached under --work (they take ~1 min per 1,000 documents to write).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from pipeline.settings import settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
DOC_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def corpus(work: Path, n: int, modality: str) -> Path:
    """A folder with exactly n benchmark documents (generated once, then cached)."""
    full = work / f"{modality}_{n}"
    if full.exists() and (full / ".complete").exists():
        return full
    # reuse a bigger corpus of the same modality through hard links to its first n documents
    bigger = sorted((p for p in work.glob(f"{modality}_*") if (p / ".complete").exists() and int(p.name.split("_")[1]) > n),
                    key=lambda p: int(p.name.split("_")[1]))
    if full.exists():
        shutil.rmtree(full)
    if bigger:
        # generation order (index, then layout) cycles over doc types and layouts: a fair subset
        docs = sorted((p for p in bigger[0].rglob("*") if p.suffix.lower() in DOC_SUFFIXES),
                      key=lambda p: (p.stem.rsplit("_", 1)[-1], p.stem, str(p)))[:n]
        for p in docs:
            dest = full / p.relative_to(bigger[0])
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(p, dest)
    else:
        print(f"generating {n} {modality} documents into {full} ...", flush=True)
        subprocess.run([sys.executable, "-m", "eval.corpus", "--bench", str(n), "--modality", modality, "--out", str(full)],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    (full / ".complete").write_text("ok")
    return full


class TreeSampler(threading.Thread):
    """Samples the RSS of a process and its descendants every `period` seconds."""

    def __init__(self, pid: int, period: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.samples: dict[int, list[float]] = {}
        self.names: dict[int, str] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                try:
                    rss = p.memory_info().rss / 2**20
                    if p.pid not in self.names:
                        self.names[p.pid] = " ".join(p.cmdline()[:4])[:120]
                except psutil.Error:
                    continue
                self.samples.setdefault(p.pid, []).append(rss)
            self.stop.wait(self.period)


def run_docc(inputs: Path, out: Path, extractors: Path, workers: int, env: dict | None = None, engine: str = "local") -> dict:
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(inputs), "--out", str(out), "--extractors", str(extractors),
           "--workers", str(workers), "--engine", engine]
    load0 = _load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "DOCC_LOG_LEVEL": "WARNING", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"docc run failed ({proc.returncode}): {stderr.decode()[-3000:]}")
    run = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    workers_rss = {pid: s for pid, s in sampler.samples.items() if str(pid) in run["peak_rss_mb_per_worker"]}
    driver = sampler.samples.get(proc.pid, [0.0])
    return {
        "inputs": run["inputs"], "workers": workers, "engine": engine,
        "wall_s": round(wall, 2), "run_s": run["seconds"],
        "docs_per_s": round(run["inputs"] / wall, 2) if wall else None,
        "docs_per_s_in_run": run["docs_per_s"],
        "exported": run["exported"], "review": run["review"], "quarantined": run["quarantined"], "unchanged": run["unchanged"],
        "extract_ms_per_doc": run["extract_ms_per_doc"],
        "worker_seconds": run["worker_seconds"],
        "validate_s": run["validate_s"], "validations": run["validations"],
        "ocr_pages_per_s_per_worker": run["ocr_pages_per_s_per_worker"],
        "peak_rss_mb_driver": round(max(driver), 1),
        "peak_rss_mb_per_worker": {str(k): round(max(v), 1) for k, v in sorted(workers_rss.items())},
        "worker_rss_first_last_mb": {str(k): [round(v[0], 1), round(v[-1], 1)] for k, v in sorted(workers_rss.items())},
        "load_avg_1m": [load0, _load()],
    }


def ensure_extractors(path: Path, work: Path) -> Path:
    if (path / "extractors.lock").exists():
        return path
    compiled = work / "compiled"
    if not (compiled / "extractors.lock").exists():
        print(f"{path} holds no compiled extractors: compiling with the synth backend into {compiled} ...", flush=True)
        subprocess.run([sys.executable, "-m", "pipeline.cli", "compile", "--backend", "synth", "--accept-weak", "--out", str(compiled)],
                       cwd=ROOT, check=True)
    return compiled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.bench.batch_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000", help="text-layer corpus sizes (comma-separated)")
    ap.add_argument("--scan", type=int, default=100, help="scanned documents (0 to skip)")
    ap.add_argument("--workers", default="1,2", help="worker counts for the scaling run")
    ap.add_argument("--scaling-size", type=int, default=1000, help="corpus size for the workers scaling run")
    ap.add_argument("--extractors", type=Path, default=ROOT / "extractors" / "compiled")
    ap.add_argument("--work", type=Path, default=settings().bench_work or Path.home() / ".cache" / "docc" / "bench")
    ap.add_argument("--quick", action="store_true", help="sizes 100, scan 10, scaling size 100")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--merge", action="store_true", help="update an existing batch.json: replace only the runs made now")
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.scan, a.scaling_size = "100", min(a.scan, 10), 100
    sizes = [int(x) for x in a.sizes.split(",") if x]
    worker_counts = [int(x) for x in a.workers.split(",") if x]
    a.work.mkdir(parents=True, exist_ok=True)
    extractors = ensure_extractors(a.extractors, a.work)
    report: dict = {"machine": {"cpus": os.cpu_count(), "load_avg_1m_start": _load()}, "extractors": str(extractors),
                    "text": [], "scaling": [], "scan": None, "rerun": None}
    tmp = Path(tempfile.mkdtemp(prefix="docc-batch-bench-"))
    try:
        for n in sorted(sizes, reverse=True):  # biggest first: smaller corpora are hard links into it
            corpus(a.work, n, "text")
        for n in sorted(sizes):
            inputs = corpus(a.work, n, "text")
            out = tmp / f"text_{n}"
            r = run_docc(inputs, out, extractors, max(worker_counts))
            print(f"text N={n}: {r['docs_per_s']} docs/s, extract {r['extract_ms_per_doc']} ms/doc, "
                  f"worker peak RSS {r['peak_rss_mb_per_worker']} MB (load {r['load_avg_1m']})", flush=True)
            report["text"].append({"n": n, **r})
            if n == max(sizes):
                rr = run_docc(inputs, out, extractors, max(worker_counts))
                report["rerun"] = {"n": n, "wall_s": rr["wall_s"], "unchanged": rr["unchanged"]}
                print(f"re-run N={n}: {rr['wall_s']} s, {rr['unchanged']} unchanged", flush=True)
            shutil.rmtree(out, ignore_errors=True)
        inputs = corpus(a.work, a.scaling_size, "text")
        for w in worker_counts:
            out = tmp / f"scale_{w}"
            r = run_docc(inputs, out, extractors, w)
            print(f"scaling N={a.scaling_size} workers={w}: {r['docs_per_s']} docs/s", flush=True)
            report["scaling"].append({"n": a.scaling_size, **r})
            shutil.rmtree(out, ignore_errors=True)
        if a.scan:
            inputs = corpus(a.work, a.scan, "scan")
            out = tmp / "scan"
            cache = tmp / "ocr-cache"  # fresh: every page is really OCR'd
            w = max(worker_counts)
            r = run_docc(inputs, out, extractors, w, env={"DOCC_CACHE_DIR": str(cache)})
            ws = r["worker_seconds"]
            pages = ws.get("ocr_pages", 0)
            one_thread_s_per_page = ws["ocr_s"] / pages if pages else None
            bound = (w / one_thread_s_per_page) if one_thread_s_per_page else None
            wall_pages = pages / r["wall_s"] if r["wall_s"] else None
            r.update({
                "n": a.scan, "ocr_pages": pages,
                "pages_per_s_wall": round(wall_pages, 3) if wall_pages else None,
                "one_thread_s_per_page": round(one_thread_s_per_page, 3) if one_thread_s_per_page else None,
                "tesseract_bound_pages_per_s": round(bound, 3) if bound else None,
                "fraction_of_bound": round(wall_pages / bound, 3) if bound and wall_pages else None,
            })
            report["scan"] = r
            print(f"scan N={a.scan}: {r['pages_per_s_wall']} pages/s, bound {r['tesseract_bound_pages_per_s']} "
                  f"({r['fraction_of_bound']})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["machine"]["load_avg_1m_end"] = _load()
    a.out.mkdir(parents=True, exist_ok=True)
    if a.merge and (a.out / "batch.json").exists():
        old = json.loads((a.out / "batch.json").read_text())
        done = {t["n"] for t in report["text"]}
        report["text"] = sorted([t for t in old.get("text", []) if t["n"] not in done] + report["text"], key=lambda t: t["n"])
        done = {(t["n"], t["workers"]) for t in report["scaling"]}
        report["scaling"] = sorted([t for t in old.get("scaling", []) if (t["n"], t["workers"]) not in done] + report["scaling"],
                                   key=lambda t: (t["n"], t["workers"]))
        for key in ("scan", "rerun"):
            report[key] = report[key] or old.get(key)
        report["machine"]["load_avg_1m_start"] = [old["machine"].get("load_avg_1m_start"), report["machine"]["load_avg_1m_start"]]
    (a.out / "batch.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    (a.out / "batch.md").write_text(markdown(report))
    print(f"wrote {a.out / 'batch.json'} and {a.out / 'batch.md'}")
    return 0


def markdown(r: dict) -> str:
    lines = ["# Batch benchmark (`docc run`)", "",
             f"Machine: {r['machine']['cpus']} CPUs; 1-min load average {r['machine']['load_avg_1m_start']} at start, "
             f"{r['machine'].get('load_avg_1m_end')} at end (a shared machine: wall-clock rates move with the load).",
             f"Extractors: `{r['extractors']}`.", "",
             "## Text-layer PDFs", "",
             "| N | workers | docs/s | wall s | extract ms/doc | exported / review / quarantined | driver peak RSS MB | worker peak RSS MB | worker RSS first→last MB | load |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for t in r["text"]:
        lines.append(f"| {t['n']} | {t['workers']} | {t['docs_per_s']} | {t['wall_s']} | {t['extract_ms_per_doc']} | "
                     f"{t['exported']} / {t['review']} / {t['quarantined']} | {t['peak_rss_mb_driver']} | "
                     f"{', '.join(map(str, t['peak_rss_mb_per_worker'].values()))} | "
                     f"{', '.join(f'{a}→{b}' for a, b in t['worker_rss_first_last_mb'].values())} | {t['load_avg_1m']} |")
    if r.get("rerun"):
        lines += ["", f"Incremental re-run over N={r['rerun']['n']} with nothing changed: {r['rerun']['wall_s']} s "
                      f"({r['rerun']['unchanged']} unchanged)."]
    lines += ["", "## Scaling with workers", "", "| N | workers | docs/s | wall s | load |", "|---|---|---|---|---|"]
    for t in r["scaling"]:
        lines.append(f"| {t['n']} | {t['workers']} | {t['docs_per_s']} | {t['wall_s']} | {t['load_avg_1m']} |")
    s = r.get("scan")
    if s:
        lines += ["", "## Scanned documents (OCR)", "",
                  f"{s['n']} documents, {s['ocr_pages']:.0f} OCR'd pages on {s['workers']} workers: "
                  f"{s['pages_per_s_wall']} pages/s wall; Tesseract one-thread {s['one_thread_s_per_page']} s/page "
                  f"→ bound {s['tesseract_bound_pages_per_s']} pages/s; {s['fraction_of_bound']} of the bound "
                  f"(load {s['load_avg_1m']}). Worker peak RSS MB: {', '.join(map(str, s['peak_rss_mb_per_worker'].values()))}."]
    lines += ["", "Columns: docs/s = inputs / wall time of the whole `docc run` process (start-up, walk, hashing, ingest, "
                  "classification, extraction, Great Expectations validation, FHIR, outputs). extract ms/doc = the locked "
                  "`extract(doc)` call alone, timed inside the workers.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
