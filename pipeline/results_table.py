"""`OUT/results.parquet`: the extracted fields of a run as one flat table for analysts (polars).

One row per (document, field) and per table cell: source, sha256, doc_type, status, reason,
field, row (null for scalars), column (null for scalars), value (JSON text), confidence, page.
Rows are in results.jsonl order, so the file is byte-identical run to run. Documents with no
fields (quarantined, unknown type) still get one row with field null, so counts by status
reconcile with results.jsonl.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Iterator

from extractors.fileio import atomic_write

SCHEMA = {"source": "str", "sha256": "str", "doc_type": "str", "status": "str", "reason": "str", "field": "str",
          "row": "int", "column": "str", "value": "str", "confidence": "float", "page": "int"}


def _rows(line: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {k: line.get(k) for k in ("source", "sha256", "doc_type", "status", "reason")}
    fields = line.get("fields") or {}
    if not fields:
        yield {**base, "field": None, "row": None, "column": None, "value": None, "confidence": None, "page": None}
        return
    for name, entry in fields.items():
        entry = entry or {}
        value = entry.get("value")
        if isinstance(value, list) and all(isinstance(r, dict) for r in value):
            for i, row in enumerate(value):
                for col, cell in row.items():
                    cell = cell or {}
                    yield {**base, "field": name, "row": i, "column": col,
                           "value": json.dumps(cell.get("value"), ensure_ascii=False, sort_keys=True),
                           "confidence": cell.get("confidence"), "page": cell.get("page")}
            continue
        yield {**base, "field": name, "row": None, "column": None,
               "value": json.dumps(value, ensure_ascii=False, sort_keys=True),
               "confidence": entry.get("confidence"), "page": entry.get("page")}


def write_results_parquet(out: Path) -> Path:
    """Write OUT/results.parquet from OUT/results.jsonl (atomically)."""
    import polars as pl  # here, not at import: only the end of a run needs it
    types = {"str": pl.Utf8, "int": pl.Int64, "float": pl.Float64}
    rows: list[dict[str, Any]] = []
    with open(Path(out) / "results.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.extend(_rows(json.loads(line)))
    frame = pl.DataFrame(rows, schema={k: types[v] for k, v in SCHEMA.items()}, orient="row") if rows else \
        pl.DataFrame(schema={k: types[v] for k, v in SCHEMA.items()})
    path = Path(out) / "results.parquet"
    buf = io.BytesIO()
    frame.write_parquet(buf, compression="zstd", statistics=False)
    atomic_write(path, buf.getvalue(), fsync=False)  # derived from results.jsonl: rebuilt by the next run
    return path
