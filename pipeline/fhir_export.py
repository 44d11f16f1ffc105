"""`docc export`: send exported documents' transaction Bundles to a FHIR server, or write NDJSON.

    export_command(out, fhir_url="https://ehr.example.org/fhir", ndjson_dir=None, concurrency=4)

- Reads `OUT/results.jsonl`; only `status == "exported"` documents are sent. Each document's Bundle
  is `OUT/fhir/<sha256>.json` (built and written here when missing).
- POSTs each transaction Bundle to the base URL (httpx, `concurrency` in flight), bearer token from
  `DOCC_FHIR_TOKEN`. Retries with exponential backoff (tenacity; honours `Retry-After`) on
  429/5xx, timeouts and dropped connections; never on other 4xx: the server's OperationOutcome
  is recorded and the export goes on with the rest. A connection that cannot be opened at all
  (refused, unknown host) is not retried and stops the export at once: the server is not there.
- Two Bundles that share a business key (same Patient MRN, same NPI, ...) are never in flight at
  once, so a server without serialisable transactions cannot create the shared resource twice.
- `OUT/export/<host>.jsonl` is an append-only log, one JSON line per attempt (atomic appends);
  a re-run skips documents whose current Bundle was already accepted by that server.
- Prints a summary: documents sent / accepted / rejected / failed, resources created vs.
  unchanged (from the transaction-response entries' `response.status`: 201 vs 200/304).

Field values and patient data are never logged above DEBUG; OperationOutcome diagnostics are
kept in the export log (an output file, next to results.jsonl) and shown only with --verbose.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from pipeline.errors import DoccError
from pipeline.fhir_codes import BindingError
from pipeline.fhir_bundle import BuildError, MappingError, build_bundle, bundle_path, write_bundle, write_ndjson
from pipeline.settings import settings

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
DERIVED_PREFIX = "identifier=urn:docc:derived-id"


class RetryableStatus(DoccError):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


@dataclass
class Outcome:
    """What happened to one document's Bundle."""

    sha256: str
    status: str                      # accepted | rejected | failed
    http_status: int | None = None
    created: int = 0
    unchanged: int = 0
    other: int = 0
    attempts: int = 0
    outcome: dict | None = None      # the server's OperationOutcome, when rejected
    error: str | None = None         # transport error / last status, when failed
    bundle_sha256: str = ""
    unreachable: bool = False        # the connection could not be opened at all


@dataclass
class ExportReport:
    exported: int = 0                # documents with status exported in results.jsonl
    skipped: int = 0                 # already accepted by this server (export log)
    built: int = 0                   # Bundles that were missing and built here
    unbuildable: int = 0             # exported documents whose Bundle could not be built
    not_sent: int = 0                # left for the next run after the circuit breaker opened
    stopped: bool = False            # too many consecutive failures: the server looks down
    unreachable: str | None = None   # why the server could not be reached at all (stops at once)
    names: dict[str, str] = field(default_factory=dict)  # sha256 -> source file name, for tables
    outcomes: list[Outcome] = field(default_factory=list)
    log_path: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> int:
        return len(self.outcomes)

    @property
    def created(self) -> int:
        return sum(o.created for o in self.outcomes)

    @property
    def unchanged(self) -> int:
        return sum(o.unchanged for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return not self.unbuildable and not self.not_sent and all(o.status == "accepted" for o in self.outcomes)


# ----------------------------------------------------------------------------- inputs

def iter_results(out: Path) -> Iterator[dict]:
    """results.jsonl records (a torn last line from a killed run is ignored)."""
    path = Path(out) / "results.jsonl"
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                log.warning("results.jsonl line %d is not JSON; skipped", n)


def exported_bundles(out: Path, report: ExportReport, mappings: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """(sha256, Bundle bytes) for every exported document, once per sha256, in results order."""
    seen: set[str] = set()
    fhir_dir = Path(out) / "fhir"
    for r in iter_results(out):
        if r.get("status") == "exported" and r.get("sha256"):
            report.names.setdefault(r["sha256"], Path(str(r.get("source") or r["sha256"])).name)
    report.exported = len(report.names)
    for rec in iter_results(out):
        if rec.get("status") != "exported" or not rec.get("sha256"):
            continue
        sha = rec["sha256"]
        if sha in seen:
            continue
        seen.add(sha)
        path = bundle_path(fhir_dir, sha)
        if not path.exists():
            try:
                write_bundle(build_bundle(rec, mappings=mappings), fhir_dir)
                report.built += 1
            except (BuildError, MappingError, BindingError) as e:  # messages name elements, not values
                report.unbuildable += 1
                log.error("%s: no FHIR Bundle: %s", report.names.get(sha, sha[:12]), e)
                continue
            except Exception as e:  # noqa: BLE001 - one bad record must not stop the export
                report.unbuildable += 1
                log.error("%s: no FHIR Bundle: %s", report.names.get(sha, sha[:12]), type(e).__name__)
                continue
        yield sha, path.read_bytes()


# ----------------------------------------------------------------------------- export log

def log_path_for(out: Path, fhir_url: str) -> Path:
    parts = urlsplit(fhir_url)
    name = re.sub(r"[^0-9A-Za-z.]+", "_", (parts.netloc + parts.path).strip("/")).strip("_") or "server"
    return Path(out) / "export" / f"{name}.jsonl"


def read_export_log(path: Path) -> dict[str, dict]:
    """Latest log entry per document sha256 (a torn last line is ignored)."""
    latest: dict[str, dict] = {}
    if not path.exists():
        return latest
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and entry.get("sha256"):
                latest[entry["sha256"]] = entry
    return latest


def append_log(path: Path, entry: dict) -> None:
    """One line, one write(2) on an O_APPEND descriptor, then fsync: lines never interleave."""
    data = (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- sending

def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value and value.strip().isdigit():
        return min(float(value), 120.0)
    return None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.ConnectError):  # refused / no route / unknown host: retrying only delays the news
        return False
    return isinstance(exc, (RetryableStatus, httpx.TransportError))


def _describe(exc: BaseException) -> str:
    """'connection refused', 'ReadTimeout', ... (no URL query or payload)."""
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectError):
        for needle in ("refused", "name or service not known", "no route", "unreachable", "nodename nor servname"):
            if needle in text:
                return f"cannot connect: {'connection refused' if needle == 'refused' else needle}"
        return "cannot connect"
    return type(exc).__name__


def _wait(base: Any) -> Any:
    def fn(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        return base(state)
    return fn


def _count_entries(body: Any) -> tuple[int, int, int]:
    created = unchanged = other = 0
    for entry in (body or {}).get("entry") or []:
        status = str((entry.get("response") or {}).get("status", "")).strip()
        code = status.split(" ", 1)[0]
        if code == "201":
            created += 1
        elif code in ("200", "304"):
            unchanged += 1
        else:
            other += 1
    return created, unchanged, other


def _operation_outcome(response: httpx.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        return body
    return None


def send_bundle(client: httpx.Client, url: str, sha: str, payload: bytes, attempts: int = 5,
                max_wait: float = 30.0) -> Outcome:
    """POST one transaction Bundle, retrying transient failures; never raises for HTTP errors."""
    outcome = Outcome(sha256=sha, status="failed", bundle_sha256=hashlib.sha256(payload).hexdigest())

    def attempt() -> httpx.Response:
        outcome.attempts += 1
        response = client.post(url, content=payload)
        if response.status_code in RETRY_STATUS:
            log.debug("document %s: HTTP %d (attempt %d)", sha[:12], response.status_code, outcome.attempts)
            outcome.http_status = response.status_code
            raise RetryableStatus(response.status_code, _retry_after(response))
        return response

    retrying = Retrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(attempts),
                        wait=_wait(wait_exponential_jitter(multiplier=0.5, max=max_wait, jitter=0.5)), reraise=True)
    try:
        response = retrying(attempt)
    except RetryableStatus as e:
        outcome.error = f"HTTP {e.status} after {outcome.attempts} attempts"
        return outcome
    except httpx.HTTPError as e:
        outcome.error = f"{_describe(e)} after {outcome.attempts} attempt{'s' if outcome.attempts != 1 else ''}"
        outcome.unreachable = isinstance(e, httpx.ConnectError)
        return outcome
    outcome.http_status = response.status_code
    if response.is_success:
        try:
            body = response.json()
        except ValueError:
            body = None
        outcome.status = "accepted"
        outcome.created, outcome.unchanged, outcome.other = _count_entries(body)
        return outcome
    outcome.status = "rejected"
    outcome.outcome = _operation_outcome(response)
    return outcome


def _conflict_keys(payload: bytes) -> set[str]:
    """Conditional-create keys of shared resources (not the per-document derived ones)."""
    try:
        bundle = json.loads(payload)
    except json.JSONDecodeError:
        return set()
    keys = set()
    for entry in bundle.get("entry") or []:
        req = entry.get("request") or {}
        cond = req.get("ifNoneExist")
        if cond and not cond.startswith(DERIVED_PREFIX) and not cond.startswith("entity:"):
            keys.add(f"{req.get('url')}?{cond}")
    return keys


def export_to_server(out: Path, fhir_url: str, concurrency: int = 4, token: str | None = None,
                     attempts: int | None = None, timeout: float = 60.0, max_wait: float = 30.0,
                     breaker: int | None = None, mappings: Path | None = None) -> ExportReport:
    """Send every exported, not yet accepted document's Bundle; return what happened.

    After `breaker` documents in a row failed (retries exhausted on 5xx/429/connection errors)
    the server is taken to be down: nothing more is started, and the rest is left for a re-run."""
    out = Path(out)
    report = ExportReport()
    url = fhir_url.rstrip("/")
    report.log_path = log_path_for(out, url)
    done = {sha for sha, e in read_export_log(report.log_path).items() if e.get("status") == "accepted"}
    accepted_hash = {sha: e.get("bundle_sha256") for sha, e in read_export_log(report.log_path).items()
                     if e.get("status") == "accepted"}
    attempts = attempts or settings().fhir_attempts
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": "return=minimal",
               "User-Agent": "docc-export"}
    token = token if token is not None else settings().fhir_token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    concurrency = max(1, int(concurrency))
    breaker = breaker or settings().fhir_breaker
    consecutive_failures = 0

    source = exported_bundles(out, report, mappings)
    pending: deque[tuple[str, bytes, set[str]]] = deque()
    in_flight: dict[Future, tuple[str, set[str]]] = {}
    busy: set[str] = set()
    exhausted = False

    def refill() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < 4 * concurrency:
            try:
                sha, payload = next(source)
            except StopIteration:
                exhausted = True
                return
            if sha in done and accepted_hash.get(sha) in (None, hashlib.sha256(payload).hexdigest()):
                report.skipped += 1
                continue
            pending.append((sha, payload, _conflict_keys(payload)))

    with httpx.Client(timeout=timeout, headers=headers) as client, ThreadPoolExecutor(concurrency) as pool:
        while True:
            if report.unreachable and not report.stopped:
                report.stopped = True
                log.error("cannot reach %s (%s): stopping; re-run `docc export` when it is up", url, report.unreachable)
            if consecutive_failures >= breaker and not report.stopped:
                report.stopped = True
                log.error("%d documents in a row failed: stopping; re-run `docc export` to resume", consecutive_failures)
            if report.stopped:
                pending.clear()
                exhausted = True
            refill()
            # start every pending Bundle that shares no business key with one in flight
            for item in list(pending):
                if len(in_flight) >= concurrency:
                    break
                sha, payload, keys = item
                if keys & busy:
                    continue
                pending.remove(item)
                busy.update(keys)
                in_flight[pool.submit(send_bundle, client, url, sha, payload, attempts, max_wait)] = (sha, keys)
            if not in_flight:
                if exhausted and not pending:
                    break
                continue
            finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in finished:
                sha, keys = in_flight.pop(fut)
                busy.difference_update(keys)
                result = fut.result()
                report.outcomes.append(result)
                if result.unreachable and not report.unreachable:
                    report.unreachable = (result.error or "cannot connect").split(" after ")[0].removeprefix("cannot connect: ")
                consecutive_failures = consecutive_failures + 1 if result.status == "failed" else 0
                entry = {"sha256": sha, "status": result.status, "http_status": result.http_status,
                         "created": result.created, "unchanged": result.unchanged, "attempts": result.attempts,
                         "bundle_sha256": result.bundle_sha256,
                         "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
                if result.outcome:
                    entry["outcome"] = result.outcome
                if result.error:
                    entry["error"] = result.error
                append_log(report.log_path, entry)
                if result.status == "accepted":
                    log.debug("document %s accepted: %d created, %d unchanged", sha[:12], result.created, result.unchanged)
                else:
                    why = f"HTTP {result.http_status}" if result.http_status else (result.error or "no answer")
                    log.warning("%s %s (%s)%s", report.names.get(sha, sha[:12]), result.status, why,
                                f": {_issue_summary(result.outcome)}" if result.outcome else "")
                    if result.outcome:
                        log.debug("document %s OperationOutcome: %s", sha[:12], json.dumps(result.outcome))
    if report.stopped:
        report.not_sent = max(0, report.exported - report.skipped - report.sent - report.unbuildable)
    return report


def _issue_summary(outcome: dict | None) -> str:
    """Issue severities, codes and element paths: no diagnostics text (it may echo values)."""
    if not outcome:
        return ""
    bits = []
    for issue in outcome.get("issue") or []:
        where = ",".join(issue.get("expression") or issue.get("location") or [])
        bits.append(f"{issue.get('severity', '?')}/{issue.get('code', '?')}" + (f" at {where}" if where else ""))
    return "; ".join(bits[:5]) + (" ..." if len(bits) > 5 else "")


# ----------------------------------------------------------------------------- command

def _print_report(report: ExportReport, target: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    table = Table(title=f"FHIR export to {target}")
    table.caption = ("documents: exported in results.jsonl, skipped (already accepted), sent, accepted, rejected, "
                     "failed; resources: created (201) vs unchanged (200/304)")
    for col in ("exported", "skipped", "sent", "accepted", "rejected", "failed", "created", "unchanged"):
        table.add_column(col, justify="right")
    table.add_row(str(report.exported), str(report.skipped), str(report.sent), str(report.count("accepted")),
                  str(report.count("rejected")), str(report.count("failed")), str(report.created), str(report.unchanged))
    console.print(table)
    problems = [o for o in report.outcomes if o.status != "accepted"]
    if problems:
        t = Table(title="Not accepted (details in the export log)")
        t.add_column("document")
        t.add_column("status")
        t.add_column("HTTP")
        t.add_column("issues")
        for o in problems[:50]:
            t.add_row(report.names.get(o.sha256, o.sha256[:16]), o.status, str(o.http_status or ""),
                      _issue_summary(o.outcome) or (o.error or ""))
        console.print(t)
    if report.unreachable:
        console.print(f"[red]cannot reach {target} ({report.unreachable}): {report.not_sent} document(s) not sent; "
                      f"re-run when the server is up[/red]")
    elif report.stopped:
        console.print(f"[red]stopped after repeated failures: {report.not_sent} document(s) not sent; "
                      f"re-run to resume[/red]")
    if report.unbuildable:
        console.print(f"[red]{report.unbuildable} exported document(s) could not be turned into FHIR[/red]")
    if report.log_path:
        console.print(f"export log: {report.log_path}")


def export_ndjson(out: Path, ndjson_dir: Path, mappings: Path | None = None) -> tuple[ExportReport, dict[str, int]]:
    """Stream every exported document's Bundle, in sha256 order, into NDJSON files."""
    report = ExportReport()
    shas = sorted(sha for sha, _ in exported_bundles(Path(out), report, mappings))  # builds missing Bundles
    fhir_dir = Path(out) / "fhir"
    counts = write_ndjson((json.loads(bundle_path(fhir_dir, sha).read_bytes()) for sha in shas), ndjson_dir,
                          presorted=True)
    return report, counts


def export_command(out: Path, fhir_url: str | None, ndjson_dir: Path | None, concurrency: int,
                   mappings: Path | None = None) -> int:
    """Entry point of `docc export`: 0 when everything was accepted/written, 1 otherwise."""
    out = Path(out)
    if not (out / "results.jsonl").exists():
        log.error("%s has no results.jsonl (run `docc run ... --out %s` first)", out, out)
        return 2
    if ndjson_dir is not None:
        report, counts = export_ndjson(out, Path(ndjson_dir), mappings)
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"NDJSON written to {ndjson_dir} ({report.exported} documents)")
        table.add_column("resource type")
        table.add_column("resources", justify="right")
        for rtype, n in counts.items():
            table.add_row(rtype, str(n))
        Console().print(table)
        return 0 if not report.unbuildable else 1
    assert fhir_url is not None
    started = time.monotonic()
    report = export_to_server(out, fhir_url, concurrency=concurrency, mappings=mappings)
    log.info("export finished in %.1fs: %d sent, %d accepted, %d rejected, %d failed", time.monotonic() - started,
             report.sent, report.count("accepted"), report.count("rejected"), report.count("failed"))
    _print_report(report, fhir_url)
    print(f"docc export: exported={report.exported} skipped={report.skipped} sent={report.sent} "
          f"accepted={report.count('accepted')} rejected={report.count('rejected')} failed={report.count('failed')} "
          f"not_sent={report.not_sent} created={report.created} unchanged={report.unchanged}", flush=True)
    return 0 if report.ok else 1
