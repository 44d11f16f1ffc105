"""The studio's web app: one page (templates/index.html + static/studio.js) over a JSON API.

Every request needs the access token printed at start-up: the first visit carries it in the URL
(`/?token=...`), which sets an HttpOnly, SameSite=Strict cookie and redirects to a clean URL.
Requests whose Host is not a loopback name are refused (DNS rebinding).
"""
from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from extractors.artifacts import read_lock
from extractors.schema import DOCUMENT_SUFFIXES, FieldType, Schema
from pipeline.studio import labels
from pipeline.studio.pages import Pages, page_json, prefill
from pipeline.studio.recompile import Recompiler
from pipeline.studio.review import ChecksFailed, ReviewError, ReviewQueue

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
COOKIE = "docc_studio"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
MAX_UPLOAD = 64 << 20


@dataclass
class Config:
    samples: Path
    extractors: Path
    run: Path | None
    token: str
    backends: list[str] = field(default_factory=lambda: ["synth"])
    fhir_url: str | None = None


def create_app(cfg: Config) -> FastAPI:
    app = FastAPI(title="docc studio", docs_url=None, redoc_url=None, openapi_url=None)
    pages = Pages()
    recompiler = Recompiler(cfg.samples, cfg.extractors, cfg.backends)
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]))
    queue = ReviewQueue(cfg.run, cfg.extractors, cfg.samples) if cfg.run else None

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        if host not in LOOPBACK_HOSTS:
            return Response("studio answers on 127.0.0.1 only", status_code=403)
        given = request.query_params.get("token")
        if given is not None and hmac.compare_digest(given, cfg.token):
            resp = RedirectResponse(request.url.path or "/", status_code=303)
            resp.set_cookie(COOKIE, cfg.token, httponly=True, samesite="strict")
            return resp
        if not hmac.compare_digest(request.cookies.get(COOKIE, ""), cfg.token):
            return Response("docc studio: open the URL with ?token=... printed when the studio started", status_code=401)
        response = await call_next(request)
        response.headers["Cache-Control"] = response.headers.get("Cache-Control", "no-store")
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
        return response

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        html = env.get_template("index.html").render(
            boot=json.dumps({"run": str(cfg.run) if cfg.run else None, "samples": str(cfg.samples),
                             "extractors": str(cfg.extractors), "backends": cfg.backends,
                             "field_types": list(get_args(FieldType)),
                             "code_systems": ["", "loinc", "icd10cm", "rxnorm", "cpt", "npi", "ucum"]}))
        return HTMLResponse(html)

    # ------------------------------------------------------------------ doc types and schemas
    def folder(doc_type: str) -> Path:
        if not labels.NAME_RE.match(doc_type):
            raise HTTPException(404, "no such doc type")
        f = cfg.samples / doc_type
        if not (f / "schema.yaml").exists():
            raise HTTPException(404, f"no doc type {doc_type!r} under {cfg.samples}")
        return f

    def documents(f: Path) -> list[dict[str, Any]]:
        docs = []
        for p in sorted(f.iterdir()):
            if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES:
                docs.append({"name": p.name, "labeled": p.with_suffix(".json").exists(), "inbox": False})
        inbox = f / labels.INBOX
        if inbox.is_dir():
            for p in sorted(inbox.iterdir()):
                if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES:
                    docs.append({"name": p.name, "labeled": False, "inbox": True})
        return docs

    @app.get("/api/doctypes")
    def doctypes() -> list[dict[str, Any]]:
        lock = read_lock(cfg.extractors) if cfg.extractors.exists() else {"doc_types": {}}
        out = []
        if cfg.samples.is_dir():
            for f in sorted(p for p in cfg.samples.iterdir() if (p / "schema.yaml").exists()):
                docs = documents(f)
                out.append({"doc_type": f.name, "labeled": sum(d["labeled"] for d in docs),
                            "unlabeled": sum(not d["labeled"] for d in docs), "locked": f.name in lock["doc_types"]})
        return out

    @app.get("/api/doctypes/{doc_type}")
    def doctype(doc_type: str) -> dict[str, Any]:
        f = folder(doc_type)
        schema = Schema.load(f / "schema.yaml")
        return {"schema": schema.model_dump(exclude_none=True), "schema_sha": labels.digest(f / "schema.yaml"),
                "documents": documents(f), "f1": _f1(cfg.extractors, doc_type)}

    @app.post("/api/doctypes")
    async def save_doctype(request: Request) -> dict[str, Any]:
        body = await request.json()
        try:
            schema = labels.parse_schema(body.get("schema") or {})
            change = labels.save_schema(cfg.samples, schema, create=bool(body.get("create")), expected_sha=body.get("schema_sha"))
        except labels.LabelError as e:
            raise HTTPException(422, {"message": "the schema was not saved", "problems": e.problems})
        except labels.Conflict as e:
            raise HTTPException(409, {"message": str(e)})
        return {"doc_type": schema.doc_type, "added": change.added, "removed": change.removed, "retyped": change.retyped,
                "schema_sha": labels.digest(cfg.samples / schema.doc_type / "schema.yaml")}

    @app.post("/api/doctypes/{doc_type}/upload")
    async def upload(doc_type: str, file: UploadFile = File(...)) -> dict[str, Any]:
        f = folder(doc_type)
        try:
            name = labels.safe_name(file.filename or "")
        except ValueError as e:
            raise HTTPException(422, {"message": str(e)})
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(413, {"message": "file too large for the studio (64 MB)"})
        inbox = f / labels.INBOX
        target = inbox / name
        if target.exists() or (f / name).exists():
            raise HTTPException(409, {"message": f"{name} is already in {doc_type}; open it from the list"})
        from extractors.artifacts import atomic_write

        atomic_write(target, data)
        return {"name": name, "inbox": True}

    def doc_path(f: Path, name: str) -> Path:
        try:
            if labels.safe_name(name) != name:
                raise ValueError
        except ValueError:
            raise HTTPException(404, "no such document") from None
        for p in (f / name, f / labels.INBOX / name):
            if p.is_file():
                return p
        raise HTTPException(404, "no such document")

    def open_doc(path: Path) -> tuple[Any, dict[str, Any]]:
        from pipeline.errors import IngestError

        try:
            opened = pages.open(path)
        except IngestError as e:
            raise HTTPException(422, {"message": f"cannot read {path.name}: {e.kind}: {e.reason}"})
        return opened, {"sha256": opened.sha256, "name": path.name, "pages": page_json(opened.doc)}

    @app.get("/api/doctypes/{doc_type}/documents/{name}")
    def label_doc(doc_type: str, name: str) -> dict[str, Any]:
        f = folder(doc_type)
        path = doc_path(f, name)
        opened, out = open_doc(path)
        golden_path = f / (Path(name).stem + ".json")
        out["golden"] = json.loads(golden_path.read_text(encoding="utf-8")) if golden_path.exists() else None
        out["golden_sha"] = labels.digest(golden_path)
        out["id"] = Path(name).stem
        out["prefill"] = prefill(cfg.extractors, doc_type, opened.doc) if out["golden"] is None else None
        return out

    @app.post("/api/doctypes/{doc_type}/documents/{name}")
    async def save_label(doc_type: str, name: str, request: Request) -> dict[str, Any]:
        f = folder(doc_type)
        path = doc_path(f, name)
        body = await request.json()
        schema = Schema.load(f / "schema.yaml")
        try:
            golden_path, golden = labels.save_sample(cfg.samples, schema, path, body.get("values") or {},
                                                     expected_sha=body.get("golden_sha"), sample_id=body.get("id") or None)
        except labels.LabelError as e:
            raise HTTPException(422, {"message": "not saved: fix the values marked in red", "problems": e.problems})
        except labels.Conflict as e:
            raise HTTPException(409, {"message": str(e)})
        return {"saved": golden_path.name, "golden": golden, "golden_sha": labels.digest(golden_path),
                "name": golden_path.with_suffix(path.suffix.lower()).name}

    @app.get("/api/pages/{sha}/{number}.png")
    def page_image(sha: str, number: int) -> FileResponse:
        try:
            png = pages.page_png(sha, number)
        except KeyError:
            raise HTTPException(404, "open the document first") from None
        return FileResponse(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    # ------------------------------------------------------------------ review
    def need_queue() -> ReviewQueue:
        if queue is None:
            raise HTTPException(404, {"message": "start the studio with --run OUT to work a run's review queue"})
        return queue

    @app.get("/api/review")
    def review_items() -> dict[str, Any]:
        q = need_queue()
        manifest_path = q.run / "manifest.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        return {"items": q.items(), "manifest": {k: manifest.get(k) for k in ("inputs", "exported", "review", "quarantined", "reconciles")}}

    @app.get("/api/review/{sha}")
    def review_doc(sha: str) -> dict[str, Any]:
        q = need_queue()
        try:
            rv, res, source = q.item(sha)
        except ReviewError as e:
            raise HTTPException(404, {"message": str(e)})
        if source is None:
            raise HTTPException(404, {"message": f"the input file {res.get('source')} is not where the run found it"})
        _, out = open_doc(source)
        schema = q.schema(res.get("doc_type"))
        from pipeline.studio.review import flags

        out.update({"doc_type": res.get("doc_type"), "reason": res.get("reason"), "fields": res.get("fields") or {},
                    "flags": flags(rv, res), "schema": schema.model_dump(exclude_none=True) if schema else None,
                    "source": res.get("source")})
        return out

    @app.post("/api/review/{sha}/approve")
    async def approve(sha: str, request: Request) -> dict[str, Any]:
        q = need_queue()
        body = await request.json()
        try:
            result = q.approve(sha, body.get("values") or {}, note=body.get("note") or "", force=bool(body.get("force")),
                               add_sample=bool(body.get("add_sample")))
        except ChecksFailed as e:
            raise HTTPException(409, {"message": str(e), "checks": e.names, "needs_override": True})
        except ReviewError as e:
            raise HTTPException(422, {"message": str(e)})
        if cfg.fhir_url:
            from pipeline.fhir_export import export_to_server

            report = export_to_server(q.run, cfg.fhir_url)
            result["fhir_server"] = {"sent": report.sent, "ok": report.ok}
        return result

    @app.post("/api/review/{sha}/reject")
    async def reject(sha: str, request: Request) -> dict[str, Any]:
        q = need_queue()
        body = await request.json()
        try:
            return q.reject(sha, body.get("note") or "", body.get("values") or {})
        except ReviewError as e:
            raise HTTPException(422, {"message": str(e)})

    # ------------------------------------------------------------------ recompile
    @app.post("/api/compile")
    async def compile_start(request: Request) -> dict[str, Any]:
        body = await request.json()
        doc_type = str(body.get("doc_type") or "")
        f = folder(doc_type)
        n = sum(1 for d in documents(f) if d["labeled"])
        if n < 2:
            raise HTTPException(422, {"message": f"{doc_type} has {n} labeled sample(s); label at least 2 (better 5 from several senders) before compiling"})
        try:
            job = recompiler.start(doc_type)
        except RuntimeError as e:
            raise HTTPException(409, {"message": str(e)})
        return job.public()

    @app.get("/api/compile/{job_id}")
    def compile_status(job_id: int) -> dict[str, Any]:
        job = recompiler.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "no such compile")
        return job.public()

    @app.post("/api/compile/{job_id}/{action}")
    def compile_action(job_id: int, action: str) -> dict[str, Any]:
        job = recompiler.jobs.get(job_id)
        if job is None or action not in ("promote", "discard"):
            raise HTTPException(404, "no such compile")
        if job.state != "blocked":
            raise HTTPException(409, {"message": f"compile {job_id} is {job.state}"})
        return (recompiler.promote(job) if action == "promote" else recompiler.discard(job)).public()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
        return JSONResponse(detail, status_code=exc.status_code)

    return app


def _f1(extractors: Path, doc_type: str) -> dict[str, float]:
    from pipeline.studio.recompile import field_f1

    try:
        return field_f1(extractors, doc_type)
    except Exception:  # an unreadable lock shows as "not compiled"
        return {}
