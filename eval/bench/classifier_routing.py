"""Routing with one or few doc types: how the classifier built from `data/samples` treats the
samples and the held-out layouts, with all types compiled and with each type alone, with and
without the built-in background corpus.

    python -m eval.bench.classifier_routing [--samples data/samples] [--heldout tests/heldout]

Prints, per model, its thresholds and per folder how many documents were routed right (their
own type when the model knows it, `unknown` when it does not).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from extractors import classifier as C
from extractors.schema import discover
from pipeline.ingest import ingest_many


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=Path("data/samples"))
    ap.add_argument("--heldout", type=Path, default=Path("tests/heldout"))
    args = ap.parse_args()
    docs = {}
    for root in (args.samples, args.heldout):
        for ss in discover(root):
            docs[(root.name, ss.doc_type)] = [d for _, d in ingest_many([s.path for s in ss.samples], workers=1)]
    types = sorted({t for _, t in docs})
    for label, background in (("no background", []), ("built-in background", None)):
        print(f"== {label}")
        for model_types in [types] + [[t] for t in types]:
            model = C.build_classifier({t: docs[(args.samples.name, t)] for t in model_types}, background=background)
            right = {}
            for (root, t), ds in sorted(docs.items()):
                want = t if t in model_types else None
                right[f"{root}/{t}"] = f"{sum(C.classify(model, d)[0] == want for d in ds)}/{len(ds)}"
            print(f"{'+'.join(model_types)}: thresholds {model['thresholds']}")
            print(f"   routed right: {right}")


if __name__ == "__main__":
    main()
