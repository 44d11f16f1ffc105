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
"""
from __future__ import annotations

import ast
import builtins
import copy
import inspect
import json
import logging
import re
import textwrap
from collections import Counter
from dataclasses import replace
from typing import Any, Sequence

from pipeline.errors import DoccError
from extractors import runtime
from extractors.candidates import Cost, FieldCandidate
from extractors.llm.client import ChatRequest, ChatResult, LLMError
from extractors.plan import Plan
from extractors.prompts import (body_messages, field_keys, labels_json_schema, labels_messages,
                                repair_messages)
from extractors.schema import Schema

log = logging.getLogger(__name__)

GENERATOR_FREEFORM = "vllm-freeform"
GENERATOR_REPAIR = "vllm-repair"
LABEL_CAP = 6
MAX_LABEL_WORDS = 5
MAX_LABEL_CHARS = 40
SAMPLE_TEMPERATURE = 0.7  # candidates after the first: sampled, with fixed seeds (reproducible)
# vLLM's repetition penalty for label lists: without it the 0.5B model fills a list with one
# label repeated; at 1.2 it lists 2-3 real variants first (1.3 invents "Brdt", "Prsn").
# Servers that reject the parameter get the request again without it.
LABEL_EXTRA: dict[str, Any] = {"repetition_penalty": 1.2}

__all__ = [
    "Cost", "FieldCandidate", "propose_labels", "propose_field_bodies", "repair_body",
    "sanitise_labels", "parse_json_object", "extract_code", "normalise_function", "plan_with_labels",
    "CodeError",
]


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


# ================================================================ code from replies

class CodeError(DoccError, ValueError):
    """A reply holds no usable function."""


_FENCED = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_CODE_START = re.compile(r"^(?:def |import |from |@)", re.M)


def extract_code(text: str, name: str | None = None) -> str:
    """The Python code in a model reply: the fenced block that defines `name` (else the first
    with a `def`, else the first), or the text from its first `def`/`import` line when there
    is no fence. An unterminated fence (reply cut off) counts."""
    blocks = [m.group(2) for m in _FENCED.finditer(text)]
    if blocks:
        for want in ([f"def {name}("] if name else []) + ["def "]:
            for b in blocks:
                if want in b:
                    return textwrap.dedent(b).strip("\n")
        return textwrap.dedent(blocks[0]).strip("\n")
    m = _CODE_START.search(text)
    return textwrap.dedent(text[m.start():] if m else text).strip("\n")


def parse_lenient(code: str) -> ast.Module:
    """Parse `code`; when it does not parse (often a reply cut off by max_tokens), drop
    trailing lines until it does. Raises CodeError when nothing with a `def` is left."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end])
        if "def " not in chunk:
            break
        try:
            return ast.parse(chunk)
        except (SyntaxError, ValueError):
            continue
    raise CodeError("the reply holds no Python function that parses")


_MODULES = {"re": "re", "datetime": "datetime", "decimal": "decimal", "runtime": "runtime",
            "extractors.runtime": "runtime"}
_DROP_IMPORTS = {"typing", "__future__", "typing_extensions"}
_CANON_IMPORT = {"re": "import re", "datetime": "import datetime", "decimal": "import decimal"}
FIELD_ARGS = ("doc", "pairs", "order")
_BUILTINS = frozenset(dir(builtins))


class _Rewrite(ast.NodeTransformer):
    """Canonical module references, renamed module-level helpers, no annotations."""

    def __init__(self, aliases: dict[str, str], imported: dict[str, tuple[str, str]], renames: dict[str, str]):
        self.aliases = aliases            # local name -> canonical module name
        self.imported = imported          # local name -> (canonical module, attribute)
        self.renames = renames            # module-level helper name -> prefixed name

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.renames:
            return ast.copy_location(ast.Name(self.renames[node.id], node.ctx), node)
        if isinstance(node.ctx, ast.Load):
            if node.id in self.imported:
                mod, attr = self.imported[node.id]
                return ast.copy_location(ast.Attribute(ast.Name(mod, ast.Load()), attr, ast.Load()), node)
            if node.id in self.aliases and self.aliases[node.id] != node.id:
                return ast.copy_location(ast.Name(self.aliases[node.id], ast.Load()), node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # extractors.runtime.x -> runtime.x
        v = node.value
        if (isinstance(v, ast.Attribute) and v.attr == "runtime" and isinstance(v.value, ast.Name)
                and v.value.id == "extractors"):
            return ast.copy_location(ast.Attribute(ast.Name("runtime", ast.Load()), node.attr, node.ctx), node)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name in self.renames:
            node.name = self.renames[node.name]
        node.returns = None
        for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]:
            if a is not None:
                a.annotation = None
        body = []
        for stmt in node.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and _import_is_hoistable(stmt):
                continue  # hoisted to module level (collected beforehand)
            body.append(stmt)
        node.body = body or [ast.Pass()]
        self.generic_visit(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "runtime"):
            return node
        params = _runtime_keywords(f.attr)
        if params is not None:  # `runtime.search(..., pairs=pairs)`: a common slip, a sure TypeError
            node.keywords = [kw for kw in node.keywords if kw.arg is None or kw.arg in params]
        if f.attr == "field":
            for kw in node.keywords:
                if kw.arg == "labels":
                    kw.value = _norm_label_literal(kw.value)
                elif kw.arg in ("keywords", "foes"):
                    kw.value = _stem_keyword_literal(kw.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.Pass()
        return ast.copy_location(ast.Assign([node.target], self.visit(node.value)), node)

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        return node if not _import_is_hoistable(node) else None

    visit_ImportFrom = visit_Import


def _runtime_keywords(name: str) -> frozenset[str] | None:
    """Keyword names `runtime.<name>` accepts; None when unknown or it takes **kwargs."""
    fn = getattr(runtime, name, None) if not name.startswith("_") else None
    if fn is None or not callable(fn):
        return None
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return frozenset(n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.POSITIONAL_ONLY)


def _norm_label_literal(node: ast.expr) -> ast.expr:
    """`labels=["Date of Birth", "DOB:", "dob"]` -> `["date of birth", "dob"]`: runtime.field compares
    `norm_phrase(printed label)` with its labels, so other spellings could never match."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return node
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return node
    seen: list[str] = []
    for e in node.elts:
        p = runtime.norm_phrase(e.value.replace("_", " "))
        if p and p not in seen:
            seen.append(p)
    return ast.copy_location(ast.List([ast.Constant(p) for p in seen], ast.Load()), node)


def _stem_keyword_literal(node: ast.expr) -> ast.expr:
    """`keywords={"birth": 1.0}` -> `{"birt": 1.0}`: runtime.field looks keywords up by `runtime.stem`."""
    if not isinstance(node, ast.Dict) or not all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return node
    if not all(isinstance(v, ast.Constant) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool)
               for v in node.values):
        return node
    merged: dict[str, float] = {}
    for k, v in zip(node.keys, node.values):
        for token in k.value.split():
            s = runtime.stem(token)
            if s:
                merged[s] = max(merged.get(s, v.value), v.value)
    return ast.copy_location(ast.Dict([ast.Constant(k) for k in merged], [ast.Constant(v) for v in merged.values()]), node)


def _module_of(name: str | None) -> str | None:
    return _MODULES.get(name or "")


def _import_is_hoistable(node: ast.Import | ast.ImportFrom) -> bool:
    """Whether an import only names allowed modules (rewritten canonically) or typing (dropped)."""
    if isinstance(node, ast.Import):
        return all(_module_of(a.name) or a.name in _DROP_IMPORTS or a.name == "extractors" for a in node.names)
    if node.level:
        return False
    if node.module in _DROP_IMPORTS:
        return True
    if node.module == "extractors":
        return all(a.name == "runtime" for a in node.names)
    return _module_of(node.module) is not None and all(a.name != "*" for a in node.names)


def _collect_imports(tree: ast.Module) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Local names bound by allowed imports: aliases (name -> canonical module) and names
    imported from a module (name -> (canonical module, attribute))."""
    aliases: dict[str, str] = {}
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and _import_is_hoistable(node):
            for a in node.names:
                mod = _module_of(a.name)
                if mod and (a.asname or "." not in a.name):
                    aliases[a.asname or a.name] = mod
                # `import extractors.runtime` binds `extractors`: `extractors.runtime.x` is rewritten
        elif isinstance(node, ast.ImportFrom) and _import_is_hoistable(node):
            if node.module in _DROP_IMPORTS:
                continue
            if node.module == "extractors":
                for a in node.names:
                    aliases[a.asname or a.name] = "runtime"
                continue
            mod = _module_of(node.module)
            for a in node.names:
                imported[a.asname or a.name] = (mod, a.name)
    return aliases, imported


def _names_loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free_names(node: ast.AST) -> set[str]:
    """Names an expression reads that it does not bind itself (lambda parameters, comprehension targets)."""
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.Lambda)
              for a in [*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs, n.args.vararg, n.args.kwarg] if a}
    return _names_loaded(node) - bound


def _pick_function(funcs: list[ast.FunctionDef], name: str, field: str) -> ast.FunctionDef | None:
    for f in funcs:
        if f.name == name:
            return f
    for test in (lambda f: field in f.name, lambda f: f.name.startswith(("field_", "extract", "get_")),
                 lambda f: [a.arg for a in f.args.args[:1]] == ["doc"]):
        hits = [f for f in funcs if test(f)]
        if len(hits) == 1:
            return hits[0]
    return funcs[0] if len(funcs) == 1 else None


def normalise_function(code: str, field: str) -> str:
    """Turn model code into one self-contained candidate: `def field_<field>(doc, pairs, order)`.

    - the target is the function of that name, else the one whose name mentions the field,
      else the only function; it is renamed, and given the `(doc, pairs, order)` parameters
      when it takes fewer;
    - imports of re, datetime, decimal and extractors.runtime, wherever they were written, become
      `import re` / `import datetime` / `import decimal` at the top (runtime comes from the
      artifact's header), with `from m import x` uses rewritten to `m.x` and aliases undone (so
      candidates of different fields cannot rebind each other's names in one artifact); typing
      imports and annotations go;
    - in `runtime.*` calls, keyword arguments the helper does not take are dropped, and
      `runtime.field`'s literal labels and keywords are put in the runtime's form
      (`norm_phrase`d labels, `stem`med keywords), which the model rarely gets right;
    - other imports stay as written (validation rejects them, and the repair prompt says why);
    - module-level helpers and constants are renamed `field_<field>_<name>`; top-level
      statements that are neither definitions nor constant assignments (example usage,
      `if __name__ == ...`) are dropped.

    Raises CodeError when there is no function."""
    target = f"field_{field}"
    tree = parse_lenient(code)
    funcs = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    fn = _pick_function(funcs, target, field)
    if fn is None:
        raise CodeError(f"the reply does not define {target}(doc, pairs, order)")
    aliases, imported = _collect_imports(tree)
    module_names = {"re", "datetime", "decimal", "runtime"}
    kept: list[ast.stmt] = []
    defined: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if not _import_is_hoistable(stmt):
                kept.append(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            kept.append(stmt)
            defined.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if not all(isinstance(t, ast.Name) for t in targets):
                continue
            free = _free_names(stmt.value) - set(aliases) - set(imported) - module_names - defined - _BUILTINS
            if free:
                continue  # refers to something undefined at module level: example usage
            kept.append(stmt)
            defined.update(t.id for t in targets)
        # anything else (docstrings, calls, prints, loops, `if __name__`): example usage, dropped
    renames = {n: f"{target}_{n.lstrip('_')}" for n in defined if n != fn.name}
    renames[fn.name] = target
    if fn.name == target:
        renames.pop(target)
    rewritten = _Rewrite(aliases, imported, renames)
    new_body = [rewritten.visit(s) for s in kept]
    new_body = [s for s in new_body if s is not None]
    fn_new = next(s for s in new_body if isinstance(s, ast.FunctionDef) and s.name == target)
    _fix_signature(fn_new)
    # runtime comes from the artifact's header (`render_module`); the others are imported here
    loaded = _names_loaded(ast.Module(new_body, []))
    header = [_CANON_IMPORT[m] for m in ("re", "datetime", "decimal") if m in loaded]
    # the target last, helpers and constants before it
    ordered = [s for s in new_body if s is not fn_new] + [fn_new]
    body = ast.unparse(ast.fix_missing_locations(ast.Module(ordered, [])))
    return ("\n".join(header) + "\n\n" if header else "") + body + "\n"


def _fix_signature(fn: ast.FunctionDef) -> None:
    """At least three positional parameters, so `field_x(doc, pairs, order)` binds."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    if len(positional) >= 3 or args.vararg:
        return
    # a local variable of the wanted name keeps it; a free use of it (`pairs` read but not
    # a parameter) is exactly what the new parameter binds
    taken = {a.arg for a in [*positional, *args.kwonlyargs]}
    taken |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    for wanted in FIELD_ARGS[len(positional):]:
        name = wanted
        while name in taken:
            name += "_arg"
        args.args.append(ast.arg(name))
        taken.add(name)
        if args.defaults:  # parameters after a defaulted one need a default too
            args.defaults.append(ast.Constant(None))


# ================================================================ free-form field functions

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
