"""`python -m eval.devset --out DIR`: build the dev set (see eval.devset.build)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from eval.devset.build import build

# ../shared beside the repository (a checkout or CI clone), or two levels up (a worktree)
_CANDIDATES = [Path(__file__).resolve().parents[n] / "shared" / "devsets" / "onc-2015-ccda" for n in (3, 4)]
DEFAULT_SOURCE = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[0])


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.devset", description=__doc__)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the onc-2015-ccda folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--xsl-per-product", type=int, default=1, help="XML documents per product rendered with the CDA stylesheet")
    ap.add_argument("--kinds", default="pdf,html,xsl", help="sources to use: pdf, html, xsl")
    a = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    m = build(a.source, a.out, a.xsl_per_product, tuple(a.kinds.split(",")))
    print(f"dev set: {m['counts']} documents, {len(m['skipped'])} skipped; manifest {a.out / 'manifest.json'}")


if __name__ == "__main__":
    main()
