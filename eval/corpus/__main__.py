"""python -m eval.corpus --out data/samples --heldout tests/heldout [--seed N]
python -m eval.corpus --bench N --modality text|scan [--damage heavy] --out DIR [--doc-type T ...]"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from . import DOC_TYPES, write_bench, write_corpus
from .scan import SCAN_FORMATS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.corpus", description="Generate the labeled sample corpus.")
    ap.add_argument("--out", type=Path, required=True, help="samples root (e.g. data/samples) or bench output dir")
    ap.add_argument("--heldout", type=Path, help="where held-out layouts go (e.g. tests/heldout)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bench", type=int, metavar="N", help="write N benchmark documents instead of the corpus")
    ap.add_argument("--modality", choices=["text", "scan"], default="text", help="benchmark documents' modality")
    ap.add_argument("--scan-format", choices=list(SCAN_FORMATS),
                    help="benchmark scans: one container for all (default: mixed)")
    ap.add_argument("--damage", choices=["light", "heavy"], default="light",
                    help="benchmark scans: light (skew, blur, noise) or heavy (fills, inverted cells, holes, fax...)")
    ap.add_argument("--doc-type", action="append", choices=DOC_TYPES, help="benchmark: only these doc types")
    ap.add_argument("--no-heldout-layouts", action="store_true", help="benchmark: sample layouts only")
    a = ap.parse_args(argv)
    if a.bench is not None:
        paths = write_bench(a.out, a.bench, a.modality, a.seed, a.doc_type, not a.no_heldout_layouts,
                            a.scan_format, damage=a.damage)
    else:
        paths = write_corpus(a.out, a.heldout, a.seed)
    counts = Counter((p.parent.parent.name, p.parent.name, p.suffix) for p in paths)
    for (root, dt, ext), n in sorted(counts.items()):
        print(f"{root}/{dt}: {n} {ext}")
    print(f"{len(paths)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
