"""One doc type's compile: held-out folds over layouts, each field's winner by mean held-out F1,
winners regenerated from all samples, the artifact assembled and validated, and the winners'
held-out reliability (runner-ups, calibration points) measured."""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any

from rich.progress import Progress

from extractors import artifacts, reliability
from extractors.candidate_runs import run_sandboxed, run_trusted, score_candidates
from extractors.candidates import Cost, FieldCandidate
from extractors.folds import layout_groups, make_folds
from extractors.generators import Generators
from extractors.plan import Plan, render_module
from extractors.schema import SampleSet, Schema
from extractors.synth import learn_plan
from pipeline.document import Document
from pipeline.errors import DoccError

GENERATOR_PREFERENCE = {"synth": 0, "vllm-plan": 1, "openai-plan": 1, "vllm-freeform": 2, "openai-freeform": 2}
# Among equally scored plan variants, prefer the one that reads more label wordings: it did
# no worse on unseen layouts, and the next unseen layout may word its labels differently.
VARIANT_PREFERENCE = {"lex-0.6+shape": 0, "lex-0.6": 1, "keywords-0.6+shape": 2, "keywords-0.6": 3,
                      "keywords-0.4": 4, "keywords-0.9": 5, "labels+shape": 6, "labels": 7,
                      "table+lex": 0, "table": 1, "table-1": 2, "grid": 3, "section": 4}
# `grid` before `section` on a tie: it reads a drawn grid when one carries the header and
# otherwise falls back to the very same section reading, so a tie means the samples could not
# tell them apart and the grid reading is the stronger evidence of a table's structure.


@dataclass
class FieldResult:
    winner: FieldCandidate | None
    heldout_f1: float
    scores: dict[str, float] = dc_field(default_factory=dict)
    reliability: dict[str, Any] = dc_field(default_factory=dict)


@dataclass
class DocTypeResult:
    doc_type: str
    source: str
    fields: dict[str, FieldResult]
    cost: Cost
    seconds: float
    validation: dict[str, Any]
    layouts: int
    plan: Plan
    rules: list[dict[str, Any]] = dc_field(default_factory=list)
    alternates: str | None = None  # the runner-up candidates' module (`<doc_type>.alternates.py`)
    seen_layouts: list[dict[str, Any]] = dc_field(default_factory=list)
    calibrator: dict[str, Any] | None = None  # raw score -> probability, fitted on held-out folds
    calibration_points: list[list[float]] = dc_field(default_factory=list)  # its data: [raw, values, right]
    reading_calibrator: dict[str, Any] | None = None  # OCR reading confidence -> probability, from the samples' scans
    reading_points: list[list[float]] = dc_field(default_factory=list)  # its data: [reading confidence, values, right]


class SampleError(DoccError):
    """A labeled sample that cannot be read: compilation stops and says which."""


# ---------------------------------------------------------------- ingest

def ingest_samples(sample_set: SampleSet, workers: int = 2) -> dict[str, Document]:
    """Every sample document of a doc type, by sample id (OCR results come from the cache)."""
    from pipeline.ingest import ingest_many

    by_path = {str(s.path): s.id for s in sample_set.samples}
    docs: dict[str, Document] = {}
    for path, result in ingest_many([s.path for s in sample_set.samples], workers=workers):
        if isinstance(result, Exception):
            raise SampleError(f"{sample_set.doc_type}: sample {Path(path).name} could not be read: {result}")
        docs[by_path[str(path)]] = result
    return docs


def compile_doc_type(sample_set: SampleSet, docs: dict[str, Document], gens: Generators,
                     progress: Progress | None = None) -> DocTypeResult:
    start = time.perf_counter()
    schema = sample_set.schema_
    goldens = {s.id: s.golden for s in sample_set.samples}
    ids = sorted(docs)
    full_plan = learn_plan(schema, docs, goldens)
    signatures = _label_signatures(schema, docs, goldens)
    groups = layout_groups(signatures)
    folds = make_folds(ids, groups)
    cost_before = Cost(gens.cost.prompt_tokens, gens.cost.completion_tokens, gens.cost.seconds, gens.cost.requests)

    per_key: dict[tuple[str, str], list[float]] = defaultdict(list)
    per_doc: dict[tuple[str, str], dict[tuple[int, str], Any]] = defaultdict(dict)  # held-out outputs
    sources: dict[tuple[str, str], FieldCandidate] = {}
    task = progress.add_task(f"{schema.doc_type}: held-out folds", total=len(folds)) if progress else None
    for fold_no, (train, test) in enumerate(folds):
        plan, cands = gens.propose(schema, {i: docs[i] for i in train}, {i: goldens[i] for i in train})
        trusted = [c for c in cands if c.trusted]
        untrusted = [c for c in cands if not c.trusted]
        test_docs = {i: docs[i] for i in test}
        kept: dict[int, list[tuple[str, Any]]] = {}
        scores = score_candidates(trusted, test_docs, goldens, schema, plan, run_trusted, kept)
        best: dict[str, float] = {}
        for ci, cand in enumerate(trusted):
            best[cand.field] = max(best.get(cand.field, 0.0), scores[ci].f1)
        weak = [n for n in schema.scalar_fields() if best.get(n, 0.0) < gens.weak_below]
        untrusted += gens.freeform_candidates(schema, weak, {i: docs[i] for i in train}, {i: goldens[i] for i in train}, plan)
        if untrusted:
            kept_u: dict[int, list[tuple[str, Any]]] = {}
            scores_u = score_candidates(untrusted, test_docs, goldens, schema, plan, run_sandboxed, kept_u)
            scores.update({len(trusted) + k: v for k, v in scores_u.items()})
            kept.update({len(trusted) + k: v for k, v in kept_u.items()})
        for ci, cand in enumerate(trusted + untrusted):
            per_key[(cand.field, cand.key)].append(scores[ci].f1)
            sources.setdefault((cand.field, cand.key), cand)
            for sid, got in kept.get(ci, []):
                per_doc[(cand.field, cand.key)][(fold_no, sid)] = got
        if progress is not None and task is not None:
            progress.advance(task)

    # winners by mean held-out F1, ties to the preferred generator and shorter code
    fields: dict[str, FieldResult] = {}
    for name in schema.fields:
        options = [(k, v) for (f, k), v in per_key.items() if f == name]
        if not options:
            fields[name] = FieldResult(None, 0.0)
            continue
        best_key, best_scores = min(
            options,
            key=lambda kv: (-round(sum(kv[1]) / len(kv[1]), 3),
                            GENERATOR_PREFERENCE.get(sources[(name, kv[0])].generator, 9),
                            VARIANT_PREFERENCE.get(sources[(name, kv[0])].variant, 9),
                            len(sources[(name, kv[0])].source), kv[0]),
        )
        fields[name] = FieldResult(sources[(name, best_key)], sum(best_scores) / len(best_scores),
                                   {k: round(sum(v) / len(v), 4) for k, v in sorted(options)})

    # regenerate winners from all samples
    final_plan, final_cands = gens.propose(schema, docs, goldens)
    by_key = {(c.field, c.key): c for c in final_cands}
    bodies: dict[str, str] = {}
    for name, fr in fields.items():
        if fr.winner is None:
            continue
        # plan-based winners are re-learned from every sample; a free-form winner is kept as validated
        final = by_key.get((name, fr.winner.key), fr.winner) if fr.winner.trusted else fr.winner
        fr.winner = final
        bodies[name] = final.source
    cost = Cost(gens.cost.prompt_tokens - cost_before.prompt_tokens, gens.cost.completion_tokens - cost_before.completion_tokens,
                gens.cost.seconds - cost_before.seconds, gens.cost.requests - cost_before.requests)
    header = _header(sample_set, gens)
    source = render_module(header, final_plan, schema, bodies)
    validation = validate_artifact(source, schema, docs, goldens)
    points: list[tuple[float, int]] = []
    alt_source = _field_reliability(header, schema, fields, per_key, per_doc, by_key, docs, goldens, final_plan, points)
    reading: list[tuple[float, int]] = []
    seen = reliability.seen_layouts(artifacts.load_source(source, schema.doc_type), schema, docs, goldens, groups, reading)
    rules = reliability.learn_rules(schema, [goldens[i] for i in ids])
    rules += [{**r.model_dump(exclude_none=True), "source": "schema"} for r in schema.rules]
    return DocTypeResult(schema.doc_type, source, fields, cost, time.perf_counter() - start, validation, len(groups),
                         final_plan, rules, alt_source, seen, reliability.fit_calibrator(points),
                         reliability.point_counts(points), reliability.fit_calibrator(reading),
                         reliability.point_counts(reading))


def _field_reliability(header: str, schema: Schema, fields: dict[str, FieldResult],
                       per_key: dict[tuple[str, str], list[float]],
                       per_doc: dict[tuple[str, str], dict[tuple[int, str], Any]],
                       by_key: dict[tuple[str, str], FieldCandidate], docs: dict[str, Document],
                       goldens: dict[str, dict], plan: Plan, points: list[tuple[float, int]] | None = None) -> str | None:
    """Pick each winner's runner-ups (at most `reliability.RUNNER_UPS`, as many as the static
    limits allow in one module: `reliability.trim_runner_ups`), measure the winner's held-out
    reliability with them (stored on its FieldResult), add every field's out-of-fold (raw score,
    right) pairs to `points` (the calibrator's training data) and return the alternates module's
    source (None when it cannot pass)."""
    from extractors.validation.security import check_security
    from extractors.validation.static import check_static

    picked: dict[str, list[str]] = {}
    for name, fr in fields.items():
        if fr.winner is None:
            continue
        scores = {k: sum(v) / len(v) for (f, k), v in per_key.items() if f == name and (f, k) in by_key}

        def pref(key: str, name: str = name) -> tuple:
            c = by_key[(name, key)]
            return (GENERATOR_PREFERENCE.get(c.generator, 9), VARIANT_PREFERENCE.get(c.variant, 9), len(c.source))

        spec = schema.fields[name]
        held = sorted(per_doc.get((name, fr.winner.key), {}))
        outputs = {k: tuple(reliability.canon(per_doc.get((name, k), {}).get(d), spec) for d in held)
                   for k in [*scores, fr.winner.key]}
        picked[name] = reliability.pick_runner_ups(fr.winner.key, scores, {k: by_key[(name, k)].source for k in scores},
                                                   fr.winner.source, pref, outputs)
    sources = {key: c.source for key, c in by_key.items()}

    def render(runner_ups: dict[str, list[str]]) -> str:
        return reliability.render_alternates(header, schema, runner_ups, sources, plan.vocabulary, plan.date_order)

    def passes(runner_ups: dict[str, list[str]]) -> bool:
        src = render(runner_ups)
        return not check_static(src) and not check_security(src)

    fitted = reliability.trim_runner_ups(picked, lambda n, k: len(by_key[(n, k)].source), passes)
    alt_source = render(fitted) if fitted is not None else None
    for name, fr in fields.items():
        if fr.winner is None:
            continue
        alts = (fitted or {}).get(name, [])
        rows = [reliability.HeldOut(fold, got, [per_doc[(name, a)].get((fold, sid)) for a in alts], goldens[sid].get(name),
                                    reliability.reading_of(docs[sid], getattr(got, "page", None)))
                for (fold, sid), got in sorted(per_doc.get((name, fr.winner.key), {}).items())]
        fr.reliability = reliability.measure(schema.fields[name], rows).as_dict(alts)
        if points is not None:
            points += reliability.calibration_points(schema.fields[name], rows)
    return alt_source


def _label_signatures(schema: Schema, docs: dict[str, Document], goldens: dict[str, dict]) -> dict[str, set[str]]:
    """Per sample, the labels that carry its golden values: a layout fingerprint."""
    from extractors import runtime
    from extractors.synth import FieldEvidence, choose_labels, golden_texts, observe_field

    sigs: dict[str, set[str]] = {}
    for sid, doc in docs.items():
        pairs = list(runtime.iter_pairs(doc))
        sig: set[str] = set()
        gtexts = golden_texts(schema, goldens[sid])
        for name, spec in schema.scalar_fields().items():
            ev = FieldEvidence()
            observe_field(doc, pairs, spec, goldens[sid].get(name), ev, sid, gtexts)
            choose_labels(ev)
            sig |= {f"{name}={lab}" for lab in ev.labels}
        sigs[sid] = sig
    return sigs


def _header(sample_set: SampleSet, gens: Generators) -> str:
    model = f" model={gens.model}" if gens.model else ""
    return (
        f"# docc compiled extractor: doc_type={sample_set.doc_type}\n"
        f"# schema_sha256={sample_set.schema_sha256()}\n"
        f"# samples_sha256={sample_set.samples_sha256()}\n"
        f"# generators={'+'.join(gens.names)}{model}\n"
        "# Generated code: review it like any code; edits break the lock (recompile instead).\n"
    )


def validate_artifact(source: str, schema: Schema, docs: dict[str, Document], goldens: dict[str, dict]) -> dict[str, Any]:
    """All four stages on the assembled artifact; raises when it does not pass."""
    from extractors.validation import validate_artifact as _validate

    return _validate(source, schema, docs, goldens)
