"""The direct-LLM baseline through the real model server (embedded vLLM, or DOCC_LLM_URL), scored
like the compiled extractors, and the comparison table in the report."""
from __future__ import annotations

import json

import pytest

from eval.baseline import build_messages, completion_budget, json_schema_for, truncate_text
from eval.report import run_eval
from extractors.schema import Schema
from test_eval_support import make_corpus, make_extractors


def test_json_schema_from_docc_schema():
    schema = Schema.model_validate({"doc_type": "x", "fields": {
        "dob": {"type": "date"}, "n": {"type": "integer"}, "amt": {"type": "decimal"}, "code": {"type": "code", "system": "loinc"},
        "rows": {"type": "table", "columns": {"a": {"type": "string"}, "b": {"type": "date"}}}}})
    js = json_schema_for(schema)
    assert js["required"] == ["dob", "n", "amt", "code", "rows"] and js["additionalProperties"] is False
    assert js["properties"]["dob"]["type"] == ["string", "null"] and "YYYY-MM-DD" in js["properties"]["dob"]["description"]
    assert js["properties"]["n"]["type"] == ["integer", "null"]
    assert js["properties"]["amt"]["type"] == ["number", "null"]
    assert "LOINC" in js["properties"]["code"]["description"]
    rows = js["properties"]["rows"]
    assert rows["type"] == "array" and rows["items"]["required"] == ["a", "b"]
    assert "YYYY-MM-DD" in rows["items"]["properties"]["b"]["description"]


def test_long_documents_are_truncated_to_fit_the_context():
    schema = Schema.model_validate({"doc_type": "x", "fields": {"a": {"type": "string"}}})
    text = "\n".join(f"line {i} " + "word " * 20 for i in range(3000))
    messages = build_messages(schema, text, completion_budget(schema))
    user = messages[1]["content"]
    assert "characters omitted" in user
    assert len(user) / 2.5 + completion_budget(schema) < 4096
    assert user.rstrip().endswith("word")  # the tail is kept
    assert "line 0 " in user
    assert truncate_text("a  b\n\n\nc", 100) == "a b\nc"


def test_unreachable_llm_counts_every_document_as_failed(tmp_path):
    # A real refused connection (nothing listens on port 9): each request fails, the report stands.
    from extractors.llm.client import LLMClient

    root = tmp_path / "samples"
    make_corpus(root)
    ext = make_extractors(tmp_path / "ext")
    with LLMClient("http://127.0.0.1:9", "none", max_retries=0, timeout=5) as client:
        report = run_eval([root], ext, tmp_path / "out", baseline="direct-llm", baseline_limit=2, llm_client=client, gx=False)
    comp = report["comparison"]
    rows = {r["approach"]: r for r in comp["rows"]}
    assert rows["direct-llm"]["errors"] == 2 and rows["direct-llm"]["micro_f1"] == 0.0
    # the client reports the refused connection as its own LLMError (no retries here)
    assert all(d["error"] and d["error"].split(":")[0] in ("ConnectError", "LLMError") for d in comp["per_doc"]), comp["per_doc"]
    assert rows["compiled"]["n_docs"] == 2 and rows["compiled"]["micro_f1"] > 0.8
    assert (tmp_path / "out" / "report.html").exists()


@pytest.mark.llm
def test_direct_llm_baseline_on_two_documents(llm, tmp_path):
    # Two small documents through the real model: answers parsed, scored, tokens and latency recorded.
    root = tmp_path / "samples"
    make_corpus(root, patients=[
        ("Maria Gonzalez", "03/14/1962", "1962-03-14", "00482913", [("Glucose", "98", "mg/dL")]),
        ("John Smith", "11/02/1975", "1975-11-02", "A77120", [("Sodium", "139", "mmol/L")]),
    ])
    ext = make_extractors(tmp_path / "ext")
    report = run_eval([root], ext, tmp_path / "out", baseline="direct-llm", baseline_limit=2, llm_client=llm, gx=False)
    comp = report["comparison"]
    assert comp["n_docs"] == 2
    rows = {r["approach"]: r for r in comp["rows"]}
    llm_row = rows["direct-llm"]
    assert llm_row["n_docs"] == 2
    assert all(d["prompt_tokens"] > 50 and d["completion_tokens"] > 0 and d["seconds"] > 0 for d in comp["per_doc"])
    assert all(d["error"] is None for d in comp["per_doc"]), comp["per_doc"]
    assert llm_row["tokens_per_doc"] > 50
    assert llm_row["micro_f1"] is not None and 0.0 <= llm_row["micro_f1"] <= 1.0
    # The model reads a clean one-line name: at least one name right is a low bar even for 0.5B.
    base = report["baseline"]["sets"]["samples"]["doc_types"]["mini_lab"]
    assert base["n_docs"] == 2 and base["fields"]["patient_name"]["tp"] >= 1
    # Compiled on the same docs, with compile tokens amortised and a break-even point.
    compiled = rows["compiled"]
    assert compiled["compile_tokens"] == 4000 and compiled["tokens_per_doc"] == 2000.0
    assert compiled["break_even_docs"] >= 1
    assert compiled["deterministic"] == {"checked": 2, "identical": 2}
    assert compiled["latency"]["median_ms"] < llm_row["latency"]["median_ms"]
    assert len(comp["determinism"]) == 2 and all(d["identical"] is not None for d in comp["determinism"])
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["comparison"]["rows"][1]["approach"] == "direct-llm"
    assert "Compiled extractors vs direct LLM" in (tmp_path / "out" / "report.html").read_text()
