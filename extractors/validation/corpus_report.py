"""Run a security corpus through stages 1-3 and report recall and false-positive rate.

    python -m extractors.validation.corpus_report tests/security_corpus [--timeout 2] [--json]

The corpus folder holds `malicious/*.py` (every one must be rejected by some stage) and
`benign/*.py` (every one must pass). Candidates run against a small built-in lab-report
schema and three hand-made documents (below), so the report needs no sample data.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from extractors.schema import Schema
from pipeline.document import Document, Page, Word, group_lines

CORPUS_SCHEMA = {
    "doc_type": "corpus_lab",
    "description": "A lab report, for the security corpus",
    "fields": {
        "patient_name": {"type": "person_name"},
        "birth_date": {"type": "date"},
        "mrn": {"type": "identifier"},
        "collected": {"type": "date"},
        "phone": {"type": "phone"},
        "total": {"type": "decimal"},
        "count": {"type": "integer"},
        "results": {"type": "table", "columns": {
            "test_name": {"type": "string"}, "value": {"type": "decimal"},
            "unit": {"type": "string"}, "flag": {"type": "string"}}},
    },
}

_PEOPLE = [
    ("Jane Doe", "03/14/1975", "MRN-0012345", "2024-03-05", "(555) 123-4567", "$1,234.50"),
    ("Omar Haddad", "11/02/1988", "MRN-0099881", "2024-04-17", "555.987.6543", "$87.00"),
    ("Li Wei Chen", "07/30/1961", "A-77120", "2023-12-01", "555-222-1010", "$12,005.25"),
]
_RESULTS = [("Glucose", "95", "mg/dL", ""), ("Sodium", "140", "mmol/L", ""), ("Potassium", "5.9", "mmol/L", "H")]


def _page(number: int, rows: list[list[tuple[str, float]]], conf: float = 1.0) -> Page:
    words = []
    for r, cells in enumerate(rows):
        top = 40.0 + 18.0 * r
        for text, x in cells:
            for k, token in enumerate(text.split()):
                x0 = x + sum(len(t) * 5.5 + 3.5 for t in text.split()[:k])
                words.append(Word(token, x0, top, x0 + len(token) * 5.5, top + 10.0, conf))
    ws = tuple(words)
    return Page(number, 612.0, 792.0, "text-layer", ws, group_lines(ws))


def corpus_documents() -> list[Document]:
    docs = []
    for i, (name, dob, mrn, collected, phone, total) in enumerate(_PEOPLE):
        rows = [
            [("Riverside Medical Laboratory", 40)],
            [(f"Patient: {name}", 40)], [(f"DOB: {dob}", 40)], [(f"MRN: {mrn}", 40)],
            [(f"Collected: {collected}", 40)], [(f"Phone: {phone}", 40)],
            [("Test", 40), ("Result", 200), ("Units", 300), ("Flag", 400)],
        ]
        for test, value, unit, flag in _RESULTS[: 2 + i % 2]:
            rows.append([(test, 40), (value, 200), (unit, 300)] + ([(flag, 400)] if flag else []))
        rows += [[(f"Total due: {total}", 40)], [(f"Tests: {2 + i % 2}", 40)]]
        pages = [_page(1, rows, conf=1.0 if i != 1 else 0.87)]
        if i == 2:
            pages.append(_page(2, [[("Comments: specimen slightly hemolyzed", 40)], [("Page 2 of 2", 40)]]))
        docs.append(Document(source=f"corpus-{i}.pdf", sha256=f"{i:064x}", pages=tuple(pages)))
    return docs


def corpus_schema() -> Schema:
    return Schema.model_validate(CORPUS_SCHEMA)


@dataclass
class CorpusResult:
    name: str
    malicious: bool
    rejected: bool
    stage: str | None
    reason: str


def run_corpus(folder: Path, *, timeout_s: float = 2.0, memory_mb: int = 256,
               workers: int | None = None) -> list[CorpusResult]:
    from extractors.validation import validate_candidates

    files = [(p, True) for p in sorted((folder / "malicious").glob("*.py"))]
    files += [(p, False) for p in sorted((folder / "benign").glob("*.py"))]
    sources = [p.read_text(encoding="utf-8") for p, _ in files]
    docs = {f"doc{i}": d for i, d in enumerate(corpus_documents())}
    reports = validate_candidates(sources, corpus_schema(), docs, {}, [], timeout_s=timeout_s,
                                  memory_mb=memory_mb, workers=workers, gx="none")
    out = []
    for (path, malicious), rep in zip(files, reports):
        reason = str(rep.problems[0]) if rep.problems else ""
        out.append(CorpusResult(path.name, malicious, rep.failed_stage is not None, rep.failed_stage, reason))
    return out


def figures(results: list[CorpusResult]) -> dict:
    mal = [r for r in results if r.malicious]
    ben = [r for r in results if not r.malicious]
    caught = sum(r.rejected for r in mal)
    false_pos = sum(r.rejected for r in ben)
    by_stage: dict[str, int] = {}
    for r in mal:
        if r.rejected:
            by_stage[r.stage or "?"] = by_stage.get(r.stage or "?", 0) + 1
    return {
        "malicious": len(mal), "benign": len(ben), "caught": caught, "false_positives": false_pos,
        "recall": caught / len(mal) if mal else 1.0,
        "false_positive_rate": false_pos / len(ben) if ben else 0.0,
        "caught_by_stage": by_stage,
        "missed": [r.name for r in mal if not r.rejected],
        "wrongly_rejected": [f"{r.name}: {r.reason}" for r in ben if r.rejected],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per candidate")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results = run_corpus(args.corpus, timeout_s=args.timeout)
    fig = figures(results)
    fig["seconds"] = round(time.perf_counter() - t0, 2)
    if args.json:
        print(json.dumps(fig, indent=2))
    else:
        if args.verbose:
            for r in results:
                verdict = f"rejected at {r.stage}" if r.rejected else "accepted"
                print(f"{'MAL' if r.malicious else 'BEN'} {r.name:40s} {verdict:24s} {r.reason[:110]}")
        print(f"malicious: {fig['caught']}/{fig['malicious']} rejected  recall={fig['recall']:.1%}  "
              f"by stage: {fig['caught_by_stage']}")
        print(f"benign:    {fig['false_positives']}/{fig['benign']} rejected  "
              f"false-positive rate={fig['false_positive_rate']:.1%}")
        for m in fig["missed"]:
            print(f"  MISSED {m}")
        for m in fig["wrongly_rejected"]:
            print(f"  FALSE POSITIVE {m}")
        print(f"({fig['seconds']} s)")
    return 0 if fig["recall"] == 1.0 and fig["false_positives"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
