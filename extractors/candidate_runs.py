"""Running field candidates and scoring them: each one wrapped alone in a module, run in process
(docc's own templates) or through the static, security and sandbox checks (model-written code),
scored per field against the goldens. Also what a model needs to write or repair one."""
from __future__ import annotations

from typing import Any, Callable

from extractors import artifacts
from extractors.candidates import FieldCandidate
from extractors.plan import Plan
from extractors.schema import Schema
from extractors.scoring import Counts, score_field
from pipeline.document import Document


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
    """Run template-rendered candidates in process (their code is docc's own template); they
    share each document's pair index (`runtime.shared_pair_index`)."""
    from extractors.runtime import shared_pair_index

    outputs = []
    with shared_pair_index():
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
