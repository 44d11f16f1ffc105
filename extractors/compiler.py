"""`docc compile`: write, validate and lock one extraction function per document type.

For each doc type: ingest the samples; group them into layouts; for every held-out fold
(leave one layout out) let each generator propose field candidates from the training
samples only, run them on the held-out samples and score them per field; pick each field's
winner by mean held-out F1 (ties to the simpler source); regenerate the winners from all
samples; assemble the artifact, run it through the four validation stages, and lock it.

The steps live in their own modules (`candidate_runs`, `generators`, `doctype_compile`); this one
is the command: what to compile, writing the artifacts, lock, classifier and report. The moved
names stay importable from here.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from extractors import artifacts, reliability
from extractors.candidate_runs import (  # noqa: F401
    Runner, candidate_problems, field_examples, field_module, run_sandboxed, run_trusted, score_candidates,
)
from extractors.classifier import build_classifier
from extractors.doctype_compile import (  # noqa: F401
    GENERATOR_PREFERENCE, VARIANT_PREFERENCE, DocTypeResult, FieldResult, SampleError, _field_reliability, _header,
    _label_signatures, compile_doc_type, ingest_samples, validate_artifact,
)
from extractors.expectations import build_runtime_suite
from extractors.fingerprint import compiler_fingerprint
from extractors.generators import Generators, _generators, merge_labels  # noqa: F401
from extractors.ocr_profiles import choose_profile
from extractors.schema import SampleSet, Schema, discover
from extractors.validation.problems import SandboxUnavailable, ValidationFailed
from pipeline.document import Document

log = logging.getLogger(__name__)
console = Console(stderr=True)


# ---------------------------------------------------------------- the command

def _up_to_date(entry: dict | None, sample_set: SampleSet, out: Path, backends: list[str]) -> bool:
    return bool(
        entry
        and (out / entry["artifact"]).exists()
        and entry.get("compiler_sha256") == compiler_fingerprint()
        and entry.get("schema_sha256") == sample_set.schema_sha256()
        and entry.get("samples_sha256") == sample_set.samples_sha256()
        and entry.get("generators") == sorted(backends)
    )


DEFAULT_FLOOR = 0.5  # held-out F1 under which a required field is refused without --accept-weak


def compile_command(samples: Path, doc_types: list[str], backends: list[str], out: Path, force: bool,
                    freeform: int = 1, repairs: int = 2, floor: float = DEFAULT_FLOOR, accept_weak: bool = False) -> int:
    """Compile every (or the named) doc type under `samples` into `out`; returns an exit code."""
    try:
        sets = discover(samples, doc_types or None)
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    if not sets:
        console.print(f"[red]error:[/red] no doc types under {samples} (each needs a schema.yaml)")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    lock = artifacts.read_lock(out)
    todo = [s for s in sets if force or not _up_to_date(lock["doc_types"].get(s.doc_type), s, out, backends)]
    for s in sets:
        if s not in todo:
            console.print(f"{s.doc_type}: up to date (schema and samples unchanged)")
    # the classifier always learns every doc type under `samples`: compiling one type must not
    # make the others unknown, and they are its negatives
    others = [o for o in discover(samples) if o.doc_type not in {s.doc_type for s in sets}] if doc_types else []
    try:
        refused = _compile_all(sets + others, todo, backends, out, freeform, repairs, floor, accept_weak)
    except SampleError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 2
    except ValidationFailed as exc:
        console.print(f"[red]error:[/red] the assembled extractor failed validation: {exc}")
        return 1
    except SandboxUnavailable as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 1
    if refused:
        what = "; ".join(f"{dt}: {', '.join(fields)}" for dt, fields in refused)
        console.print(f"[red]error:[/red] not locked: required field(s) under the held-out F1 floor {floor:.2f} "
                      f"({what}); add labeled samples from more layouts, or pass --accept-weak to lock them anyway "
                      "(the run-time gate then sends their documents to review)")
        return 1
    return 0


def _compile_all(sets: list[SampleSet], todo: list[SampleSet], backends: list[str], out: Path,
                 freeform: int, repairs: int, floor: float = DEFAULT_FLOOR,
                 accept_weak: bool = False) -> list[tuple[str, list[str]]]:
    """Compile `todo`; returns the doc types refused (not locked) for weak required fields."""
    refused: list[tuple[str, list[str]]] = []
    all_docs: dict[str, dict[str, Document]] = {}
    with _generators(backends if todo else ["synth"]) as gens, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        ingest_task = progress.add_task("ingesting samples", total=len(sets))
        for s in sets:
            all_docs[s.doc_type] = ingest_samples(s)
            progress.advance(ingest_task)
        gens.freeform, gens.repairs = freeform, repairs
        for s in todo:
            result = compile_doc_type(s, all_docs[s.doc_type], gens, progress)
            weak = weak_required(s.schema_, result, floor)
            if weak and not accept_weak:
                refused.append((s.doc_type, weak))
                _print_refused(s.doc_type, result, weak)
                continue
            profile = choose_profile(s, all_docs[s.doc_type], result.source)
            _write_result(out, s, result, gens, backends, weak, profile)
    _write_classifier(out, sets, all_docs)
    write_report(out)
    return refused


def _print_refused(doc_type: str, result: DocTypeResult, weak: list[str]) -> None:
    """A refused doc type is not in the lock (nor the report): show its held-out reliability here."""
    table = Table(title=f"{doc_type}: NOT LOCKED (held-out reliability)")
    for col in ("field", "F1", "precision", "recall", "coverage", "note"):
        table.add_column(col)
    for name, fr in result.fields.items():
        rel = fr.reliability or {}
        table.add_row(name, f"{fr.heldout_f1:.3f}", *(f"{rel[k]:.3f}" if k in rel else "-" for k in ("precision", "recall", "coverage")),
                      "[red]weak required[/red]" if name in weak else "")
    console.print(table)


def weak_required(schema: Schema, result: DocTypeResult, floor: float) -> list[str]:
    """Required fields whose winner's held-out F1 is under `floor`: locking them would promise
    values the compile could not reproduce on unseen layouts."""
    return sorted(n for n, fr in result.fields.items() if schema.fields[n].required and fr.heldout_f1 < floor)


def _write_result(out: Path, s: SampleSet, r: DocTypeResult, gens: Generators, backends: list[str],
                  accepted_weak: list[str] | None = None, ocr_profile: dict | None = None) -> None:
    entry = {
        "doc_type": s.doc_type,
        "schema_sha256": s.schema_sha256(),
        "samples_sha256": s.samples_sha256(),
        "samples": len(s.samples),
        "layouts": r.layouts,
        "generators": sorted(backends),
        "compiler_sha256": compiler_fingerprint(),
        "backend": gens.backend,
        "model": gens.model,
        "cost": {"prompt_tokens": r.cost.prompt_tokens, "completion_tokens": r.cost.completion_tokens,
                 "llm_seconds": round(r.cost.seconds, 2), "requests": r.cost.requests},
        "fields": {
            name: {"generator": fr.winner.generator if fr.winner else None,
                   "variant": fr.winner.variant if fr.winner else None,
                   "heldout_f1": round(fr.heldout_f1, 4), "candidates": fr.scores,
                   "reliability": fr.reliability}
            for name, fr in r.fields.items()
        },
        "rules": r.rules,
        "seen_layouts": r.seen_layouts,
        "calibrator": r.calibrator,
        "calibration_points": r.calibration_points,
        "reading_calibrator": r.reading_calibrator,
        "reading_calibration_points": r.reading_points,
        "field_specs": {n: f.model_dump(exclude_none=True, exclude_defaults=True) | {"type": f.type}
                        for n, f in s.schema_.fields.items()},
        "required": sorted(n for n, f in s.schema_.fields.items() if f.required),
        "validation": r.validation,
    }
    if accepted_weak:
        entry["accepted_weak"] = accepted_weak
    if ocr_profile is not None:
        entry["ocr_profile"] = ocr_profile  # the OCR profile that reads this doc type's scans best
    suite = _runtime_suite(s)
    if suite is not None:
        data = (json.dumps(suite, indent=1, sort_keys=True) + "\n").encode()
        artifacts.atomic_write(out / f"{s.doc_type}.expectations.json", data)
        entry["expectations"] = {"artifact": f"{s.doc_type}.expectations.json", "sha256": artifacts.sha256_bytes(data)}
    if r.alternates is not None:
        data = r.alternates.encode("utf-8")
        artifacts.atomic_write(out / f"{s.doc_type}.alternates.py", data)
        entry["alternates"] = {"artifact": f"{s.doc_type}.alternates.py", "sha256": artifacts.sha256_bytes(data)}
    artifacts.record_artifact(out, s.doc_type, r.source, entry)
    timing = {"doc_type": s.doc_type, "compile_seconds": round(r.seconds, 2),
              "compiled_at": datetime.now(timezone.utc).strftime("%Y-%m-%d")}
    artifacts.atomic_write(out / "timings" / f"{s.doc_type}.json", (json.dumps(timing, indent=2) + "\n").encode())
    console.print(f"{s.doc_type}: compiled, held-out F1 (mean over fields) "
                  f"{sum(f.heldout_f1 for f in r.fields.values()) / max(1, len(r.fields)):.3f}")


def _runtime_suite(s: SampleSet) -> dict | None:
    """The run-time expectations for a doc type, learned from its schema and golden values."""
    return build_runtime_suite(s.schema_, [x.golden for x in s.samples])


def _write_classifier(out: Path, sets: list[SampleSet], all_docs: dict[str, dict[str, Document]]) -> None:
    model = build_classifier({dt: [docs[i] for i in sorted(docs)] for dt, docs in sorted(all_docs.items())})
    data = (json.dumps(model, sort_keys=True, indent=1) + "\n").encode()
    artifacts.atomic_write(out / "classifier.json", data)
    lock = artifacts.read_lock(out)
    lock["classifier"] = {"artifact": "classifier.json", "sha256": artifacts.sha256_bytes(data)}
    artifacts.write_lock(out, lock)


def _calibrator_table(lock: dict[str, Any], key: str, title: str, values: str, score: str, none: str) -> list[str]:
    """The compile report's section for one kind of calibrator in the lock: its data and knots per doc type."""
    md = ["", f"## {title}", "", f"| doc type | {values} | right | {score} -> probability |", "|---|---|---|---|"]
    for dt, entry in sorted(lock["doc_types"].items()):
        cal = entry.get(key)
        if cal:
            knots = ", ".join(f"{x:.2f}->{y:.2f}" for x, y in zip(cal["x"], cal["y"]))
            md.append(f"| {dt} | {cal['points']} | {cal['right']} | {knots} |")
        else:
            md.append(f"| {dt} | - | - | {none} |")
    return md


def write_report(out: Path) -> None:
    """compile_report.json and .md from the lock: per doc type and field, winner, held-out
    reliability (pooled over leave-one-layout-out folds), cross-field rules, accepted weak fields."""
    lock = artifacts.read_lock(out)
    report = {"doc_types": {}}
    table = Table(title="compile report (held-out: layouts the code was not shown)")
    for col in ("doc type", "field", "generator", "F1", "precision", "recall", "coverage", "per-fold F1", "note"):
        table.add_column(col)
    md = ["# Compile report", "",
          "Held-out scores: each field's winning code on layouts it was not shown (leave one layout out). "
          "F1 is the mean over folds; precision, recall and coverage are pooled over every held-out document.", "",
          "| doc type | field | winning generator | held-out F1 | precision | recall | coverage | per-fold F1 | note |",
          "|---|---|---|---|---|---|---|---|---|"]
    weak_md = []
    for dt, entry in sorted(lock["doc_types"].items()):
        report["doc_types"][dt] = {k: entry.get(k) for k in ("fields", "cost", "backend", "model", "samples", "layouts",
                                                             "validation", "rules", "accepted_weak", "calibrator",
                                                             "reading_calibrator")}
        weak = set(entry.get("accepted_weak") or [])
        for name, f in entry.get("fields", {}).items():
            gen = f"{f['generator']}:{f['variant']}" if f.get("variant") else str(f.get("generator"))
            rel = f.get("reliability") or {}
            folds = " ".join(f"{x['f1']:.2f}" for x in rel.get("folds", []))
            note = "accepted weak" if name in weak else ""
            cells = [f"{f['heldout_f1']:.3f}"] + [f"{rel[k]:.3f}" if k in rel else "-" for k in ("precision", "recall", "coverage")]
            md.append(f"| {dt} | {name} | {gen} | {' | '.join(cells)} | {folds} | {note} |")
            table.add_row(dt, name, gen, *cells, folds, f"[red]{note}[/red]" if note else "")
        c = entry.get("cost", {})
        md.append(f"| {dt} | *(cost)* | {c.get('requests', 0)} requests | {c.get('prompt_tokens', 0)}+{c.get('completion_tokens', 0)} tokens | | | | | |")
        if weak:
            weak_md.append(f"- **{dt}**: {', '.join(sorted(weak))} (locked with `--accept-weak`: required, held-out F1 under the floor)")
    md += ["", "## Weak required fields accepted", ""] + (weak_md or ["none"])
    md += ["", "## Cross-field rules", "", "| doc type | rule | from |", "|---|---|---|"]
    for dt, entry in sorted(lock["doc_types"].items()):
        for rule in entry.get("rules") or []:
            md.append(f"| {dt} | {reliability.rule_name(rule)} | {rule.get('source', '')} |")
    md += _calibrator_table(lock, "calibrator", "Confidence calibrators (isotonic, out-of-fold held-out values)",
                            "held-out values", "raw score", "none (raw score used)")
    md += _calibrator_table(lock, "reading_calibrator",
                            "OCR reading calibrators (isotonic, values the locked code read from its own scanned samples)",
                            "OCR'd values", "reading confidence", "none (reading confidence used as it is)")
    artifacts.atomic_write(out / "compile_report.json", (json.dumps(report, indent=2, sort_keys=True) + "\n").encode())
    artifacts.atomic_write(out / "compile_report.md", ("\n".join(md) + "\n").encode())
    console.print(table)
