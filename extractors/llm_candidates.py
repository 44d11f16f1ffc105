"""LLM candidate generators: label wordings (strict JSON) and free-form field functions.

A small model writes plausible but often wrong code, so it gets narrow jobs and
validation picks:

- `propose_labels`: one strict-JSON request per document type (or `n` concurrent ones with
  other seeds and phrasings, merged by votes) for more printed wordings of each field's label
  and each table column's header. Sanitised here; `plan_with_labels` merges them into a
  synthesizer plan, which renders through the vetted template.
- `propose_field_bodies`: per field, `n` concurrent requests for a complete
  `def field_<name>(doc, pairs, order)`; the reply's code is extracted and normalised
  (`normalise_function`) so it fits into a shared artifact module.
- `repair_body`: one request to fix a candidate given its validation failures.

Documents are untrusted: every snippet of document text in a prompt is fenced and labelled
as data (`extractors.prompts`). Prompts and replies are logged at DEBUG only.

This module keeps the field-function requests and repairs; label requests live in
`extractors.llm_labels` and reply-to-code normalisation in `extractors.llm_code`, and their
public names are re-exported here so callers keep importing from `extractors.llm_candidates`.
"""
from __future__ import annotations

import logging
from typing import Any

from extractors.candidates import Cost, FieldCandidate
from extractors.llm.client import ChatRequest, ChatResult
from extractors.llm_code import CodeError, extract_code, normalise_function, parse_lenient  # noqa: F401
from extractors.llm_labels import (LABEL_CAP, LABEL_EXTRA, MAX_LABEL_CHARS, MAX_LABEL_WORDS,  # noqa: F401
                                   SAMPLE_TEMPERATURE, clean_label, cost_of, parse_json_object, plan_with_labels,
                                   propose_labels, sanitise_labels)
from extractors.prompts import body_messages, repair_messages
from extractors.schema import Schema

log = logging.getLogger(__name__)

GENERATOR_FREEFORM = "vllm-freeform"
GENERATOR_REPAIR = "vllm-repair"

__all__ = [
    "Cost", "FieldCandidate", "propose_labels", "propose_field_bodies", "repair_body",
    "sanitise_labels", "parse_json_object", "extract_code", "normalise_function", "plan_with_labels",
    "CodeError",
]


def candidate_from_reply(field: str, text: str, generator: str, variant: str, cost: Cost) -> FieldCandidate | None:
    """A candidate from one reply, or None (logged) when the reply holds no usable function."""
    try:
        source = normalise_function(extract_code(text, f"field_{field}"), field)
    except CodeError as exc:
        log.info("%s %s: %s", field, variant or generator, exc)
        return None
    return FieldCandidate(field, source, generator, variant, cost, trusted=False)  # the model wrote this body


def propose_field_bodies(client: Any, schema: Schema, fields: list[str], examples: dict[str, list[tuple[str, Any]]],
                         *, n: int = 2, seed: int = 0, max_tokens: int = 220,
                         labels: dict[str, list[str]] | None = None, concurrency: int = 8,
                         ) -> tuple[list[FieldCandidate], Cost]:
    """Free-form `def field_<name>(doc, pairs, order)` functions, `n` requests per field, all sent
    concurrently. Candidate 0 is greedy (temperature 0); candidate i > 0 is sampled with seed
    `seed+i` and a strategy hint (labels / regex / pairs loop), so reruns are reproducible.

    `examples[field]`: (printed lines around the value, golden value) from training samples,
    2-3 are shown. `labels[field]`, optional: wordings the synthesizer learned. Returns the
    candidates whose replies hold a usable function (each with its request's cost) and the
    cost of every request, including the unusable ones."""
    labels = labels or {}
    jobs: list[tuple[str, int]] = [(f, i) for f in fields for i in range(max(1, n))]
    reqs = [ChatRequest(messages=body_messages(schema, f, examples.get(f, []), strategy=i, labels=labels.get(f)),
                        max_tokens=max_tokens, temperature=0.0 if i == 0 else SAMPLE_TEMPERATURE, seed=seed + i)
            for f, i in jobs]
    results = client.chat_many(reqs, concurrency=concurrency, return_exceptions=True)
    out: list[FieldCandidate] = []
    total = Cost()
    for (f, i), r in zip(jobs, results):
        if not isinstance(r, ChatResult):
            log.warning("%s: free-form request %d failed: %s", f, i, type(r).__name__)
            continue
        cost = cost_of([r])
        total.add(cost)
        cand = candidate_from_reply(f, r.text, GENERATOR_FREEFORM, f"s{seed + i}", cost)
        if cand is not None:
            out.append(cand)
    log.info("%s: %d/%d free-form candidates for %d fields (%d+%d tokens, %.1f s summed latency)",
             schema.doc_type, len(out), len(jobs), len(fields), total.prompt_tokens, total.completion_tokens,
             total.seconds)
    return out, total


def _same_code(a: str, b: str, field: str) -> bool:
    try:
        return normalise_function(a, field) == normalise_function(b, field)
    except CodeError:
        return a.strip() == b.strip()


def repair_body(client: Any, candidate: FieldCandidate, problems: list[str], *, max_tokens: int = 220,
                attempt: int = 0, seed: int = 0, schema: Schema | None = None) -> FieldCandidate:
    """Ask the model to fix `candidate` given its failures (static problems, exception text,
    wrong outputs vs expected: say which printed line should have given which value).

    First the model sees its code and the problems and is asked for a corrected version. A
    model that echoes the old code (the 0.5B one nearly always does) or returns nothing usable
    is asked once more, without the old code, for a new function that avoids the problems; so
    one call costs one or two requests. `attempt` 0 is greedy; the caller's later attempts
    (1, 2, ...) sample with seed `seed+attempt`, so a bounded repair loop does not get the same
    answer every time and stays reproducible. `schema`, optional, names the field's type.

    Returns a new candidate tagged `vllm-repair` (variant: the original's key plus `+r`), whose
    cost is this call's requests only. When no reply holds a new usable function, the original
    source comes back (with the cost), so the caller's loop sees the same failure again."""
    temperature = 0.0 if attempt == 0 else SAMPLE_TEMPERATURE
    variant = f"{candidate.key}+r"
    cost = Cost()
    fixed: FieldCandidate | None = None
    for show_code in (True, False):
        msgs = repair_messages(candidate.field, candidate.source, [str(p) for p in problems], schema=schema,
                               show_code=show_code)
        res = client.chat(msgs, max_tokens=max_tokens, temperature=temperature, seed=seed + attempt)
        cost.add(cost_of([res]))
        fixed = candidate_from_reply(candidate.field, res.text, GENERATOR_REPAIR, variant, cost)
        if fixed is not None and not _same_code(fixed.source, candidate.source, candidate.field):
            break
        log.info("%s: repair %d of %s (%s): %s", candidate.field, attempt, candidate.key,
                 "with code" if show_code else "fresh", "no usable function" if fixed is None else "echoed the old code")
        fixed = None
    log.info("%s: repair %d of %s -> %s (%d requests, %d+%d tokens, %.1f s)", candidate.field, attempt,
             candidate.key, "new code" if fixed else "no change", cost.requests, cost.prompt_tokens,
             cost.completion_tokens, cost.seconds)
    return fixed or FieldCandidate(candidate.field, candidate.source, GENERATOR_REPAIR, variant, cost, trusted=False)
