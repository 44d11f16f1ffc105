"""Shared LLM for test suites: one server per test process, however many files use it.

Use from any test file through a session-scoped fixture of its own::

    import pytest
    from extractors.llm.testing import llm_for_tests

    @pytest.fixture(scope="session")
    def llm():
        with llm_for_tests() as client:
            yield client

With `DOCC_LLM_URL` set, the client points there and nothing is started. Otherwise the
embedded vLLM server is started on first use (running setup first if needed: several
minutes the first time on a fresh machine), shared by every holder, and stopped when the
last holder exits (so at the end of the pytest session).
"""
from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from extractors.llm.client import LLMClient, llm_from_env
from extractors.llm.embedded import EmbeddedServer, default_startup_timeout, embedded_server

_lock = threading.Lock()
_holders = 0
_server: EmbeddedServer | None = None
_server_cm: contextlib.AbstractContextManager | None = None


def shared_server() -> EmbeddedServer | None:
    """The shared embedded server while someone holds it (None with DOCC_LLM_URL or when idle)."""
    return _server


@contextlib.contextmanager
def llm_for_tests(*, timeout: float = 300.0) -> Iterator[LLMClient]:
    """A client for the test LLM; the embedded server is started once and reference-counted."""
    global _holders, _server, _server_cm
    client = llm_from_env(timeout=timeout)
    if client is not None:
        with client:
            yield client
        return
    with _lock:
        if _server is None:
            # Tests wait longer than interactive use: CI machines may be busy.
            cm = embedded_server(setup_if_needed=True,
                                 startup_timeout=max(default_startup_timeout(), 900.0))
            _server = cm.__enter__()
            _server_cm = cm
        _holders += 1
        server = _server
    try:
        with LLMClient(server.base_url, server.model, timeout=timeout) as client:
            yield client
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _server_cm is not None:
                cm, _server, _server_cm = _server_cm, None, None
                cm.__exit__(None, None, None)
