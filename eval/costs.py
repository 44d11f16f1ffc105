"""Compile cost per doc type (tokens, seconds, the generator behind each field), read from
the lock and `compile_report.json`: what the break-even against the direct-LLM baseline needs."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Mapping

log = logging.getLogger(__name__)

COMPILE_REPORT = "compile_report.json"


def _tokens_of(entry: Any) -> int | None:
    """Compile-time tokens recorded in a lock entry or compile-report section (tolerant of shape:
    `cost: {prompt_tokens, completion_tokens}` / `tokens: int | {prompt, completion, total}` /
    top-level prompt_tokens + completion_tokens)."""
    if not isinstance(entry, Mapping):
        return None
    for key in ("cost", "compile_cost", "llm"):
        if isinstance(entry.get(key), Mapping):
            got = _tokens_of(entry[key])
            if got is not None:
                return got
    tok = entry.get("tokens")
    if isinstance(tok, (int, float)) and not isinstance(tok, bool):
        return int(tok)
    if isinstance(tok, Mapping):
        if isinstance(tok.get("total"), (int, float)):
            return int(tok["total"])
        parts = [tok.get(k) for k in ("prompt", "completion", "prompt_tokens", "completion_tokens")]
        if any(isinstance(p, (int, float)) for p in parts):
            return int(sum(p for p in parts if isinstance(p, (int, float))))
    if isinstance(entry.get("total_tokens"), (int, float)):
        return int(entry["total_tokens"])
    parts = [entry.get(k) for k in ("prompt_tokens", "completion_tokens")]
    if any(isinstance(p, (int, float)) for p in parts):
        return int(sum(p for p in parts if isinstance(p, (int, float))))
    return None


def _seconds_of(entry: Any) -> float | None:
    if not isinstance(entry, Mapping):
        return None
    for key in ("cost", "compile_cost"):
        if isinstance(entry.get(key), Mapping):
            got = _seconds_of(entry[key])
            if got is not None:
                return got
    for key in ("seconds", "compile_seconds", "wall_seconds", "llm_seconds"):
        if isinstance(entry.get(key), (int, float)):
            return float(entry[key])
    return None


def _field_generators(section: Any) -> dict[str, str]:
    """{field: generator} from a compile-report doc-type section (`fields: {f: {generator|winner|backend}}`)."""
    out: dict[str, str] = {}
    if not isinstance(section, Mapping):
        return out
    fields = section.get("fields")
    if isinstance(fields, Mapping):
        for name, info in fields.items():
            if isinstance(info, str):
                out[name] = info
            elif isinstance(info, Mapping):
                for key in ("generator", "winner", "backend", "source"):
                    val = info.get(key)
                    if isinstance(val, str):
                        out[name] = val
                        break
                    if isinstance(val, Mapping) and isinstance(val.get("generator"), str):
                        out[name] = val["generator"]
                        break
    return out


def compile_costs(extractors_dir: Path, locked: Mapping[str, Any]) -> dict[str, Any]:
    """Compile-time cost per doc type (tokens, seconds) and which generator won each field, read
    from the lock and `compile_report.json` when present (absence is fine: values are null)."""
    report: Mapping[str, Any] = {}
    path = Path(extractors_dir) / COMPILE_REPORT
    if path.exists():
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            log.warning("%s unreadable (%s); compile costs come from the lock only", path, type(e).__name__)
    sections = report.get("doc_types", report) if isinstance(report, Mapping) else {}
    out: dict[str, Any] = {"compile_report": str(path) if path.exists() else None, "doc_types": {}}
    for dt, ext in locked.items():
        entry = getattr(ext, "entry", {}) or {}
        section = sections.get(dt) if isinstance(sections, Mapping) else None
        tokens = _tokens_of(entry)
        if tokens is None:
            tokens = _tokens_of(section)
        seconds = None
        timing = Path(extractors_dir) / "timings" / f"{dt}.json"
        if timing.exists():
            try:
                seconds = _seconds_of(json.loads(timing.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                seconds = None
        if seconds is None:
            seconds = _seconds_of(entry)
        if seconds is None:
            seconds = _seconds_of(section)
        gens = _field_generators(section) or _field_generators(entry)
        out["doc_types"][dt] = {"tokens": tokens, "seconds": seconds, "generators": gens,
                                "backend": entry.get("backend"), "model": entry.get("model")}
    return out
