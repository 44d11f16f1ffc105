"""The direct-LLM baseline: ask the same model to extract a schema's fields from each document.

The comparison docc has to win: instead of compiling one extraction function per document
type, send every document's text to the LLM with a strict JSON schema built from the docc
Schema, and score the answers exactly like the compiled extractors' output. Per document we
record prompt and completion tokens and the request latency; on a couple of documents the
request is repeated (temperature 0, fixed seed) to see whether the answers are deterministic.

Prompts carry document text: they are logged at DEBUG only.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from extractors.schema import FieldSpec, Schema
from pipeline.settings import settings

log = logging.getLogger(__name__)

# Conservative characters per token for document text: Qwen2.5 splits every digit into its own
# token, and medical documents are full of dates, codes and numbers.
CHARS_PER_TOKEN = 2.5
SAFETY_TOKENS = 96
# JSON-constrained decoding lets a small model emit whitespace until max_tokens (minutes on a
# CPU). Valid answers never hold these runs, so stop there: the answer is then unparseable and
# scored as a failed document, quickly.
RUNAWAY_STOPS = ("\n\n\n\n", " " * 40, "\t\t\t\t\t\t")

_TYPE_HINTS = {
    "string": "text as printed",
    "person_name": "a person's name as printed",
    "date": "a date formatted YYYY-MM-DD",
    "datetime": "a date and time formatted YYYY-MM-DDTHH:MM",
    "integer": "a whole number",
    "decimal": "a number",
    "phone": "a phone number, digits",
    "identifier": "an identifier exactly as printed",
    "code": "a code exactly as printed",
}


def _describe(name: str, spec: FieldSpec) -> str:
    hint = _TYPE_HINTS.get(spec.type, spec.type)
    if spec.type == "code" and spec.system:
        hint = f"a {spec.system.upper()} code exactly as printed"
    text = f"{name}: {hint}"
    if spec.description:
        text += f" ({spec.description})"
    return text


def _scalar_schema(name: str, spec: FieldSpec) -> dict[str, Any]:
    json_type = {"integer": "integer", "decimal": "number"}.get(spec.type, "string")
    return {"type": [json_type, "null"], "description": _describe(name, spec) + "; null when absent"}


def json_schema_for(schema: Schema) -> dict[str, Any]:
    """Strict JSON schema for one doc type: every field required, null when absent; dates as strings
    with the YYYY-MM-DD pattern named in the description; tables as arrays of row objects."""
    props: dict[str, Any] = {}
    for name, spec in schema.fields.items():
        if spec.type == "table":
            cols = {c: _scalar_schema(c, cs) for c, cs in spec.columns.items()}
            props[name] = {
                "type": "array",
                "description": f"{name}: one object per table row" + (f" ({spec.description})" if spec.description else ""),
                "items": {"type": "object", "properties": cols, "required": list(cols), "additionalProperties": False},
            }
        else:
            props[name] = _scalar_schema(name, spec)
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def completion_budget(schema: Schema) -> int:
    """max_tokens for the answer: room for every scalar plus a few dozen table rows."""
    scalars = len(schema.scalar_fields())
    tables = schema.table_fields()
    budget = 48 + 32 * scalars
    for spec in tables.values():
        budget += 40 + 8 * len(spec.columns) * 12  # about a dozen rows of ~8-token cells (key included)
    return int(min(budget, settings().llm_max_model_len // 2))


def truncate_text(text: str, max_chars: int) -> str:
    """Collapse runs of blank space; when still too long keep the head (80%) and the tail (20%)
    around a marker saying how much was cut. Headers carry most fields; tails carry signatures."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(text) <= max_chars:
        return text
    marker = "\n[… {} characters omitted …]\n"
    room = max(0, max_chars - len(marker.format(len(text))))
    head = int(room * 0.8)
    tail = room - head
    omitted = len(text) - head - tail
    return text[:head] + marker.format(omitted) + (text[-tail:] if tail else "")


SYSTEM_PROMPT = (
    "You extract fields from healthcare documents. Answer with one JSON object that matches the "
    "given JSON schema and nothing else. Copy values as printed in the document; write dates as "
    "YYYY-MM-DD; use null for a field the document does not contain and [] for an empty table."
)


def build_messages(schema: Schema, text: str, max_tokens: int) -> list[dict[str, str]]:
    """System and user messages with the document text truncated to fit max-model-len."""
    field_lines = []
    for name, spec in schema.fields.items():
        if spec.type == "table":
            cols = "; ".join(_describe(c, cs) for c, cs in spec.columns.items())
            field_lines.append(f"- {name}: a table, one object per row with columns: {cols}")
        else:
            field_lines.append(f"- {_describe(name, spec)}")
    head = (f"Document type: {schema.doc_type}" + (f" ({schema.description})" if schema.description else "")
            + "\nFields to extract:\n" + "\n".join(field_lines) + "\n\nDocument text:\n")
    overhead = (len(SYSTEM_PROMPT) + len(head)) / 3.0 + 32
    budget_tokens = settings().llm_max_model_len - max_tokens - overhead - SAFETY_TOKENS
    max_chars = max(200, int(budget_tokens * CHARS_PER_TOKEN))
    body = truncate_text(text, max_chars)
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": head + body}]


# ---------------------------------------------------------------- running


@dataclass
class BaselineDoc:
    """One document to send: where it belongs and its text."""

    set_name: str
    doc_type: str
    doc_id: str
    text: str
    golden: dict[str, Any]


@dataclass
class BaselineResult:
    doc: BaselineDoc
    extracted: dict[str, Any] | None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    truncated: bool = False
    finish_reason: str = ""


@dataclass
class BaselineRun:
    results: list[BaselineResult]
    model: str
    backend: str
    concurrency: int
    wall_seconds: float
    determinism: list[dict[str, Any]] = field(default_factory=list)


def parse_answer(text: str, schema: Schema) -> dict[str, Any]:
    """The JSON object of an answer, restricted to the schema's fields (missing ones are null)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("answer is not a JSON object")
    out: dict[str, Any] = {}
    for name, spec in schema.fields.items():
        value = data.get(name)
        if spec.type == "table":
            value = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else None
        out[name] = value
    return out


def run_baseline(client: Any, docs: Sequence[BaselineDoc], schemas: dict[str, Schema], *,
                 concurrency: int | None = None, determinism_docs: int = 2,
                 progress: Callable[[int], None] | None = None) -> BaselineRun:
    """Send every document to `client` (an `extractors.llm.client.LLMClient`), parse and return the
    answers with token counts and latency. Requests are sent `concurrency` at a time (vLLM batches
    them); each result's `seconds` is that request's latency as the client saw it."""
    from extractors.llm.client import ChatRequest

    concurrency = concurrency or settings().baseline_concurrency
    requests = []
    truncated = []
    for d in docs:
        schema = schemas[d.doc_type]
        max_tokens = completion_budget(schema)
        messages = build_messages(schema, d.text, max_tokens)
        truncated.append("characters omitted …]" in messages[1]["content"])
        requests.append(ChatRequest(messages=messages, max_tokens=max_tokens, temperature=0.0, seed=0,
                                    json_schema=json_schema_for(schema), schema_name=d.doc_type, stop=RUNAWAY_STOPS))
    results: list[BaselineResult] = []
    t0 = time.monotonic()
    # Chunks of `concurrency` so the progress bar moves; vLLM batches within a chunk.
    step = max(1, concurrency)
    answers: list[Any] = []
    for i in range(0, len(requests), step):
        chunk = requests[i:i + step]
        answers.extend(client.chat_many(chunk, concurrency=concurrency, return_exceptions=True))
        if progress:
            progress(len(chunk))
    wall = time.monotonic() - t0
    for d, ans, trunc in zip(docs, answers, truncated):
        if isinstance(ans, BaseException):
            log.warning("direct-LLM request failed for %s/%s: %s", d.doc_type, d.doc_id, type(ans).__name__)
            results.append(BaselineResult(d, None, error=f"{type(ans).__name__}: {str(ans)[:200]}", truncated=trunc))
            continue
        finish = ans.finish_reasons[0] if getattr(ans, "finish_reasons", None) else ""
        try:
            extracted = parse_answer(ans.text, schemas[d.doc_type])
            error = None
        except (ValueError, json.JSONDecodeError) as e:
            extracted, error = None, f"unparseable answer ({type(e).__name__}; finish_reason={finish or '?'})"
            log.warning("direct-LLM answer for %s/%s is not valid JSON (finish_reason=%s)", d.doc_type, d.doc_id, finish)
        results.append(BaselineResult(d, extracted, error, ans.prompt_tokens, ans.completion_tokens, ans.seconds, trunc, finish))

    determinism = []
    answered = [(d, req, first) for d, req, first, res in zip(docs, requests, answers, results) if res.error is None]
    for d, req, first in answered[:determinism_docs]:
        try:
            again = client.chat(req.messages, max_tokens=req.max_tokens, temperature=0.0, seed=0,
                                json_schema=req.json_schema, schema_name=req.schema_name, stop=req.stop)
        except Exception as e:  # noqa: BLE001 - recorded, the comparison still stands
            determinism.append({"doc_type": d.doc_type, "doc_id": d.doc_id, "identical": None, "error": type(e).__name__})
            continue
        determinism.append({"doc_type": d.doc_type, "doc_id": d.doc_id, "identical": again.text == first.text})
    return BaselineRun(results, getattr(client, "model", ""), getattr(client, "base_url", ""), concurrency, wall, determinism)
