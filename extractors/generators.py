"""The candidate generators of one compile: the synthesizer always, a model when a backend asks
for one (label wordings merged into the learned plan, free-form functions repaired from their
failures), and the context manager that keeps the model server up while they run."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from extractors.candidate_runs import candidate_problems, field_examples
from extractors.candidates import Cost, FieldCandidate, plan_candidates
from extractors.plan import Plan
from extractors.schema import Schema
from extractors.synth import learn_plan
from extractors.tables import strategy_candidates
from pipeline.document import Document


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
