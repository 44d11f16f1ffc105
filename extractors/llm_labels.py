"""LLM label wordings: one strict-JSON request for more printed wordings of each label.

Split from `extractors.llm_candidates` (whose public names still import from there) because
asking for, parsing and sanitising label proposals is one job; the cost helper and sampling
temperature live here as the label request is the first user of both.
"""
from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from dataclasses import replace
from typing import Any, Sequence

from extractors import runtime
from extractors.candidates import Cost
from extractors.llm.client import ChatRequest, ChatResult, LLMError
from extractors.plan import Plan
from extractors.prompts import field_keys, labels_json_schema, labels_messages
from extractors.schema import Schema

log = logging.getLogger(__name__)

LABEL_CAP = 6
MAX_LABEL_WORDS = 5
MAX_LABEL_CHARS = 40
SAMPLE_TEMPERATURE = 0.7  # candidates after the first: sampled, with fixed seeds (reproducible)
# vLLM's repetition penalty for label lists: without it the 0.5B model fills a list with one
# label repeated; at 1.2 it lists 2-3 real variants first (1.3 invents "Brdt", "Prsn").
# Servers that reject the parameter get the request again without it.
LABEL_EXTRA: dict[str, Any] = {"repetition_penalty": 1.2}


def cost_of(results: Sequence[ChatResult]) -> Cost:
    """Tokens and seconds of some chat results. Seconds add up request latencies (concurrent
    requests overlap, so this is an upper bound on wall time)."""
    c = Cost()
    for r in results:
        c.add(Cost(r.prompt_tokens, r.completion_tokens, r.seconds, 1))
    return c


# ================================================================ label wordings

def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in a reply; a reply cut off by max_tokens is closed after its last
    complete list (the label answer is a flat `{key: [str, ...]}`). None when hopeless."""
    text = text.strip()
    start = text.find("{")
    if start < 0:
        return None
    text = text[start:]
    try:
        data = json.loads(text)
        return data if isinstance(data, dict) else None
    except json.JSONDecodeError:
        pass
    cut = text.rfind("]")
    while cut > 0:
        try:
            data = json.loads(text[:cut + 1] + "}")
            return data if isinstance(data, dict) else None
        except json.JSONDecodeError:
            cut = text.rfind("]", 0, cut)
    return None


def clean_label(label: Any) -> str | None:
    """A proposed label in the runtime's normal form, or None when it is no plausible label."""
    if not isinstance(label, str):
        return None
    phrase = runtime.norm_phrase(label.replace("_", " "))
    if not phrase or len(phrase) > MAX_LABEL_CHARS or len(phrase.split()) > MAX_LABEL_WORDS:
        return None
    letters = sum(c.isalpha() for c in phrase)
    digits = sum(c.isdigit() for c in phrase)
    if letters < 2 or digits > letters:
        return None
    return phrase


def sanitise_labels(proposals: Sequence[dict[str, Any]], keys: Sequence[str], learned: dict[str, list[str]],
                    *, cap: int = LABEL_CAP) -> dict[str, list[str]]:
    """Merge and clean label proposals (one dict per reply) into `{key: [label, ...]}`.

    Labels are lower-cased with `runtime.norm_phrase`; dropped when longer than 5 words or
    40 characters, without letters or mostly digits, already learned for the same key,
    learned for another key, or proposed for more than one key within the scalar fields or
    within one table (an ambiguous label would pull the wrong value). Labels proposed by more
    replies come first; at most `cap` per key. Every key is present in the result."""
    learned_norm = {k: {p for p in (clean_label(lb) for lb in v) if p} for k, v in learned.items()}
    votes: dict[str, Counter] = {k: Counter() for k in keys}
    first_seen: dict[str, dict[str, int]] = {k: {} for k in keys}
    for reply in proposals:
        if not isinstance(reply, dict):
            continue
        for key in keys:
            raw = reply.get(key)
            if not isinstance(raw, list):
                continue
            seen: set[str] = set()
            for item in raw:
                phrase = clean_label(item)
                if phrase is None or phrase in seen:
                    continue
                seen.add(phrase)
                votes[key][phrase] += 1
                first_seen[key].setdefault(phrase, len(first_seen[key]))

    def group(key: str) -> str:
        return key.split(".", 1)[0] if "." in key else ""

    owners: dict[tuple[str, str], set[str]] = {}
    for key in keys:
        for phrase in votes[key]:
            owners.setdefault((group(key), phrase), set()).add(key)
    out: dict[str, list[str]] = {}
    for key in keys:
        others = set().union(*(v for k, v in learned_norm.items() if k != key)) if learned_norm else set()
        own = learned_norm.get(key, set())
        ranked = sorted(votes[key], key=lambda p: (-votes[key][p], first_seen[key][p]))
        keep = [p for p in ranked
                if p not in own and p not in others and len(owners[(group(key), p)]) == 1]
        out[key] = keep[:cap]
    return out


def _chat_many_extra(client: Any, reqs: list[ChatRequest]) -> list[ChatResult | BaseException]:
    """`chat_many`; requests whose server rejects their `extra` parameters (HTTP 400) are sent
    again without them."""
    results = client.chat_many(reqs, concurrency=min(8, len(reqs)), return_exceptions=True)
    retry = [i for i, r in enumerate(results)
             if isinstance(r, LLMError) and r.status == 400 and reqs[i].extra]
    if retry:
        log.info("server rejected %s: retrying %d request(s) without it", sorted(reqs[retry[0]].extra or {}), len(retry))
        again = client.chat_many([replace(reqs[i], extra=None) for i in retry], concurrency=min(8, len(retry)),
                                 return_exceptions=True)
        for i, r in zip(retry, again):
            results[i] = r
    return results


def propose_labels(client: Any, schema: Schema, learned: dict[str, list[str]], *, n: int = 1, seed: int = 0,
                   cap: int = LABEL_CAP, max_tokens: int | None = None,
                   extra: dict[str, Any] | None = LABEL_EXTRA) -> tuple[dict[str, list[str]], Cost]:
    """More printed wordings of each scalar field's label and each table column's header.

    Keys are field names and `table.column`; `learned` (same keys) are the wordings the
    synthesizer read in the training samples. One strict-JSON request, or `n` concurrent ones
    (the first at temperature 0, the others sampled with seeds `seed+i` and other phrasings),
    merged by `sanitise_labels`. `extra` goes into the request body (default: vLLM's
    repetition penalty, see LABEL_EXTRA). Returns only new wordings (the learned ones are not
    repeated) and the cost of all requests. A request that fails or returns no usable JSON contributes
    nothing (logged), so the caller always gets a dict with every key."""
    keys = list(field_keys(schema))
    if not keys:
        return {}, Cost()
    if max_tokens is None:  # about 8 tokens a label plus JSON punctuation; bounded for the CPU server
        max_tokens = min(1000, 24 + len(keys) * (10 + 8 * cap))
    json_schema = labels_json_schema(keys, cap, MAX_LABEL_CHARS)
    reqs = [ChatRequest(messages=labels_messages(schema, learned, cap=cap, variant=i), max_tokens=max_tokens,
                        temperature=0.0 if i == 0 else SAMPLE_TEMPERATURE, seed=seed + i,
                        json_schema=json_schema, schema_name="labels", extra=dict(extra) if extra else None)
            for i in range(max(1, n))]
    results = _chat_many_extra(client, reqs)
    ok = [r for r in results if isinstance(r, ChatResult)]
    for r in results:
        if not isinstance(r, ChatResult):
            log.warning("%s: a label request failed: %s", schema.doc_type, type(r).__name__)
    replies = []
    for r in ok:
        data = parse_json_object(r.text)
        if data is None:
            log.info("%s: label reply is not JSON (%d tokens, finish %s)", schema.doc_type,
                     r.completion_tokens, r.finish_reasons[:1])
            continue
        replies.append(data)
    labels = sanitise_labels(replies, keys, learned, cap=cap)
    cost = cost_of(ok)
    log.info("%s: %d label wordings for %d keys from %d/%d replies (%d+%d tokens, %.1f s)", schema.doc_type,
             sum(map(len, labels.values())), len(keys), len(replies), len(reqs), cost.prompt_tokens,
             cost.completion_tokens, cost.seconds)
    return labels, cost


def plan_with_labels(plan: Plan, labels: dict[str, list[str]]) -> Plan:
    """A copy of `plan` with proposed wordings added to its fields' labels and columns' headers."""
    out = copy.deepcopy(plan)
    for key, extra in labels.items():
        if not extra:
            continue
        if "." in key:
            tname, cname = key.split(".", 1)
            tp = out.tables.get(tname)
            for col in (tp.columns if tp else []):
                if col.name == cname:
                    col.labels = sorted(set(col.labels) | set(extra))
        elif key in out.fields:
            fp = out.fields[key]
            fp.labels = sorted(set(fp.labels) | set(extra))
    return out
