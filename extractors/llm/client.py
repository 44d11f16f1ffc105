"""A small OpenAI-compatible chat client over httpx (no `openai` package).

The compiler talks to every LLM backend through this: the embedded vLLM server, a GPU
`vllm serve` host, or any other OpenAI-compatible server. Requests carry document text,
so prompt and completion contents are logged at DEBUG only.

    client = LLMClient("http://127.0.0.1:8000/v1", "qwen2.5-coder-0.5b-instruct")
    res = client.chat([{"role": "user", "content": "..."}], max_tokens=64,
                      json_schema={"type": "object", ...})
    res.texts[0], res.prompt_tokens, res.completion_tokens, res.seconds

    # Several requests at once: vLLM batches them (on this CPU ~5x the tokens/s of one).
    results = client.chat_many([ChatRequest(messages=..., max_tokens=64), ...], concurrency=8)

    with llm_session() as client:   # DOCC_LLM_URL if set, else the embedded server
        ...
"""
from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import httpx
from tenacity import (Retrying, retry_if_exception, stop_after_attempt,
                      wait_exponential_jitter)

from pipeline.errors import DoccError
from pipeline.settings import settings

log = logging.getLogger(__name__)

Message = Mapping[str, Any]  # {"role": "system"|"user"|"assistant", "content": str}

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class LLMError(DoccError, RuntimeError):
    """The server answered with an error, could not be reached after retries, or timed out.
    `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class _Retryable(LLMError):
    pass


@dataclass(frozen=True)
class ChatResult:
    """One chat completion (with `n` choices). Token counts are the server's `usage`."""

    texts: list[str]
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    model: str = ""
    finish_reasons: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The first choice."""
        return self.texts[0] if self.texts else ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class ChatRequest:
    """The arguments of one `LLMClient.chat` call, for `chat_many`."""

    messages: Sequence[Message]
    max_tokens: int
    temperature: float = 0.0
    seed: int | None = 0
    json_schema: dict | None = None
    schema_name: str = "result"
    n: int = 1
    stop: Sequence[str] | None = None
    extra: Mapping[str, Any] | None = None


def normalize_base_url(url: str) -> str:
    """`http://host:8000` -> `http://host:8000/v1`; a URL with a path is kept as given."""
    url = url.strip().rstrip("/")
    if not urlsplit(url).path:
        url += "/v1"
    return url


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, (_Retryable, httpx.TransportError)) and not isinstance(exc, httpx.ReadTimeout)


class LLMClient:
    """Chat completions against an OpenAI-compatible server (vLLM, llama.cpp, hosted APIs).

    `base_url` is the OpenAI base URL including `/v1` (added when the URL has no path).
    Thread-safe: one client may serve many threads. Retries connection errors and
    429/5xx answers with exponential backoff; a read timeout is not retried (the server
    may still be working on it, and a retry would double the load).
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 600.0,
                 *, max_retries: int = 4, max_connections: int = 32):
        self.base_url = normalize_base_url(base_url)
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=self.base_url + "/", headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections))

    # -- plumbing
    def _post(self, path: str, payload: dict) -> dict:
        try:
            return self._post_retrying(path, payload)
        except httpx.TimeoutException as e:
            raise LLMError(f"{self.base_url}/{path}: timed out ({type(e).__name__})") from e
        except httpx.TransportError as e:
            raise LLMError(f"{self.base_url}/{path}: cannot reach the server ({type(e).__name__}: {e})") from e

    def _post_retrying(self, path: str, payload: dict) -> dict:
        for attempt in Retrying(retry=retry_if_exception(_is_retryable), reraise=True,
                                stop=stop_after_attempt(self.max_retries + 1),
                                wait=wait_exponential_jitter(initial=1, max=20)):
            with attempt:
                n = attempt.retry_state.attempt_number
                if n > 1:
                    log.info("retrying %s (attempt %d)", path, n)
                resp = self._http.post(path, json=payload)
                if resp.status_code in RETRY_STATUS:
                    raise _Retryable(f"{path}: HTTP {resp.status_code}: {_error_text(resp)}",
                                     status=resp.status_code)
                if resp.status_code >= 400:
                    raise LLMError(f"{path}: HTTP {resp.status_code}: {_error_text(resp)}",
                                   status=resp.status_code)
                return resp.json()
        raise AssertionError("unreachable")  # pragma: no cover

    def models(self) -> list[str]:
        """Model ids the server serves (GET /models)."""
        resp = self._http.get("models")
        resp.raise_for_status()
        return [m["id"] for m in resp.json().get("data", [])]

    # -- chat
    def chat(self, messages: Sequence[Message], *, max_tokens: int, temperature: float = 0.0,
             seed: int | None = 0, json_schema: dict | None = None, schema_name: str = "result",
             n: int = 1, stop: Sequence[str] | None = None,
             extra: Mapping[str, Any] | None = None) -> ChatResult:
        """One chat completion. With `json_schema`, the server must return JSON matching it
        (`response_format` json_schema, strict). With `n > 1`, use a temperature above 0,
        or the choices are identical. `extra` is merged into the request body as is (server
        specific parameters, e.g. vLLM's `top_k` or `ignore_eos`)."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "n": n,
        }
        if seed is not None:
            payload["seed"] = seed
        if stop:
            payload["stop"] = list(stop)
        if json_schema is not None:
            payload["response_format"] = {"type": "json_schema", "json_schema": {
                "name": schema_name, "schema": json_schema, "strict": True}}
        if extra:
            payload.update(extra)
        log.debug("chat request: %s", payload)
        t0 = time.monotonic()
        data = self._post("chat/completions", payload)
        seconds = time.monotonic() - t0
        choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
        usage = data.get("usage") or {}
        result = ChatResult(
            texts=[(c.get("message") or {}).get("content") or "" for c in choices],
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=seconds,
            model=data.get("model", self.model),
            finish_reasons=[c.get("finish_reason") or "" for c in choices],
        )
        log.debug("chat response: %s", result.texts)
        log.info("chat: %d choice(s), %d prompt + %d completion tokens, %.2f s",
                 len(result.texts), result.prompt_tokens, result.completion_tokens, seconds)
        return result

    def chat_many(self, requests: Iterable[ChatRequest | Mapping[str, Any]], concurrency: int = 8,
                  *, return_exceptions: bool = False) -> list[ChatResult | BaseException]:
        """Send several chat requests at once, so the server batches them.

        `requests` are ChatRequest or dicts of `chat`'s keyword arguments (with `messages`).
        Results come back in request order. With `return_exceptions`, a failed request's
        slot holds its exception; otherwise the first failure is raised (after the others
        finished)."""
        reqs = [r if isinstance(r, ChatRequest) else ChatRequest(**r) for r in requests]
        if not reqs:
            return []

        def one(r: ChatRequest) -> ChatResult:
            return self.chat(r.messages, max_tokens=r.max_tokens, temperature=r.temperature, seed=r.seed,
                             json_schema=r.json_schema, schema_name=r.schema_name, n=r.n, stop=r.stop,
                             extra=r.extra)

        workers = max(1, min(concurrency, len(reqs)))
        out: list[ChatResult | BaseException] = []
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm") as pool:
            futures = [pool.submit(one, r) for r in reqs]
            for f in futures:
                exc = f.exception()
                out.append(exc if exc is not None else f.result())
        if not return_exceptions:
            for item in out:
                if isinstance(item, BaseException):
                    raise item
        return out

    # -- lifecycle
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "LLMClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LLMClient({self.base_url!r}, {self.model!r})"


def _error_text(resp: httpx.Response, limit: int = 300) -> str:
    try:
        body = resp.json()
        msg = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else body.get("message")
        text = msg or resp.text
    except Exception:
        text = resp.text
    return text[:limit]


# --------------------------------------------------------------------------- from the environment

def llm_from_env(*, timeout: float = 600.0) -> LLMClient | None:
    """A client for `DOCC_LLM_URL` (with `DOCC_LLM_MODEL`, optional `DOCC_LLM_API_KEY`), or None
    when no URL is set. Without `DOCC_LLM_MODEL` the server's only model is used."""
    conf = settings()
    url = conf.llm_url.strip()
    if not url:
        return None
    key = conf.llm_api_key or None
    model = conf.llm_model.strip()
    client = LLMClient(url, model, api_key=key, timeout=timeout)
    if not model:
        try:
            ids = client.models()
        except (httpx.HTTPError, ValueError) as e:
            client.close()
            raise LLMError(f"DOCC_LLM_MODEL is not set and {client.base_url}/models failed: {e}") from e
        if len(ids) != 1:
            client.close()
            raise LLMError(f"DOCC_LLM_MODEL is not set and {client.base_url} serves {len(ids)} models: {ids}")
        client.model = ids[0]
    log.info("LLM from environment: %s model %s", client.base_url, client.model)
    return client


@contextlib.contextmanager
def llm_session(*, setup_if_needed: bool = True, timeout: float = 600.0,
                startup_timeout: float | None = None) -> Iterator[LLMClient]:
    """A client for the configured LLM. With `DOCC_LLM_URL` set nothing is started; otherwise
    the embedded vLLM server is started (after `setup` when needed) and stopped on exit."""
    client = llm_from_env(timeout=timeout)
    if client is not None:
        with client:
            yield client
        return
    from extractors.llm.embedded import embedded_server

    with embedded_server(setup_if_needed=setup_if_needed, startup_timeout=startup_timeout) as server:
        with LLMClient(server.base_url, server.model, timeout=timeout) as client:
            yield client
