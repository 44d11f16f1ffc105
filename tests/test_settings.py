"""Configuration: one `Settings` model, read lazily, documented from itself."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.settings import ConfigError, Settings, markdown_table, render_into, settings

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_is_generated_from_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert render_into(readme) == readme, "README is stale: python -m pipeline.settings --write README.md"
    assert markdown_table().count("| `DOCC_") == len(Settings.model_fields)


def test_settings_are_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.delenv("DOCC_BATCH_CHUNK", raising=False)
    assert settings().batch_chunk == 8
    monkeypatch.setenv("DOCC_BATCH_CHUNK", "3")
    monkeypatch.setenv("DOCC_LOG_LEVEL", "")  # empty means unset, as before
    assert settings().batch_chunk == 3
    assert settings().log_level == "INFO"


def test_limits_and_ocr_language_follow_the_environment(monkeypatch):
    from pipeline.ingest.ocr import cache_key
    from pipeline.ingest.sniff import Limits

    monkeypatch.setenv("DOCC_MAX_PAGES", "7")
    assert Limits().max_pages == 7
    monkeypatch.setenv("DOCC_OCR_LANG", "deu")
    assert cache_key("a" * 64, 1, 300) == cache_key("a" * 64, 1, 300, "deu") != cache_key("a" * 64, 1, 300, "eng")


def test_no_module_reads_docc_variables_itself():
    """Every `DOCC_*` read goes through `Settings` (the ingest test crash hook aside)."""
    pattern = re.compile(r"""(environ\.get|getenv|environ\[)\(?\s*["']DOCC_""")
    offenders = []
    for path in sorted(ROOT.glob("[pe]*/**/*.py")):
        if path.parts[len(ROOT.parts)] not in ("pipeline", "extractors", "eval"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and "DOCC_INGEST_TEST_CRASH_ON" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_a_malformed_variable_is_a_usage_error_naming_it(monkeypatch, capsys):
    from pipeline.cli import cli

    monkeypatch.setenv("DOCC_MAX_PAGES", "many")
    with pytest.raises(ConfigError, match="DOCC_MAX_PAGES"):
        settings()
    assert cli(["eval", "--out", "/nonexistent/x"]) == 2
    assert "DOCC_MAX_PAGES" in capsys.readouterr().err
