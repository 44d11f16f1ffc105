"""Dev-set summary: scalar and table-cell micro F1 per layout and per column, from `docc eval`
report.json files (one sample root per layout), optionally side by side with an earlier report.

`python -m eval.devset.summary reports/devset/report.json [--before OLD/report.json] [--out X.md]
[--manifest DEVSET/manifest.json]`

With `--manifest`, a second table scores tables over *complete* gold only. Why: a document's gold
table can be known incomplete (`incomplete_tables` in the manifest: an entry the page prints that
the builder could not label), and the samples contract has no "unlabeled" marker, so such a
table would count the extractor's correct rows as false positives. The golden files keep the rows
that were labeled (they are still right, and the compiler learns from them); this table re-scores
`extracted.jsonl` (written by `docc eval` beside report.json, extracted and golden values per
document) with the one scorer (`eval.metrics`), leaving each incomplete (document, table) out on
both sides. Scalars are unchanged.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.metrics import DocTypeScore
from extractors.schema import Schema
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


def incomplete_tables(manifest: dict) -> dict[str, set[str]]:
    """doc id -> the table fields whose gold is known incomplete."""
    return {d["id"]: set(d.get("incomplete_tables") or []) for d in manifest.get("documents", [])}


def complete_only(report: dict, records: list[dict], incomplete: dict[str, set[str]]) -> tuple[dict, int]:
    """The report's sets re-scored from per-document records with every incomplete (document,
    table) left out on both sides; returns (report-shaped dict, number of tables left out)."""
    out: dict = {"sets": {}}
    left_out = 0
    for name, s in sorted(report["sets"].items()):
        doc_types = {}
        for dt in s["doc_types"]:
            schema = Schema.load(Path(s["root"]) / dt / "schema.yaml")
            acc = DocTypeScore(schema)
            for rec in records:
                if rec["set"] != name or rec["doc_type"] != dt:
                    continue
                skip = incomplete.get(rec["doc_id"], set()) & set(schema.fields)
                left_out += len(skip)
                got = {k: v for k, v in (rec.get("extracted") or {}).items() if k not in skip}
                want = {k: v for k, v in (rec.get("golden") or {}).items() if k not in skip}
                acc.add(rec["doc_id"], got if rec.get("extracted") is not None else None, want, rec.get("error"))
            doc_types[dt] = acc.as_dict()
        out["sets"][name] = {"doc_types": doc_types}
    return out, left_out


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
    ap = argparse.ArgumentParser(prog="python -m eval.devset.summary", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", type=Path)
    ap.add_argument("--before", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--manifest", type=Path, help="the dev set's manifest.json: add table F1 over complete gold tables")
    a = ap.parse_args()
    report = json.loads(a.report.read_text())
    text = markdown(report, json.loads(a.before.read_text()) if a.before else None)
    if a.manifest:
        records = [json.loads(line) for line in (a.report.parent / "extracted.jsonl").read_text().splitlines() if line.strip()]
        rescored, left_out = complete_only(report, records, incomplete_tables(json.loads(a.manifest.read_text())))
        text += (f"\n### Complete gold tables only\n\n{left_out} (document, table) pairs whose gold is known "
                 "incomplete (manifest `incomplete_tables`) are left out of both sides.\n\n" + markdown(rescored))
    if a.out:
        a.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
