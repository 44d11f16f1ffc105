"""LLM backends for compile time: an OpenAI-compatible client and the embedded vLLM server.

- `LLMClient` / `ChatRequest` / `ChatResult`: chat completions over httpx (any
  OpenAI-compatible server), with strict JSON-schema output and concurrent batches.
- `llm_session()`: a client for `DOCC_LLM_URL` if set, else for the embedded server,
  which it starts (running setup when needed) and stops on exit.
- `EmbeddedServer`: vLLM's CPU build on loopback (see `extractors.llm.embedded`).

Names are imported lazily, so `python -m extractors.llm.embedded` runs cleanly.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "ChatRequest": "client", "ChatResult": "client", "LLMClient": "client", "LLMError": "client",
    "llm_from_env": "client", "llm_session": "client", "normalize_base_url": "client",
    "MODEL_NAME": "embedded", "EmbeddedLLMError": "embedded", "EmbeddedServer": "embedded",
    "cache_dir": "embedded", "embedded_server": "embedded", "is_set_up": "embedded",
    "model_dir": "embedded", "setup": "embedded",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from extractors.llm.client import (ChatRequest, ChatResult, LLMClient, LLMError, llm_from_env,
                                       llm_session, normalize_base_url)
    from extractors.llm.embedded import (MODEL_NAME, EmbeddedLLMError, EmbeddedServer, cache_dir,
                                         embedded_server, is_set_up, model_dir, setup)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'extractors.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(f"extractors.llm.{mod}"), name)
