"""Field candidates and the synthesizer's variants of them.

A candidate is the source of one field function, `def field_<name>(doc, pairs, order)`,
tagged with the generator that wrote it and what it cost. The synthesizer proposes a few
variants per field that trade recall for precision differently (exact learned labels only;
labels plus keyword evidence at two thresholds); held-out scores pick between them.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field as dc_field

from extractors.plan import Plan, render_field, render_table


@dataclass
class Cost:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    requests: int = 0

    def add(self, other: "Cost") -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.seconds += other.seconds
        self.requests += other.requests


@dataclass
class FieldCandidate:
    field: str
    source: str
    generator: str
    variant: str = ""
    cost: Cost = dc_field(default_factory=Cost)
    # Rendered by docc (synthesizer, vetted plan templates): scored in-process. A body the model
    # wrote itself (free-form, repaired) is False: it is scored only inside the sandbox.
    trusted: bool = True

    @property
    def key(self) -> str:
        return f"{self.generator}:{self.variant}" if self.variant else self.generator


SYNTH_VARIANTS = {
    "labels": {"keywords": False, "min_score": 2.0},
    "labels+shape": {"keywords": False, "min_score": 2.0, "shape": True},
    "keywords-0.6+shape": {"keywords": True, "min_score": 0.6, "shape": True},
    "keywords-0.4": {"keywords": True, "min_score": 0.4},
    "keywords-0.6": {"keywords": True, "min_score": 0.6},
    "keywords-0.9": {"keywords": True, "min_score": 0.9},
    "lex-0.6": {"keywords": True, "min_score": 0.6, "lexicon": True},
    "lex-0.6+shape": {"keywords": True, "min_score": 0.6, "lexicon": True, "shape": True},
}


def plan_variant(plan: Plan, variant: str) -> Plan:
    """A copy of `plan` with every field set to one of `SYNTH_VARIANTS`."""
    opts = SYNTH_VARIANTS[variant]
    out = copy.deepcopy(plan)
    for fp in out.fields.values():
        if not opts["keywords"]:
            fp.keywords, fp.foes = {}, {}
        fp.min_score = opts["min_score"]
        if not opts.get("shape"):
            fp.shape = None
        if not opts.get("lexicon"):
            fp.lex_labels = []
        if opts.get("lexicon"):
            fp.lex_labels = sorted(set(fp.lex_labels) - set(fp.labels))
            fp.keywords = {**fp.lex_keywords, **fp.keywords}
            fp.foes = {k: v for k, v in fp.foes.items() if k not in fp.keywords}
    return out


def plan_candidates(plan: Plan, generator: str, variants: list[str] | None = None, cost: Cost | None = None) -> list[FieldCandidate]:
    """Field candidates for every field of `plan`, one per variant (tables once)."""
    out: list[FieldCandidate] = []
    for variant in variants or list(SYNTH_VARIANTS):
        vp = plan_variant(plan, variant)
        for name, fp in vp.fields.items():
            if SYNTH_VARIANTS[variant].get("shape") and plan.fields[name].shape is None:
                continue  # identical to the variant without a shape
            if SYNTH_VARIANTS[variant].get("lexicon") and not (plan.fields[name].lex_labels or plan.fields[name].lex_keywords):
                continue
            out.append(FieldCandidate(name, render_field(name, fp), generator, variant, cost or Cost()))
    for name, tp in plan.tables.items():
        out.append(FieldCandidate(name, render_table(name, tp), generator, "table", cost or Cost()))
        if any(c.lex_labels or c.lex_keywords for c in tp.columns):
            lex = copy.deepcopy(tp)
            for c in lex.columns:
                c.labels = sorted(set(c.labels) | set(c.lex_labels))
                c.keywords = {**c.lex_keywords, **c.keywords}
            out.append(FieldCandidate(name, render_table(name, lex), generator, "table+lex", cost or Cost()))
        if any(c.required and c.kind not in ("string", "person_name") for c in tp.columns) and tp.min_columns > 1:
            # one recognised header is enough when a typed column must parse on every row
            loose = copy.deepcopy(tp)
            loose.min_columns = 1
            out.append(FieldCandidate(name, render_table(name, loose), generator, "table-1", cost or Cost()))
    return out
