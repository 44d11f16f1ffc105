"""The export gate: a document leaves docc only when docc can vouch for every value it sends.

Each extracted value gets a calibrated confidence from compile-time evidence (the lock's
per-field held-out record): how often the field's winning code was right on unseen layouts
when its runner-up candidates agreed with it, disagreed, or said nothing, weighed with its
record on the samples (or, for a sample layout, that layout's own record); then a format or
check-digit failure drops it to 0 and, on a scan, the calibrated reading confidence caps it. A value under its
threshold is withheld from FHIR when the field is optional (or, by policy, sends the document
to review); a required field under its threshold, missing, or a broken cross-field rule sends
the document to review. Review items are typed records (`GateItem`), never prose.

Thresholds live in `<extractors>/gate.yaml` (or the file named by `DOCC_GATE_THRESHOLDS`):

    default: 0.9                 # every field of every doc type
    optional_below_threshold: withhold   # or: review
    doc_types:
      prescription:
        default: 0.95
        fields: {prescriber_name: 0.99}
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field as dc_field
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeline.settings import settings

log = logging.getLogger(__name__)

# From `docc eval`'s sweep (docs/gate.md): the lowest swept threshold at and above which the
# precision of exported values stays >= 0.99 on both the committed samples (0.9; 0.85 gives
# 0.986) and the held-out layouts (0.8).
DEFAULT_THRESHOLD = 0.9
# Efron's .632 rule: an unseen layout's confidence weighs the held-out folds' estimate (whose
# code learned from one layout fewer) 0.632 and the locked code's record on its own samples 0.368.
FOLD_WEIGHT = 0.632
SEEN_LAYOUT_MATCH = 0.75  # share of a sample layout's core labels a document must print to count as that layout
PRIOR = 2.0              # pseudo-documents of the held-out confidence behind a seen layout's own record
CONTRADICTED = 0.01      # a field's held-out record this unlikely under its calibrated rate overrides it
GATE_FILE = "gate.yaml"


class GateCode(str, Enum):
    """Why a value did not clear the gate."""

    LOW_CONFIDENCE = "low_confidence"            # calibrated confidence under the threshold
    CANDIDATES_DISAGREE = "candidates_disagree"  # a runner-up candidate read another value (at any confidence)
    FORMAT_INVALID = "format_invalid"            # not a real date, number, or a failed NPI check digit
    REQUIRED_MISSING = "required_missing"        # a required field with no value
    CROSS_FIELD = "cross_field"                  # a cross-field rule does not hold (rule named)
    NO_EVIDENCE = "no_evidence"                  # the lock holds no held-out record for this field


@dataclass(frozen=True)
class GateItem:
    """One reason a value is held back. `value` is for the review record only: never log it above DEBUG."""

    field: str
    code: GateCode
    action: str                   # "review" (the document waits for a person) or "withhold" (left out of FHIR)
    confidence: float | None
    threshold: float | None
    value: Any = None
    page: int | None = None
    bbox: list[float] | None = None
    rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["code"] = self.code.value
        return d


@dataclass
class Assessment:
    confidence: dict[str, float]
    items: list[GateItem]

    @property
    def review(self) -> bool:
        return any(i.action == "review" for i in self.items)

    @property
    def withheld(self) -> list[str]:
        return sorted({i.field for i in self.items if i.action == "withhold"})

    def reason(self) -> str:
        parts = sorted({f"{i.field}:{i.code.value}" + (f"[{i.rule}]" if i.rule else "") for i in self.items if i.action == "review"})
        return "export gate: " + ", ".join(parts)


def unchecked(items: Iterable[dict[str, Any]]) -> set[str]:
    """Fields the runtime checks leave alone, from a record's serialised gate items: a value
    withheld for low confidence is left out of FHIR and cannot put a wrong value into the EHR;
    a value withheld because it fails its own format (an NPI whose check digit fails) is still
    checked, so the printed defect reaches a person."""
    return {i.get("field") for i in items
            if i.get("action") == "withhold" and i.get("code") != GateCode.FORMAT_INVALID.value}


# ------------------------------------------------------------------------- thresholds


@dataclass
class Thresholds:
    default: float = DEFAULT_THRESHOLD
    optional_below_threshold: str = "withhold"
    doc_types: dict[str, dict[str, Any]] = dc_field(default_factory=dict)

    def of(self, doc_type: str, field: str) -> float:
        dt = self.doc_types.get(doc_type) or {}
        return float((dt.get("fields") or {}).get(field, dt.get("default", self.default)))

    @classmethod
    def load(cls, extractors_dir: Path | None) -> "Thresholds":
        """From DOCC_GATE_THRESHOLDS, else `<extractors_dir>/gate.yaml`, else the defaults."""
        env = settings().gate_thresholds
        path = Path(env) if env else (Path(extractors_dir) / GATE_FILE if extractors_dir else None)
        if path is None or not path.exists():
            if env:
                raise FileNotFoundError(f"DOCC_GATE_THRESHOLDS: {env} does not exist")
            return cls()
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        unknown = set(data) - {"default", "optional_below_threshold", "doc_types"}
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {sorted(unknown)}")
        t = cls(float(data.get("default", DEFAULT_THRESHOLD)), str(data.get("optional_below_threshold", "withhold")),
                dict(data.get("doc_types") or {}))
        if t.optional_below_threshold not in ("withhold", "review"):
            raise ValueError(f"{path}: optional_below_threshold must be 'withhold' or 'review'")
        return t


# ------------------------------------------------------------------------- per doc type


@dataclass
class DocGate:
    """Everything the gate needs for one doc type; plain data, shipped to workers."""

    doc_type: str
    fields: dict[str, dict[str, Any]]        # field -> FieldSpec as a dict
    reliability: dict[str, dict[str, Any]]   # field -> the lock's held-out record
    required: list[str]
    rules: list[dict[str, Any]]
    thresholds: dict[str, float]             # field -> threshold
    optional_policy: str = "withhold"
    seen_layouts: list[dict[str, Any]] = dc_field(default_factory=list)  # the compile's sample layouts
    calibrator: dict[str, Any] | None = None  # the lock's raw score -> probability map (held-out folds)
    reading_calibrator: dict[str, Any] | None = None  # OCR reading confidence -> probability (the samples' scans)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()

    @classmethod
    def from_lock(cls, doc_type: str, entry: dict[str, Any], thresholds: Thresholds) -> "DocGate":
        fields = entry.get("fields") or {}
        return cls(doc_type, dict(entry.get("field_specs") or {}),
                   {n: f.get("reliability") or {} for n, f in fields.items()},
                   list(entry.get("required") or []), list(entry.get("rules") or []),
                   {n: thresholds.of(doc_type, n) for n in sorted(set(fields) | set(entry.get("field_specs") or {}))},
                   thresholds.optional_below_threshold, list(entry.get("seen_layouts") or []),
                   entry.get("calibrator"), entry.get("reading_calibrator"))


def has_evidence(entry: dict[str, Any]) -> bool:
    """Whether a lock entry was written by a compile that records held-out reliability."""
    return any("reliability" in f for f in (entry.get("fields") or {}).values())


def load_gates(extractors_dir: Path, lock: dict[str, Any]) -> dict[str, DocGate]:
    """The gate of every doc type whose lock entry carries held-out evidence. Entries from a
    compile that predates it (or hand-recorded artifacts) carry none: they are left ungated and
    named in a warning; recompiling them brings them under the gate."""
    thresholds = Thresholds.load(extractors_dir)
    entries = sorted(lock.get("doc_types", {}).items())
    legacy = [t for t, e in entries if not has_evidence(e)]
    if legacy:
        log.warning("no held-out evidence in the lock for %s: the export gate does not cover them (recompile)",
                    ", ".join(legacy))
    return {t: DocGate.from_lock(t, e, thresholds) for t, e in entries if has_evidence(e)}


def alternates_sources(extractors_dir: Path, lock: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """doc_type -> (sha256, source) of each locked alternates artifact; raises on a hash mismatch."""
    from extractors.artifacts import ArtifactError, sha256_bytes

    out = {}
    for t, entry in sorted(lock.get("doc_types", {}).items()):
        rec = entry.get("alternates")
        if not rec:
            continue
        path = Path(extractors_dir) / rec["artifact"]
        if not path.exists():
            raise ArtifactError(f"{path}: alternates artifact listed in the lock is missing")
        data = path.read_bytes()
        if sha256_bytes(data) != rec["sha256"]:
            raise ArtifactError(f"{path}: sha256 does not match the lock (edited? recompile instead)")
        out[t] = (rec["sha256"], data.decode("utf-8"))
    return out


def load_alternates(source: str, name: str):
    """The entry point of a hash-checked alternates artifact: `extract(doc) -> {field: [Found | None]}`."""
    from extractors.artifacts import load_source

    return load_source(source, f"{name}_alternates")


# ------------------------------------------------------------------------- confidence


def calibrated(rel: dict[str, Any], bucket: str, calibrator: dict[str, Any] | None = None,
               reading: str = "text") -> float | None:
    """Probability that a value in this agreement bucket is right: the bucket's posterior from the
    lock's held-out counts (`extractors.reliability.posterior`: those of the value's own reading
    where the lock keeps them) mapped through the lock's calibrator when the compile fitted one,
    then updated with this field's own counts in the bucket; None without a held-out record.

    The calibrator is fitted on every field of the doc type: where the folds' raw scores say
    little (a field one layout misread scores low, and is right on the others), its steps are
    flat, and a field right on 2 of 20 unseen layouts would get the doc type's rate. Its output
    is taken as a prior worth PRIOR documents, and where the field's own record contradicts it
    (as few right values would happen by chance with probability under CONTRADICTED) that
    record updates it, downwards only: a good record does not lift a field above what the doc
    type's folds vouch for."""
    from extractors.reliability import apply_calibrator, posterior, reading_counts

    rel = rel or {}
    counts = reading_counts(rel.get("agreement"), (rel.get("agreement_by_reading") or {}).get(reading))
    s = posterior(counts, bucket)
    if s is None:
        return None
    c = apply_calibrator(calibrator, s)
    n, k = (counts or {}).get(bucket, [0, 0])
    if n and _binom_cdf(k, n, c) < CONTRADICTED:
        return min(c, (k + PRIOR * c) / (n + PRIOR))
    return c


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(at most k right of n) when each is right with probability p (plain Python: the gate
    runs in every batch worker, which imports no scientific stack)."""
    from math import comb

    return sum(comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))


def seen_layout(gate: DocGate, labels: set[str] | None) -> dict[str, Any] | None:
    """The sample layout this document comes from, if any: the one whose core labels it prints
    best, when it prints at least SEEN_LAYOUT_MATCH of them."""
    if not labels:
        return None
    best, score = None, 0.0
    for layout in gate.seen_layouts:
        core = set(layout.get("labels") or [])
        if core:
            share = len(core & labels) / len(core)
            if share > score:
                best, score = layout, share
    return best if score >= SEEN_LAYOUT_MATCH else None


def layout_record(layout: dict[str, Any] | None, reading: str) -> dict[str, list[int]]:
    """A seen layout's per-field `[values, right]` for values read this way; a lock written
    before records were kept per reading has one record for both."""
    if layout is None:
        return {}
    if reading == "ocr" and "ocr_fields" in layout:
        return layout["ocr_fields"]
    return layout.get("fields") or {}


def samples_rate(gate: DocGate, name: str, reading: str) -> float | None:
    """How often the locked code read this field right on all its own samples (read this way),
    shrunk by half a right and half a wrong value; None when it returned none."""
    n = k = 0
    for layout in gate.seen_layouts:
        got = layout_record(layout, reading).get(name)
        if got:
            n, k = n + got[0], k + got[1]
    return (k + 0.5) / (n + 1) if n else None


def format_ok(value: Any, spec: dict[str, Any]) -> bool:
    """Cheap shape checks a right value always passes (`extractors.reliability.format_ok`)."""
    from extractors.reliability import format_ok as ok

    return ok(value, spec)


def assess(gate: DocGate, fields: dict[str, dict | None], alternates: dict[str, list[Any]] | None,
           ocr: dict[str, float | None] | None = None, labels: set[str] | None = None,
           readings: dict[str, str] | None = None) -> Assessment:
    """Confidence for every extracted value and the items that hold the document or a value back.

    `fields` are serialised fields (`{"value", "page", "bbox", ...}` or None), `alternates` the
    runner-up candidates' outputs per field (from the alternates artifact), `ocr` the lowest OCR
    word confidence in each value's box (None for text-layer values), `labels` the document's
    printed labels (`extractors.reliability.fingerprint`): a document of a sample layout is also
    judged by how the locked code did on that layout's samples, read the same way (`readings`:
    "ocr" or "text" per field, `extractors.reliability.reading_of`; text when not given).
    """
    from extractors.reliability import agreement_of, apply_reading_calibrator, rule_fields, rule_holds, rule_name
    from extractors.schema import FieldSpec, Schema

    specs = {n: FieldSpec.model_validate(s) for n, s in gate.fields.items()}
    alternates = alternates or {}
    ocr = ocr or {}
    conf: dict[str, float] = {}
    items: list[GateItem] = []
    layout = seen_layout(gate, labels)

    def item(name: str, code: GateCode, c: float | None, action: str, rule: str | None = None) -> GateItem:
        f = fields.get(name) or {}
        return GateItem(name, code, action, c, gate.thresholds.get(name), f.get("value"), f.get("page"), f.get("bbox"), rule)

    for name in sorted(set(fields) | set(gate.required)):
        f = fields.get(name)
        spec = specs.get(name)
        required = name in gate.required
        if f is None or f.get("value") in (None, [], ""):
            if required:
                items.append(item(name, GateCode.REQUIRED_MISSING, None, "review"))
            continue
        action = "review" if required or gate.optional_policy == "review" else "withhold"
        if spec is None:
            conf[name] = 0.0
            items.append(item(name, GateCode.NO_EVIDENCE, 0.0, action))
            continue
        bucket = agreement_of(f["value"], alternates.get(name, []), spec)
        reading = (readings or {}).get(name, "text")
        c = calibrated(gate.reliability.get(name) or {}, bucket, gate.calibrator, reading)
        if c is None:
            conf[name] = 0.0
            items.append(item(name, GateCode.NO_EVIDENCE, 0.0, action))
            continue
        record = layout_record(layout, reading)
        if name in record:
            n, k = record[name]
            c = (k + PRIOR * c) / (n + PRIOR)  # this layout's own record, shrunk towards the held-out one
        elif (seen := samples_rate(gate, name, reading)) is not None:
            # a fold's code learned from fewer layouts than the locked code: the held-out
            # estimate understates it and the samples' own record overstates it (the .632 rule)
            c = FOLD_WEIGHT * c + (1 - FOLD_WEIGHT) * seen
        code = GateCode.CANDIDATES_DISAGREE if bucket == "disagree" else GateCode.LOW_CONFIDENCE
        if not format_ok(f["value"], gate.fields.get(name, {})):
            c, code = 0.0, GateCode.FORMAT_INVALID  # whatever the calibrator says about a score of 0
        if ocr.get(name) is not None:
            c = min(c, apply_reading_calibrator(gate.reading_calibrator, float(ocr[name])))
        c = round(max(0.0, min(1.0, c)), 4)
        conf[name] = c
        # a runner-up that read another value makes the field abstain whatever its threshold:
        # two readings of one page that disagree cannot both be right; nor is a value that is
        # no real date, number or check-digit-valid code ever sent
        if (c < gate.thresholds.get(name, DEFAULT_THRESHOLD)
                or code in (GateCode.CANDIDATES_DISAGREE, GateCode.FORMAT_INVALID)):
            items.append(item(name, code, c, action))

    schema = Schema(doc_type=gate.doc_type, fields=specs)
    # rules judge what would be sent: an optional value already withheld for its own low
    # confidence cannot put a contradiction into the EHR (a rendering NPI misread as the
    # billing one is left out; the billing NPI keeps its own confidence)
    withheld = {i.field for i in items if i.action == "withhold"}
    values = {n: (f or {}).get("value") for n, f in fields.items() if n not in withheld}
    for rule in gate.rules:
        if rule_holds(rule, values, schema) is False:
            for name in rule_fields(rule):
                items.append(item(name, GateCode.CROSS_FIELD, conf.get(name), "review", rule_name(rule)))
    return Assessment(conf, items)
