"""Great Expectations over an eval run: the compile-time accuracy stage's GX suite per set and
doc type, its full results in `gx_results.json`, and whether its counts agree with `eval.metrics`."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Mapping

from eval.metrics import DocTypeScore, plain
from eval.runner import DocRecord
from extractors.schema import Schema

log = logging.getLogger(__name__)

GX_MOSTLY = 0.9  # a GX field expectation passes when at least this share of documents match


def gx_validate(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema], out_path: Path,
                mostly: float = GX_MOSTLY, scores: Mapping[str, Mapping[str, DocTypeScore]] | None = None) -> dict[str, Any]:
    """Great Expectations results for this run: per (set, doc type) and field, the compile-time
    accuracy stage's GX suite (`extractors.validation.accuracy.GXAccuracy`: canonical extracted
    vs golden per document, table cells aligned the same way as `eval.metrics`); an expectation
    passes when at least `mostly` of the values match. Full results go to `out_path`; the summary
    notes whether GX's TP/FP/FN agree with `eval.metrics`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # chatty at INFO on import
    import warnings

    from extractors.validation.accuracy import gx_accuracy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx

        scorer = gx_accuracy()
    groups: dict[tuple[str, str], list[DocRecord]] = {}
    for rec in records:
        groups.setdefault((rec.set_name, rec.doc_type), []).append(rec)
    suites, results = [], []
    for (set_name, dt), recs in sorted(groups.items()):
        schema = schemas[(set_name, dt)]
        outputs = {r.doc_id: plain(r.extracted) for r in recs}
        golden = {r.doc_id: r.golden for r in recs}
        ids = [r.doc_id for r in recs]
        mine = (scores or {}).get(set_name, {}).get(dt)
        per_field = []
        for fname, spec in schema.fields.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fs = scorer.score_field(fname, spec, outputs, golden, ids, mostly)
            doc = fs.gx or {}
            doc["docc"] = {"set": set_name, "doc_type": dt, "field": fname, "doc_ids": ids}
            results.append(doc)
            agrees = None
            if mine is not None:
                c = mine.fields[fname].counts
                agrees = (c.tp, c.fp, c.fn) == (fs.tp, fs.fp, fs.fn)
                if not agrees:
                    log.warning("GX counts for %s/%s.%s differ from eval.metrics", set_name, dt, fname)
            per_field.append({"field": fname, "success": bool(doc.get("success", fs.accuracy >= mostly)),
                              "accuracy": round(fs.accuracy, 6), "f1": round(fs.f1, 6),
                              "unexpected_percent": round(100 * (1 - fs.accuracy), 3), "values": fs.n,
                              "agrees_with_metrics": agrees})
        suites.append({"suite": f"{scorer.SUITE} · {set_name}.{dt}", "set": set_name, "doc_type": dt,
                       "success": all(f["success"] for f in per_field), "evaluated": len(per_field),
                       "successful": sum(f["success"] for f in per_field), "fields": per_field})
    payload = {"great_expectations_version": gx.__version__, "suite": "extractors.validation.accuracy.GXAccuracy",
               "mostly": mostly, "results": results}
    out_path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"results_file": out_path.name, "version": gx.__version__, "mostly": mostly, "suite_source": "compile-time accuracy stage",
            "success": all(s["success"] for s in suites), "suites": suites}
