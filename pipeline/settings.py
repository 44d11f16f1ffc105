"""All of docc's configuration: the `DOCC_*` environment variables, in one typed model.

Why one model: the names and defaults are a user contract (scripts and cron jobs set them), so
they are declared once here, validated once, and the README's configuration table is generated
from this model (`python -m pipeline.settings --markdown`; a test keeps the README current).

Read lazily: call `settings()` where a value is needed, never at import time, so a variable set
after import (a test, a parent process preparing a worker's environment) is honoured. Each call
looks at the `DOCC_*` variables as they are now and builds a new `Settings` only when they changed
(building one costs milliseconds; looking costs microseconds, so per-page callers are fine).

This module sits at the bottom layer: it imports only `pipeline.errors`.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import DoccError


class ConfigError(DoccError, ValueError):
    """A `DOCC_*` variable holds a value of the wrong type (a usage error: exit 2)."""


class Settings(BaseSettings):
    """docc configuration from the environment (prefix `DOCC_`). Field order is the doc order."""

    model_config = SettingsConfigDict(env_prefix="DOCC_", env_ignore_empty=True, extra="ignore",
                                      frozen=True)

    # ------------------------------------------------------------------ general
    log_level: str = Field("INFO", description="Log level when neither `-v` nor `--log-level` is given: DEBUG, INFO, WARNING or ERROR.")
    cache_dir: Path | None = Field(None, description="Cache root (OCR pages, model weights, studio pages). Unset: `~/.cache/docc`.")

    # ------------------------------------------------------------------ compile time: the LLM
    llm_url: str = Field("", description="OpenAI-compatible server for `docc compile` (and the baseline). Unset: the embedded vLLM server is started.")
    llm_model: str = Field("", description="Model name on `DOCC_LLM_URL`. Unset: the server's only model.")
    llm_api_key: str | None = Field(None, description="Bearer key for `DOCC_LLM_URL`, if the server wants one.")
    llm_startup_timeout: float | None = Field(None, description="Seconds to wait for the embedded server to become healthy. Unset: 600 (900 for the `docc eval` baseline).")
    llm_max_model_len: int = Field(4096, description="Context length (tokens) the direct-LLM baseline budgets its prompts for.")
    baseline_concurrency: int = Field(4, description="Concurrent requests of the direct-LLM baseline (`docc eval --baseline`).")

    # ------------------------------------------------------------------ run time: ingest
    ocr_lang: str = Field("eng", description="Tesseract language(s) for OCR, e.g. `eng+spa`.")
    max_file_bytes: int = Field(256 * 1024 * 1024, description="Larger input files are quarantined (`too_large`).")
    max_pages: int = Field(300, description="Documents with more pages are quarantined (`too_large`).")
    max_image_pixels: int = Field(100_000_000, description="Pixels of one decoded image or rendered page, above which it is refused (decompression bombs).")
    max_document_pixels: int = Field(3_000_000_000, description="Pixels rendered or decoded for one whole document.")
    max_decompressed_bytes: int = Field(512 * 1024 * 1024, description="Bytes a PDF's compressed streams may inflate to.")

    # ------------------------------------------------------------------ run time: batch
    batch_chunk: int = Field(8, description="Documents per task sent to a worker by `docc run`.")
    batch_flush_rows: int = Field(500, description="`docc run` validates a doc type's pending rows when this many wait ...")
    batch_flush_seconds: float = Field(10.0, description="... or when the oldest has waited this many seconds.")
    extract_cpu_seconds: float = Field(5.0, description="CPU seconds one locked extractor may use on one document before it is stopped (review).")
    extract_memory_mb: int = Field(512, description="Memory (MB) one locked extractor may allocate on one document.")
    gate_thresholds: Path | None = Field(None, description="Gate thresholds file. Unset: `<extractors>/gate.yaml`, else built-in defaults.")

    # ------------------------------------------------------------------ run time: FHIR
    fhir_url: str | None = Field(None, description="FHIR R4 base URL `docc export` posts transaction Bundles to (when `--fhir-url` is not given).")
    fhir_token: str | None = Field(None, description="Bearer token for the FHIR server.")
    fhir_attempts: int = Field(5, description="Attempts per Bundle on retryable FHIR errors (429, 5xx, timeouts).")
    fhir_breaker: int = Field(5, description="Consecutive failed Bundles after which `docc export` stops posting (circuit breaker).")
    fhir_dir: Path | None = Field(None, description="FHIR folder (mappings and terminology). Unset: the one shipped with docc.")
    fhir_mappings: Path | None = Field(None, description="FHIR mapping folder. Unset: `mappings/` of `DOCC_FHIR_DIR`.")

    # ------------------------------------------------------------------ tools
    bench_work: Path | None = Field(None, description="Work folder of the batch benchmark (`eval/bench`). Unset: `~/.cache/docc/bench`.")

    def cache_root(self) -> Path:
        """`DOCC_CACHE_DIR`, else `~/.cache/docc`."""
        return (self.cache_dir or Path("~/.cache/docc")).expanduser()


def settings() -> Settings:
    """The configuration as the environment says now (see the module doc)."""
    return _settings_for(tuple(sorted((k, v) for k, v in os.environ.items() if k[:5].upper() == "DOCC_")))


@lru_cache(maxsize=16)
def _settings_for(docc_environ: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        bad = ", ".join(f"DOCC_{str(err['loc'][0]).upper()}: {err['msg']}" for err in e.errors())
        raise ConfigError(f"invalid configuration: {bad}") from None


def markdown_table() -> str:
    """The README's configuration table, generated from `Settings` (one row per variable)."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None or default == "" else f"`{default}`"
        rows.append(f"| `DOCC_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows) + "\n"


BEGIN, END = "<!-- settings:begin (generated: python -m pipeline.settings --write README.md) -->", "<!-- settings:end -->"


def render_into(text: str) -> str:
    """`text` with the block between the settings markers replaced by the current table."""
    head, sep, rest = text.partition(BEGIN)
    if not sep:
        raise ValueError(f"no {BEGIN!r} marker")
    _, sep2, tail = rest.partition(END)
    if not sep2:
        raise ValueError(f"no {END!r} marker")
    return f"{head}{BEGIN}\n{markdown_table()}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """`--markdown`: print the table; `--write FILE`: refresh the table inside FILE."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--write"] and len(args) == 2:
        path = Path(args[1])
        path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
