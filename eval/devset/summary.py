"""Dev-set summary: scalar and table-cell micro F1 per layout and per column, from `docc eval`
report.json files (one sample root per layout), optionally side by side with an earlier report.

`python -m eval.devset.summary reports/devset/report.json [--before OLD/report.json] [--out X.md]`
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from extractors.scoring import Counts


def _add(c: Counts, f: dict) -> None:
    c.add(Counts(f["tp"], f["fp"], f["fn"]))


def summarise(report: dict) -> dict:
    """{layout: {"docs", "scalar", "cells", columns...}} plus an "all layouts" row (pooled counts)."""
    rows: dict[str, dict] = {}
    pooled: dict[str, Counts] = {}
    docs_all = 0
    for layout, s in sorted(report["sets"].items()):
        counts: dict[str, Counts] = {"scalar": Counts(), "cells": Counts()}
        docs = 0
        for dt in s["doc_types"].values():
            docs += dt["n_docs"]
            for name, f in dt["fields"].items():
                if f["type"] == "table":
                    _add(counts["cells"], f)
                    for col, cf in f["columns"].items():
                        _add(counts.setdefault(f"{name}.{col}", Counts()), cf)
                else:
                    _add(counts["scalar"], f)
        rows[layout] = {"docs": docs, **counts}
        docs_all += docs
        for k, c in counts.items():
            pooled.setdefault(k, Counts()).add(c)
    rows["all layouts"] = {"docs": docs_all, **pooled}
    return rows


def _f1(c: Counts | None) -> str:
    return "-" if c is None or (c.tp + c.fp + c.fn) == 0 else f"{c.f1:.2f}"


def markdown(after: dict, before: dict | None = None) -> str:
    a = summarise(after)
    b = summarise(before) if before else {}
    cols = sorted({k for r in a.values() for k in r if "." in k})
    out = ["| layout | docs | scalar F1 | table-cell F1 | " + " | ".join(cols) + " |",
           "|---|---|---|---|" + "---|" * len(cols)]
    for layout, r in a.items():
        def cell(key: str) -> str:
            now = _f1(r.get(key))
            if layout in b:
                return f"{_f1(b[layout].get(key))} → {now}"
            return now
        out.append(f"| {layout} | {r['docs']} | {cell('scalar')} | {cell('cells')} | " + " | ".join(cell(c) for c in cols) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m eval.devset.summary", description=__doc__)
    ap.add_argument("report", type=Path)
    ap.add_argument("--before", type=Path)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    text = markdown(json.loads(a.report.read_text()), json.loads(a.before.read_text()) if a.before else None)
    if a.out:
        a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
