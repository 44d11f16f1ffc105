"""Time the extraction step alone: the locked `extract(doc)` on already-ingested documents.

    python -m eval.bench.extract_bench [--extractors DIR] [--samples DIR] [--repeat N]

Writes `eval/bench/results/extract.json`: per doc type, median and p95 milliseconds per
document over every sample (text layer and OCR), with the machine's load average noted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from extractors.artifacts import load_locked
from extractors.schema import discover
from pipeline.ingest import ingest_many

RESULTS = Path(__file__).with_name("results") / "extract.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extractors", type=Path, default=Path("extractors/compiled"))
    ap.add_argument("--samples", type=Path, default=Path("data/samples"))
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    extractors = load_locked(args.extractors)
    out: dict = {"load_avg_1min_at_start": round(os.getloadavg()[0], 2), "repeat": args.repeat, "doc_types": {}}
    for sample_set in discover(args.samples):
        fn = extractors[sample_set.doc_type].extract
        docs = [d for _, d in ingest_many([s.path for s in sample_set.samples], workers=2) if not isinstance(d, Exception)]
        times = []
        for doc in docs:
            fn(doc)  # warm caches the way a long batch would
            t0 = time.perf_counter()
            for _ in range(args.repeat):
                fn(doc)
            times.append((time.perf_counter() - t0) / args.repeat * 1000)
        times.sort()
        out["doc_types"][sample_set.doc_type] = {
            "documents": len(docs),
            "pages": sum(len(d.pages) for d in docs),
            "median_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
