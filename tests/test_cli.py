"""The `docc` command line as an operator meets it: every usage error exits 2 with one line
naming the problem and no traceback; options work anywhere; the export fails fast on a server
that is not there. In-process through `pipeline.cli.cli` (the console-script body), plus one
real subprocess for the entry point."""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline.cli import _QuietThirdParty, cli, hoist_global_options

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "data" / "samples" / "lab_report"


def one_error_line(err: str, *needles: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


@pytest.fixture()
def exported_out(tmp_path) -> Path:
    """A run output folder with one exported lab report (golden values as its fields)."""
    golden = json.loads((LAB / "lab_a_01.json").read_text())
    fields = {k: {"value": ([{c: {"value": x} for c, x in row.items()} for row in v] if isinstance(v, list) else v)}
              for k, v in golden.items()}
    out = tmp_path / "out"
    out.mkdir()
    rec = {"source": str(LAB / "lab_a_01.pdf"), "sha256": "ab" * 32, "doc_type": "lab_report", "status": "exported",
           "reason": None, "fields": fields, "extractor_sha256": None}
    (out / "results.jsonl").write_text(json.dumps(rec) + "\n")
    return out


def test_usage_errors_exit_2_with_one_line(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        (["run", str(LAB), "--out", str(a_file)], ["--out", "is a file"]),
        (["run", str(LAB), "--out", str(tmp_path / "o"), "--workers", "0"], ["--workers"]),
        (["run", str(LAB), "--out", str(tmp_path / "o"), "--workers", "-3"], ["--workers"]),
        (["run", str(empty), "--out", str(tmp_path / "o")], ["no input files", "empty"]),
        (["run", str(tmp_path / "missing"), "--out", str(tmp_path / "o")], ["not found", "missing"]),
        (["ingest", str(tmp_path / "missing")], ["not found", "missing"]),
        (["ingest", str(empty)], ["no input files", "empty"]),
        (["ingest", str(LAB), "--workers", "0"], ["--workers"]),
        (["export", str(tmp_path), "--fhir-url", "not-a-url"], ["not-a-url", "not an http(s) URL"]),
        (["export", str(tmp_path), "--fhir-url", "ftp://x/fhir"], ["not an http(s) URL"]),
        (["export", str(tmp_path), "--fhir-url", "http://h/fhir", "--ndjson", str(tmp_path / "n")], ["not both"]),
        (["export", str(tmp_path), "--fhir-url", "http://h/fhir"], ["no results.jsonl"]),
        (["compile", "--samples", str(tmp_path / "nowhere")], ["nowhere"]),
        (["compile", "--samples", str(REPO / "data" / "samples"), "--backend", "openai"], ["DOCC_LLM_URL"]),
        (["run", "--bogus"], ["No such option"]),
        (["--log-level", "LOUD", "ingest", str(LAB)], ["--log-level"]),
    ]
    for args, needles in cases:
        env_url = os.environ.pop("DOCC_LLM_URL", None)
        try:
            rc = cli(args)
        finally:
            if env_url is not None:
                os.environ["DOCC_LLM_URL"] = env_url
        err = capsys.readouterr().err
        assert rc == 2, (args, err)
        one_error_line(err, "error:", *needles)
    assert not (tmp_path / "o").exists()


def test_global_options_anywhere(tmp_path, capsys):
    assert hoist_global_options(["run", "IN", "--out", "O", "-v"]) == ["-v", "run", "IN", "--out", "O"]
    assert hoist_global_options(["run", "IN", "--log-level", "WARNING"]) == ["--log-level", "WARNING", "run", "IN"]
    assert hoist_global_options(["run", "--", "-v"]) == ["run", "--", "-v"]
    empty = tmp_path / "empty"
    empty.mkdir()
    for flags in (["-v"], ["--log-level", "WARNING"], ["--log-level=ERROR"]):
        assert cli(["run", str(empty), "--out", str(tmp_path / "o"), *flags]) == 2
        one_error_line(capsys.readouterr().err, "no input files")  # the option was accepted


def test_great_expectations_info_noise_is_filtered():
    def rec(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, "Created temporary directory for ephemeral docs site", None, None)

    quiet = _QuietThirdParty(debug=False)
    assert not quiet.filter(rec("great_expectations.data_context.types.base", logging.INFO))
    assert quiet.filter(rec("great_expectations.core", logging.WARNING))
    assert quiet.filter(rec("pipeline.batch", logging.INFO))
    assert _QuietThirdParty(debug=True).filter(rec("great_expectations.data_context.types.base", logging.INFO))


def test_export_refused_connection_fails_fast_and_names_it(exported_out, capsys, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/fhir"
    t0 = time.monotonic()
    rc = cli(["export", str(exported_out), "--fhir-url", url])
    elapsed = time.monotonic() - t0
    captured = capsys.readouterr()
    assert rc == 1
    assert elapsed < 15, elapsed   # no 25 s of retries on a refused connection
    assert "connection refused" in captured.out
    assert "HTTP None" not in captured.out + captured.err
    assert "lab_a_01.pdf" in captured.out  # file names, not hashes, in the table
    entry = json.loads((exported_out / "export").glob("*.jsonl").__next__().read_text().splitlines()[0])
    assert entry["attempts"] == 1 and entry["status"] == "failed"

    # DOCC_FHIR_URL is the default target
    monkeypatch.setenv("DOCC_FHIR_URL", url)
    assert cli(["export", str(exported_out)]) == 1
    assert "connection refused" in capsys.readouterr().out


def test_export_ndjson_names_the_run(exported_out, tmp_path, capsys):
    assert cli(["export", str(exported_out), "--ndjson", str(tmp_path / "nd")]) == 0
    assert (tmp_path / "nd" / "Patient.ndjson").exists()


def _schema_case(tmp_path: Path, edit) -> Path:
    samples = tmp_path / "samples"
    folder = samples / "lab_report"
    folder.mkdir(parents=True)
    shutil.copy(LAB / "schema.yaml", folder / "schema.yaml")
    for stem in ("lab_a_01", "lab_a_02"):
        shutil.copy(LAB / f"{stem}.pdf", folder / f"{stem}.pdf")
        shutil.copy(LAB / f"{stem}.json", folder / f"{stem}.json")
    edit(folder)
    return samples


@pytest.mark.parametrize("edit,needles", [
    (lambda f: (f / "schema.yaml").write_text((f / "schema.yaml").read_text().replace("type: date\n    required: true\n  mrn", "type: text\n    required: true\n  mrn", 1)),
     ["schema.yaml", "fields.birth_date.type", "'text'"]),
    (lambda f: (f / "schema.yaml").write_text((f / "schema.yaml").read_text() + "extra_key: 1\n"), ["schema.yaml", "extra_key", "unknown key"]),
    (lambda f: (f / "schema.yaml").write_text(yaml.safe_dump({**yaml.safe_load((f / "schema.yaml").read_text()),
                                                              "fields": {"dob": {"type": "date", "fhir": "birthDate"}}})),
     ["schema.yaml", "fields.dob.fhir"]),
    (lambda f: (f / "lab_a_02.json").write_text((f / "lab_a_02.json").read_text().replace('"birth_date"', '"brith_date"')),
     ["lab_a_02.json", "unknown field", "brith_date"]),
    (lambda f: (f / "lab_a_02.json").write_text(json.dumps({**json.loads((f / "lab_a_02.json").read_text()), "birth_date": "14/03/1951"})),
     ["lab_a_02.json", "birth_date", "YYYY-MM-DD"]),
    (lambda f: (f / "lab_a_02.json").write_text(json.dumps({**json.loads((f / "lab_a_02.json").read_text()), "mrn": 123})),
     ["lab_a_02.json", "mrn", "JSON string"]),
])
def test_bad_schema_or_golden_is_named(tmp_path, capsys, edit, needles):
    samples = _schema_case(tmp_path, edit)
    rc = cli(["compile", "--samples", str(samples), "--backend", "synth", "--out", str(tmp_path / "c"),
              "--mappings", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 2, err
    line = one_error_line(err, *needles)
    assert "1951" not in line  # a value is described by its shape, never echoed


def test_eval_skips_unlabeled_files(tmp_path, caplog):
    from extractors.schema import load_sample_set

    samples = _schema_case(tmp_path, lambda f: (f / "lab_a_02.json").unlink())
    with pytest.raises(FileNotFoundError, match="lab_a_02.pdf"):
        load_sample_set(samples / "lab_report")
    with caplog.at_level(logging.WARNING):
        ss = load_sample_set(samples / "lab_report", skip_unlabeled=True)
    assert [s.id for s in ss.samples] == ["lab_a_01"]
    assert "lab_a_02.pdf" in caplog.text and "skipped" in caplog.text


def test_console_script_entry_point(tmp_path):
    """The real process: `python -m pipeline.cli` (what the `docc` script runs), exit code and one line."""
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(LAB), "--out", str(LAB / "schema.yaml"), "-v"],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    one_error_line(p.stderr, "docc run: error:", "is a file")
