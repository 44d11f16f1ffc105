"""Compile-time evidence for trusting a field's values at run time.

From the leave-one-layout-out folds the compiler already runs, this module keeps, per field,
what the winning code did on layouts it was not shown: precision, recall, F1 and coverage
(pooled and per fold), and how often it was right when its runner-up candidates agreed with it,
disagreed, or had nothing to say. The runner-ups are rendered into the artifact
(`<doc_type>.alternates.py`) so the run time can ask them again. It also learns cross-field rules from
the golden values (different people, dates in order, totals equal to the sum of their lines,
identifiers that do not collide). Everything here is plain data stored in the lock.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from extractors.canonical import canonical
from extractors.schema import FieldSpec, Schema
from extractors.scoring import Counts, plain, score_field

BUCKETS = ("agree", "disagree", "alone")
READINGS = ("text", "ocr")
RUNNER_UPS = 2
MIN_RULE_SAMPLES = 3


def canon(value: Any, spec: FieldSpec) -> Any:
    """A hashable, comparable form of a field value (tables: tuple of rows of canonical cells)."""
    value = plain(value)
    if value is None:
        return None
    if spec.type != "table":
        return canonical(value, spec.type)
    rows = []
    for row in value if isinstance(value, list) else []:
        if isinstance(row, dict):
            rows.append(tuple(canonical(plain(row.get(c)), s.type) for c, s in sorted(spec.columns.items())))
    return tuple(rows) or None


def bucket_of(winner: Any, alternates: list[Any], key: int | None = None) -> str:
    """How the runner-ups relate to the winner's (canonical, non-null) value. For a table
    (`key`: the index of its row-naming column in a canonical row) see `_table_relation`."""
    said = [a for a in alternates if a is not None]
    if not said:
        return "alone"
    if key is not None:
        relations = [_table_relation(winner, a, key) for a in said]
        if "disagree" in relations:
            return "disagree"
        return "agree" if "agree" in relations else "alone"
    return "agree" if all(a == winner for a in said) else "disagree"


def _table_relation(winner: tuple, alternate: tuple, key: int) -> str:
    """A runner-up contradicts a table only where both read the same row (rows named alike)
    and a cell both read differs, or where it names rows and none of them is the winner's (it
    read another table). Rows or cells only one of them read are no contradiction: a missing
    cell is withheld, never exported wrong, and the held-out record prices what this misses."""
    theirs: dict[Any, list[tuple]] = {}
    for row in alternate:
        if row[key] is not None:
            theirs.setdefault(row[key], []).append(row)
    if not theirs:
        return "alone"
    matched = 0
    for row in winner:
        others = theirs.get(row[key])
        if not others:
            continue
        other = others.pop(0)
        matched += 1
        if any(a is not None and b is not None and a != b for a, b in zip(row, other)):
            return "disagree"
    return "agree" if matched else "disagree"


def table_key(spec: FieldSpec) -> int | None:
    """Index, in a canonical row, of the column that names a row: the first required column
    as declared (else the first column); None for a field that is not a table."""
    if spec.type != "table" or not spec.columns:
        return None
    names = list(spec.columns)
    first = next((c for c in names if spec.columns[c].required), names[0])
    return sorted(names).index(first)


def agreement_of(value: Any, alternates: list[Any], spec: FieldSpec) -> str:
    """The agreement bucket of a field value and its runner-ups' values (raw, not canonical)."""
    return bucket_of(canon(value, spec), [canon(a, spec) for a in alternates], table_key(spec))


@dataclass
class HeldOut:
    """One held-out document's outcome for one field: winner and runner-up values, golden."""

    fold: int
    got: Any
    alternates: list[Any]
    golden: Any
    reading: str = "text"  # "ocr" when the value (or, without one, the document) was read by OCR


def _empty_buckets() -> dict[str, list[int]]:
    return {b: [0, 0] for b in BUCKETS}


@dataclass
class FieldReliability:
    counts: Counts = dc_field(default_factory=Counts)
    docs: int = 0
    covered: int = 0
    folds: dict[int, list[int]] = dc_field(default_factory=dict)  # fold -> [docs, covered, tp, fp, fn]
    buckets: dict[str, list[int]] = dc_field(default_factory=_empty_buckets)  # [n, correct]
    # the same counts per reading: a text-layer value is not judged by the scans' misreadings
    by_reading: dict[str, dict[str, list[int]]] = dc_field(
        default_factory=lambda: {r: _empty_buckets() for r in READINGS})

    def as_dict(self, runner_ups: list[str]) -> dict[str, Any]:
        c = self.counts
        folds = []
        for f, (docs, covered, tp, fp, fn) in sorted(self.folds.items()):
            fc = Counts(tp, fp, fn)
            folds.append({"fold": f, "docs": docs, "coverage": round(covered / docs, 4) if docs else 0.0,
                          "precision": round(fc.precision, 4), "recall": round(fc.recall, 4), "f1": round(fc.f1, 4)})
        return {"docs": self.docs, "tp": c.tp, "fp": c.fp, "fn": c.fn,
                "precision": round(c.precision, 4), "recall": round(c.recall, 4), "f1": round(c.f1, 4),
                "coverage": round(self.covered / self.docs, 4) if self.docs else 0.0,
                "folds": folds, "agreement": {b: list(v) for b, v in self.buckets.items()},
                "agreement_by_reading": {r: {b: list(v) for b, v in bs.items()} for r, bs in self.by_reading.items()},
                "runner_ups": list(runner_ups)}


def measure(spec: FieldSpec, rows: list[HeldOut]) -> FieldReliability:
    """Pool the held-out outcomes of one field's winner (and its runner-ups)."""
    r = FieldReliability()
    for h in rows:
        counts = score_field(h.got, h.golden, spec)
        r.counts.add(counts)
        r.docs += 1
        fold = r.folds.setdefault(h.fold, [0, 0, 0, 0, 0])
        fold[0] += 1
        fold[2] += counts.tp
        fold[3] += counts.fp
        fold[4] += counts.fn
        w = canon(h.got, spec)
        if w is None:
            continue
        r.covered += 1
        fold[1] += 1
        b = agreement_of(h.got, h.alternates, spec)
        for buckets in (r.buckets, r.by_reading[h.reading]):
            buckets[b][0] += 1
            buckets[b][1] += int(counts.fp == 0)
    return r


def pick_runner_ups(winner_key: str, scores: dict[str, float], sources: dict[str, str], winner_source: str,
                    preference: Any, outputs: dict[str, tuple] | None = None) -> list[str]:
    """Up to RUNNER_UPS other candidates whose code differs from the winner's, best held-out
    first. Where `outputs` gives each candidate's held-out values (in one fixed order of
    documents), those reading at least one held-out document differently from the winner and
    from every runner-up already picked come first: a near-copy that reads every sample as the
    winner does would agree with it on a new layout whether the winner is right or wrong, and it
    would crowd out a candidate whose agreement is evidence. Slots left over still go to the
    near-copies: their agreement proves little, but their disagreement on a layout no sample
    showed is still a warning the gate should hear."""
    ranked = [k for k in sorted(scores, key=lambda k: (-scores[k], preference(k), k))
              if k != winner_key and sources.get(k) is not None and scores[k] > 0.0]
    seen = {winner_source.strip()}
    read = {outputs[winner_key]} if outputs and winner_key in outputs else set()
    picked: list[str] = []
    for distinct_only in (bool(read), False):
        for key in ranked:
            if len(picked) == RUNNER_UPS:
                return picked
            src = sources[key].strip()
            if key in picked or src in seen or (distinct_only and outputs.get(key) in read):
                continue
            seen.add(src)
            if read and key in outputs:
                read.add(outputs[key])
            picked.append(key)
    return picked


def trim_runner_ups(picked: dict[str, list[str]], length: Callable[[str, str], int],
                    fits: Callable[[dict[str, list[str]]], bool]) -> dict[str, list[str]] | None:
    """The most of `picked` (field -> runner-up keys, best first) whose alternates module `fits`
    (passes the static and security checks): while it does not, the last runner-up of a field
    holding the most goes, the longest (`length(field, key)`) first, so one long candidate costs
    its own field a runner-up and not every field its second. None when not even an empty
    module fits."""
    keep = {name: list(keys) for name, keys in picked.items()}
    while not fits(keep):
        most = max((len(k) for k in keep.values()), default=0)
        if most == 0:
            return None
        name = max((n for n, k in keep.items() if len(k) == most), key=lambda n: (length(n, keep[n][-1]), n))
        keep[name].pop()
    return keep


def render_alternates(header: str, schema: Schema, runner_ups: dict[str, list[str]],
                      sources: dict[tuple[str, str], str], vocabulary: list[str], date_order: str) -> str:
    """The alternates artifact (`<doc_type>.alternates.py`): the runner-up field functions and
    `extract(doc) -> {field: [Found | None, ...]}` (the entry point every artifact has), locked
    and validated like the extractor."""
    lines: list[str] = [header.rstrip(), "# Runner-up candidates: the run time compares their values with extract()'s.",
                        "from extractors import runtime", "", ""]
    calls: dict[str, list[str]] = {}
    for name in schema.fields:
        for i, key in enumerate(runner_ups.get(name, []), 1):
            src = sources[(name, key)]
            renamed, n = re.subn(rf"\bdef field_{re.escape(name)}\(", f"def alt{i}_{name}(", src, count=1)
            if n != 1:
                continue
            lines += [renamed.rstrip(), "", ""]
            calls.setdefault(name, []).append(f"alt{i}_{name}(doc, pairs, order)")
    lines.append(f"LABELS = {tuple(sorted(vocabulary))!r}")
    lines += ["", ""]
    lines.append("def extract(doc):")
    lines.append("    pairs = runtime.pair_index(doc, LABELS)")
    lines.append(f"    order = runtime.date_order(doc, {date_order!r})")
    lines.append("    return {")
    for name, cs in calls.items():
        lines.append(f"        {name!r}: [{', '.join(cs)}],")
    lines.append("    }")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- seen layouts

CORE_SHARE = 0.75  # a layout's core labels: printed on at least this share of its samples


def fingerprint(doc: Any) -> set[str]:
    """The labels a document prints (normalised): what tells one sender's layout from another's."""
    from extractors import runtime

    return {runtime.norm_phrase(p.label) for p in runtime.iter_pairs(doc)} - {""}


def reading_of(doc: Any, page: int | None) -> str:
    """How a value was read: "ocr" when its page was OCR'd (a value without a page: when any page
    of the document was), else "text". The two readings of one layout fail differently, so each
    keeps its own record."""
    pages = list(getattr(doc, "pages", []) or [])
    if page is not None and 1 <= page <= len(pages):
        return "ocr" if pages[page - 1].source == "ocr" else "text"
    return "ocr" if any(p.source == "ocr" for p in pages) else "text"


def lowest_ocr_confidence(doc: Any, page: int | None, bbox: Any) -> float | None:
    """Lowest OCR word confidence inside `bbox` on an OCR'd page (None for text-layer pages)."""
    pages = list(getattr(doc, "pages", []) or [])
    if page is None or bbox is None or not (1 <= page <= len(pages)):
        return None
    pg = pages[page - 1]
    if pg.source != "ocr":
        return None
    x0, top, x1, bottom = bbox
    confs = [w.conf for w in pg.words
             if x0 - 1 <= (w.x0 + w.x1) / 2 <= x1 + 1 and top - 1 <= (w.top + w.bottom) / 2 <= bottom + 1]
    return min(confs) if confs else None


def reading_confidence(doc: Any, found: Any) -> float:
    """How sure the reading of one value is: the helper's own confidence (lowered by its doubts:
    a split vote, a garbled word), capped on an OCR'd page by the lowest word confidence in the
    value's box. What the gate caps a scanned value's confidence with, through the reading
    calibrator."""
    own = getattr(found, "confidence", None)
    conf = 1.0 if own is None else float(own)
    ocr = lowest_ocr_confidence(doc, getattr(found, "page", None), getattr(found, "bbox", None))
    if ocr is not None:
        conf = min(conf, ocr)
    return max(0.0, min(1.0, conf))


def seen_layouts(extract: Any, schema: Schema, docs: dict[str, Any], goldens: dict[str, dict],
                 groups: list[list[str]], reading_points: list[tuple[float, int]] | None = None) -> list[dict[str, Any]]:
    """Per sample layout: its core labels and, per field and per reading (text layer in `fields`,
    OCR in `ocr_fields`), how many values the locked extractor returned on its samples and how
    many were right. A new document of a layout the compile saw is judged by this record too
    (the held-out folds only speak for unseen layouts): a layout read right from its text layer
    can still be misread from its scans.

    `reading_points`, when given, receives (reading confidence, right) for every value read by
    OCR with a box: the reading calibrator's data. On its own samples the locked code finds the
    right place, so what goes wrong there is mostly the reading."""
    out = []
    for group in groups:
        counts: dict[str, int] = {}
        records: dict[str, dict[str, list[int]]] = {r: {n: [0, 0] for n in schema.fields} for r in ("text", "ocr")}
        for sid in group:
            for label in fingerprint(docs[sid]):
                counts[label] = counts.get(label, 0) + 1
            try:
                got = extract(docs[sid])
            except Exception:  # noqa: BLE001 - validated code; a failure simply proves nothing
                continue
            for name, spec in schema.fields.items():
                value = got.get(name) if isinstance(got, dict) else None
                if canon(value, spec) is None:
                    continue
                reading = reading_of(docs[sid], getattr(value, "page", None))
                right = int(score_field(value, goldens[sid].get(name), spec).fp == 0)
                record = records[reading][name]
                record[0] += 1
                record[1] += right
                if (reading_points is not None and reading == "ocr" and getattr(value, "page", None) is not None
                        and getattr(value, "bbox", None) is not None):
                    reading_points.append((round(reading_confidence(docs[sid], value), 4), right))
        core = sorted(label for label, n in counts.items() if n >= CORE_SHARE * len(group))
        out.append({"docs": len(group), "labels": core, "fields": records["text"], "ocr_fields": records["ocr"]})
    return out


# ---------------------------------------------------------------- cross-field rules


def _decimal(v: Any) -> Decimal | None:
    try:
        return Decimal(str(plain(v)).replace(",", "").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        return None


def rule_holds(rule: dict[str, Any], values: dict[str, Any], schema: Schema) -> bool | None:
    """True or False for a rule over one document's values; None when a value it needs is absent."""
    kind = rule["rule"]
    if kind in ("distinct", "order"):
        a, b = rule["fields"]
        sa, sb = schema.fields.get(a), schema.fields.get(b)
        if sa is None or sb is None:
            return None
        va, vb = canonical(plain(values.get(a)), sa.type), canonical(plain(values.get(b)), sb.type)
        if va is None or vb is None:
            return None
        return va != vb if kind == "distinct" else va <= vb
    if kind == "sum":
        total = _decimal(values.get(rule["field"]))
        rows = plain(values.get(rule["table"]))
        if total is None or not isinstance(rows, list) or not rows:
            return None
        parts = [_decimal(r.get(rule["column"])) for r in rows if isinstance(r, dict)]
        if any(p is None for p in parts):
            return False
        return abs(sum(parts, Decimal(0)) - total) <= Decimal("0.005")
    return None


def _is_id(spec: FieldSpec) -> bool:
    """Identifiers of parties and records (an NPI is one); clinical codes are not."""
    return spec.type == "identifier" or (spec.type == "code" and spec.system == "npi")


def candidate_rules(schema: Schema) -> list[dict[str, Any]]:
    """Every rule the schema's field types make possible."""
    f = schema.fields
    scalars = sorted(n for n, s in f.items() if s.type != "table")
    rules: list[dict[str, Any]] = []
    for i, a in enumerate(scalars):
        for b in scalars[i + 1:]:
            ta, tb = f[a].type, f[b].type
            if ta == tb == "person_name":
                rules.append({"rule": "distinct", "fields": [a, b]})
            elif _is_id(f[a]) and _is_id(f[b]):
                rules.append({"rule": "distinct", "fields": [a, b]})
            elif ta in ("date", "datetime") and tb in ("date", "datetime"):
                rules.append({"rule": "order", "fields": [a, b]})
                rules.append({"rule": "order", "fields": [b, a]})
    for total in sorted(n for n, s in f.items() if s.type in ("decimal", "integer")):
        for tname in sorted(n for n, s in f.items() if s.type == "table"):
            for col in sorted(c for c, s in f[tname].columns.items() if s.type in ("decimal", "integer")):
                rules.append({"rule": "sum", "field": total, "table": tname, "column": col})
    return rules


def learn_rules(schema: Schema, goldens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules every golden document satisfies, seen on at least MIN_RULE_SAMPLES of them; an
    `order` between two dates that are always equal says nothing and is left out."""
    learned = []
    for rule in candidate_rules(schema):
        verdicts = [rule_holds(rule, g, schema) for g in goldens]
        seen = [v for v in verdicts if v is not None]
        if len(seen) < MIN_RULE_SAMPLES or not all(seen):
            continue
        if rule["rule"] == "order":
            a, b = rule["fields"]
            if all(canonical(g.get(a), "date") == canonical(g.get(b), "date") for g in goldens
                   if g.get(a) is not None and g.get(b) is not None):
                continue
        learned.append({**rule, "source": "samples"})
    return learned


def rule_name(rule: dict[str, Any]) -> str:
    if rule["rule"] == "sum":
        return f"sum({rule['field']} = {rule['table']}.{rule['column']})"
    a, b = rule["fields"]
    return f"{rule['rule']}({a}, {b})" if rule["rule"] == "distinct" else f"order({a} <= {b})"


def rule_fields(rule: dict[str, Any]) -> list[str]:
    return [rule["field"], rule["table"]] if rule["rule"] == "sum" else list(rule["fields"])


# ---------------------------------------------------------------- calibrated confidence

PRIOR = 2.0  # pseudo-documents of the field's overall held-out rate in each agreement bucket


def reading_counts(agreement: dict[str, Any] | None, own: dict[str, Any] | None) -> dict[str, Any] | None:
    """The agreement counts a value is judged by: its own reading's when they hold any value,
    else the pooled ones."""
    return own if own and any(v[0] for v in own.values()) else agreement


def posterior(agreement: dict[str, Any] | None, bucket: str, own: dict[str, Any] | None = None) -> float | None:
    """The raw score: posterior mean of "the value is right" in this agreement bucket of a
    held-out record; None without one. Agreeing or lone values are shrunk towards the field's
    overall held-out rate (itself shrunk towards 1/2); a contradicted value borrows nothing and
    starts at 1/2. `own`, the same counts for the value's own reading (text layer or OCR), is
    the record used when it holds any value: the folds' scanned samples fail differently from
    their text-layer ones, and a lock that saw one reading only scores as before."""
    if not agreement:
        return None
    counts = reading_counts(agreement, own)
    n, k = counts.get(bucket, [0, 0])
    if bucket == "disagree":
        return (k + 1) / (n + 2)
    n_all = sum(v[0] for v in counts.values())
    k_all = sum(v[1] for v in counts.values())
    p = (k_all + 1) / (n_all + 2)
    return (k + PRIOR * p) / (n + PRIOR)


def format_ok(value: Any, spec: dict[str, Any]) -> bool:
    """Cheap shape checks a right value always passes: a real date, a number, an NPI check digit."""
    from datetime import date

    from extractors.runtime import npi_valid

    t = spec.get("type")
    if value is None or t == "table":
        return True
    text = str(plain(value)).strip()
    try:
        if t in ("date", "datetime"):
            d = date.fromisoformat(text[:10])
            return 1900 <= d.year <= 2100
        if t in ("integer", "decimal"):
            Decimal(text.replace(",", "").replace("$", ""))
            return True
    except (ValueError, InvalidOperation):
        return False
    if spec.get("system") == "npi":
        return npi_valid(text)
    return True


def raw_score(agreement: dict[str, Any] | None, value: Any, alternates: list[Any], spec: FieldSpec,
              own: dict[str, Any] | None = None) -> tuple[float | None, str]:
    """The score the calibrator maps to a probability, and the agreement bucket: the bucket's
    posterior (`own`: the counts of the value's reading), 0 for a value that fails its format check."""
    bucket = agreement_of(value, alternates, spec)
    s = posterior(agreement, bucket, own)
    if s is not None and not format_ok(value, spec.model_dump(exclude_none=True) | {"type": spec.type}):
        s = 0.0
    return s, bucket


def calibration_points(spec: FieldSpec, rows: list[HeldOut]) -> list[tuple[float, int]]:
    """(raw score, right) for every held-out value of one field, each scored with the agreement
    record of the *other* folds only: the calibrator learns how right a score is on a layout
    that did not make it."""
    out = []
    for fold in sorted({h.fold for h in rows}):
        others = measure(spec, [h for h in rows if h.fold != fold])
        for h in rows:
            if h.fold != fold or canon(h.got, spec) is None:
                continue
            s, _ = raw_score(others.buckets, h.got, h.alternates, spec, others.by_reading[h.reading])
            if s is not None:
                out.append((round(s, 6), int(score_field(h.got, h.golden, spec).fp == 0)))
    return out


def point_counts(points: list[tuple[float, int]]) -> list[list[float]]:
    """The calibrator's training data, compact for the lock: `[raw score, values, right]` per distinct score."""
    counts: dict[float, list[int]] = {}
    for x, y in points:
        c = counts.setdefault(x, [0, 0])
        c[0] += 1
        c[1] += y
    return [[x, n, k] for x, (n, k) in sorted(counts.items())]


def fit_calibrator(points: list[tuple[float, int]]) -> dict[str, Any] | None:
    """Isotonic regression (scikit-learn, compile time only) of right/wrong on the raw score,
    stored as the knots of a piecewise-linear map: plain numbers the run time evaluates
    without scikit-learn. Each step's rate is shrunk by half a right and half a wrong
    pseudo-value, the Jeffreys prior (a step of 5 right values says 5.5/6, not 1.0): one whole
    pseudo-value each left every step under-confident on layouts the compile did not see.
    None with fewer than 10 points or one class."""
    if len(points) < 10 or len({y for _, y in points}) < 2:
        return None
    from sklearn.isotonic import IsotonicRegression

    xs = [x for x, _ in sorted(points)]
    ys = [y for _, y in sorted(points)]
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True).fit(xs, ys)
    fitted = [float(v) for v in iso.predict(xs)]
    steps: dict[float, list[float]] = {}  # fitted level -> [n, right, lowest x, highest x]
    for x, y, f in zip(xs, ys, fitted):
        s = steps.setdefault(round(f, 9), [0, 0, x, x])
        s[0] += 1
        s[1] += y
        s[2], s[3] = min(s[2], x), max(s[3], x)
    knots_x, knots_y = [], []
    for _, (n, k, lo, hi) in sorted(steps.items(), key=lambda kv: kv[1][2]):
        p = round((k + 0.5) / (n + 1), 4)
        for x in (lo, hi) if hi > lo else (lo,):
            knots_x.append(round(x, 6))
            knots_y.append(p)
    # non-decreasing after shrinkage (shrinking can reorder neighbouring small steps)
    for i in range(1, len(knots_y)):
        knots_y[i] = max(knots_y[i], knots_y[i - 1])
    return {"method": "isotonic", "points": len(points), "right": sum(ys), "x": knots_x, "y": knots_y}


def apply_reading_calibrator(cal: dict[str, Any] | None, conf: float) -> float:
    """The reading calibrator's probability for an OCR reading confidence. Below the lowest
    reading the samples' scans showed it knows nothing, so it never raises one there: a
    reading at 0.3 where every sample read 0.76 or better keeps 0.3 (at most the lowest step)."""
    if cal and cal.get("x") and conf < cal["x"][0]:
        return min(conf, float(cal["y"][0]))
    return apply_calibrator(cal, conf)


def apply_calibrator(cal: dict[str, Any] | None, score: float) -> float:
    """The stored piecewise-linear map (clipped at both ends); the raw score without one."""
    if not cal or not cal.get("x"):
        return score
    xs, ys = cal["x"], cal["y"]
    if score <= xs[0]:
        return float(ys[0])
    if score >= xs[-1]:
        return float(ys[-1])
    from bisect import bisect_right

    i = bisect_right(xs, score)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return float(y0 if x1 == x0 else y0 + (y1 - y0) * (score - x0) / (x1 - x0))
