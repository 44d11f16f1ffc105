"""The embedded vLLM server and the OpenAI-compatible client, for real.

The `llm` tests are slow: starting the server takes one to a few minutes on 2 cores, and
the first run on a fresh machine runs `setup` (about 3 minutes). With DOCC_LLM_URL set,
they talk to that server instead and the embedded-lifecycle test is skipped.
The client's retry tests at the end need no LLM: they use a tiny loopback HTTP server
that fails on purpose, since vLLM cannot be made to answer 503 on demand.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psutil
import pytest

from extractors.llm import ChatRequest, EmbeddedServer, LLMClient, LLMError, llm_from_env
from extractors.llm.embedded import default_startup_timeout, is_set_up, setup
from extractors.llm.testing import llm_for_tests

SCHEMA = {
    "type": "object",
    "properties": {
        "patient_name": {"type": "string"},
        "age": {"type": "integer"},
    },
    "required": ["patient_name", "age"],
    "additionalProperties": False,
}


@pytest.fixture(scope="session")
def llm():
    with llm_for_tests() as client:
        yield client


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


# First in the file, so it normally runs before the shared server is up (one server at a time).
@pytest.mark.llm
@pytest.mark.skipif(bool(os.environ.get("DOCC_LLM_URL")), reason="DOCC_LLM_URL set: no embedded server")
def test_embedded_server_starts_serves_and_stops_completely():
    if not is_set_up():
        setup()
    with EmbeddedServer(kv_cache_gb=1, startup_timeout=max(default_startup_timeout(), 900.0)) as server:
        assert server.running and server.port and server.log_path.exists()
        assert httpx.get(f"{server.url}/health", timeout=5).status_code == 200
        with LLMClient(server.base_url, server.model) as client:
            assert client.models() == [server.model]
        leader = psutil.Process(server.pid)
        group = [leader, *leader.children(recursive=True)]
        pgid = os.getpgid(server.pid)
        assert pgid == server.pid != os.getpgid(0)  # its own process group
        host, port = server.host, server.port
    assert not server.running
    assert not _port_open(host, port)
    for p in group:
        assert not p.is_running() or p.status() == psutil.STATUS_ZOMBIE, f"{p.pid} survived"
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
    server.stop()  # idempotent


@pytest.mark.llm
def test_short_chat_returns_text(llm):
    res = llm.chat([{"role": "user", "content": "Say hello in one short sentence."}], max_tokens=16)
    assert len(res.texts) == 1 and res.text.strip()
    assert res.prompt_tokens > 0 and 0 < res.completion_tokens <= 16
    assert res.seconds > 0


@pytest.mark.llm
def test_strict_json_schema_output(llm):
    res = llm.chat(
        [{"role": "system", "content": "Extract the fields as JSON."},
         {"role": "user", "content": "Patient: Maria Lopez, 47 years old, seen for a checkup."}],
        max_tokens=48, json_schema=SCHEMA, schema_name="patient")
    data = json.loads(res.text)
    assert set(data) == {"patient_name", "age"}
    assert isinstance(data["patient_name"], str)
    assert isinstance(data["age"], int) and not isinstance(data["age"], bool)


@pytest.mark.llm
def test_concurrent_requests_keep_order(llm):
    # A one-value enum forces each answer, so the order of results is checkable exactly.
    reqs = [ChatRequest(messages=[{"role": "user", "content": f"Give the label for item {i}."}],
                        max_tokens=16, json_schema={
                            "type": "object", "properties": {"label": {"type": "string", "enum": [f"item-{i}"]}},
                            "required": ["label"], "additionalProperties": False})
            for i in range(4)]
    results = llm.chat_many(reqs, concurrency=4)
    assert [json.loads(r.text)["label"] for r in results] == [f"item-{i}" for i in range(4)]
    assert all(r.completion_tokens > 0 for r in results)


@pytest.mark.llm
def test_several_choices_and_dict_requests(llm):
    [res] = llm.chat_many([{"messages": [{"role": "user", "content": "Name a color."}],
                            "max_tokens": 8, "temperature": 0.8, "seed": 1, "n": 2}])
    assert len(res.texts) == 2 and all(t.strip() for t in res.texts)


@pytest.mark.llm
def test_llm_from_env_points_at_url_and_finds_model(llm, monkeypatch):
    if os.environ.get("DOCC_LLM_URL"):
        pytest.skip("DOCC_LLM_URL set: the fixture already came from llm_from_env")
    monkeypatch.setenv("DOCC_LLM_URL", llm.base_url.removesuffix("/v1"))  # bare host:port gets /v1
    monkeypatch.delenv("DOCC_LLM_MODEL", raising=False)  # the server's only model is used
    monkeypatch.delenv("DOCC_LLM_API_KEY", raising=False)
    client = llm_from_env()
    assert client is not None
    with client:
        assert (client.base_url, client.model) == (llm.base_url, llm.model)


@pytest.mark.llm
def test_http_error_is_reported_without_retry(llm):
    bad = LLMClient(llm.base_url, "no-such-model", max_retries=0)
    with bad, pytest.raises(LLMError) as info:
        bad.chat([{"role": "user", "content": "hi"}], max_tokens=4)
    assert info.value.status == 404 or (info.value.status or 0) >= 400


# --------------------------------------------------------------------------- client faults

CANNED = {"model": "m", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                     "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1}}


@pytest.fixture
def flaky_server():
    """Answers 503 to the first `fail` POSTs, then a canned completion."""
    state = {"fail": 0, "posts": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state["posts"] += 1
            if state["posts"] <= state["fail"]:
                body, code = b'{"error": {"message": "busy"}}', 503
            else:
                body, code = json.dumps(CANNED).encode(), 200
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv, state
    srv.shutdown()
    srv.server_close()


def test_client_retries_5xx_then_succeeds(flaky_server):
    srv, state = flaky_server
    state["fail"] = 2
    with LLMClient(f"http://127.0.0.1:{srv.server_port}", "m", max_retries=3) as client:
        res = client.chat([{"role": "user", "content": "x"}], max_tokens=4)
    assert res.texts == ["ok"] and (res.prompt_tokens, res.completion_tokens) == (3, 1)
    assert state["posts"] == 3


def test_client_gives_up_after_retries(flaky_server):
    srv, state = flaky_server
    state["fail"] = 99
    with LLMClient(f"http://127.0.0.1:{srv.server_port}", "m", max_retries=1) as client:
        with pytest.raises(LLMError) as info:
            client.chat([{"role": "user", "content": "x"}], max_tokens=4)
    assert info.value.status == 503 and state["posts"] == 2


def test_client_connection_refused_is_an_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with LLMClient(f"http://127.0.0.1:{port}", "m", max_retries=1) as client:
        with pytest.raises(LLMError, match="cannot reach") as info:
            client.chat([{"role": "user", "content": "x"}], max_tokens=4)
    assert info.value.status is None and isinstance(info.value.__cause__, httpx.ConnectError)


def test_llm_from_env_unset_returns_none(monkeypatch):
    monkeypatch.delenv("DOCC_LLM_URL", raising=False)
    assert llm_from_env() is None
