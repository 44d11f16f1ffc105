"""The deterministic synthesizer: learns an extraction plan from labeled samples alone.

For each field it finds where the golden value is printed in every sample (the label/value
pairs whose value parses to the golden value), and learns the label wording, the keyword
stems that name the field rather than its neighbours, the label/value relation and the
date order. For tables it finds the row carrying the first golden row and reads the
column headers above it. No model is involved, so compilation works with none at all.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import yaml
from dataclasses import dataclass, field as dc_field
from typing import Any, Iterable

from extractors import runtime
from extractors._rt_rows import prints_same
from extractors.canonical import canonical, values_match
from extractors.plan import ColumnPlan, FieldPlan, Plan, TablePlan, kind_of
from extractors.schema import FieldSpec, Schema
from extractors.scoring import score_field
from extractors.tables import section as section_strategy
from pipeline.document import Document


@dataclass
class FieldEvidence:
    """What the samples show about one scalar field."""

    labels: Counter = dc_field(default_factory=Counter)
    relations: Counter = dc_field(default_factory=Counter)
    orders: Counter = dc_field(default_factory=Counter)
    found_in: set = dc_field(default_factory=set)
    sample_labels: dict = dc_field(default_factory=dict)
    observations: list = dc_field(default_factory=list)
    contexts: dict = dc_field(default_factory=dict)  # sample id -> block titles above matching labels
    titles: dict = dc_field(default_factory=dict)  # (sample id, label) -> block titles (None: none) there
    trailing: Counter = dc_field(default_factory=Counter)  # labels printed after/below their value
    settled: Counter = dc_field(default_factory=Counter)  # day/month orders this field's dates show
    rests: dict = dc_field(default_factory=dict)  # (sample id, label, relation) -> words printed after the value
    label_settled: dict = dc_field(default_factory=dict)  # (sample id, label) -> orders its dates settle
    label_orders: dict = dc_field(default_factory=dict)  # label -> Counter of settled orders at chosen labels
    label_relations: dict = dc_field(default_factory=dict)  # label -> Counter of relations at chosen labels
    chosen_rests: dict = dc_field(default_factory=dict)  # sample id -> what followed the value at its chosen label
    scanned: set = dc_field(default_factory=set)  # samples read by OCR


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[_\W]+", name.lower()) if t]


_MONTH_WORDS = frozenset("jan january feb february mar march apr april may jun june jul july aug august sep sept "
                         "september oct october nov november dec december".split())
RELATION_PRIOR = {"colon": 2.0, "right": 1.0, "below": 0.8, "inline": 0.5, "before": 0.4, "above": 0.4}


def observe_field(doc: Document, pairs: list[runtime.Pair], spec: FieldSpec, golden: Any,
                  ev: FieldEvidence, sample_id: str, golden_texts: set[str] | None = None,
                  printed_values: frozenset[str] = frozenset()) -> None:
    """Record every pair in `doc` whose value reads as the golden value.

    A label that prints another golden value of the same document (a name above a date, say)
    is no label; `choose_labels` later keeps only the best-supported label per sample.
    """
    if golden is None:
        return
    if any(p.source == "ocr" for p in doc.pages):
        ev.scanned.add(sample_id)
    kind = kind_of(spec)
    want = canonical(golden, spec.type)
    for pair in pairs:
        label = runtime.norm_phrase(pair.label)
        if not label or any(ch.isdigit() for ch in label) or len(label.split()) > 5:
            continue
        if golden_texts and any(g and (g in label or label in g) for g in golden_texts):
            continue
        if label in printed_values:  # 'AB', a table's pointer cell, left of a unit count: a value, no label
            continue
        text = pair.value_text
        # a string may be printed with more after it in its cell ('Furosemide 40 mg tablet'):
        # every prefix is tried, and what follows the value is kept to learn a suffix to cut
        takes = (range(min(len(pair.value_words), 16), 0, -1) if kind == "string"
                 else (len(pair.value_words), 8, 4, 3, 2))
        for order in (("mdy", "dmy") if kind == "date" else ("mdy",)):
            matched = False
            for take in takes:
                words = pair.value_words[:take]
                hit = _parsed_canonical(" ".join(w.text for w in words), kind, order, spec.system, spec.type)
                if hit is not None and hit[0] == want:
                    matched = True
                    break
            if not matched:
                continue
            ev.observations.append((sample_id, label, pair.relation))
            if kind == "string":
                rest = " ".join(w.text for w in pair.value_words[take:])
                ev.rests.setdefault((sample_id, label, pair.relation), rest)
            title = runtime.block_title(doc, pair)
            ev.titles.setdefault((sample_id, label), set()).add(title)
            own = runtime.norm_phrase(str(golden).replace(",", " "))
            printed = {*(golden_texts or ()), own, *(t for t in own.split() if len(t) >= 4)}
            if title and not any(g and (g in title or title in g) for g in printed):
                ev.contexts.setdefault(sample_id, set()).add(title)  # a printed value is no title
            if kind == "date" and re.search(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", text):
                ev.orders[order] += 1
                m = re.search(r"(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}", text)
                a, b = int(m.group(1)), int(m.group(2))
                if a != b:  # 25/06 settles day first by itself; 05/06 by its golden value
                    settled = "dmy" if a > 12 else "mdy" if b > 12 else order
                    ev.settled[settled] += 1
                    ev.label_settled.setdefault((sample_id, label), set()).add(settled)
            break


@lru_cache(maxsize=1 << 17)
def _parsed_canonical(text: str, kind: str, order: str, system: str | None, field_type: str) -> tuple[str | None, int] | None:
    """The canonical form of the value `text` parses to, and the length of the text it was read
    from (None: no value). Memoised: every fold and field re-reads the same printed spans."""
    parsed = runtime.parse_value(text, kind, order=order, system=system)
    return None if parsed is None else (canonical(parsed[0], field_type), len(parsed[1]))


def choose_labels(ev: FieldEvidence) -> None:
    """Per sample keep the best label: explicit relations first, then labels seen in more
    samples; a label only scans chose gives way to text-layer samples' labels."""
    support: Counter = Counter()
    for sid, label in {(sid, label) for sid, label, _ in ev.observations}:
        support[label] += 1
    best: dict[str, tuple[float, str, str]] = {}
    for sid, label, relation in ev.observations:
        score = RELATION_PRIOR[relation] + 2.0 * support[label] / max(1, len({o[0] for o in ev.observations}))
        cur = best.get(sid)
        if cur is None or (score, label) > (cur[0], cur[1]):
            best[sid] = (score, label, relation)
    for sid, (_, label, relation) in sorted(best.items()):
        ev.label_relations.setdefault(label, Counter())[relation] += 1
        for order in ev.label_settled.get((sid, label), ()):
            ev.label_orders.setdefault(label, Counter())[order] += 1
        if (sid, label, relation) in ev.rests:
            ev.chosen_rests[sid] = ev.rests[(sid, label, relation)]
        ev.relations[relation] += 1
        ev.found_in.add(sid)
        if relation in runtime.TRAILING_RELATIONS:  # 'Jill Reyes' over 'Prescriber': a label after its value
            ev.trailing[label] += 1
            continue
        ev.labels[label] += 1
        ev.sample_labels.setdefault(sid, set()).add(label)
    # OCR groups a scan's words less surely than a text layer: a wording only scans chose
    # ('SIGNATURE OF PHYSICIAN' beside a total OCR read onto its line) is no label when
    # text-layer samples of the field settle on others
    text_layer_labels = {l for sid, ls in ev.sample_labels.items() if sid not in ev.scanned for l in ls}
    if text_layer_labels:
        for label in [l for l in ev.labels if l not in text_layer_labels]:
            del ev.labels[label]


def printed_values(schema: Schema, golden: dict) -> frozenset[str]:
    """Normalised text of every golden value of a sample, table cells included, however short:
    a word the sample prints as a value is nobody's label there."""
    values = [golden.get(n) for n in schema.scalar_fields()]
    for n in schema.table_fields():
        values += [v for row in (golden.get(n) or []) if isinstance(row, dict) for v in row.values()]
    return frozenset(p for p in (runtime.norm_phrase(v) for v in values if isinstance(v, str)) if p)


def golden_texts(schema: Schema, golden: dict) -> set[str]:
    """Normalised printed forms of a sample's scalar golden values (names, ids, strings)."""
    out = set()
    for name, spec in schema.scalar_fields().items():
        v = golden.get(name)
        if isinstance(v, str) and spec.type in ("person_name", "string", "identifier") and len(v) >= 3:
            phrase = runtime.norm_phrase(v.replace(",", " "))
            if phrase:
                out.add(phrase)
                out.update(t for t in phrase.split() if len(t) >= 4)
    return out


FUNCTION_WORDS = frozenset({"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "per", "the", "to", "with"})


FOE_LABEL_WORDS = 2


def content_words(label: str) -> list[str]:
    return [t for t in label.split() if t not in FUNCTION_WORDS]


def keyword_weights(label_sets: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    """P(field | stem) over each field's label variants (and its name's tokens, at half weight).
    Function words (`of`, `the`, ...) are no evidence: every label may hold them."""
    stem_fields: dict[str, Counter] = defaultdict(Counter)
    for fname, labels in label_sets.items():
        for label in labels:
            for s in {runtime.stem(t) for t in label.split() if t not in FUNCTION_WORDS}:
                stem_fields[s][fname] += 1.0
        for s in {runtime.stem(t) for t in _name_tokens(fname)}:
            stem_fields[s][fname] += 0.5
    weights: dict[str, dict[str, float]] = defaultdict(dict)
    for s, counts in stem_fields.items():
        total = sum(counts.values())
        for fname, c in counts.items():
            weights[fname][s] = round(c / total, 3)
    return weights


def learn_plan(schema: Schema, docs: dict[str, Document], goldens: dict[str, dict], *,
               min_score: float = 0.6) -> Plan:
    """A plan for every field, learned from the samples `docs` (id -> document) and their goldens.

    Two passes: the first learns label wordings; the second re-reads the samples knowing them,
    which splits 'value NEXT LABEL: value' runs correctly.
    """
    first = _learn(schema, docs, goldens, min_score, frozenset())
    vocab = frozenset(l for fp in first.fields.values() for l in fp.labels)
    plan = _learn(schema, docs, goldens, min_score, vocab)
    # every wording known to name some field, learned or from the lexicon: none of them is a value
    plan.vocabulary = sorted(vocab | {l for fp in plan.fields.values() for l in (*fp.labels, *fp.lex_labels)})
    return plan


def needs_context(ev: FieldEvidence, shared: set[str], context: set[str]) -> list[str]:
    """Labels another field also prints (`Name` for the patient and the prescriber) that named
    this field only inside its own blocks (`Prescriber`): elsewhere they name the other field."""
    if not context:
        return []
    out = []
    for label in sorted(shared):
        seen = [ev.titles.get((sid, label), {None}) for sid, labels in ev.sample_labels.items() if label in labels]
        if seen and all(titles <= context for titles in seen):
            out.append(label)
    return out


def closed_values(goldens: list[Any]) -> str | None:
    """A regex for a field whose samples print one of a few single words (`Female` / `Male`),
    each at least twice: on an unseen page another label's words (`Marital Status`) are then
    no value. None for open-ended fields."""
    values = [str(g).strip() for g in goldens if g is not None and str(g).strip()]
    seen = Counter(v.casefold() for v in values)
    if len(values) < 4 or len(seen) > 4 or any(n < 2 for n in seen.values()) or not all(v.isalpha() for v in values):
        return None
    return r"(?i)(?<![\w])(" + "|".join(re.escape(v) for v in sorted(seen)) + r")(?![\w])"


def name_order(goldens: list[Any]) -> str | None:
    """How the samples' labels write this person's name: 'last_first' when every one reads
    `LAST, First`, 'first_last' when none has a comma; None when they differ or one is not
    name-shaped (a learned order also tells `field` to read only name-shaped values)."""
    names = [g for g in goldens if isinstance(g, str)]
    if len(names) < 2 or any(not runtime.name_shaped(g) for g in names):
        return None
    commas = sum("," in g for g in names)
    return "last_first" if commas == len(names) else "first_last" if commas == 0 else None


def field_date_order(ev: FieldEvidence, min_votes: int = 2) -> str | None:
    """The day/month order every sample that settles it prints this field in ('mdy' when each
    printed a/b/yyyy date reads as its golden value month first); None when they disagree."""
    votes = {o: n for o, n in ev.settled.items() if n}
    if len(votes) != 1:
        return None
    (order, n), = votes.items()
    return order if n >= min_votes else None


def learned_suffix(ev: FieldEvidence, goldens: list[Any], min_samples: int = 3) -> str | None:
    """A regex for what the samples print after the value in the same cell (`40 mg tablet`
    after `Furosemide`, `(A41.9)` after a diagnosis), when at least `min_samples` show it and
    its printed shape is shared (`value_shape`); None when no golden value itself ends in that
    shape (cutting it would then cut values)."""
    rests = [r for _, r in sorted(ev.chosen_rests.items()) if r.strip()]
    if len(rests) < min_samples:
        return None
    shape = value_shape(rests)
    if shape is None:
        return None
    tail = re.compile(r"\s*(?:" + shape + r")\s*$", re.I)
    if any(isinstance(g, str) and tail.search(g) and tail.search(g).start() > 0 for g in goldens):
        return None
    return shape


def label_date_orders(ev: FieldEvidence, min_votes: int = 2) -> dict[str, str]:
    """The day/month order per label wording, when the field's samples disagree as a whole
    (layouts from two locales) but every sample printing that wording settles one order
    (`Birth Date` day first, `DOB` month first): a page that leaves its dates ambiguous is then
    read the way its label's samples were."""
    out = {}
    for label, votes in sorted(ev.label_orders.items()):
        settled = {o: n for o, n in votes.items() if n}
        if len(settled) == 1:
            (order, n), = settled.items()
            if n >= min_votes:
                out[label] = order
    return out


def trailing_precision(ev: FieldEvidence, label: str, seen: dict[str, set[str]], goldens: dict[str, dict],
                       name: str) -> float:
    """Of the samples with a value that print `label` after some cell, the share where the cell
    before it is the value."""
    printed = {sid for sid, labels in seen.items() if label in labels and goldens[sid].get(name) is not None}
    hits = {sid for sid, l, rel in ev.observations if l == label and rel in runtime.TRAILING_RELATIONS}
    return len(printed & hits) / len(printed) if printed else 0.0


def capitalised(goldens: list[Any], min_samples: int = 3) -> bool:
    """Whether every sample's value starts with a capital letter (a lab's or a facility's
    name): a reading that starts lower-case ('director.', 'the') is then a scrap of prose."""
    values = [g.strip() for g in goldens if isinstance(g, str) and g.strip()]
    return len(values) >= min_samples and all(v[0].isupper() for v in values)


def value_length(goldens: list[Any], min_samples: int = 3, cap: int = 12) -> int | None:
    """The most words a reading of a short text field may have: twice the longest sample value
    and two more (a payer of one to four words is no 15-word sentence that mentions
    'insurance'); None for long or unseen values."""
    values = [g for g in goldens if isinstance(g, str) and g.strip()]
    if len(values) < min_samples:
        return None
    limit = 2 * max(len(v.split()) for v in values) + 2
    return limit if limit <= cap else None


def digit_free(goldens: list[Any], min_samples: int = 3) -> bool:
    """Whether every sample's value of a text field is printed without a digit (a facility, a
    payer, a disposition): a reading with digits (a code, a date) is then another field's."""
    values = [g for g in goldens if isinstance(g, str) and g.strip()]
    return len(values) >= min_samples and not any(ch.isdigit() for v in values for ch in v)


def label_relations(ev: FieldEvidence, min_samples: int = 2) -> dict[str, str]:
    """Where the value sits for each label wording, when every sample printing it agrees and
    two at least do (`Discharge Destination` over its value in a row of headers, so the header
    printed right of it is no value)."""
    out = {}
    for label, seen in sorted(ev.label_relations.items()):
        if len(seen) == 1:
            (relation, n), = seen.items()
            if n >= min_samples and relation not in runtime.TRAILING_RELATIONS:
                out[label] = relation
    return out


def _contexts(ev: FieldEvidence, min_samples: int = 2) -> list[str]:
    """Block titles seen above the field's matching labels in at least `min_samples` samples."""
    seen: Counter = Counter(t for titles in ev.contexts.values() for t in titles)
    return sorted(t for t, n in seen.items() if n >= min_samples)


def _learn(schema: Schema, docs: dict[str, Document], goldens: dict[str, dict], min_score: float,
           vocab: frozenset[str]) -> Plan:
    evidence: dict[str, FieldEvidence] = {n: FieldEvidence() for n in schema.scalar_fields()}
    table_labels: dict[str, dict[str, Counter]] = {n: defaultdict(Counter) for n in schema.table_fields()}
    table_prints: dict[str, dict[str, list[str]]] = {n: defaultdict(list) for n in schema.table_fields()}
    order_votes: Counter = Counter()
    trailing_seen: dict[str, set[str]] = {}  # sample id -> labels printed after some cell there
    for sid in sorted(docs):
        doc, golden = docs[sid], goldens[sid]
        pairs = list(runtime.iter_pairs(doc, vocab))
        trailing_seen[sid] = {runtime.norm_phrase(p.label) for p in pairs if p.relation in runtime.TRAILING_RELATIONS}
        gtexts = golden_texts(schema, golden)
        values = printed_values(schema, golden)
        for name, spec in schema.scalar_fields().items():
            observe_field(doc, pairs, spec, golden.get(name), evidence[name], sid, gtexts - _own_texts(spec, golden.get(name)),
                          values - _own_texts(spec, golden.get(name)))
        for name, spec in schema.table_fields().items():
            observe_table(doc, spec, golden.get(name), table_labels[name], table_prints[name])
    headings = {n: _heading_evidence(schema.fields[n], docs, goldens, n) for n in schema.scalar_fields()
                if schema.fields[n].type == "string"}
    for ev in evidence.values():
        choose_labels(ev)
        order_votes.update(ev.orders)

    label_sets = {n: set(ev.labels) for n, ev in evidence.items()}
    for tname, cols in table_labels.items():
        for cname, labels in cols.items():
            label_sets.setdefault(f"{tname}.{cname}", set()).update(labels)
    weights = keyword_weights({n: s for n, s in label_sets.items() if "." not in n})
    # a word names another field only in that field's short labels: each word of a long title or
    # caption ('Claim Detail Report' beside the billing provider) is no evidence against a field
    foe_weights = keyword_weights({n: {l for l in s if len(content_words(l)) <= FOE_LABEL_WORDS}
                                   for n, s in label_sets.items() if "." not in n})
    plan = Plan(doc_type=schema.doc_type, date_order="dmy" if order_votes["dmy"] > order_votes["mdy"] else "mdy")
    for name, spec in schema.scalar_fields().items():
        ev = evidence[name]
        own = weights.get(name, {})
        keywords = {s: w for s, w in own.items() if w >= 0.2}
        foes: dict[str, float] = {}
        for other, ws in foe_weights.items():
            if other == name:
                continue
            for s, w in ws.items():
                if w >= 0.5 and s not in keywords:
                    foes[s] = max(foes.get(s, 0.0), w)
        plan.fields[name] = FieldPlan(
            kind=kind_of(spec),
            labels=sorted(ev.labels),
            keywords=keywords,
            foes=foes,
            relations=["below", "colon", "inline", "right"],  # a new layout may place values differently
            system=spec.system,
            min_score=min_score,
            max_words=_max_words(spec),
            heading=headings.get(name),
            context=_contexts(ev),
            shape=value_shape([str(goldens[i][name]) for i in sorted(docs) if goldens[i].get(name) is not None])
            if spec.type in ("string", "identifier", "code") else None,
            trailing=sorted(ev.trailing),
            pattern=closed_values([goldens[i].get(name) for i in sorted(docs)]) if spec.type == "string" else None,
            name_order=name_order([goldens[i].get(name) for i in sorted(docs)]) if spec.type == "person_name" else None,
            date_order=field_date_order(ev),
            label_orders=label_date_orders(ev) if field_date_order(ev) is None else {},
            label_relations=label_relations(ev),
            no_digits=spec.type in ("string", "person_name") and digit_free([goldens[i].get(name) for i in sorted(docs)]),
            capitalised=spec.type == "string" and capitalised([goldens[i].get(name) for i in sorted(docs)]),
            max_len=value_length([goldens[i].get(name) for i in sorted(docs)]) if spec.type == "string" else None,
            suffix=learned_suffix(ev, [goldens[i].get(name) for i in sorted(docs)]) if spec.type == "string" else None,
            prefer_shape=spec.type in ("string", "identifier"),
        )
    # a title that is another field's label is that field's label row, not a block title; a
    # title above many fields' labels (a page banner) tells none of them apart
    for name, fp in plan.fields.items():
        others = {l for n, o in plan.fields.items() if n != name for l in o.labels}
        fp.context = [t for t in fp.context if t not in others]
    spread = Counter(t for fp in plan.fields.values() for t in fp.context)
    for fp in plan.fields.values():
        fp.context = [t for t in fp.context if spread[t] <= 2]
    for name, fp in plan.fields.items():
        others = {l for n, o in plan.fields.items() if n != name for l in o.labels}
        fp.needs_context = needs_context(evidence[name], set(fp.labels) & others, set(fp.context))
    expand_with_lexicon(plan)
    # a trailing label (`NPI` after the prescriber's name, a letter's title under the facility)
    # is printed after the value in two samples at least, is not the field's own wording, and
    # is no date word ('August' after '12'): a one-off neighbour is no label
    # and it follows the value in most samples that print it: a section heading that happens to
    # follow the value at a page break ('Medications at Discharge' under a running header) is not
    for name, fp in plan.fields.items():
        fp.trailing = [l for l in fp.trailing if evidence[name].trailing[l] >= 2 and len(l) >= 3
                       and l not in fp.labels and l not in fp.lex_labels
                       and not any(t in _MONTH_WORDS for t in l.split())
                       and trailing_precision(evidence[name], l, trailing_seen, goldens, name) >= 0.5]
    for name, spec in schema.table_fields().items():
        cols = []
        col_label_sets = own_headers(table_labels[name], list(spec.columns))
        col_weights = keyword_weights(col_label_sets)
        all_rows = [r for sid in docs for r in (goldens[sid].get(name) or []) if isinstance(r, dict)]
        for cname, cspec in spec.columns.items():
            kws = {s: w for s, w in col_weights.get(cname, {}).items() if w >= 0.5}
            filled = sum(1 for r in all_rows if r.get(cname) is not None)
            required = bool(all_rows) and filled >= 0.95 * len(all_rows)
            shape = value_shape(table_prints[name].get(cname, [])) if cspec.type not in ("string", "person_name") else None
            cols.append(ColumnPlan(cname, kind_of(cspec), sorted(col_label_sets[cname]), kws, cspec.system, required, shape))
        plan.tables[name] = TablePlan(cols, min_columns=min(2, len(cols)))
        plan.tables[name].sections = table_sections(name, spec, plan.tables[name], docs, goldens,
                                                     tuple(schema.table_fields()), plan.date_order)
        expand_columns_with_lexicon(plan.tables[name])
        plan.tables[name].repeats = never_repeated(schema, name, [goldens[sid] for sid in docs],
                                                   named_alike(plan.tables[name], plan.fields))
    return plan


REPEAT_TYPES = ("string", "code", "identifier")
MIN_REPEAT_EVIDENCE = 3  # samples holding both the table's rows and the field's value


def named_alike(tp: TablePlan, fields: dict[str, FieldPlan]) -> set[tuple[str, str]]:
    """(column, field) pairs whose learned wordings share a keyword stem: the `Diagnosis`
    column and the `Principal diagnosis` field name the same kind of thing."""
    out = set()
    for col in tp.columns:
        stems = {k for k, w in col.keywords.items() if w >= 0.5}
        for fname, fp in fields.items():
            if stems & {k for k, w in fp.keywords.items() if w >= 0.5}:
                out.add((col.name, fname))
    return out


def never_repeated(schema: Schema, name: str, goldens: list[dict], alike: set[tuple[str, str]]) -> dict[str, list[str]]:
    """Per column of table `name`, the scalar fields named alike (`named_alike`), of its type
    and code system, whose golden value none of the table's golden rows repeats, on at least
    MIN_REPEAT_EVIDENCE samples holding both: the samples list the principal diagnosis apart
    from the other diagnoses, so a row printing it is that field, not one more row
    (`runtime.drop_repeated_rows`)."""
    out: dict[str, list[str]] = {}
    for cname, cspec in schema.fields[name].columns.items():
        if cspec.type not in REPEAT_TYPES:
            continue
        for fname, fspec in schema.scalar_fields().items():
            if (cname, fname) not in alike or fspec.type != cspec.type or fspec.system != cspec.system:
                continue
            both = repeated = 0
            for g in goldens:
                value, rows = g.get(fname), [r for r in (g.get(name) or []) if isinstance(r, dict)]
                if value in (None, "") or not rows:
                    continue
                both += 1
                repeated += any(r.get(cname) is not None and prints_same(r[cname], value) for r in rows)
            if both >= MIN_REPEAT_EVIDENCE and not repeated:
                out.setdefault(cname, []).append(fname)
    return out


def table_sections(name: str, spec: FieldSpec, tp: TablePlan, docs: dict[str, Document], goldens: dict[str, dict],
                   siblings: tuple[str, ...], order: str = "mdy") -> list[str]:
    """The headings over the field's rows (as the `section` strategy learns them), kept only
    when the samples need them: reading only the tables under them gets some sample's rows
    more right and none less (`Main condition treated` prints the primary diagnosis under the
    same header as `Other diagnoses`). Without that evidence, every table the header names
    is read, as a layout that prints one table per panel under changing headings needs."""
    learned = section_strategy.learn(name, spec, docs, goldens, siblings=siblings)
    if not learned:
        return []
    columns = [runtime.Column(c.name, c.kind, tuple(sorted(c.labels)), tuple(sorted(c.keywords.items())), c.system,
                              c.required, c.shape) for c in tp.columns]
    better = False
    for sid in sorted(docs):
        errors = []
        for sections in ((), tuple(learned["headings"])):
            found = runtime.table(docs[sid], columns, order=order, min_columns=tp.min_columns, sections=sections)
            c = score_field(found.value if found else None, goldens[sid].get(name), spec)
            errors.append(c.fp + c.fn)
        if errors[1] > errors[0]:
            return []
        better = better or errors[1] < errors[0]
    return list(learned["headings"]) if better else []


@lru_cache(maxsize=1)
def lexicon() -> tuple[tuple[frozenset[str], frozenset[str], frozenset[str]], ...]:
    """Synonym groups from `lexicon.yaml`: (single-word stems, normalised phrases, single words) each."""
    data = yaml.safe_load((Path(__file__).with_name("lexicon.yaml")).read_text(encoding="utf-8"))
    groups = []
    for words in data["groups"].values():
        stems = frozenset(runtime.stem(w) for w in words if " " not in str(w) and runtime.norm(str(w)))
        phrases = frozenset(runtime.norm_phrase(str(w)) for w in words)
        singles = frozenset(runtime.norm(str(w)) for w in words if " " not in str(w) and runtime.norm(str(w)))
        groups.append((stems, phrases, singles))
    return tuple(groups)


def same_word(a: str, b: str) -> bool:
    """Two words are inflections of one another ('charge'/'charges', 'bill'/'billed'), not
    merely sharing a prefix stem ('charge'/'chart')."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 3


def _synonyms(labels: set[str], words: set[str]) -> tuple[set[str], set[str]]:
    """Stems and phrases of every lexicon group that one of `words` (the field's own label and
    name words) or one of `labels` (its learned wordings) belongs to. Groups are joined by whole
    words, never by a shared 4-letter stem: 'charge' must not pull in 'chart' (a record number)."""
    stems: set[str] = set()
    phrases: set[str] = set()
    for g_stems, g_phrases, g_words in lexicon():
        if (labels & g_phrases) or any(same_word(w, g) for w in words for g in g_words):
            stems |= g_stems
            phrases |= g_phrases
    return stems, phrases


def _own_words(labels: Iterable[str], name: str) -> set[str]:
    return {w for l in labels for w in l.split()} | set(_name_tokens(name))


def expand_with_lexicon(plan: Plan) -> None:
    """Give each field the lexicon's other wordings of its own label words, except words that
    characterise another field and wordings another field learned (a learned label always
    belongs to the field that printed it), and, for a field that is no date, wordings that
    name a date."""
    strong_of = {n: {s for s, w in fp.keywords.items() if w >= 0.5} for n, fp in plan.fields.items()}
    labels_of = {n: set(fp.labels) for n, fp in plan.fields.items()}
    for name, fp in plan.fields.items():
        stems, phrases = _synonyms(labels_of[name], _own_words(fp.labels, name))
        others = set().union(*(strong_of[o] for o in plan.fields if o != name)) if len(plan.fields) > 1 else set()
        other_labels = set().union(*(labels_of[o] for o in plan.fields if o != name)) if len(plan.fields) > 1 else set()
        fp.lex_keywords = {s: 0.8 for s in sorted(stems - others - set(fp.keywords))}
        if fp.kind not in ("date", "datetime"):  # `date out` names a date, never a disposition
            phrases = {ph for ph in phrases if "date" not in ph.split()}
        fp.lex_labels = sorted(phrases - other_labels - labels_of[name])


def own_headers(seen: dict[str, Counter], columns: list[str]) -> dict[str, set[str]]:
    """Each column's header wordings, where a wording seen above two columns belongs to the one
    it stood over more often: a golden `1` (units) found inside a date `05 01 24` once must not
    teach `DOS` as a units header, which would then claim the date column's header cell."""
    out: dict[str, set[str]] = {}
    for c in columns:
        mine = seen.get(c, Counter())
        out[c] = {l for l, n in mine.items()
                  if not any(seen.get(o, Counter()).get(l, 0) > n for o in columns if o != c)}
    return out


def expand_columns_with_lexicon(tp: TablePlan) -> None:
    for col in tp.columns:
        stems, phrases = _synonyms(set(col.labels), _own_words(col.labels, col.name))
        others = set().union(*({s for s, w in c.keywords.items() if w >= 0.5} for c in tp.columns if c is not col))
        other_labels = set().union(*(set(c.labels) for c in tp.columns if c is not col))
        col.lex_keywords = {s: 1.0 for s in sorted(stems - others - set(col.keywords))}
        col.lex_labels = sorted(phrases - other_labels - set(col.labels))


def _heading_evidence(spec: FieldSpec, docs: dict[str, Document], goldens: dict[str, dict], name: str) -> dict | None:
    """Whether the field is printed as a letterhead: the largest line, or a fixed line, of page 1."""
    largest = 0
    ranks: Counter = Counter()
    present = 0
    for sid, doc in docs.items():
        golden = goldens[sid].get(name)
        if golden is None:
            continue
        present += 1
        hit = runtime.heading(doc, largest=True)
        if hit is not None and values_match(hit.value, golden, spec.type):
            largest += 1
        for rank in range(4):
            hit = runtime.heading(doc, largest=False, rank=rank)
            if hit is not None and values_match(hit.value, golden, spec.type):
                ranks[rank] += 1
                break
    if not present:
        return None
    best_rank, rank_n = (ranks.most_common(1)[0] if ranks else (0, 0))
    if max(largest, rank_n) < max(2, present // 4):
        return None
    return {"largest": largest >= rank_n, "rank": best_rank}


def value_shape(values: list[str]) -> str | None:
    """A regex for the printed shape shared by golden values ('AB1234567' -> '[A-Z]{2}\\d{7}').

    Letters that take few distinct values ('mg', 'mcg') stay literal; digit runs keep their
    length when it never varies. None when the values share no shape.
    """
    tokenised = [re.findall(r"\d+|[A-Za-z]+|\s+|[^\w\s]", v) for v in values if v]
    if len(tokenised) < 3:
        return None
    def kind(t: str) -> str:
        return "d" if t.isdigit() else "a" if t.isalpha() else "s" if t.isspace() else t
    sig = Counter(tuple(kind(t) for t in toks) for toks in tokenised)
    best, n = sig.most_common(1)[0]
    if n < 0.8 * len(tokenised) or len(best) > 12 or all(k in ("a", "s") for k in best):
        return None
    group = [toks for toks in tokenised if tuple(kind(t) for t in toks) == best]
    parts = []
    for i, k in enumerate(best):
        col = [toks[i] for toks in group]
        if k == "d":
            lens = {len(t) for t in col}
            parts.append(rf"\d{{{lens.pop()}}}" if len(lens) == 1 else r"\d+")
        elif k == "a":
            distinct = sorted({t.lower() for t in col})
            if len(distinct) <= 6 and len(col) >= 2 * len(distinct):
                parts.append("(?:" + "|".join(re.escape(t) for t in distinct) + ")")
            else:
                lens = {len(t) for t in col}
                cls = "[A-Z]" if all(t.isupper() for t in col) else "[A-Za-z]"
                parts.append(f"{cls}{{{lens.pop()}}}" if len(lens) == 1 else f"{cls}+")
        elif k == "s":
            parts.append(r"\s*")
        else:
            parts.append(re.escape(k))
    return r"(?<![\w.])(" + "".join(parts) + r")(?![\w])"


def _own_texts(spec: FieldSpec, value: Any) -> set[str]:
    if not isinstance(value, str):
        return set()
    phrase = runtime.norm_phrase(value.replace(",", " "))
    return {phrase, *phrase.split()}


def _max_words(spec: FieldSpec) -> int:
    return {"person_name": 5, "date": 5, "identifier": 3, "code": 3, "integer": 3, "decimal": 3, "phone": 5}.get(spec.type, 12)


def observe_table(doc: Document, spec: FieldSpec, rows: Any, labels: dict[str, Counter],
                  prints: dict[str, list[str]] | None = None) -> None:
    """Find the line printing the first golden row and learn each column's header above it
    (and, in `prints`, how each column's values are printed)."""
    if not rows or not isinstance(rows, list):
        return
    for row in rows[:3]:
        located = _locate_row(doc, spec, row)
        if located is None:
            continue
        page, li, col_words = located
        if prints is not None:
            for cname, words in col_words.items():
                prints[cname].append(" ".join(w.text for w in words))
        lines = page.lines
        for lj in range(li - 1, max(-1, li - 4), -1):
            cells = runtime.split_cells(lines[lj], page.number, lj, gap=0.8)
            if sum(1 for c in cells if runtime._is_label_like(c)) < 2:
                continue
            for cname, words in col_words.items():
                x0, x1 = min(w.x0 for w in words), max(w.x1 for w in words)
                best, best_d = None, 1e9
                for cell in cells:
                    overlap = min(x1, cell.x1) - max(x0, cell.x0)
                    d = -overlap if overlap > 0 else min(abs(cell.x0 - x0), abs(cell.x1 - x1))
                    if d < best_d:
                        best, best_d = cell, d
                if best is not None and best_d < 30:
                    label = runtime.norm_phrase(best.text)
                    if label:
                        labels[cname][label] += 1
            return


def _locate_row(doc: Document, spec: FieldSpec, row: dict) -> tuple[Any, int, dict] | None:
    """The (page, line index, words per column) of the line that prints most of `row`."""
    best = None
    for page in doc.pages:
        for li, line in enumerate(page.lines):
            col_words: dict[str, list] = {}
            for cname, cspec in spec.columns.items():
                golden = row.get(cname)
                if golden is None:
                    continue
                want = canonical(golden, cspec.type)
                words = _find_span(line.words, want, cspec)
                if words:
                    col_words[cname] = words
            if len(col_words) >= 2 and (best is None or len(col_words) > len(best[2])):
                best = (page, li, col_words)
    return best


def _find_span(words: tuple, want: str | None, cspec: FieldSpec) -> list | None:
    if want is None:
        return None
    kind = kind_of(cspec)
    n = len(words)
    for size in (1, 2, 3, 4, 5, 6):
        for i in range(0, n - size + 1):
            text = " ".join(w.text for w in words[i:i + size])
            hit = _parsed_canonical(text, kind, "mdy", cspec.system, cspec.type)
            if hit is not None and hit[0] == want and hit[1] >= 0.6 * len(text):
                return list(words[i:i + size])
    return None
