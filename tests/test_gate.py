"""The export gate with the committed, locked extractors on real sample documents: a weak field
forces review, disagreeing runner-ups abstain, a broken cross-field rule goes to review, and
the compile refuses a weak required field unless told to accept it."""
from __future__ import annotations

import copy
import json
import logging
import shutil
from pathlib import Path

import pytest

from extractors.artifacts import load_locked, read_lock
from pipeline.batch_worker import gate_document, serialise_found
from pipeline.gate import GateCode, alternates_sources, load_alternates, load_gates
from pipeline.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
COMPILED = ROOT / "extractors" / "compiled"
RX = ROOT / "data" / "samples" / "prescription"


@pytest.fixture(scope="module")
def rx():
    """The locked prescription extractor, its runner-ups and gate, and six real prescriptions."""
    lock = read_lock(COMPILED)
    ext = load_locked(COMPILED, ["prescription"])["prescription"]
    alt = load_alternates(alternates_sources(COMPILED, lock)["prescription"][1], "prescription")
    gate = load_gates(COMPILED, lock)["prescription"]
    docs = {p.stem: ingest(str(p)) for p in sorted(RX.glob("rx_*_0[1-2].pdf"))}
    return ext, alt, gate, docs


def _fields(ext, doc):
    return {k: serialise_found(v, doc) for k, v in ext.extract(doc).items()}


def test_runner_ups_are_locked_and_confidence_is_not_constant(rx):
    ext, alt, gate, docs = rx
    confs = set()
    for doc in docs.values():
        fields = _fields(ext, doc)
        a = gate_document(gate, alt, doc, fields)
        confs |= set(a.confidence.values())
        assert all(0.0 <= c <= 1.0 for c in a.confidence.values())
    assert len(confs) > 2 and confs != {1.0}
    assert any(gate.reliability[f]["runner_ups"] for f in gate.reliability)


def test_weak_field_forces_review(rx):
    ext, alt, gate, docs = rx
    doc = docs["rx_a_01"]
    weak = copy.deepcopy(gate)
    weak.seen_layouts = []  # judge by the held-out record alone
    # the compile saw this required field right on 2 of 20 unseen-layout documents
    weak.reliability["patient_name"]["agreement"] = {"agree": [20, 2], "disagree": [0, 0], "alone": [0, 0]}
    weak.reliability["patient_name"].pop("agreement_by_reading", None)  # the pooled record is the only one
    # at the default threshold (the eval may have chosen a lower one for this doc type, where the
    # calibrator's lowest step is already above it: see docs/gate.md)
    weak.thresholds = {**weak.thresholds, "patient_name": 0.9}
    fields = _fields(ext, doc)
    a = gate_document(weak, alt, doc, fields)
    assert a.review
    item = next(i for i in a.items if i.field == "patient_name")
    assert item.code is GateCode.LOW_CONFIDENCE and item.action == "review"
    assert item.confidence < item.threshold
    # whatever the doc type's calibrator says of so low a score (its lowest step may be flat at
    # the doc type's rate), the field's own record of 2 right in 20 is no chance outcome at it
    assert item.confidence < 0.5
    assert item.value == fields["patient_name"]["value"] and item.page == 1 and len(item.bbox) == 4
    d = item.as_dict()
    assert d["code"] == "low_confidence" and set(d) >= {"field", "value", "page", "bbox", "confidence", "threshold"}
    # an optional field under its threshold is withheld, not a reason for review
    optional = copy.deepcopy(weak)
    optional.required = [f for f in optional.required if f != "patient_name"]
    optional.reliability["patient_name"] = copy.deepcopy(weak.reliability["patient_name"])
    b = gate_document(optional, alt, doc, _fields(ext, doc))
    assert "patient_name" in b.withheld
    assert not any(i.field == "patient_name" and i.action == "review" and i.code is not GateCode.CROSS_FIELD for i in b.items)


def test_disagreeing_candidates_abstain(rx):
    ext, alt, gate, docs = rx
    doc, other = docs["rx_a_01"], docs["rx_b_01"]
    fields = _fields(ext, doc)
    g = copy.deepcopy(gate)
    g.seen_layouts = []  # judge by the held-out record alone
    g.reliability["patient_name"]["agreement"]["disagree"] = [0, 0]  # never seen contradicted at compile time
    for counts in g.reliability["patient_name"].get("agreement_by_reading", {}).values():
        counts["disagree"] = [0, 0]
    agreeing = gate_document(g, alt, doc, _fields(ext, doc))
    assert not any(i.field == "patient_name" and i.code is not GateCode.CROSS_FIELD for i in agreeing.items)
    # the runner-ups read another prescription: the names they return contradict the winner's
    assessment = gate_document(g, lambda _doc: alt(other), doc, fields)
    item = next(i for i in assessment.items if i.field == "patient_name")
    assert item.code is GateCode.CANDIDATES_DISAGREE and item.action == "review"
    # the required field abstains whatever its threshold
    assert assessment.review
    # a contradicted value scores its own bucket's record, never an agreed value's: under it
    # before calibration, and the doc type's calibrator (monotone) never lifts it above; where
    # the calibrator's folds told scores apart no better than the base rate, its flat step
    # gives both the same probability, and the action above is what keeps the value out
    raw = copy.deepcopy(g)
    raw.calibrator = None
    raw_agreeing = gate_document(raw, alt, doc, _fields(ext, doc)).confidence["patient_name"]
    raw_contradicted = gate_document(raw, lambda _doc: alt(other), doc, fields).confidence["patient_name"]
    assert raw_contradicted < raw_agreeing
    assert assessment.confidence["patient_name"] <= agreeing.confidence["patient_name"]


def test_seen_layout_record_counts_only_for_documents_of_that_layout(rx):
    from extractors.reliability import fingerprint
    from pipeline.gate import seen_layout

    ext, alt, gate, docs = rx
    assert len(gate.seen_layouts) == 3
    assert seen_layout(gate, fingerprint(docs["rx_a_01"])) is gate.seen_layouts[0]
    unseen = ingest(str(ROOT / "tests" / "heldout" / "prescription" / "rx_d_01.pdf"))
    assert seen_layout(gate, fingerprint(unseen)) is None
    # a field that was right on every sample of layout a gains from that record on an a document
    g = copy.deepcopy(gate)
    g.seen_layouts[0]["fields"]["patient_name"] = [8, 8]
    doc = docs["rx_a_01"]
    with_layout = gate_document(g, alt, doc, _fields(ext, doc)).confidence["patient_name"]
    g.seen_layouts = []
    alone = gate_document(g, alt, doc, _fields(ext, doc)).confidence["patient_name"]
    assert with_layout > alone


def test_seen_layout_keeps_text_and_ocr_records_apart(rx):
    """Scans of a layout misread where its text layer reads right: a text-layer document is not
    judged by the scans' record, and an OCR'd one is."""
    from extractors.reliability import reading_of

    ext, alt, gate, docs = rx
    assert {"fields", "ocr_fields"} <= set(gate.seen_layouts[0])
    text = docs["rx_a_01"]
    scan = ingest(str(RX / "rx_a_06.pdf"))
    assert {p.source for p in scan.pages} == {"ocr"}
    assert reading_of(text, 1) == "text" and reading_of(scan, 1) == reading_of(scan, None) == "ocr"
    g = copy.deepcopy(gate)
    g.seen_layouts[0]["fields"]["patient_name"] = [5, 5]
    g.seen_layouts[0]["ocr_fields"]["patient_name"] = [3, 0]
    on_text = gate_document(g, alt, text, _fields(ext, text)).confidence["patient_name"]
    scan_fields = _fields(ext, scan)
    assert scan_fields["patient_name"] is not None
    on_scan = gate_document(g, alt, scan, scan_fields).confidence["patient_name"]
    g.seen_layouts[0]["ocr_fields"]["patient_name"] = [3, 3]
    assert gate_document(g, alt, text, _fields(ext, text)).confidence["patient_name"] == on_text
    assert on_scan < 0.5 < on_text


def test_cross_field_violation_goes_to_review(rx):
    ext, alt, gate, docs = rx
    assert {"rule": "distinct", "fields": ["patient_name", "prescriber_name"]} in [
        {k: v for k, v in r.items() if k != "source"} for r in gate.rules]
    doc = docs["rx_a_02"]
    fields = _fields(ext, doc)
    # the patient's name read again as the prescriber's: the learned rule must catch it
    fields["prescriber_name"] = dict(fields["patient_name"])
    a = gate_document(gate, alt, doc, fields)
    rules = {i.rule for i in a.items if i.code is GateCode.CROSS_FIELD}
    assert "distinct(patient_name, prescriber_name)" in rules
    assert a.review and "cross_field[distinct(patient_name, prescriber_name)]" in a.reason()
    # an optional value withheld for its own low confidence is not sent, so it contradicts nothing
    g = copy.deepcopy(gate)
    g.required = [f for f in g.required if f != "prescriber_name"]
    g.thresholds = {**g.thresholds, "prescriber_name": 1.01}
    b = gate_document(g, alt, doc, fields)
    assert "prescriber_name" in b.withheld
    assert not any(i.code is GateCode.CROSS_FIELD for i in b.items)


def test_run_sends_gated_documents_to_review_with_typed_items(tmp_path, monkeypatch, caplog):
    """Through `docc run`: a threshold file makes one required field unreachable; every
    prescription goes to review with typed items, no bundle, and no value in the logs."""
    from pipeline.batch import run_command

    inputs = tmp_path / "in"
    inputs.mkdir()
    for p in sorted(RX.glob("rx_a_0[1-2].pdf")):
        shutil.copy(p, inputs / p.name)
    (tmp_path / "gate.yaml").write_text("default: 0.0\ndoc_types:\n  prescription:\n    fields: {date_written: 1.01}\n")
    monkeypatch.setenv("DOCC_GATE_THRESHOLDS", str(tmp_path / "gate.yaml"))
    caplog.set_level(logging.INFO)
    out = tmp_path / "out"
    assert run_command([inputs], out, COMPILED, workers=1, progress=False, fsync=False, cache_dir=str(tmp_path / "cache")) == 0
    review = [json.loads(x) for x in (out / "review" / "review.jsonl").read_text().splitlines()]
    assert len(review) == 2
    for r in review:
        q = [i for i in r["gate"] if i["field"] == "date_written"]  # a required field: it holds the document
        assert q and q[0]["code"] == "low_confidence" and q[0]["threshold"] == 1.01 and q[0]["value"] is not None
        assert r["reason"].startswith("export gate: ")
    assert not list((out / "fhir").glob("*.json"))
    values = {str(i["value"]) for r in review for i in r["gate"] if i["value"] is not None}
    assert values and not any(v in caplog.text for v in values if len(v) > 3)


def test_compile_refuses_weak_required_fields_without_the_flag(tmp_path):
    """Four text samples from two layouts; a floor no field can reach makes every required
    field weak, so the outcome does not hinge on today's extraction quality."""
    from extractors.compiler import compile_command

    samples = tmp_path / "samples" / "prescription"
    samples.mkdir(parents=True)
    shutil.copy(RX / "schema.yaml", samples / "schema.yaml")
    for stem in ("rx_a_01", "rx_a_02", "rx_b_01", "rx_b_02"):
        for ext in (".pdf", ".json"):
            shutil.copy(RX / f"{stem}{ext}", samples / f"{stem}{ext}")
    out = tmp_path / "compiled"
    assert compile_command(tmp_path / "samples", [], ["synth"], out, force=True, floor=1.01) == 1
    assert "prescription" not in read_lock(out)["doc_types"]
    assert compile_command(tmp_path / "samples", [], ["synth"], out, force=True, floor=1.01, accept_weak=True) == 0
    entry = read_lock(out)["doc_types"]["prescription"]
    assert set(entry["accepted_weak"]) == set(entry["required"])
    rel = entry["fields"]["patient_name"]["reliability"]
    assert {"precision", "recall", "f1", "coverage", "folds", "agreement"} <= set(rel) and len(rel["folds"]) == 2
    assert "Weak required fields accepted" in (out / "compile_report.md").read_text()
    # the calibrator's out-of-fold evidence travels with the lock: [raw score, values, right]
    assert entry["calibration_points"] and all(0 <= k <= n for _, n, k in entry["calibration_points"])
    assert entry["calibrator"] is None or entry["calibrator"]["y"] == sorted(entry["calibrator"]["y"])


def test_calibration_and_sweep_arithmetic():
    from eval.calibration import DocOutcome, ValueOutcome, at_threshold, calibration, lowest_safe_threshold, sweep

    def doc(*values, blocked=False):
        d = DocOutcome("s", "t", "d", blocked=blocked)
        d.values = {f"f{i}": ValueOutcome(c, ok, req) for i, (c, ok, req) in enumerate(values)}
        return d

    docs = [doc((0.99, True, True), (0.6, False, False)),   # optional wrong value withheld above 0.6
            doc((0.7, False, True)),                         # required weak value: review above 0.7
            doc((0.95, True, True), blocked=True)]           # cross-field rule: never exported
    low = at_threshold(docs, 0.5)
    assert (low["exported"], low["values_exported"], low["wrong_exported"]) == (2, 3, 2)
    high = at_threshold(docs, 0.9)
    assert (high["exported"], high["values_exported"], high["wrong_exported"], high["precision"]) == (1, 1, 0, 1.0)
    assert lowest_safe_threshold(sweep(docs, (0.5, 0.8, 0.9))) == 0.8
    cal = calibration([ValueOutcome(0.95, True, True)] * 9 + [ValueOutcome(0.95, False, True)] + [ValueOutcome(0.15, False, True)] * 2)
    assert cal["values"] == 12 and cal["ece"] == round(10 / 12 * 0.05 + 2 / 12 * 0.15, 4)


def _rx_outcomes(rx):
    """The gate's view (eval.calibration.DocOutcome) of the fixture's real prescriptions."""
    from eval.calibration import outcome
    from extractors.schema import load_sample_set

    ext, alt, gate, docs = rx
    ss = load_sample_set(RX)
    golden = {s.path.stem: s.golden for s in ss.samples}
    out = []
    for stem, doc in docs.items():
        fields = _fields(ext, doc)
        a = gate_document(gate, alt, doc, fields)
        out.append(outcome("samples", "prescription", stem, fields, golden[stem], ss.schema_, a, gate.required))
    return out


def test_calibrator_is_fitted_on_out_of_fold_evidence_from_real_documents(rx):
    """Real extractor and runner-up values on real prescriptions, one fold per layout: every
    point is scored with the other folds' agreement record, and the fitted map is a monotone
    piecewise-linear function into [0, 1] whose steps are the observed (shrunk) rates."""
    from extractors.reliability import HeldOut, apply_calibrator, calibration_points, fit_calibrator
    from extractors.schema import load_sample_set

    ext, alt, gate, docs = rx
    ss = load_sample_set(RX)
    golden = {s.path.stem: s.golden for s in ss.samples}
    # the six first prescriptions read right everywhere; add samples the locked code misreads
    docs = {**docs, **{p.stem: ingest(str(p)) for p in sorted(RX.glob("rx_[cd]_0[5-8].pdf"))}}
    layouts = sorted({stem.split("_")[1] for stem in docs})
    points = []
    for name, spec in ss.schema_.fields.items():
        rows = []
        for stem, doc in docs.items():
            got = ext.extract(doc).get(name)
            alts = alt(doc).get(name, [])
            rows.append(HeldOut(layouts.index(stem.split("_")[1]), got, alts, golden[stem].get(name)))
        points += calibration_points(spec, rows)
    assert len(points) >= 30 and {y for _, y in points} == {0, 1}
    cal = fit_calibrator(points)
    assert cal is not None and cal["points"] == len(points) and cal["right"] == sum(y for _, y in points)
    assert cal["x"] == sorted(cal["x"]) and cal["y"] == sorted(cal["y"]) and 0.0 < cal["y"][0] and cal["y"][-1] < 1.0
    assert apply_calibrator(cal, -1.0) == cal["y"][0] and apply_calibrator(cal, 2.0) == cal["y"][-1]
    # the committed lock carries the compile's calibrator, and the run time applies it
    assert gate.calibrator and gate.calibrator["method"] == "isotonic" and gate.calibrator["points"] > 50


def test_thresholds_chosen_from_the_eval_hold_in_the_run_time_gate(rx, tmp_path, monkeypatch):
    """Per-field thresholds chosen on real documents keep exported precision >= the target and,
    written as gate.yaml and loaded as `docc run` loads it, export exactly the predicted documents."""
    import yaml

    from eval.calibration import choose_thresholds, gate_with, thresholds_yaml
    from pipeline.gate import DocGate, Thresholds

    ext, alt, gate, docs = rx
    before = _rx_outcomes(rx)
    th = choose_thresholds({"samples": before}, target=1.0)
    predicted = gate_with(before, th)
    assert predicted["precision"] in (None, 1.0) and predicted["wrong_exported"] == 0
    uniform = max((gate_with(before, {k: t for k in th})["exported"] for t in (0.5, 0.8, 0.9, 0.95)
                   if gate_with(before, {k: t for k in th})["wrong_exported"] == 0), default=0)
    assert predicted["exported"] >= max(uniform, 1)  # rx_b's are read right; never worse than the best safe single threshold
    path = tmp_path / "gate.yaml"
    path.write_text(yaml.safe_dump(thresholds_yaml(th, 0.9)))
    monkeypatch.setenv("DOCC_GATE_THRESHOLDS", str(path))
    lock = read_lock(COMPILED)
    tuned = DocGate.from_lock("prescription", lock["doc_types"]["prescription"], Thresholds.load(None))
    after = _rx_outcomes((ext, alt, tuned, docs))
    assert sum(d.status == "exported" for d in after) == predicted["exported"]
    assert all(d.values[n].correct for d in after if d.status == "exported" for n in d.exported_fields)


def test_threshold_search_keeps_the_floor_where_a_set_gives_no_evidence():
    """A set that exports none of a doc type's documents cannot vouch for lowering its
    thresholds: they stay at or above the evidence floor, whatever the other set allows."""
    from eval.calibration import EVIDENCE_FLOOR, DocOutcome, ValueOutcome, choose_thresholds, gate_with

    def doc(set_name, i, conf, blocked=False):
        return DocOutcome(set_name, "claim", f"{set_name}{i}", {"total": ValueOutcome(conf, True, True)}, blocked)

    seen = [doc("samples", i, 0.55) for i in range(6)]
    silent = [doc("heldout", i, 0.55, blocked=True) for i in range(4)]  # held by other checks
    speaking = [doc("heldout", i, 0.55) for i in range(4)]

    th = choose_thresholds({"samples": seen, "heldout": silent})
    assert th[("claim", "total")] >= EVIDENCE_FLOOR
    assert gate_with(seen, th)["exported"] == 0
    # the same values, exported and right in the held-out set too: now the set speaks
    th = choose_thresholds({"samples": seen, "heldout": speaking})
    assert th[("claim", "total")] == 0.5
    assert gate_with(seen, th)["exported"] == 6


def test_threshold_search_holds_every_field_to_the_target_on_its_own():
    """A weak optional field whose one wrong value would hide among many right values of strong
    fields (set precision 0.998) keeps its threshold above its values: it is withheld."""
    from eval.calibration import DocOutcome, ValueOutcome, choose_thresholds, gate_with

    def doc(i: int) -> DocOutcome:
        values = {f"strong{k}": ValueOutcome(0.95, True, True) for k in range(12)}
        values["weak"] = ValueOutcome(0.67, i != 0, False)
        return DocOutcome("samples", "ds", f"d{i}", values)

    docs = [doc(i) for i in range(40)]
    th = choose_thresholds({"samples": docs, "heldout": [doc(i) for i in range(1, 10)]})
    assert th[("ds", "weak")] > 0.67
    assert all(th[("ds", f"strong{k}")] <= 0.95 for k in range(12))
    r = gate_with(docs, th)
    assert r["exported"] == 40 and r["wrong_exported"] == 0


def test_table_runner_ups_contradict_only_rows_they_read_alike():
    """A runner-up that reads fewer rows, fewer cells or stray header lines does not contradict
    the winner's table; one cell read differently in a row both read does, and so does a
    runner-up whose rows are all another table's."""
    from extractors.reliability import agreement_of as agreement
    from extractors.schema import FieldSpec

    ext = load_locked(COMPILED, ["lab_report"])["lab_report"]
    doc = ingest(str(ROOT / "data" / "samples" / "lab_report" / "lab_a_01.pdf"))
    spec = FieldSpec.model_validate(load_gates(COMPILED, read_lock(COMPILED))["lab_report"].fields["results"])
    rows = [{c: (f.value if f is not None else None) for c, f in r.items()} for r in ext.extract(doc)["results"].value]
    assert len(rows) >= 3 and all(r["test_name"] and r["value"] for r in rows)

    fewer = [dict(r, unit=None) for r in rows[1:]] + [{"test_name": "Date of Birth", "value": "05/05/1964"}]
    assert agreement(rows, [fewer], spec) == "agree"
    assert agreement(rows, [None, []], spec) == "alone"
    misread = [dict(r) for r in rows]
    misread[1]["value"] = misread[2]["value"] if misread[2]["value"] != misread[1]["value"] else "999"
    assert agreement(rows, [fewer, misread], spec) == "disagree"
    other = [{"test_name": "Sodium", "value": "140"}, {"test_name": "Potassium", "value": "4.1"}]
    assert agreement(rows, [other], spec) == "disagree"


def test_a_value_that_fails_its_format_check_is_never_sent_whatever_the_threshold(rx):
    """An NPI whose check digit fails holds a required field at a threshold of 0 too; the
    threshold search never chooses 0."""
    from eval.calibration import DocOutcome, ValueOutcome, choose_thresholds

    ext, alt, gate, docs = rx
    doc = docs["rx_a_01"]
    fields = _fields(ext, doc)
    npi = fields["prescriber_npi"]["value"]
    fields["prescriber_npi"] = {**fields["prescriber_npi"], "value": npi[:-1] + str((int(npi[-1]) + 1) % 10)}
    g = copy.deepcopy(gate)
    g.thresholds = {n: 0.0 for n in g.thresholds}
    g.required = sorted({*g.required, "prescriber_npi"})
    a = gate_document(g, alt, doc, fields)
    item = next(i for i in a.items if i.field == "prescriber_npi")
    assert item.code is GateCode.FORMAT_INVALID and item.action == "review" and a.review

    docs_ = [DocOutcome("samples", "t", f"d{i}", {"x": ValueOutcome(0.3, True, True)}) for i in range(5)]
    assert min(choose_thresholds({"samples": docs_, "heldout": docs_}).values()) > 0.0


def test_a_scanned_value_is_capped_by_its_own_reading_confidence(rx):
    """On an OCR'd page the reading's own confidence (word confidence lowered by its doubts:
    a split vote, an unreadable value under the field's own label), mapped through the lock's
    reading calibrator, caps the calibrated one; a text-layer value is judged by the
    calibration alone."""
    from extractors.reliability import apply_reading_calibrator

    ext, alt, gate, docs = rx
    scan = ingest(str(RX / "rx_a_06.pdf"))
    fields = _fields(ext, scan)
    assert fields["patient_name"] is not None
    full = gate_document(gate, alt, scan, copy.deepcopy(fields)).confidence["patient_name"]
    doubted = copy.deepcopy(fields)
    doubted["patient_name"]["confidence"] = 0.3
    capped = gate_document(gate, alt, scan, doubted).confidence["patient_name"]
    assert capped == round(apply_reading_calibrator(gate.reading_calibrator, 0.3), 4) < full
    # under the lowest reading the samples' scans showed, the calibrator knows nothing and
    # raises no reading; from there on it maps readings to what they were worth
    cal = gate.reading_calibrator
    low = cal["x"][0] / 2
    doubted["patient_name"]["confidence"] = low
    assert gate_document(gate, alt, scan, doubted).confidence["patient_name"] == round(min(low, cal["y"][0]), 4)
    assert apply_reading_calibrator(cal, cal["x"][0]) == cal["y"][0]
    assert apply_reading_calibrator(cal, cal["x"][-1]) == cal["y"][-1]
    uncalibrated = copy.deepcopy(gate)
    uncalibrated.reading_calibrator = None  # a lock without one: the reading confidence as it is
    doubted["patient_name"]["confidence"] = 0.3
    assert gate_document(uncalibrated, alt, scan, copy.deepcopy(doubted)).confidence["patient_name"] == 0.3
    text = docs["rx_a_01"]
    fields = _fields(ext, text)
    calibrated = gate_document(gate, alt, text, copy.deepcopy(fields)).confidence["patient_name"]
    fields["patient_name"]["confidence"] = 0.3
    assert gate_document(gate, alt, text, fields).confidence["patient_name"] == calibrated > 0.3


def test_reading_calibrator_is_learned_from_the_samples_scans(rx):
    """The compile reads its own scanned samples with the locked code and learns how often a
    value read at a given OCR confidence is right: real Tesseract readings of real scans, and
    the map it fits is monotone, so a surer reading never counts for less."""
    from extractors.reliability import apply_calibrator, fit_calibrator, reading_confidence, seen_layouts
    from extractors.schema import load_sample_set

    ext, alt, gate, docs = rx
    ss = load_sample_set(RX)
    golden = {s.path.stem: s.golden for s in ss.samples}
    scans = {p.stem: ingest(str(p)) for p in sorted(RX.glob("rx_*_0[6-8].pdf"))}
    assert all({pg.source for pg in d.pages} == {"ocr"} for d in scans.values())
    points: list = []
    layouts = seen_layouts(ext.extract, ss.schema_, scans, golden, [[s] for s in sorted(scans)], points)
    ocr_values = sum(n for lay in layouts for n, _ in lay["ocr_fields"].values())
    assert len(points) == ocr_values > 20 and {y for _, y in points} <= {0, 1}
    some = next(v for v in ext.extract(scans[sorted(scans)[0]]).values() if v is not None and v.bbox is not None)
    assert 0.0 <= reading_confidence(scans[sorted(scans)[0]], some) <= some.confidence
    cal = fit_calibrator(points + [(0.05, 0)] * 5)  # a few unreadable values: the map has two classes
    assert cal is not None and cal["y"] == sorted(cal["y"])
    assert apply_calibrator(cal, 0.05) < apply_calibrator(cal, 0.95)
    # the committed lock carries the compile's reading calibrator and its data
    entry = read_lock(COMPILED)["doc_types"]["prescription"]
    assert gate.reading_calibrator == entry["reading_calibrator"]
    assert sum(n for _, n, _ in entry["reading_calibration_points"]) > 50


def test_an_unseen_layout_weighs_the_folds_and_the_samples_records(rx):
    """A document of a layout the compile did not see: its confidence lies between the held-out
    folds' estimate (code that learned from one layout fewer) and the locked code's record on
    its own samples, .632 of the way to the folds'."""
    from pipeline.gate import FOLD_WEIGHT, samples_rate

    ext, alt, gate, docs = rx
    unseen = ingest(str(ROOT / "tests" / "heldout" / "prescription" / "rx_d_01.pdf"))
    fields = _fields(ext, unseen)
    blended = gate_document(gate, alt, unseen, copy.deepcopy(fields)).confidence["patient_name"]
    folds_only = copy.deepcopy(gate)
    folds_only.seen_layouts = []
    held_out = gate_document(folds_only, alt, unseen, copy.deepcopy(fields)).confidence["patient_name"]
    seen = samples_rate(gate, "patient_name", "text")
    assert seen is not None and seen != held_out
    assert blended == pytest.approx(FOLD_WEIGHT * held_out + (1 - FOLD_WEIGHT) * seen, abs=2e-4)


def test_held_out_record_is_kept_per_reading_and_a_text_value_is_not_judged_by_scans(rx):
    """The folds' scanned samples misread values their text-layer samples read right. The lock
    keeps the agreement counts per reading, and a text-layer value's confidence moves towards
    the text-layer record, a scanned value's towards the scans'."""
    from extractors.reliability import HeldOut, measure
    from extractors.schema import load_sample_set
    from pipeline.gate import calibrated

    spec = load_sample_set(RX).schema_.fields["patient_name"]
    rows = ([HeldOut(0, "Jill Williams", ["Jill Williams"], "Jill Williams", "text")] * 10
            + [HeldOut(1, "Ji11 Wi11iams", ["Ji11 Wi11iams"], "Jill Williams", "ocr")] * 4
            + [HeldOut(1, "Jill Williams", ["Jill Williams"], "Jill Williams", "ocr")] * 2)
    rel = measure(spec, rows).as_dict([])
    assert rel["agreement"]["agree"] == [16, 12]
    assert rel["agreement_by_reading"] == {"text": {"agree": [10, 10], "disagree": [0, 0], "alone": [0, 0]},
                                           "ocr": {"agree": [6, 2], "disagree": [0, 0], "alone": [0, 0]}}
    pooled = calibrated({"agreement": rel["agreement"]}, "agree")
    text, ocr = calibrated(rel, "agree", reading="text"), calibrated(rel, "agree", reading="ocr")
    assert ocr < pooled < text
    # the committed lock carries the per-reading record the run time reads
    _, _, gate, _ = rx
    assert all("agreement_by_reading" in r for r in gate.reliability.values() if r)


def test_runner_ups_must_read_some_held_out_document_differently():
    """A near-copy of the winner (other code, the same value on every held-out document) is
    passed over for a weaker candidate that reads some document differently, and two
    runner-ups never read every document alike either, while such a candidate is left; a slot
    none is left for goes to the best near-copy."""
    from extractors.reliability import pick_runner_ups

    scores = {"win": 0.9, "copy": 0.9, "copy2": 0.85, "other": 0.7, "other_twin": 0.6, "third": 0.5}
    sources = {k: f"def field_x(doc):  # {k}\n" for k in scores}
    outputs = {"win": ("a", "b", None), "copy": ("a", "b", None), "copy2": ("a", "b", None),
               "other": ("a", "c", None), "other_twin": ("a", "c", None), "third": ("a", "b", "d")}
    picked = pick_runner_ups("win", scores, sources, sources["win"], lambda k: 0, outputs)
    assert picked == ["other", "third"]
    # with one candidate of its own reading, the slot left over goes to the best near-copy
    del scores["third"]
    assert pick_runner_ups("win", scores, sources, sources["win"], lambda k: 0, outputs) == ["other", "copy"]
    # without held-out values to compare, only identical code is passed over
    assert pick_runner_ups("win", scores, sources, sources["win"], lambda k: 0) == ["copy", "copy2"]


def test_runner_ups_over_the_module_limits_cost_the_longest_first():
    """When the alternates module would break its static limits, the longest last runner-up of
    a field holding the most goes first, and the other fields keep both of theirs."""
    from extractors.reliability import trim_runner_ups

    picked = {"a": ["a1", "a2"], "b": ["b1", "b2"], "c": ["c1"]}
    size = {"a1": 10, "a2": 50, "b1": 10, "b2": 20, "c1": 30}

    def under(limit):
        return lambda r: sum(size[k] for ks in r.values() for k in ks) <= limit

    assert trim_runner_ups(picked, lambda n, k: size[k], under(200)) == picked
    assert trim_runner_ups(picked, lambda n, k: size[k], under(100)) == {"a": ["a1"], "b": ["b1", "b2"], "c": ["c1"]}
    assert trim_runner_ups(picked, lambda n, k: size[k], under(60)) == {"a": ["a1"], "b": ["b1"], "c": ["c1"]}
    assert trim_runner_ups(picked, lambda n, k: size[k], under(40)) == {"a": ["a1"], "b": ["b1"], "c": []}
    assert trim_runner_ups(picked, lambda n, k: size[k], lambda r: False) is None
