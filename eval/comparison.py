"""The direct-LLM baseline run over the same documents, and the compiled-vs-baseline comparison
(accuracy, tokens, latency, break-even)."""
from __future__ import annotations

import math
import statistics
from typing import Any, Callable, Mapping

from eval.metrics import DocTypeScore
from eval.runner import DocRecord, latency_summary, score_records
from extractors.schema import Schema
from pipeline.settings import settings


def _macro(scores: dict[str, dict[str, DocTypeScore]], fields: set[tuple[str, str]] | None = None) -> tuple[float | None, float | None, dict[str, float]]:
    """(micro F1, macro F1, {doc_type.field: F1 pooled over sets}) over scored doc types."""
    from eval.metrics import Counts

    pooled: dict[str, Counts] = {}
    for by_type in scores.values():
        for dt, acc in by_type.items():
            for fname, facc in acc.fields.items():
                if fields is not None and (dt, fname) not in fields:
                    continue
                pooled.setdefault(f"{dt}.{fname}", Counts()).add(facc.counts)
    if not pooled:
        return None, None, {}
    micro = Counts()
    for c in pooled.values():
        micro.add(c)
    per_field = {k: round(c.f1, 6) for k, c in pooled.items()}
    return round(micro.f1, 6), round(sum(per_field.values()) / len(per_field), 6), per_field


def run_direct_llm(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema], limit: int | None,
                   client: Any | None, progress_factory: Callable[[int], Callable[[int], None]] | None = None) -> tuple[list[DocRecord], Any]:
    """Run the direct-LLM baseline on up to `limit` documents per (set, doc type)."""
    from eval.baseline import BaselineDoc, run_baseline

    chosen: list[DocRecord] = []
    counts: dict[tuple[str, str], int] = {}
    for rec in records:
        if rec.error and rec.error.startswith("ingest"):
            continue
        key = (rec.set_name, rec.doc_type)
        if limit is not None and counts.get(key, 0) >= limit:
            continue
        counts[key] = counts.get(key, 0) + 1
        chosen.append(rec)
    docs = [BaselineDoc(r.set_name, r.doc_type, r.doc_id, r.text, r.golden) for r in chosen]
    by_type = {r.doc_type: schemas[(r.set_name, r.doc_type)] for r in chosen}
    progress = progress_factory(len(docs)) if progress_factory else None

    def go(c: Any) -> Any:
        return run_baseline(c, docs, by_type, progress=progress)

    if client is not None:
        run = go(client)
    else:
        from extractors.llm.client import llm_session

        # Generous start-up allowance: the embedded CPU server needs ~55 s alone, minutes when busy.
        startup = float(settings().llm_startup_timeout or 900)
        with llm_session(startup_timeout=startup) as c:
            run = go(c)
    out = []
    for res in run.results:
        d = res.doc
        out.append(DocRecord(d.set_name, d.doc_type, d.doc_id, d.golden, res.extracted, res.error,
                             [res.seconds] if res.seconds else []))
    return out, run


def comparison(records: list[DocRecord], base_records: list[DocRecord], run: Any,
               schemas: Mapping[tuple[str, str], Schema], costs: Mapping[str, Any]) -> dict[str, Any]:
    """The Compiled-AI-style table: per approach, F1 on the same documents, tokens per document
    (compile tokens amortised; break-even N versus direct LLM), latency and determinism."""
    keys = {(r.set_name, r.doc_type, r.doc_id) for r in base_records}
    same = [r for r in records if (r.set_name, r.doc_type, r.doc_id) in keys]
    n_docs = len(same)
    comp_scores = score_records(same, schemas)
    base_scores = score_records(base_records, schemas)

    comp_micro, comp_macro, comp_fields = _macro(comp_scores)
    base_micro, base_macro, base_fields = _macro(base_scores)
    doc_types = sorted({r.doc_type for r in same})
    compile_tokens_known = [costs["doc_types"].get(dt, {}).get("tokens") for dt in doc_types]
    compile_tokens = sum(t for t in compile_tokens_known if t is not None) if any(t is not None for t in compile_tokens_known) else None
    per_doc = run.results
    llm_tokens = [r.prompt_tokens + r.completion_tokens for r in per_doc if r.error is None or r.prompt_tokens]
    llm_tokens_per_doc = statistics.mean(llm_tokens) if llm_tokens else None
    break_even = None
    if compile_tokens is not None and llm_tokens_per_doc:
        break_even = math.ceil(compile_tokens / llm_tokens_per_doc)

    comp_lat = latency_summary([s for r in same for s in r.seconds])
    base_lat = latency_summary([r.seconds for r in per_doc if r.seconds])
    comp_det = [r.deterministic for r in same if r.deterministic is not None]
    base_det = [d["identical"] for d in run.determinism if d.get("identical") is not None]

    rows = [
        {"approach": "compiled", "n_docs": n_docs, "micro_f1": comp_micro, "macro_f1": comp_macro, "fields": comp_fields,
         "runtime_tokens_per_doc": 0, "compile_tokens": compile_tokens,
         "tokens_per_doc": None if compile_tokens is None or not n_docs else round(compile_tokens / n_docs, 2),
         "break_even_docs": break_even, "latency": comp_lat,
         "deterministic": {"checked": len(comp_det), "identical": sum(comp_det)}},
        {"approach": "direct-llm", "n_docs": len(per_doc), "micro_f1": base_micro, "macro_f1": base_macro, "fields": base_fields,
         "runtime_tokens_per_doc": None if llm_tokens_per_doc is None else round(llm_tokens_per_doc, 2), "compile_tokens": 0,
         "tokens_per_doc": None if llm_tokens_per_doc is None else round(llm_tokens_per_doc, 2),
         "break_even_docs": None, "latency": base_lat,
         "deterministic": {"checked": len(base_det), "identical": sum(base_det)},
         "errors": sum(1 for r in per_doc if r.error)},
    ]
    synth_fields = {(dt, f) for dt in doc_types for f, g in costs["doc_types"].get(dt, {}).get("generators", {}).items()
                    if str(g).lower().startswith("synth")}
    if synth_fields:
        s_micro, s_macro, s_fields = _macro(comp_scores, synth_fields)
        b_micro, b_macro, _ = _macro(base_scores, synth_fields)
        rows.append({"approach": "synth-only (compiled fields won by the synthesizer)", "n_docs": n_docs,
                     "micro_f1": s_micro, "macro_f1": s_macro, "fields": s_fields, "runtime_tokens_per_doc": 0,
                     "compile_tokens": 0, "tokens_per_doc": 0, "break_even_docs": 0, "latency": comp_lat,
                     "deterministic": rows[0]["deterministic"], "n_fields": len(synth_fields),
                     "direct_llm_same_fields_macro_f1": b_macro})
    return {
        "n_docs": n_docs,
        "model": run.model, "server": run.backend, "concurrency": run.concurrency,
        "wall_seconds": round(run.wall_seconds, 3),
        "direct_llm_throughput_docs_per_s": round(len(per_doc) / run.wall_seconds, 4) if run.wall_seconds else None,
        "rows": rows,
        "per_doc": [{"set": r.doc.set_name, "doc_type": r.doc.doc_type, "doc_id": r.doc.doc_id,
                     "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
                     "seconds": round(r.seconds, 3), "truncated": r.truncated, "finish_reason": r.finish_reason,
                     "error": r.error} for r in per_doc],
        "determinism": run.determinism,
    }
