"""`docc compile`: write, validate and lock one extraction function per document type.

For each doc type: ingest the samples; group them into layouts; for every held-out fold
(leave one layout out) let each generator propose field candidates from the training
samples only, run them on the held-out samples and score them per field; pick each field's
winner by mean held-out F1 (ties to the simpler source); regenerate the winners from all
samples; assemble the artifact, run it through the four validation stages, and lock it.
"""
from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field as dc_field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from extractors import artifacts, reliability
from extractors.candidates import Cost, FieldCandidate, plan_candidates
from extractors.classifier import build_classifier
from extractors.expectations import build_runtime_suite
from extractors.fingerprint import compiler_fingerprint
from extractors.folds import layout_groups, make_folds
from extractors.ocr_profiles import choose_profile
from extractors.plan import Plan, render_module
from extractors.schema import SampleSet, Schema, discover
from extractors.scoring import Counts, score_field
from extractors.synth import learn_plan
from extractors.tables import strategy_candidates
from extractors.validation.problems import SandboxUnavailable, ValidationFailed
from pipeline.document import Document
from pipeline.errors import DoccError

log = logging.getLogger(__name__)
console = Console(stderr=True)

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


# ---------------------------------------------------------------- running candidates

def field_module(candidate: FieldCandidate, order: str, vocabulary: list[str]) -> str:
    """A one-field module around a candidate, for scoring it alone."""
    return (
        "from extractors import runtime\n\n\n"
        f"{candidate.source.rstrip()}\n\n\n"
        f"LABELS = {tuple(sorted(vocabulary))!r}\n\n\n"
        "def extract(doc):\n"
        "    pairs = runtime.pair_index(doc, LABELS)\n"
        f"    order = runtime.date_order(doc, {order!r})\n"
        f"    return {{{candidate.field!r}: field_{candidate.field}(doc, pairs, order)}}\n"
    )


Runner = Callable[[list[str], list[Document]], list[list[dict | None]]]


def run_trusted(sources: list[str], docs: list[Document]) -> list[list[dict | None]]:
    """Run template-rendered candidates in process (their code is docc's own template)."""
    outputs = []
    for src in sources:
        fn = artifacts.load_source(src, "candidate")
        rows = []
        for doc in docs:
            try:
                rows.append(fn(doc))
            except Exception:  # a candidate that raises simply scores nothing on that doc
                rows.append(None)
        outputs.append(rows)
    return outputs


def run_sandboxed(sources: list[str], docs: list[Document]) -> list[list[dict | None]]:
    """Run untrusted (model-written) candidates through static, security and sandbox checks."""
    from extractors.validation import run_candidates
    from extractors.validation.security import check_security
    from extractors.validation.static import check_static

    outputs: list[list[dict | None]] = [[None] * len(docs) for _ in sources]
    safe = [i for i, s in enumerate(sources) if not check_static(s) and not check_security(s)]
    if not safe:
        return outputs
    runs = run_candidates([sources[i] for i in safe], docs)
    for i, run in zip(safe, runs):
        if run.status == "ok":
            outputs[i] = list(run.outputs)
    return outputs


def score_candidates(cands: list[FieldCandidate], docs: dict[str, Document], goldens: dict[str, dict],
                     schema: Schema, plan: Plan, runner: Runner,
                     keep: dict[int, list[tuple[str, Any]]] | None = None) -> dict[int, Counts]:
    """Held-out counts per candidate; `keep`, when given, also receives each one's per-document output."""
    ids = sorted(docs)
    doc_list = [docs[i] for i in ids]
    outputs = runner([field_module(c, plan.date_order, plan.vocabulary) for c in cands], doc_list)
    result: dict[int, Counts] = {}
    for ci, (cand, rows) in enumerate(zip(cands, outputs)):
        total = Counts()
        spec = schema.fields[cand.field]
        for sid, row in zip(ids, rows):
            got = row.get(cand.field) if isinstance(row, dict) else None
            total.add(score_field(got, goldens[sid].get(cand.field), spec))
            if keep is not None:
                keep.setdefault(ci, []).append((sid, got))
        result[ci] = total
    return result


# ---------------------------------------------------------------- generators

@dataclass
class Generators:
    """The candidate generators in use for one compile, and what they have cost.

    `synth` always runs. With a model (`client`), it also proposes label wordings (merged into
    the synthesizer's plan: `<backend>-plan` candidates) and free-form field functions for the
    fields the plans read poorly (`<backend>-freeform`), repaired at most `repairs` times.
    """

    names: list[str]
    client: Any = None
    backend: str = "synth"
    model: str = ""
    cost: Cost = dc_field(default_factory=Cost)
    freeform: int = 1
    repairs: int = 2
    weak_below: float = 0.9

    def propose(self, schema: Schema, docs: dict[str, Document], goldens: dict[str, dict]) -> tuple[Plan, list[FieldCandidate]]:
        plan = learn_plan(schema, docs, goldens)
        # the model's plan candidates build on the synthesizer's learned plan either way;
        # without `synth` among the backends, the synthesizer's own candidates do not compete
        cands = plan_candidates(plan, "synth") if "synth" in self.names or self.client is None else []
        if "synth" in self.names or self.client is None:
            cands += strategy_candidates(schema, docs, goldens)
        if self.client is not None:
            cands += self._plan_candidates(schema, plan)
        return plan, cands

    def _plan_candidates(self, schema: Schema, plan: Plan) -> list[FieldCandidate]:
        from extractors import llm_candidates as lc

        learned = {n: fp.labels for n, fp in plan.fields.items()}
        for tname, tp in plan.tables.items():
            for col in tp.columns:
                learned[f"{tname}.{col.name}"] = col.labels
        proposed, cost = lc.propose_labels(self.client, schema, learned)
        self.cost.add(cost)
        if not any(proposed.values()):
            return []
        merged = merge_labels(plan, proposed)
        return plan_candidates(merged, f"{self.backend}-plan", ["labels", "keywords-0.4", "keywords-0.6"], cost)

    def freeform_candidates(self, schema: Schema, fields: list[str], docs: dict[str, Document],
                            goldens: dict[str, dict], plan: Plan) -> list[FieldCandidate]:
        """Free-form functions for `fields`, written from training examples, repaired when they fail."""
        if self.client is None or self.freeform <= 0 or not fields:
            return []
        from extractors import llm_candidates as lc

        examples = field_examples(schema, docs, goldens, plan)
        cands, cost = lc.propose_field_bodies(self.client, schema, fields, examples, n=self.freeform,
                                              labels={n: plan.fields[n].labels for n in fields if n in plan.fields})
        self.cost.add(cost)
        for c in cands:
            c.generator = f"{self.backend}-freeform"
            c.trusted = False
        return [self._repaired(c, schema, docs, goldens, plan) for c in cands]

    def _repaired(self, cand: FieldCandidate, schema: Schema, docs: dict[str, Document], goldens: dict[str, dict],
                  plan: Plan) -> FieldCandidate:
        """Feed static, security or run-time failures back to the model, at most `repairs` times."""
        from extractors import llm_candidates as lc

        for attempt in range(self.repairs):
            problems = candidate_problems(cand, schema, docs, plan)
            if not problems:
                return cand
            fixed = lc.repair_body(self.client, cand, problems, attempt=attempt, schema=schema)
            self.cost.add(fixed.cost)
            fixed.generator = f"{self.backend}-freeform"
            fixed.trusted = False
            fixed.variant = f"{cand.variant}+r{attempt + 1}"
            cand = fixed
        return cand


def candidate_problems(cand: FieldCandidate, schema: Schema, docs: dict[str, Document], plan: Plan) -> list[str]:
    """What is wrong with a model-written candidate on the training samples (empty: nothing)."""
    from extractors.validation import run_candidates
    from extractors.validation.security import check_security
    from extractors.validation.static import check_static

    source = field_module(cand, plan.date_order, plan.vocabulary)
    problems = check_static(source) or check_security(source)
    if problems:
        return [str(p) for p in problems[:5]]
    ids = sorted(docs)[:4]
    run = run_candidates([source], [docs[i] for i in ids])[0]
    if run.status != "ok":
        return [f"running it failed ({run.status}): {run.error or ''}"[:300]]
    errors = [e for e in (run.errors or []) if e]
    return [str(e)[:300] for e in errors[:3]]


def field_examples(schema: Schema, docs: dict[str, Document], goldens: dict[str, dict], plan: Plan,
                   per_field: int = 3) -> dict[str, list[tuple[str, Any]]]:
    """Per scalar field, up to `per_field` (printed lines around the value, golden value) pairs."""
    from extractors import runtime
    from extractors.canonical import values_match
    from extractors.plan import kind_of

    out: dict[str, list[tuple[str, Any]]] = {}
    for sid in sorted(docs):
        doc = docs[sid]
        pairs = list(runtime.iter_pairs(doc, plan.vocabulary))
        for name, spec in schema.scalar_fields().items():
            golden = goldens[sid].get(name)
            if golden is None or len(out.get(name, [])) >= per_field:
                continue
            for pair in pairs:
                parsed = runtime.parse_value(pair.value_text, kind_of(spec), order=plan.date_order, system=spec.system)
                if parsed is not None and values_match(parsed[0], golden, spec.type):
                    snippet = f"{pair.label} {pair.value_text}" if pair.relation != "below" else f"{pair.label}\n{pair.value_text}"
                    out.setdefault(name, []).append((snippet, golden))
                    break
    return out


def merge_labels(plan: Plan, proposed: dict[str, list[str]]) -> Plan:
    """`plan` with model-proposed label wordings added as labels (`plan_with_labels`) and as
    keyword stems (0.5 each; a field's foes stay foes)."""
    from extractors import runtime
    from extractors.llm_candidates import plan_with_labels

    merged = plan_with_labels(plan, proposed)
    for name, labels in proposed.items():
        if "." in name:
            tname, cname = name.split(".", 1)
            tp = merged.tables.get(tname)
            for col in (tp.columns if tp else []):
                if col.name == cname:
                    for lab in labels:
                        for t in lab.split():
                            col.keywords.setdefault(runtime.stem(t), 0.5)
        elif name in merged.fields:
            fp = merged.fields[name]
            for lab in labels:
                for t in lab.split():
                    s = runtime.stem(t)
                    if s not in fp.foes:
                        fp.keywords.setdefault(s, 0.5)
    return merged


# ---------------------------------------------------------------- one doc type

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
    alt_source = _field_reliability(header, schema, fields, per_key, per_doc, by_key, goldens, final_plan, points)
    seen = reliability.seen_layouts(artifacts.load_source(source, schema.doc_type), schema, docs, goldens, groups)
    rules = reliability.learn_rules(schema, [goldens[i] for i in ids])
    rules += [{**r.model_dump(exclude_none=True), "source": "schema"} for r in schema.rules]
    return DocTypeResult(schema.doc_type, source, fields, cost, time.perf_counter() - start, validation, len(groups),
                         final_plan, rules, alt_source, seen, reliability.fit_calibrator(points),
                         reliability.point_counts(points))


def _field_reliability(header: str, schema: Schema, fields: dict[str, FieldResult],
                       per_key: dict[tuple[str, str], list[float]],
                       per_doc: dict[tuple[str, str], dict[tuple[int, str], Any]],
                       by_key: dict[tuple[str, str], FieldCandidate], goldens: dict[str, dict], plan: Plan,
                       points: list[tuple[float, int]] | None = None) -> str | None:
    """Pick each winner's runner-ups (as many as the static limits allow in one module, at most
    `reliability.RUNNER_UPS`), measure the winner's held-out reliability with them (stored on
    its FieldResult), add every field's out-of-fold (raw score, right) pairs to `points` (the
    calibrator's training data) and return the alternates module's source (None when it cannot pass)."""
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

        picked[name] = reliability.pick_runner_ups(fr.winner.key, scores, {k: by_key[(name, k)].source for k in scores},
                                                   fr.winner.source, pref)
    alt_source = None
    keep = 0
    for k in range(reliability.RUNNER_UPS, 0, -1):
        src = reliability.render_alternates(header, schema, {n: a[:k] for n, a in picked.items()},
                                            {key: c.source for key, c in by_key.items()}, plan.vocabulary, plan.date_order)
        if not check_static(src) and not check_security(src):
            alt_source, keep = src, k
            break
    for name, fr in fields.items():
        if fr.winner is None:
            continue
        alts = picked.get(name, [])[:keep]
        rows = [reliability.HeldOut(fold, got, [per_doc[(name, a)].get((fold, sid)) for a in alts], goldens[sid].get(name))
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


class _generators:
    """Context manager: the generators for `backends`, with the model server up while needed."""

    def __init__(self, backends: list[str]):
        self.backends = backends
        self._session = None

    def __enter__(self) -> Generators:
        gens = Generators(names=sorted(self.backends))
        llm = [b for b in self.backends if b in ("vllm", "openai")]
        if llm:
            from extractors.llm.client import llm_session

            self._session = llm_session()
            client = self._session.__enter__()
            gens.client = client
            gens.backend = llm[0]
            gens.model = getattr(client, "model", "")
        return gens

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._session.__exit__(*exc)


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
                                                             "validation", "rules", "accepted_weak", "calibrator")}
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
    md += ["", "## Confidence calibrators (isotonic, out-of-fold held-out values)", "",
           "| doc type | held-out values | right | raw score -> probability |", "|---|---|---|---|"]
    for dt, entry in sorted(lock["doc_types"].items()):
        cal = entry.get("calibrator")
        if cal:
            knots = ", ".join(f"{x:.2f}->{y:.2f}" for x, y in zip(cal["x"], cal["y"]))
            md.append(f"| {dt} | {cal['points']} | {cal['right']} | {knots} |")
        else:
            md.append(f"| {dt} | - | - | none (raw score used) |")
    artifacts.atomic_write(out / "compile_report.json", (json.dumps(report, indent=2, sort_keys=True) + "\n").encode())
    artifacts.atomic_write(out / "compile_report.md", ("\n".join(md) + "\n").encode())
    console.print(table)
