"""`docc studio`: start the web app on 127.0.0.1 with a fresh access token."""
from __future__ import annotations

import secrets
import socket
from pathlib import Path

from rich.console import Console


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def studio_command(samples: Path, run: Path | None, port: int, extractors: Path, backends: list[str],
                   fhir_url: str | None = None, token: str | None = None) -> int:
    import uvicorn

    from pipeline.studio.app import Config, create_app

    console = Console(stderr=True)
    if run is not None and not (run / "results.jsonl").exists():
        console.print(f"[red]error:[/red] {run} is not a `docc run` output folder (no results.jsonl)")
        return 2
    samples.mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_urlsafe(24)
    port = port or free_port()
    app = create_app(Config(samples=samples.resolve(), extractors=extractors.resolve(),
                            run=run.resolve() if run else None, token=token, backends=backends, fhir_url=fhir_url))
    url = f"http://127.0.0.1:{port}/?token={token}"
    print(f"docc studio: open {url}", flush=True)
    console.print("(the token is required on every request; press Ctrl-C to stop)")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0
