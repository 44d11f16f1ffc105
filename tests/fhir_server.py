"""A real FHIR R4 server on loopback for tests: `sekmet serve` (sekmet-fhir, FastAPI + SQLite).

    with fhir_server(tmp_path) as base_url:      # "http://127.0.0.1:PORT/fhir"
        httpx.get(f"{base_url}/Patient")

The server runs as a child process in `workdir` (it keeps its SQLite file and a settings.yaml there)
and is stopped with SIGTERM (SIGKILL after a grace period) when the block exits.

Settings written for the test server:
- `base_url` is the real loopback URL (the server strips it from transaction `request.url`s and builds
  `Location` headers from it);
- the workflow simulator is off: by default sekmet "plays the pharmacy / payer" and writes follow-up
  resources (MedicationDispense, ClaimResponse, ...) a few seconds after a MedicationRequest or Claim
  arrives, which would make resource counts in tests drift;
- inbound validation stays `strict` (fhir.resources R4B models), as an EHR would reject bad resources;
- optional static bearer tokens (`tokens=[...]`) switch the server to bearer auth.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import yaml

SEKMET = Path(sys.executable).with_name("sekmet")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def fhir_server(workdir: Path, tokens: list[str] | None = None, startup_timeout: float = 60.0) -> Iterator[str]:
    """Start `sekmet serve` on a free loopback port in `workdir`; yield its FHIR base URL."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/fhir"
    settings = {
        "base_url": base_url,
        "host": "127.0.0.1",
        "port": port,
        "data_dir": str(workdir / "data"),
        "simulator": {"enabled": False},
        "validation": {"inbound": "strict"},
        "log_inbound": False,
    }
    if tokens:
        settings["server_auth"] = {"types": ["bearer"], "tokens": list(tokens)}
    config = workdir / "settings.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
    env["SEKMET_CONFIG"] = str(config)
    log = open(workdir / "sekmet.log", "ab")
    proc = subprocess.Popen(
        [str(SEKMET), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"sekmet exited with {proc.returncode}; see {workdir / 'sekmet.log'}")
            try:
                if httpx.get(f"{base_url}/metadata", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"sekmet did not answer within {startup_timeout}s; see {workdir / 'sekmet.log'}")
            time.sleep(0.2)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        log.close()


def search(base_url: str, resource_type: str, params: dict | list | None = None, token: str | None = None) -> list[dict]:
    """All resources of one search (follows `next` links)."""
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    out: list[dict] = []
    url: str | None = f"{base_url}/{resource_type}"
    query = params
    with httpx.Client(timeout=30, headers=headers) as client:
        while url:
            r = client.get(url, params=query)
            r.raise_for_status()
            bundle = r.json()
            out += [e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode", "match") == "match"]
            url = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
            query = None
    return out


def count(base_url: str, resource_type: str, params: dict | None = None, token: str | None = None) -> int:
    """How many resources a search matches (Bundle.total)."""
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = httpx.get(f"{base_url}/{resource_type}", params={**(params or {}), "_count": "0"}, headers=headers, timeout=30)
    r.raise_for_status()
    return int(r.json()["total"])


# ----------------------------------------------------------------------------- results records

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
DOC_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def golden_record(golden_path: Path, extractor_sha256: str = "e" * 64) -> dict:
    """A results.jsonl record (status exported) made from a sample's golden JSON."""
    import hashlib
    import json

    golden_path = Path(golden_path)
    golden = json.loads(golden_path.read_text(encoding="utf-8"))
    doc = next(p for p in sorted(golden_path.parent.glob(golden_path.stem + ".*")) if p.suffix.lower() in DOC_SUFFIXES)

    def wrap(value):
        if isinstance(value, list):
            value = [{col: {"value": v, "confidence": 1.0} for col, v in row.items()} for row in value]
        return {"value": value, "confidence": 1.0, "page": 1, "bbox": None, "text": ""}

    return {"source": str(doc), "sha256": hashlib.sha256(doc.read_bytes()).hexdigest(),
            "doc_type": golden_path.parent.name, "status": "exported", "reason": None,
            "fields": {k: wrap(v) for k, v in golden.items()}, "extractor_sha256": extractor_sha256}


def golden_records(doc_types: tuple[str, ...] | None = None, samples: Path = SAMPLES) -> list[dict]:
    """One record per golden JSON under data/samples (sorted), optionally only some doc types."""
    out = []
    for path in sorted(samples.glob("*/*.json")):
        if doc_types and path.parent.name not in doc_types:
            continue
        if any(p.suffix.lower() in DOC_SUFFIXES for p in path.parent.glob(path.stem + ".*")):
            out.append(golden_record(path))
    return out
