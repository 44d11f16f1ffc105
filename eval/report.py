"""`docc eval`: score the locked extractors on labeled folders and write the accuracy report.

    eval_command(samples, extractors_dir, out, baseline, baseline_limit, against, tolerance) -> exit code
    run_eval(...) -> report dict                  (the same, without console output; for tests)

Each sample root (default `data/samples`, "samples (seen by the compiler)", and `tests/heldout`,
"held-out layouts") holds `<doc_type>/` folders. Every document is ingested, the doc type's locked
extractor is run on it twice (latency and determinism), and its output is scored against the golden
file with `eval.metrics`. Outputs in `out/`:

- report.json       everything below, machine-readable (`--against` reads this)
- report.md         the same as tables
- report.html       self-contained (plotly inlined): F1 bars, calibration, regression, baseline
- gx_results.json   Great Expectations validation results (one suite per set and doc type)
- extracted.jsonl   per document: extracted and golden values (for digging into errors)

Exit codes: 0 ok; 1 a field's F1 dropped by more than `tolerance` versus `--against`;
2 nothing to evaluate (no extractors, no samples, bad arguments), or the direct-LLM server
could not be started (the reports are still written, with the compiled results only).
Field values appear only in the report files, never in logs above DEBUG.
"""
from __future__ import annotations

import json
import logging
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from extractors.schema import Schema, SampleSet, discover, load_sample_set
from eval.metrics import DocTypeScore, overall, plain

log = logging.getLogger(__name__)

REPORT_VERSION = 1
DEFAULT_ROOTS = (("samples", "samples (seen by the compiler)", Path("data/samples")),
                 ("heldout", "held-out layouts", Path("tests/heldout")))
GX_MOSTLY = 0.9  # a GX field expectation passes when at least this share of documents match
COMPILE_REPORT = "compile_report.json"


# ---------------------------------------------------------------- inputs


@dataclass
class SampleRoot:
    name: str
    label: str
    path: Path
    sets: list[SampleSet]


def resolve_roots(samples: list[Path] | None) -> list[SampleRoot]:
    """The labeled roots to score. Default: data/samples and tests/heldout (those that exist).
    A given path may be a root of `<doc_type>/` folders or one doc-type folder itself."""
    roots: list[SampleRoot] = []
    if not samples:
        for name, label, path in DEFAULT_ROOTS:
            if path.is_dir():
                roots.append(SampleRoot(name, label, path, discover(path, skip_unlabeled=True)))
        return roots
    used: set[str] = set()
    for path in samples:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: not a folder")
        sets = [load_sample_set(path, skip_unlabeled=True)] if (path / "schema.yaml").exists() else discover(path, skip_unlabeled=True)
        resolved = path.resolve()
        name, label = path.name or "samples", str(path)
        for dname, dlabel, dpath in DEFAULT_ROOTS:
            if dpath.exists() and resolved == dpath.resolve():
                name, label = dname, dlabel
        base, i = name, 2
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        roots.append(SampleRoot(name, label, path, sets))
    return roots


# ---------------------------------------------------------------- running the compiled extractors


@dataclass
class DocRecord:
    """One document's run: extractor output (Found values) and what happened."""

    set_name: str
    doc_type: str
    doc_id: str
    golden: dict[str, Any]
    extracted: dict[str, Any] | None
    error: str | None = None
    seconds: list[float] = field(default_factory=list)  # extraction step alone, each run
    deterministic: bool | None = None
    gate: Any = None  # eval.calibration.DocOutcome: the export gate's view of this document
    ocr_profile: str | None = None  # the OCR profile that read it; None for a text-layer document
    text: str = ""  # document text, kept only when a baseline needs it
    predicted: str | None = None     # the locked classifier's doc type (None: unknown)
    classified: bool = False         # whether the classifier ran on this document


def _freeze(value: Any) -> Any:
    """A comparable, JSON-able form of extractor output (Found and nested rows included)."""
    if hasattr(value, "value") and hasattr(value, "confidence"):
        return {"value": _freeze(value.value), "page": value.page,
                "bbox": list(value.bbox) if value.bbox else None, "text": value.text, "confidence": value.confidence}
    if isinstance(value, Mapping):
        return {str(k): _freeze(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_freeze(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def run_compiled(roots: list[SampleRoot], locked: Mapping[str, Any], *, keep_text: bool = False,
                 workers: int | None = None, progress: Callable[[int], None] | None = None,
                 classifier: Mapping[str, Any] | None = None, gates: Mapping[str, Any] | None = None,
                 alternates: Mapping[str, Any] | None = None, ocr_profile: str | None = None) -> list[DocRecord]:
    """Ingest every document of every root, classify it with the locked classifier (when
    given) and apply its labeled doc type's locked extractor twice (and the export gate).

    Scanned documents are read with their doc type's locked OCR profile, as the batch does,
    or with `ocr_profile` for all of them when given (to compare profiles)."""
    from extractors.ocr_profiles import locked_profiles
    from pipeline.ingest import ingest, ingest_many

    profiles = locked_profiles({dt: e.entry for dt, e in locked.items()})

    jobs = [(root, ss, s) for root in roots for ss in root.sets for s in ss.samples]
    records: list[DocRecord] = []
    paths = [s.path for _, _, s in jobs]
    workers = workers or max(1, os.cpu_count() or 1)
    kw = {"profile": ocr_profile} if ocr_profile else {}
    for (root, ss, sample), (_, doc) in zip(jobs, ingest_many(paths, workers=workers, **kw)):
        rec = DocRecord(root.name, ss.doc_type, sample.id, sample.golden, None)
        ext = locked.get(ss.doc_type)
        if isinstance(doc, Exception):
            rec.error = f"ingest: {doc}"
            log.warning("%s/%s/%s: ingest failed (%s)", root.name, ss.doc_type, sample.id, getattr(doc, "kind", type(doc).__name__))
        if classifier is not None and not isinstance(doc, Exception):
            from extractors.classifier import classify

            rec.predicted, _ = classify(dict(classifier), doc)
            rec.classified = True
        if ext is None and not isinstance(doc, Exception):
            rec.error = "no compiled extractor for this doc type"
        elif not isinstance(doc, Exception):
            want = ocr_profile or profiles.get(ss.doc_type)
            if doc.meta.get("ocr_profile") and want and want != doc.meta["ocr_profile"]:
                try:
                    doc = ingest(sample.path, profile=want)
                except Exception as e:  # noqa: BLE001 - scored as a failed read
                    rec.error = f"ingest ({want}): {e}"
            rec.ocr_profile = doc.meta.get("ocr_profile")
        if rec.error is None and ext is not None:
            if keep_text:
                rec.text = doc.text
            outputs = []
            for _ in range(2):
                t0 = time.perf_counter()
                try:
                    out = ext.extract(doc)
                except Exception as e:  # noqa: BLE001 - a failing extractor is a scored outcome
                    rec.seconds.append(time.perf_counter() - t0)
                    rec.error = f"extract raised {type(e).__name__}"
                    log.warning("%s/%s/%s: extractor raised %s", root.name, ss.doc_type, sample.id, type(e).__name__)
                    out = None
                    outputs.append(None)
                    break
                rec.seconds.append(time.perf_counter() - t0)
                outputs.append(_freeze(out))
                if rec.extracted is None:
                    rec.extracted = out if isinstance(out, Mapping) else None
                    if not isinstance(out, Mapping):
                        rec.error = f"extract returned {type(out).__name__}, not a dict"
                        break
            rec.deterministic = len(outputs) == 2 and outputs[0] == outputs[1] if rec.error is None else None
            if rec.error is None and gates and ss.doc_type in gates:
                rec.gate = _gate_outcome(root.name, ss, sample, doc, ext, gates[ss.doc_type], (alternates or {}).get(ss.doc_type))
        records.append(rec)
        if progress:
            progress(1)
    return records


def _gate_outcome(set_name: str, ss: SampleSet, sample: Any, doc: Any, ext: Any, gate: Any, alternates: Any) -> Any:
    """The export gate on this document, exactly as `docc run` applies it."""
    from eval.calibration import outcome
    from pipeline.batch_worker import gate_document, serialise_found

    out = ext.extract(doc)
    fields = {str(k): serialise_found(v, doc) for k, v in sorted(out.items(), key=lambda kv: str(kv[0]))}
    assessment = gate_document(gate, alternates, doc, fields)
    return outcome(set_name, ss.doc_type, sample.id, fields, sample.golden, ss.schema_, assessment, gate.required)


def score_records(records: Iterable[DocRecord], schemas: Mapping[tuple[str, str], Schema],
                  keep: Callable[[DocRecord], bool] | None = None) -> dict[str, dict[str, DocTypeScore]]:
    """{set: {doc_type: DocTypeScore}} for the given records."""
    scores: dict[str, dict[str, DocTypeScore]] = {}
    for rec in records:
        if keep is not None and not keep(rec):
            continue
        by_type = scores.setdefault(rec.set_name, {})
        acc = by_type.get(rec.doc_type)
        if acc is None:
            acc = by_type[rec.doc_type] = DocTypeScore(schemas[(rec.set_name, rec.doc_type)])
        acc.add(rec.doc_id, rec.extracted, rec.golden, rec.error)
    return scores


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _latency(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": _round(statistics.median(ms)) if ms else None,
            "p95_ms": _round(_percentile(ms, 0.95)), "max_ms": _round(max(ms)) if ms else None}


def _round(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _sets_section(roots: list[SampleRoot], scores: dict[str, dict[str, DocTypeScore]],
                  records: list[DocRecord]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for root in roots:
        by_type = scores.get(root.name, {})
        doc_types: dict[str, Any] = {}
        for ss in root.sets:
            dt = ss.doc_type
            acc = by_type.get(dt) or DocTypeScore(ss.schema_)
            section = acc.as_dict()
            recs = [r for r in records if r.set_name == root.name and r.doc_type == dt]
            section["latency"] = _latency([s for r in recs for s in r.seconds])
            det = [r.deterministic for r in recs if r.deterministic is not None]
            section["deterministic"] = {"runs": 2, "docs": len(det), "identical": sum(det)}
            doc_types[dt] = section
        out[root.name] = {"label": root.label, "root": str(root.path), "doc_types": doc_types,
                          "overall": overall(by_type.values())}
    return out


def modality_section(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema]) -> dict[str, Any]:
    """Per set and doc type: micro F1 of text-layer documents vs OCR'd ones, and per OCR profile."""
    out: dict[str, Any] = {}
    keys = sorted({(r.set_name, r.doc_type) for r in records})
    for set_name, dt in keys:
        mine = [r for r in records if r.set_name == set_name and r.doc_type == dt]
        row: dict[str, Any] = {}
        for label, keep in (("text", lambda r: r.ocr_profile is None), ("scan", lambda r: r.ocr_profile is not None)):
            sc = score_records([r for r in mine if keep(r)], schemas).get(set_name, {}).get(dt)
            row[label] = {"n_docs": sc.n_docs, "micro_f1": round(sc.micro().f1, 4)} if sc else None
        row["profiles"] = {}
        for prof in sorted({r.ocr_profile for r in mine if r.ocr_profile}):
            sc = score_records([r for r in mine if r.ocr_profile == prof], schemas)[set_name][dt]
            row["profiles"][prof] = {"n_docs": sc.n_docs, "micro_f1": round(sc.micro().f1, 4)}
        out.setdefault(set_name, {})[dt] = row
    return out


# ---------------------------------------------------------------- compile cost and generators


def _tokens_of(entry: Any) -> int | None:
    """Compile-time tokens recorded in a lock entry or compile-report section (tolerant of shape:
    `cost: {prompt_tokens, completion_tokens}` / `tokens: int | {prompt, completion, total}` /
    top-level prompt_tokens + completion_tokens)."""
    if not isinstance(entry, Mapping):
        return None
    for key in ("cost", "compile_cost", "llm"):
        if isinstance(entry.get(key), Mapping):
            got = _tokens_of(entry[key])
            if got is not None:
                return got
    tok = entry.get("tokens")
    if isinstance(tok, (int, float)) and not isinstance(tok, bool):
        return int(tok)
    if isinstance(tok, Mapping):
        if isinstance(tok.get("total"), (int, float)):
            return int(tok["total"])
        parts = [tok.get(k) for k in ("prompt", "completion", "prompt_tokens", "completion_tokens")]
        if any(isinstance(p, (int, float)) for p in parts):
            return int(sum(p for p in parts if isinstance(p, (int, float))))
    if isinstance(entry.get("total_tokens"), (int, float)):
        return int(entry["total_tokens"])
    parts = [entry.get(k) for k in ("prompt_tokens", "completion_tokens")]
    if any(isinstance(p, (int, float)) for p in parts):
        return int(sum(p for p in parts if isinstance(p, (int, float))))
    return None


def _seconds_of(entry: Any) -> float | None:
    if not isinstance(entry, Mapping):
        return None
    for key in ("cost", "compile_cost"):
        if isinstance(entry.get(key), Mapping):
            got = _seconds_of(entry[key])
            if got is not None:
                return got
    for key in ("seconds", "compile_seconds", "wall_seconds", "llm_seconds"):
        if isinstance(entry.get(key), (int, float)):
            return float(entry[key])
    return None


def _field_generators(section: Any) -> dict[str, str]:
    """{field: generator} from a compile-report doc-type section (`fields: {f: {generator|winner|backend}}`)."""
    out: dict[str, str] = {}
    if not isinstance(section, Mapping):
        return out
    fields = section.get("fields")
    if isinstance(fields, Mapping):
        for name, info in fields.items():
            if isinstance(info, str):
                out[name] = info
            elif isinstance(info, Mapping):
                for key in ("generator", "winner", "backend", "source"):
                    val = info.get(key)
                    if isinstance(val, str):
                        out[name] = val
                        break
                    if isinstance(val, Mapping) and isinstance(val.get("generator"), str):
                        out[name] = val["generator"]
                        break
    return out


def compile_costs(extractors_dir: Path, locked: Mapping[str, Any]) -> dict[str, Any]:
    """Compile-time cost per doc type (tokens, seconds) and which generator won each field, read
    from the lock and `compile_report.json` when present (absence is fine: values are null)."""
    report: Mapping[str, Any] = {}
    path = Path(extractors_dir) / COMPILE_REPORT
    if path.exists():
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("%s unreadable (%s); compile costs come from the lock only", path, type(e).__name__)
    sections = report.get("doc_types", report) if isinstance(report, Mapping) else {}
    out: dict[str, Any] = {"compile_report": str(path) if path.exists() else None, "doc_types": {}}
    for dt, ext in locked.items():
        entry = getattr(ext, "entry", {}) or {}
        section = sections.get(dt) if isinstance(sections, Mapping) else None
        tokens = _tokens_of(entry)
        if tokens is None:
            tokens = _tokens_of(section)
        seconds = None
        timing = Path(extractors_dir) / "timings" / f"{dt}.json"
        if timing.exists():
            try:
                seconds = _seconds_of(json.loads(timing.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                seconds = None
        if seconds is None:
            seconds = _seconds_of(entry)
        if seconds is None:
            seconds = _seconds_of(section)
        gens = _field_generators(section) or _field_generators(entry)
        out["doc_types"][dt] = {"tokens": tokens, "seconds": seconds, "generators": gens,
                                "backend": entry.get("backend"), "model": entry.get("model")}
    return out


# ---------------------------------------------------------------- regression guard


def field_f1s(report: Mapping[str, Any]) -> dict[tuple[str, str, str], float]:
    """{(set, doc_type, field or table.column): F1} of a report.json."""
    out: dict[tuple[str, str, str], float] = {}
    for set_name, s in (report.get("sets") or {}).items():
        for dt, section in (s.get("doc_types") or {}).items():
            for fname, f in (section.get("fields") or {}).items():
                out[(set_name, dt, fname)] = f["f1"]
                for cname, c in (f.get("columns") or {}).items():
                    out[(set_name, dt, f"{fname}.{cname}")] = c["f1"]
    return out


def regression(current: Mapping[str, Any], previous: Mapping[str, Any], tolerance: float, against: str = "") -> dict[str, Any]:
    """Compare field F1s with a previous report: a drop larger than `tolerance` fails. Sets absent
    from either report are skipped; fields new or removed are listed but do not fail."""
    cur, prev = field_f1s(current), field_f1s(previous)
    shared_sets = set(current.get("sets") or {}) & set(previous.get("sets") or {})
    rows = []
    for key in sorted(set(cur) | set(prev)):
        if key[0] not in shared_sets:
            continue
        c, p = cur.get(key), prev.get(key)
        if c is None:
            status, delta = "removed", None
        elif p is None:
            status, delta = "new", None
        else:
            delta = c - p
            status = "regressed" if delta < -tolerance - 1e-9 else ("improved" if delta > tolerance + 1e-9 else "same")
        rows.append({"set": key[0], "doc_type": key[1], "field": key[2], "previous": p, "current": c,
                     "delta": None if delta is None else round(delta, 6), "status": status})
    failed = [r for r in rows if r["status"] == "regressed"]
    return {"against": against, "tolerance": tolerance, "failed": bool(failed), "n_regressed": len(failed),
            "n_improved": sum(r["status"] == "improved" for r in rows), "sets_compared": sorted(shared_sets), "rows": rows}


# ---------------------------------------------------------------- Great Expectations


def gx_validate(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema], out_path: Path,
                mostly: float = GX_MOSTLY, scores: Mapping[str, Mapping[str, DocTypeScore]] | None = None) -> dict[str, Any]:
    """Great Expectations results for this run: per (set, doc type) and field, the compile-time
    accuracy stage's GX suite (`extractors.validation.accuracy.GXAccuracy`: canonical extracted
    vs golden per document, table cells aligned the same way as `eval.metrics`); an expectation
    passes when at least `mostly` of the values match. When that module is unavailable, a small
    suite of our own (`_gx_own_suite`). Full results go to `out_path`; the summary notes whether
    GX's TP/FP/FN agree with `eval.metrics`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # chatty at INFO on import
    try:
        from extractors.validation.accuracy import gx_accuracy
    except ImportError:
        return _gx_own_suite(records, schemas, out_path, mostly)
    import warnings

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


def _gx_own_suite(records: list[DocRecord], schemas: Mapping[tuple[str, str], Schema], out_path: Path,
                  mostly: float = GX_MOSTLY) -> dict[str, Any]:
    """Fallback GX 1.x suite per (set, doc type): scalar fields ExpectColumnPairValuesToBeEqual on
    canonical values (rows where both are null ignored); table fields: the document's cell F1 at
    least `mostly`. Each expectation passes when at least `mostly` of the documents satisfy it."""
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        import great_expectations.expectations as gxe
    from extractors.canonical import canonical

    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # noqa: BLE001 - progress bars are cosmetic
        pass
    source = context.data_sources.add_pandas("docc_eval")
    groups: dict[tuple[str, str], list[DocRecord]] = {}
    for rec in records:
        groups.setdefault((rec.set_name, rec.doc_type), []).append(rec)
    suites, results = [], []
    for (set_name, dt), recs in sorted(groups.items()):
        schema = schemas[(set_name, dt)]
        rows = []
        for rec in recs:
            row: dict[str, Any] = {"doc_id": rec.doc_id}
            values = plain(rec.extracted) or {}
            for fname, spec in schema.fields.items():
                if spec.type == "table":
                    one = DocTypeScore(Schema(doc_type=dt, fields={fname: spec}))
                    one.add(rec.doc_id, {fname: (rec.extracted or {}).get(fname)}, {fname: rec.golden.get(fname)})
                    row[f"{fname}__cell_f1"] = one.fields[fname].counts.f1
                else:
                    row[f"{fname}__expected"] = canonical(rec.golden.get(fname), spec.type)
                    row[f"{fname}__got"] = canonical(values.get(fname), spec.type)
            rows.append(row)
        df = pd.DataFrame(rows).astype(object)
        suite_name = f"docc_eval.{set_name}.{dt}"
        asset = source.add_dataframe_asset(name=f"{set_name}.{dt}")
        batch_def = asset.add_batch_definition_whole_dataframe(f"{set_name}.{dt}.all")
        suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
        for fname, spec in schema.fields.items():
            if spec.type == "table":
                suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(
                    column=f"{fname}__cell_f1", min_value=mostly, max_value=1.0, mostly=mostly))
            else:
                suite.add_expectation(gxe.ExpectColumnPairValuesToBeEqual(
                    column_A=f"{fname}__expected", column_B=f"{fname}__got",
                    ignore_row_if="both_values_are_missing", mostly=mostly))
        batch = batch_def.get_batch(batch_parameters={"dataframe": df})
        rdict = batch.validate(suite).to_json_dict()
        rdict["docc"] = {"set": set_name, "doc_type": dt, "suite": suite_name, "doc_ids": [r.doc_id for r in recs]}
        results.append(rdict)
        stats = rdict.get("statistics", {})
        per_field = []
        for er in rdict.get("results", []):
            cfg = er.get("expectation_config", {})
            kwargs = cfg.get("kwargs", {})
            col = kwargs.get("column_A") or kwargs.get("column") or ""
            res = er.get("result", {})
            per_field.append({"field": col.split("__")[0], "success": er.get("success"),
                              "unexpected_percent": res.get("unexpected_percent"), "values": res.get("element_count"),
                              "agrees_with_metrics": None})
        suites.append({"suite": suite_name, "set": set_name, "doc_type": dt, "success": rdict.get("success"),
                       "evaluated": stats.get("evaluated_expectations"), "successful": stats.get("successful_expectations"),
                       "fields": per_field})
    payload = {"great_expectations_version": gx.__version__, "suite": "eval.report._gx_own_suite", "mostly": mostly, "results": results}
    out_path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"results_file": out_path.name, "version": gx.__version__, "mostly": mostly, "suite_source": "eval (fallback)",
            "success": all(s["success"] for s in suites), "suites": suites}


# ---------------------------------------------------------------- baseline and comparison


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
        startup = float(os.environ.get("DOCC_LLM_STARTUP_TIMEOUT", "900"))
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

    comp_lat = _latency([s for r in same for s in r.seconds])
    base_lat = _latency([r.seconds for r in per_doc if r.seconds])
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


# ---------------------------------------------------------------- the whole run


def run_eval(samples: list[Path] | None, extractors_dir: Path, out: Path, *, baseline: str | None = None,
             baseline_limit: int | None = None, against: Path | None = None, tolerance: float = 0.02,
             llm_client: Any | None = None, gx: bool = True, progress: Any | None = None,
             ocr_profile: str | None = None) -> dict[str, Any]:
    """Score, write every report file into `out`, and return the report dict.
    Raises FileNotFoundError / ArtifactError / ValueError for unusable inputs."""
    from extractors.artifacts import load_locked

    if baseline not in (None, "direct-llm"):
        raise ValueError(f"unknown baseline {baseline!r} (known: direct-llm)")
    previous = None
    if against is not None:
        previous = json.loads(Path(against).read_text(encoding="utf-8"))
    roots = resolve_roots(samples)
    if not roots or not any(ss.samples for r in roots for ss in r.sets):
        raise FileNotFoundError("no labeled documents found (looked in: "
                                + (", ".join(str(p) for p in samples) if samples else "data/samples, tests/heldout") + ")")
    locked = load_locked(Path(extractors_dir))
    schemas = {(root.name, ss.doc_type): ss.schema_ for root in roots for ss in root.sets}
    n_total = sum(len(ss.samples) for r in roots for ss in r.sets)

    def bar(description: str, total: int) -> Callable[[int], None] | None:
        if progress is None:
            return None
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)

    t0 = time.monotonic()
    from extractors.artifacts import read_lock
    from pipeline.gate import alternates_sources, load_alternates, load_gates

    classifier = _load_classifier(Path(extractors_dir))
    lock = read_lock(Path(extractors_dir))
    gates = load_gates(Path(extractors_dir), lock)
    alternates = {t: load_alternates(src, t) for t, (_, src) in alternates_sources(Path(extractors_dir), lock).items()}
    records = run_compiled(roots, locked, keep_text=baseline is not None, progress=bar("compiled extractors", n_total),
                           classifier=classifier, gates=gates, alternates=alternates, ocr_profile=ocr_profile)
    scores = score_records(records, schemas)
    costs = compile_costs(Path(extractors_dir), locked)
    report: dict[str, Any] = {
        "docc_eval_version": REPORT_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "extractors": {"dir": str(extractors_dir),
                       "doc_types": {dt: {"sha256": e.sha256, "backend": e.entry.get("backend"), "model": e.entry.get("model")}
                                     for dt, e in locked.items()},
                       "compile_costs": costs},
        "sets": _sets_section(roots, scores, records),
        "modality": modality_section(records, schemas),
        "overall": overall([acc for by_type in scores.values() for acc in by_type.values()]),
        "baseline": None, "comparison": None, "regression": None, "gx": None,
        "classification": classification(records),
        "gate": _gate_section(roots, records),
    }
    report["gate_thresholds"] = _gate_thresholds(roots, records)
    base_records = None
    if baseline == "direct-llm":
        factory = (lambda n: bar("direct-LLM baseline", n)) if progress is not None else None
        try:
            base_records, run = run_direct_llm(records, schemas, baseline_limit, llm_client, factory)
        except RuntimeError as e:  # LLMError / EmbeddedLLMError: the compiled report still stands
            if type(e).__name__ not in ("LLMError", "EmbeddedLLMError"):
                raise
            log.error("direct-LLM baseline failed: %s", str(e).splitlines()[0] if str(e) else type(e).__name__)
            report["baseline"] = {"approach": "direct-llm", "error": f"{type(e).__name__}: {str(e)[:500]}"}
            base_records = None
    if baseline == "direct-llm" and base_records is not None:
        base_scores = score_records(base_records, schemas)
        report["baseline"] = {"approach": "direct-llm", "limit_per_doc_type": baseline_limit,
                              "sets": {name: {"label": next(r.label for r in roots if r.name == name),
                                              "doc_types": {dt: acc.as_dict() for dt, acc in by_type.items()},
                                              "overall": overall(by_type.values())}
                                       for name, by_type in base_scores.items()}}
        report["comparison"] = comparison(records, base_records, run, schemas, costs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if gx:
        report["gx"] = gx_validate(records, schemas, out / "gx_results.json", scores=scores)
    if previous is not None:
        report["regression"] = regression(report, previous, tolerance, str(against))
    report["seconds"] = round(time.monotonic() - t0, 3)
    report["files"] = {"json": "report.json", "markdown": "report.md", "html": "report.html",
                       "gx": "gx_results.json" if gx else None, "extracted": "extracted.jsonl"}
    write_outputs(report, records, out, previous)
    return report


def _load_classifier(extractors_dir: Path) -> dict[str, Any] | None:
    """The locked classifier, or None (with a warning) when the folder has none."""
    from extractors.classifier import ClassifierError, load_classifier

    try:
        return load_classifier(extractors_dir)
    except (ClassifierError, OSError, ValueError) as e:
        log.warning("classification not scored: %s", e)
        return None


def classification(records: list[DocRecord]) -> dict[str, Any] | None:
    """Confusion matrix (labeled type -> predicted type or "unknown"), accuracy and unknown rate,
    overall and per set, over the documents the classifier read."""
    done = [r for r in records if r.classified]
    if not done:
        return None

    def summary(recs: list[DocRecord]) -> dict[str, Any]:
        matrix: dict[str, dict[str, int]] = {}
        for r in recs:
            row = matrix.setdefault(r.doc_type, {})
            key = r.predicted or "unknown"
            row[key] = row.get(key, 0) + 1
        n = len(recs)
        correct = sum(1 for r in recs if r.predicted == r.doc_type)
        unknown = sum(1 for r in recs if r.predicted is None)
        wrong = n - correct - unknown
        return {"n_docs": n, "accuracy": round(correct / n, 4) if n else None,
                "unknown_rate": round(unknown / n, 4) if n else None,
                "wrong_type_rate": round(wrong / n, 4) if n else None,
                "confusion": {t: dict(sorted(row.items())) for t, row in sorted(matrix.items())}}

    out = summary(done)
    out["sets"] = {name: summary([r for r in done if r.set_name == name]) for name in sorted({r.set_name for r in done})}
    return out


def _gate_section(roots: list[SampleRoot], records: list[DocRecord]) -> dict[str, Any]:
    """Per set: the gate's calibration, threshold sweep and outcome at the configured thresholds."""
    from eval.calibration import summarise

    out = {}
    for root in roots:
        docs = [r.gate for r in records if r.set_name == root.name and r.gate is not None]
        if docs:
            out[root.name] = {"label": root.label, **summarise(docs)}
    return out


def _gate_thresholds(roots: list[SampleRoot], records: list[DocRecord]) -> dict[str, Any] | None:
    """Per doc type and field thresholds chosen on every scored set at once (each set must keep
    exported precision >= the target), and what they give per set; written as `gate.yaml`."""
    from eval.calibration import THRESHOLD_TARGET, choose_thresholds, gate_with, thresholds_yaml
    from pipeline.gate import DEFAULT_THRESHOLD

    sets = {root.name: [r.gate for r in records if r.set_name == root.name and r.gate is not None] for root in roots}
    sets = {k: v for k, v in sets.items() if v}
    if not sets:
        return None
    th = choose_thresholds(sets, target=THRESHOLD_TARGET)
    return {"target_precision": THRESHOLD_TARGET, "chosen_on": sorted(sets),
            "file": thresholds_yaml(th, DEFAULT_THRESHOLD),
            "outcome": {name: gate_with(docs, th) for name, docs in sets.items()}}


def write_outputs(report: dict[str, Any], records: list[DocRecord], out: Path, previous: Mapping[str, Any] | None = None) -> None:
    import yaml

    from eval.html import render_html

    if report.get("gate_thresholds"):
        (out / "gate.yaml").write_text("# per-field export thresholds chosen by `docc eval`; copy to <extractors>/gate.yaml to use\n"
                                       + yaml.safe_dump(report["gate_thresholds"]["file"], sort_keys=True), encoding="utf-8")

    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    with open(out / "extracted.jsonl", "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"set": r.set_name, "doc_type": r.doc_type, "doc_id": r.doc_id, "error": r.error,
                                 "extracted": plain(r.extracted), "golden": r.golden}, ensure_ascii=False, default=str) + "\n")
    (out / "report.md").write_text(render_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, previous), encoding="utf-8")


# ---------------------------------------------------------------- Markdown and console


def _f(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_f(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def field_rows(section: Mapping[str, Any]) -> list[list[Any]]:
    """Table rows (field, type, P, R, F1, exact, n, golden, extracted) incl. table columns indented."""
    rows = []
    for fname, f in section["fields"].items():
        rows.append([fname, f["type"], f["precision"], f["recall"], f["f1"], f["exact_match"], f["n_docs"],
                     f["golden_nonnull"], f["extracted_nonnull"]])
        for cname, c in (f.get("columns") or {}).items():
            rows.append([f"  {fname}.{cname}", c["type"], c["precision"], c["recall"], c["f1"], c["exact_match"],
                         c["n_docs"], c["golden_nonnull"], c["extracted_nonnull"]])
    return rows


FIELD_HEADERS = ["field", "type", "precision", "recall", "F1", "exact", "cells/docs", "golden", "extracted"]


def render_markdown(report: Mapping[str, Any]) -> str:
    parts = [f"# docc accuracy report\n\nGenerated {report['generated_at']} from `{report['extractors']['dir']}`.\n"]
    o = report["overall"]
    parts.append(f"**Overall**: {o['n_docs']} documents, micro F1 {_f(o['micro_f1'])}, macro F1 {_f(o['macro_f1'])}.\n")
    cls = report.get("classification")
    if cls:
        parts.append(f"## Classification\n\n{cls['n_docs']} documents: accuracy {_f(cls['accuracy'])}, unknown rate "
                     f"{_f(cls['unknown_rate'])}, wrong type {_f(cls['wrong_type_rate'])}.\n")
        cols = sorted({p for row in cls["confusion"].values() for p in row})
        parts.append(_md_table(["labeled \\ predicted", *cols],
                               [[t, *[row.get(c, 0) for c in cols]] for t, row in cls["confusion"].items()]) + "\n")
    for set_name, s in report["sets"].items():
        parts.append(f"## {s['label']} (`{s['root']}`)\n")
        so = s["overall"]
        parts.append(f"{so['n_docs']} documents; micro F1 {_f(so['micro_f1'])}, macro F1 {_f(so['macro_f1'])}.\n")
        for dt, sec in s["doc_types"].items():
            lat = sec["latency"]
            det = sec["deterministic"]
            parts.append(f"### {dt}\n\n{sec['n_docs']} documents, micro F1 {_f(sec['micro_f1'])}, macro F1 {_f(sec['macro_f1'])}; "
                         f"all fields exact on {sec['docs_all_fields_exact']} documents; extraction median "
                         f"{_f(lat['median_ms'])} ms, p95 {_f(lat['p95_ms'])} ms; deterministic on {det['identical']}/{det['docs']}.\n")
            parts.append(_md_table(FIELD_HEADERS, field_rows(sec)) + "\n")
            if sec["errors"]:
                parts.append("Errors: " + "; ".join(f"{e['doc_id']}: {e['error']}" for e in sec["errors"][:10]) + "\n")
            worst = [w for f in sec["fields"].values() for w in f["worst"]]
            if worst:
                parts.append("Worst examples:\n\n" + _md_table(
                    ["doc", "field", "expected", "got", "conf", "snippet"],
                    [[w["doc_id"], w["field"], json.dumps(w["expected"], ensure_ascii=False, default=str),
                      json.dumps(w["got"], ensure_ascii=False, default=str), w["confidence"], w["snippet"]] for w in worst[:15]]) + "\n")
            cal = sec["calibration"]
            parts.append("Confidence calibration:\n\n" + _md_table(
                ["confidence", "n", "accuracy", "mean confidence"],
                [[b["bucket"], b["n"], b["accuracy"], b["mean_confidence"]] for b in cal["buckets"]]) + "\n")
    parts.extend(gate_markdown(report.get("gate") or {}))
    parts.extend(thresholds_markdown(report.get("gate_thresholds")))
    mod = report.get("modality")
    if mod:
        parts.append("## Text layer vs scans\n\nMicro F1 of documents read from their text layer and of OCR'd ones, "
                     "per OCR profile.\n")
        rows = []
        for set_name, by_type in mod.items():
            for dt, row in by_type.items():
                prof = ", ".join(f"{p} {_f(v['micro_f1'])} ({v['n_docs']})" for p, v in row["profiles"].items())
                rows.append([set_name, dt, _f(row["text"]["micro_f1"]) if row["text"] else "",
                             row["text"]["n_docs"] if row["text"] else 0,
                             _f(row["scan"]["micro_f1"]) if row["scan"] else "",
                             row["scan"]["n_docs"] if row["scan"] else 0, prof])
        parts.append(_md_table(["set", "doc type", "text F1", "text docs", "scan F1", "scan docs", "by profile"], rows) + "\n")
    comp = report.get("comparison")
    if comp:
        parts.append("## Compiled vs direct LLM (same documents)\n")
        parts.append(f"Model `{comp['model']}`, {comp['n_docs']} documents, {comp['concurrency']} requests in flight.\n")
        parts.append(_md_table(COMPARISON_HEADERS, comparison_rows(comp)) + "\n")
        fields = sorted({k for r in comp["rows"] for k in r["fields"]})
        parts.append("Per-field F1:\n\n" + _md_table(["field"] + [r["approach"] for r in comp["rows"]],
                                                      [[k] + [r["fields"].get(k) for r in comp["rows"]] for k in fields]) + "\n")
    reg = report.get("regression")
    if reg:
        parts.append(f"## Regression vs `{reg['against']}` (tolerance {reg['tolerance']})\n")
        parts.append(("**FAILED**: " if reg["failed"] else "OK: ") + f"{reg['n_regressed']} field(s) regressed, {reg['n_improved']} improved.\n")
        changed = [r for r in reg["rows"] if r["status"] != "same"]
        if changed:
            parts.append(_md_table(["set", "doc type", "field", "previous", "current", "delta", "status"],
                                   [[r["set"], r["doc_type"], r["field"], r["previous"], r["current"], r["delta"], r["status"]] for r in changed]) + "\n")
    gxr = report.get("gx")
    if gxr:
        parts.append(f"## Great Expectations ({gxr['version']}, suite from the {gxr['suite_source']}, mostly={gxr['mostly']})\n\n"
                     f"Results: `{gxr['results_file']}`.\n")
        parts.append(_md_table(["set", "doc type", "success", "fields passed", "failing fields"],
                               [[s["set"], s["doc_type"], s["success"], f"{s['successful']}/{s['evaluated']}",
                                 ", ".join(f["field"] for f in s["fields"] if not f["success"])] for s in gxr["suites"]]) + "\n")
    return "\n".join(parts)


def gate_markdown(gate: Mapping[str, Any]) -> list[str]:
    """The export gate: calibration (ECE, reliability bins) and the threshold sweep, per set."""
    parts = []
    for name, g in gate.items():
        c, cal = g["configured"], g["calibration"]
        parts.append(f"## Export gate: {g['label']}\n\nAt the configured thresholds: {c['exported']}/{c['docs']} documents "
                     f"exported ({_f(c['share_exported'])}), {c['values_exported']} values sent, {c['wrong_exported']} wrong "
                     f"(precision {_f(c['precision'])}). Confidence ECE {_f(cal['ece'])} over {cal['values']} values; "
                     f"lowest threshold keeping exported precision >= 0.99: {g['lowest_threshold_for_precision_0.99']}.\n")
        parts.append("Reliability (calibrated confidence):\n\n" + _md_table(
            ["confidence", "values", "mean confidence", "share right"],
            [[b["bin"], b["n"], b["mean_confidence"], b["accuracy"]] for b in cal["bins"]]) + "\n")
        parts.append("Threshold sweep (one threshold for every field; optional fields under it are withheld):\n\n" + _md_table(
            ["threshold", "docs exported", "share exported", "values sent", "wrong sent", "precision"],
            [[r["threshold"], r["exported"], r["share_exported"], r["values_exported"], r["wrong_exported"], r["precision"]]
             for r in g["sweep"]]) + "\n")
    return parts


def thresholds_markdown(gt: Mapping[str, Any] | None) -> list[str]:
    """Per-field thresholds chosen from this eval (written to `gate.yaml` beside the report)."""
    if not gt:
        return []
    rows = [[dt, f, t if t <= 1.0 else "never (withheld / review)"]
            for dt, d in gt["file"]["doc_types"].items() for f, t in d["fields"].items()]
    out = [f"## Export gate: thresholds chosen from this eval\n\nPer doc type and field, exporting the most documents "
           f"while exported precision stays >= {gt['target_precision']} on each of {', '.join(gt['chosen_on'])} "
           "(`gate.yaml` beside this report):\n\n"
           + _md_table(["set", "docs exported", "share exported", "values sent", "wrong sent", "precision"],
                       [[k, o["exported"], o["share_exported"], o["values_exported"], o["wrong_exported"], o["precision"]]
                        for k, o in gt["outcome"].items()]) + "\n"]
    out.append(_md_table(["doc type", "field", "threshold"], rows) + "\n")
    return out


COMPARISON_HEADERS = ["approach", "docs", "micro F1", "macro F1", "tokens/doc", "compile tokens", "break-even N",
                      "latency median ms", "latency p95 ms", "deterministic"]


def _num(x: Any) -> str:
    """Tokens and milliseconds: fewer decimals the bigger the number."""
    if x is None:
        return "–"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.4f}"


def comparison_rows(comp: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    for r in comp["rows"]:
        det = r["deterministic"]
        rows.append([r["approach"], r["n_docs"], r["micro_f1"], r["macro_f1"], _num(r["tokens_per_doc"]), _num(r["compile_tokens"]),
                     _num(r["break_even_docs"]), _num(r["latency"]["median_ms"]), _num(r["latency"]["p95_ms"]),
                     f"{det['identical']}/{det['checked']}" if det["checked"] else "–"])
    return rows


def print_console(report: Mapping[str, Any], console: Any) -> None:
    from rich.table import Table

    for set_name, s in report["sets"].items():
        table = Table(title=f"{s['label']} — micro F1 {_f(s['overall']['micro_f1'])}, macro F1 {_f(s['overall']['macro_f1'])}")
        table.add_column("doc type / field", justify="left", overflow="fold", min_width=24)
        for h in ("P", "R", "F1", "exact", "golden", "extracted"):
            table.add_column(h, justify="right")
        for dt, sec in s["doc_types"].items():
            table.add_row(f"[bold]{dt}[/] ({sec['n_docs']} docs)", "", "", f"[bold]{_f(sec['micro_f1'])}[/]", "", "", "",
                          end_section=False)
            for row in field_rows(sec):
                f1 = row[4]
                style = "red" if f1 < 0.8 else ("yellow" if f1 < 0.95 else "green")
                label = "    · " + row[0].strip().split(".", 1)[1] if row[0].startswith("  ") else "  " + row[0]
                table.add_row(label, _f(row[2], 2), _f(row[3], 2), f"[{style}]{_f(f1, 2)}[/]", _f(row[5], 2),
                              str(row[7]), str(row[8]))
            table.add_section()
        console.print(table)
    comp = report.get("comparison")
    if comp:
        table = Table(title="compiled vs direct LLM (same documents)")
        for h in COMPARISON_HEADERS:
            table.add_column(h, justify="left" if h == "approach" else "right")
        for row in comparison_rows(comp):
            table.add_row(*[_f(c) for c in row])
        console.print(table)
    reg = report.get("regression")
    if reg:
        bad = [r for r in reg["rows"] if r["status"] == "regressed"]
        if bad:
            table = Table(title=f"REGRESSION vs {reg['against']}: F1 dropped by more than {reg['tolerance']}", style="red")
            for h in ("set", "doc type", "field", "previous", "current", "delta"):
                table.add_column(h)
            for r in bad:
                table.add_row(r["set"], r["doc_type"], r["field"], _f(r["previous"]), _f(r["current"]), _f(r["delta"]))
            console.print(table)
        else:
            console.print(f"[green]no regression vs {reg['against']} (tolerance {reg['tolerance']}; "
                          f"{reg['n_improved']} improved)[/]")


def eval_command(samples: list[Path] | None, extractors_dir: Path, out: Path, baseline: str | None = None,
                 baseline_limit: int | None = None, against: Path | None = None, tolerance: float = 0.02,
                 ocr_profile: str | None = None) -> int:
    """The `docc eval` command: returns the process exit code."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from extractors.artifacts import ArtifactError

    console = Console()
    err = Console(stderr=True)
    if not log.isEnabledFor(logging.DEBUG):
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per LLM request otherwise
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=err, transient=False) as progress:
            report = run_eval(samples, extractors_dir, out, baseline=baseline, baseline_limit=baseline_limit,
                              against=against, tolerance=tolerance, progress=progress, ocr_profile=ocr_profile)
    except (FileNotFoundError, ArtifactError, ValueError) as e:
        err.print(f"[red]docc eval: {e}[/]")
        return 2
    print_console(report, console)
    cls = report.get("classification")
    if cls:
        console.print(f"classification: {cls['n_docs']} documents, accuracy {_f(cls['accuracy'])}, "
                      f"unknown rate {_f(cls['unknown_rate'])}, wrong type {_f(cls['wrong_type_rate'])}")
    console.print(f"report: {Path(out) / 'report.html'} (also report.json, report.md, gx_results.json)")
    if report.get("regression") and report["regression"]["failed"]:
        return 1
    if report.get("baseline") and report["baseline"].get("error"):
        err.print(f"[red]docc eval: the direct-LLM baseline failed ({report['baseline']['error'].splitlines()[0]}); "
                  "the report has the compiled results only[/]")
        return 2
    return 0
