"""LLM backends for compile time: an OpenAI-compatible client and the embedded vLLM server.

- `LLMClient` / `ChatRequest` / `ChatResult`: chat completions over httpx (any
  OpenAI-compatible server), with strict JSON-schema output and concurrent batches.
- `llm_session()`: a client for `DOCC_LLM_URL` if set, else for the embedded server,
  which it starts (running setup when needed) and stops on exit.
- `EmbeddedServer`: vLLM's CPU build on loopback (see `extractors.llm.embedded`).
"""
from extractors.llm.client import (ChatRequest, ChatResult, LLMClient, LLMError, llm_from_env,
                                   llm_session, normalize_base_url)
from extractors.llm.embedded import (MODEL_NAME, EmbeddedLLMError, EmbeddedServer, cache_dir,
                                     embedded_server, is_set_up, model_dir, setup)

__all__ = [
    "ChatRequest", "ChatResult", "LLMClient", "LLMError", "llm_from_env", "llm_session",
    "normalize_base_url", "MODEL_NAME", "EmbeddedLLMError", "EmbeddedServer", "cache_dir",
    "embedded_server", "is_set_up", "model_dir", "setup",
]
