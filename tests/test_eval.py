"""docc eval: metrics on hand-made extracted vs golden values, the report files, the regression guard."""
from __future__ import annotations

import json
import logging
import re

import pytest

from eval.metrics import Calibration, DocTypeScore, align_rows, plain, score_documents
from eval.regression import regression
from eval.report import eval_command, run_eval
from extractors.runtime import Found
from extractors.schema import Schema
from test_eval_support import EXTRACTOR, make_corpus, make_extractors

SCHEMA = Schema.model_validate({
    "doc_type": "t",
    "fields": {
        "name": {"type": "person_name"},
        "dob": {"type": "date"},
        "mrn": {"type": "identifier"},
        "amount": {"type": "decimal"},
        "results": {"type": "table", "columns": {"test": {"type": "string"}, "value": {"type": "decimal"}, "unit": {"type": "string"}}},
    },
})


def f(value, conf=1.0, text=""):
    return Found(value, 1, (0, 0, 1, 1), text, conf)


def scored(docs):
    return score_documents(SCHEMA, docs)


# ---------------------------------------------------------------- scalar precision / recall


def test_all_correct_scores_one_and_canonicalises():
    golden = {"name": "Maria Gonzalez", "dob": "1962-03-14", "mrn": "A 123", "amount": 12.5, "results": []}
    got = {"name": f("GONZALEZ, Maria"), "dob": f("1962-03-14"), "mrn": f("a123"), "amount": f("12.50"), "results": None}
    r = scored([("d1", got, golden)])
    for name in ("name", "dob", "mrn", "amount", "results"):
        assert r["fields"][name]["f1"] == 1.0, name
        assert r["fields"][name]["exact_match"] == 1.0
    assert r["micro_f1"] == 1.0 and r["macro_f1"] == 1.0
    assert r["docs_all_fields_exact"] == 1


def test_wrong_value_is_both_false_positive_and_false_negative():
    r = scored([("d1", {"mrn": f("X1")}, {"mrn": "X2"})])["fields"]["mrn"]
    assert (r["tp"], r["fp"], r["fn"]) == (0, 1, 1)
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["f1"] == 0.0
    assert r["worst"][0]["kind"] == "wrong" and r["worst"][0]["expected"] == "X2" and r["worst"][0]["got"] == "X1"


def test_spurious_value_when_golden_null_is_a_false_positive_only():
    r = scored([("d1", {"mrn": f("X1")}, {"mrn": None}), ("d2", {"mrn": f("Y")}, {"mrn": "Y"})])["fields"]["mrn"]
    assert (r["tp"], r["fp"], r["fn"]) == (1, 1, 0)
    assert r["precision"] == 0.5 and r["recall"] == 1.0
    assert r["f1"] == pytest.approx(2 / 3)
    assert r["golden_nonnull"] == 1 and r["extracted_nonnull"] == 2
    assert r["worst"][0]["kind"] == "spurious"


def test_missing_value_is_a_false_negative_only():
    r = scored([("d1", {"mrn": None}, {"mrn": "X"}), ("d2", {}, {"mrn": "Y"}), ("d3", {"mrn": f("Z")}, {"mrn": "Z"})])["fields"]["mrn"]
    assert (r["tp"], r["fp"], r["fn"]) == (1, 0, 2)
    assert r["precision"] == 1.0 and r["recall"] == pytest.approx(1 / 3)
    assert r["exact_match"] == pytest.approx(1 / 3)


def test_null_everywhere_is_perfect_and_never_extracted_is_zero():
    r = scored([("d1", {}, {"mrn": None}), ("d2", {"mrn": f("  ")}, {"mrn": ""})])["fields"]["mrn"]
    assert (r["tp"], r["fp"], r["fn"]) == (0, 0, 0)
    assert r["precision"] == r["recall"] == r["f1"] == 1.0 and r["exact_match"] == 1.0
    r = scored([("d1", {}, {"mrn": "X"})])["fields"]["mrn"]
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["f1"] == 0.0
    r = scored([("d1", {"mrn": f("X")}, {"mrn": None})])["fields"]["mrn"]
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["f1"] == 0.0


def test_plain_values_and_failed_documents():
    # Plain (non-Found) values score the same: the direct-LLM baseline returns plain JSON.
    acc = DocTypeScore(SCHEMA)
    acc.add("d1", {"dob": "1990-01-02", "amount": 3}, {"dob": "1990-01-02", "amount": "3.0"})
    acc.add("d2", None, {"dob": "1990-01-02"}, error="extract raised KeyError")
    r = acc.as_dict()
    assert r["fields"]["dob"]["tp"] == 1 and r["fields"]["dob"]["fn"] == 1
    assert r["fields"]["amount"]["f1"] == 1.0
    assert r["errors"] == [{"doc_id": "d2", "error": "extract raised KeyError"}]


def test_worst_examples_put_confident_mistakes_first_with_snippet():
    docs = [("a", {"mrn": f("1", 0.3, "MRN 1")}, {"mrn": "9"}),
            ("b", {"mrn": f("2", 0.99, "MRN: 2")}, {"mrn": "9"}),
            ("c", {"mrn": None}, {"mrn": "9"})]
    worst = scored(docs)["fields"]["mrn"]["worst"]
    assert [w["doc_id"] for w in worst] == ["b", "a", "c"]
    assert worst[0]["snippet"] == "MRN: 2" and worst[0]["confidence"] == 0.99


# ---------------------------------------------------------------- tables


def rows(*items):
    return [{"test": t, "value": v, "unit": u} for t, v, u in items]


def found_rows(*items):
    return f([{"test": f(t, 0.8), "value": f(v, 0.8), "unit": f(u, 0.8) if u is not None else None} for t, v, u in items])


def test_table_rows_are_paired_on_the_key_column_whatever_their_order():
    golden = {"results": rows(("Glucose", 98, "mg/dL"), ("Sodium", 139, "mmol/L"))}
    got = {"results": found_rows(("Sodium", "139", "mmol/L"), ("Glucose", "98.0", "mg/dL"))}
    r = scored([("d", got, golden)])["fields"]["results"]
    assert r["f1"] == 1.0 and r["exact_match"] == 1.0
    assert r["rows"] == {"golden": 2, "extracted": 2, "matched": 2}
    assert all(c["f1"] == 1.0 for c in r["columns"].values())


def test_table_cell_level_counts_with_missing_extra_and_wrong_rows():
    golden = {"results": rows(("Glucose", 98, "mg/dL"), ("Sodium", 139, "mmol/L"), ("Potassium", 4.4, "mmol/L"))}
    got = {"results": found_rows(("Glucose", "98", "mg/dL"),        # all 3 cells right
                                 ("Sodium", "140", None),            # value wrong, unit missing
                                 ("Chloride", "101", "mmol/L"))}     # no key match; by position it meets Potassium
    r = scored([("d", got, golden)])["fields"]["results"]
    cols = r["columns"]
    assert (cols["test"]["tp"], cols["test"]["fp"], cols["test"]["fn"]) == (2, 1, 1)
    assert (cols["value"]["tp"], cols["value"]["fp"], cols["value"]["fn"]) == (1, 2, 2)
    # Position alignment beats key alignment here (Chloride/Potassium share the unit cell).
    assert (cols["unit"]["tp"], cols["unit"]["fp"], cols["unit"]["fn"]) == (2, 0, 1)
    assert (r["tp"], r["fp"], r["fn"]) == (5, 3, 4)
    assert r["precision"] == pytest.approx(5 / 8) and r["recall"] == pytest.approx(5 / 9)
    assert r["exact_match"] == 0.0
    assert r["rows"]["matched"] == 3
    kinds = {w["field"]: w["kind"] for w in r["worst"]}
    assert kinds["results[Sodium].value"] == "wrong" and kinds["results[Sodium].unit"] == "missing"


def test_table_missing_entirely_and_extracted_when_golden_empty():
    golden = {"results": rows(("Glucose", 98, "mg/dL"))}
    r = scored([("d", {"results": None}, golden)])["fields"]["results"]
    assert (r["tp"], r["fp"], r["fn"]) == (0, 0, 3) and r["f1"] == 0.0
    r = scored([("d", {"results": found_rows(("Glucose", "98", "mg/dL"))}, {"results": []})])["fields"]["results"]
    assert (r["tp"], r["fp"], r["fn"]) == (0, 3, 0) and r["precision"] == 0.0


def test_align_rows_by_key_or_by_position_whichever_scores_better():
    spec = SCHEMA.fields["results"]
    # Shuffled rows: the key column (most distinct golden values: `test`) pairs them.
    got = [{"test": "Sodum", "value": "139", "unit": "mmol/L"}, {"test": "Glucose", "value": "1", "unit": "x"}]
    want = [{"test": "Glucose", "value": 98, "unit": "mg/dL"}, {"test": "Sodium", "value": 139, "unit": "mmol/L"}]
    assert align_rows(got, want, spec) == [(1, 0), (None, 1), (0, None)]
    # Misspelt keys but rows in order: position wins.
    got = [{"test": "Glucse", "value": "98", "unit": "mg/dL"}, {"test": "Sodum", "value": "139", "unit": "mmol/L"}]
    assert align_rows(got, want, spec) == [(0, 0), (1, 1)]


def test_counts_agree_with_the_compile_time_accuracy_stage():
    accuracy = pytest.importorskip("extractors.validation.accuracy")
    docs = [
        ("a", {"name": f("Gonzalez, Maria"), "dob": f("2000-01-01"), "mrn": None, "amount": f("3.50"),
               "results": found_rows(("Sodium", "139", "mmol/L"), ("Glucose", "98", None), ("Extra", "1", "x"))},
         {"name": "Maria Gonzalez", "dob": "2000-01-02", "mrn": "X1", "amount": 3.5,
          "results": rows(("Glucose", 98, "mg/dL"), ("Sodium", 139, "mmol/L"))}),
        ("b", {"name": None, "dob": f("1999-12-31"), "mrn": f("Z"), "amount": None,
               "results": found_rows(("Glucse", "5", "u"), ("Sodum", "6", "v"))},
         {"name": None, "dob": "1999-12-31", "mrn": None, "amount": None,
          "results": rows(("Glucose", 5, "u"), ("Sodium", 6, "v"))}),
        ("c", {}, {"name": "A B", "dob": None, "mrn": "Q", "amount": 1, "results": []}),
    ]
    ours = scored(docs)["fields"]
    theirs = accuracy.score_fields({d: plain(e) for d, e, _ in docs}, {d: g for d, _, g in docs}, SCHEMA,
                                   [d for d, _, _ in docs], fields=list(SCHEMA.fields))
    for name, s in theirs.items():
        o = ours[name]
        assert (o["tp"], o["fp"], o["fn"]) == (s.tp, s.fp, s.fn), name
        assert o["precision"] == pytest.approx(s.precision) and o["recall"] == pytest.approx(s.recall), name
        assert o["f1"] == pytest.approx(s.f1), name
        for col, c in (o.get("columns") or {}).items():
            assert (c["tp"], c["fp"], c["fn"]) == (s.columns[col]["tp"], s.columns[col]["fp"], s.columns[col]["fn"]), col


def test_micro_and_macro_f1():
    docs = [("d", {"name": f("A B"), "dob": f("2000-01-01"), "mrn": f("X"), "amount": None, "results": None},
             {"name": "A B", "dob": "2000-01-02", "mrn": "X", "amount": None, "results": rows(("G", 1, "u"))})]
    r = scored(docs)
    # name TP, dob FP+FN, mrn TP, amount nothing, results 3 FN -> micro P 2/3, R 2/6.
    assert r["micro"]["tp"] == 2 and r["micro"]["fp"] == 1 and r["micro"]["fn"] == 4
    assert r["micro_f1"] == pytest.approx(2 * (2 / 3) * (2 / 6) / ((2 / 3) + (2 / 6)), abs=1e-6)
    assert r["macro_f1"] == pytest.approx((1 + 0 + 1 + 1 + 0) / 5)


def test_calibration_buckets():
    cal = Calibration()
    for conf, ok in [(0.1, False), (0.5, True), (0.69, False), (0.7, True), (0.95, True), (1.0, True), (None, True)]:
        cal.observe(conf, ok)
    d = cal.as_dict()
    assert [b["n"] for b in d["buckets"]] == [1, 2, 1, 2]
    assert [b["accuracy"] for b in d["buckets"]] == [0.0, 0.5, 1.0, 1.0]
    assert d["no_confidence"] == 1 and d["n"] == 6


# ---------------------------------------------------------------- report and regression guard


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval")
    make_corpus(root / "samples")
    make_corpus(root / "heldout")
    make_extractors(root / "ext")
    return root


def test_report_files_written_and_scored(corpus, tmp_path, caplog):
    out = tmp_path / "report"
    with caplog.at_level(logging.INFO):
        rc = eval_command([corpus / "samples", corpus / "heldout"], corpus / "ext", out)
    assert rc == 0
    for name in ("report.json", "report.md", "report.html", "gx_results.json", "extracted.jsonl"):
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text())
    assert set(report["sets"]) == {"samples", "heldout"}
    sec = report["sets"]["samples"]["doc_types"]["mini_lab"]
    assert sec["n_docs"] == 3
    assert sec["fields"]["patient_name"]["f1"] == 1.0
    assert sec["fields"]["birth_date"]["f1"] == 1.0
    # The hand-written extractor drops the last row's unit: 3 of 6 units found.
    assert sec["fields"]["results"]["columns"]["unit"]["recall"] == 0.5
    assert sec["deterministic"] == {"runs": 2, "docs": 3, "identical": 3}
    assert sec["latency"]["n"] == 6
    assert sum(b["n"] for b in sec["calibration"]["buckets"]) > 0
    gx = report["gx"]
    assert {(s["set"], s["doc_type"]) for s in gx["suites"]} == {("samples", "mini_lab"), ("heldout", "mini_lab")}
    by_field = {f["field"]: f for f in gx["suites"][0]["fields"]}
    assert by_field["patient_name"]["success"] and not by_field["results"]["success"]  # 3 of 18 cells wrong: 0.83 < 0.9
    assert all(f["agrees_with_metrics"] for s in gx["suites"] for f in s["fields"])
    gx_results = json.loads((out / "gx_results.json").read_text())
    assert len(gx_results["results"]) == 8 and all("statistics" in r for r in gx_results["results"])
    assert report["extractors"]["compile_costs"]["doc_types"]["mini_lab"]["tokens"] == 4000
    md = (out / "report.md").read_text()
    assert "results.unit" in md and "Great Expectations" in md
    html = (out / "report.html").read_text()
    assert 'href="gx_results.json"' in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", html)  # self-contained: plotly.js inlined
    # No field values in logs above DEBUG.
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    for secret in ("Gonzalez", "1962", "00482913", "mmol"):
        assert secret not in logged


def test_regression_guard_fails_on_a_drop_and_passes_within_tolerance(corpus, tmp_path):
    good = tmp_path / "good"
    assert eval_command([corpus / "samples"], corpus / "ext", good) == 0
    # Break the extractor: birth dates are no longer read.
    worse = tmp_path / "ext-worse"
    make_extractors(worse, source=EXTRACTOR.replace('_label(doc, "Date of Birth")', "None"))
    bad = tmp_path / "bad"
    rc = eval_command([corpus / "samples"], worse, bad, against=good / "report.json", tolerance=0.02)
    assert rc == 1
    reg = json.loads((bad / "report.json").read_text())["regression"]
    assert reg["failed"]
    regressed = [r for r in reg["rows"] if r["status"] == "regressed"]
    assert [(r["doc_type"], r["field"]) for r in regressed] == [("mini_lab", "birth_date")]
    assert regressed[0]["previous"] == 1.0 and regressed[0]["current"] == 0.0
    assert "Regression" in (bad / "report.html").read_text()
    # Same extractor again: no regression.
    assert eval_command([corpus / "samples"], corpus / "ext", tmp_path / "again", against=good / "report.json") == 0
    # A huge tolerance accepts the drop.
    assert eval_command([corpus / "samples"], worse, tmp_path / "tolerant", against=good / "report.json", tolerance=1.0) == 0


def test_regression_compare_pure():
    prev = {"sets": {"s": {"doc_types": {"t": {"fields": {"a": {"f1": 0.9}, "b": {"f1": 0.5},
                                                               "tab": {"f1": 0.8, "columns": {"c": {"f1": 0.8}}}}}}}}}
    cur = {"sets": {"s": {"doc_types": {"t": {"fields": {"a": {"f1": 0.89}, "c": {"f1": 1.0},
                                                              "tab": {"f1": 0.8, "columns": {"c": {"f1": 0.5}}}}}}}}}
    reg = regression(cur, prev, 0.02)
    status = {r["field"]: r["status"] for r in reg["rows"]}
    assert status == {"a": "same", "b": "removed", "c": "new", "tab": "same", "tab.c": "regressed"}
    assert reg["failed"] and reg["n_regressed"] == 1


def test_usage_errors_exit_2(corpus, tmp_path):
    empty = tmp_path / "noext"
    empty.mkdir()
    assert eval_command([corpus / "samples"], empty, tmp_path / "o1") == 2
    assert eval_command([tmp_path / "missing"], corpus / "ext", tmp_path / "o2") == 2
    assert eval_command([corpus / "samples"], corpus / "ext", tmp_path / "o3", baseline="nope") == 2


def test_doc_type_without_extractor_and_broken_extractor_are_scored_as_misses(corpus, tmp_path):
    root = tmp_path / "s"
    make_corpus(root, "mini_lab")
    make_corpus(root, "other_type")
    ext = tmp_path / "ext"
    make_extractors(ext, source="def extract(doc):\n    raise KeyError('x')\n")
    report = run_eval([root], ext, tmp_path / "out", gx=False)
    s = report["sets"]["s"]["doc_types"]
    assert s["mini_lab"]["errors"][0]["error"] == "extract raised KeyError"
    assert s["other_type"]["errors"][0]["error"] == "no compiled extractor for this doc type"
    assert s["other_type"]["fields"]["patient_name"]["recall"] == 0.0
