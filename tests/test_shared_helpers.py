"""The one-implementation helpers shared by compile and run time: code formats and check
digits (extractors/codes.py), value reading (extractors/values.py), canonical JSON and atomic
writes (extractors/fileio.py), and the typed run records (pipeline/records.py)."""
from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest  # noqa: E402

from extractors import codes, fileio, values  # noqa: E402
from extractors import expectations, runtime  # noqa: E402
from pipeline import checks  # noqa: E402
from pipeline.records import DocRecord, ErrorKind, ReviewReason, WorkerResult  # noqa: E402


def test_one_npi_rule_everywhere():
    assert codes.npi_valid("1234567893") and codes.npi_valid(" 12345 67893 ")
    for bad in ("1234567890", "123456789", "NPI 1234567893", "123-456-7893", "12345678931"):
        assert not codes.npi_valid(bad), bad
    # the runtime helper, the suites' check and the run-time checks are the same function
    assert runtime.npi_valid is codes.npi_valid
    assert expectations.npi_luhn_ok is codes.npi_valid
    assert checks.npi_luhn_ok is codes.npi_valid
    assert codes.npi_check_digit("123456789") == 3


@pytest.mark.parametrize("system, good, bad", [
    ("loinc", ["2345-7", "100987-1"], ["2345", "1234567-1"]),
    ("icd10cm", ["E11.9", "E119", "U07.1", "S72.001A"], ["11.9", "E1"]),
    ("cpt", ["99213", "0001U", "3074F", "0042T"], ["9921", "9921X"]),
    ("rxnorm", ["197361", "12"], ["1", "123456789"]),
])
def test_code_formats_validate_and_search_alike(system, good, bad):
    for v in good:
        assert codes.matches_format(system, v), v
        if "." in v or system != "icd10cm":  # in prose an ICD-10-CM code needs its dot
            assert runtime.CODE_PATTERNS[system].search(f"code {v} here").group(0) == v
    for v in bad:
        assert not codes.matches_format(system, v), v
    assert expectations.SYSTEM_PATTERNS[system] == codes.FORMATS[system]


def test_code_patterns_stay_read_only():
    with pytest.raises(TypeError):
        runtime.CODE_PATTERNS["npi"] = None  # type: ignore[index]


def test_present_and_number():
    assert not any(values.present(v) for v in (None, "", "  ", [], {}))
    assert all(values.present(v) for v in (0, "0", False, [None], "x"))
    assert values.number("$1,234.50") == Decimal("1234.50") and values.number(True) is None
    assert values.number("abc") is None and values.number_float("2.5") == 2.5


def test_atomic_write_and_canonical_json(tmp_path):
    target = tmp_path / "sub" / "a.json"
    fileio.atomic_write(target, fileio.dumps({"b": 1, "a": "é"}))
    assert target.read_bytes() == '{"a":"é","b":1}'.encode()
    fileio.atomic_write_many([(target, b"2"), (tmp_path / "b.json", b"3")])
    assert target.read_bytes() == b"2" and (tmp_path / "b.json").read_bytes() == b"3"
    assert not [p for p in tmp_path.rglob(".*")]  # no tmp file left behind
    assert fileio.canonical_json({"b": [1], "a": None}, indent=2) == json.dumps({"a": None, "b": [1]}, indent=2)


def test_staged_files_replace_together_or_not_at_all(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b"old\n")
    with pytest.raises(RuntimeError):
        with fileio.StagedFiles() as staged:
            staged.open(tmp_path / "a.jsonl").write(b"new\n")
            raise RuntimeError("killed half way")
    assert (tmp_path / "a.jsonl").read_bytes() == b"old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl"]
    with fileio.StagedFiles() as staged:
        staged.open(tmp_path / "a.jsonl").write(b"new\n")
        staged.open(tmp_path / "sub" / "b.ndjson", text=True).write("é\n")
    assert (tmp_path / "a.jsonl").read_bytes() == b"new\n" and (tmp_path / "sub" / "b.ndjson").read_text("utf-8") == "é\n"
    assert not [p for p in tmp_path.rglob(".*")]


def test_record_round_trip_and_results_line():
    rec = DocRecord.quarantined("ab" * 32, "corrupt", "PDF cannot be opened", pages={"total": 1, "ocr": 0})
    assert rec.reason == "corrupt: PDF cannot be opened" and rec.error_kind is ErrorKind.CORRUPT
    assert DocRecord.from_json(json.loads(json.dumps(rec.to_json()))) == rec
    line = rec.result_line(os.fsencode("/in/x\udcff.pdf"))
    assert line["source"] == "/in/x\\xff.pdf" and line["source_b64"] and line["error_kind"] == "corrupt"
    assert list(line)[:4] == ["source", "source_b64", "sha256", "doc_type"]

    held = DocRecord(None, "review", "export gate: mrn:low_confidence", review_kind=ReviewReason.EXPORT_GATE)
    both = held.to_review(ReviewReason.FAILED_CHECKS, "mrn:pattern", checks_failed=("mrn:pattern",))
    assert both.reason == "export gate: mrn:low_confidence; failed runtime checks: mrn:pattern"
    assert both.review_kind is ReviewReason.EXPORT_GATE and both.checks_failed == ("mrn:pattern",)
    fresh = DocRecord(None, "exported").to_review(ReviewReason.FAILED_CHECKS, "a, b")
    assert fresh.status == "review" and fresh.reason == "failed runtime checks: a, b"
    unknown = DocRecord.review(None, ReviewReason.UNKNOWN_TYPE, " (best score 0.120)")
    assert unknown.reason == "unknown document type (best score 0.120)"
    assert ReviewReason.of_reason(unknown.reason) is ReviewReason.UNKNOWN_TYPE
    assert WorkerResult(rec).cache and WorkerResult(rec).bundle is None
    with pytest.raises(Exception):
        rec.status = "exported"  # type: ignore[misc]  (frozen)
