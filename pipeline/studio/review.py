"""A run's review queue: show why each document is there, take corrections, approve or reject.

Approve exports the document exactly as `docc run` exports one: the runtime checks (Great
Expectations) run again on the corrected values, the FHIR Bundle is built by
`pipeline.fhir_bundle`, `fhir/<sha256>.json` and `ndjson/` are rewritten, `results.jsonl`,
`review/review.jsonl` and `manifest.json` are updated so the counts still reconcile, and the
stored per-content record is updated so a later `docc run` keeps the decision. Reject leaves the
document in review with a note. Every change goes to `review/audit.jsonl` (what, when, before,
after). Review records are read defensively: a record may or may not name fields, pages, boxes,
confidences and thresholds.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipeline.errors import DoccError
from extractors.schema import Schema
from pipeline.studio.labels import canonical_value

AUDIT = "audit.jsonl"
LOW_CONFIDENCE = 0.9  # flag a field below this when the review record names no threshold
_MEDIA_EXT = {".pdf": "pdf", ".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tif", ".tiff": "tif"}


class ReviewError(DoccError):
    """An approval or rejection that cannot be carried out; the message says why."""


class ChecksFailed(ReviewError):
    """The corrected values still fail runtime checks: approving needs an explicit override."""

    def __init__(self, names: list[str]):
        super().__init__("the corrected values still fail runtime checks: " + ", ".join(names))
        self.names = names


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def _jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n" for r in rows)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_source(run: Path, line: dict[str, Any]) -> Path | None:
    """The input file of a results line: as recorded (absolute, or relative to where the run was
    started, which we try as the current folder and the run folder's parent)."""
    raw = base64.b64decode(line["source_b64"]) if line.get("source_b64") else os.fsencode(line.get("source") or "")
    if not raw:
        return None
    p = Path(os.fsdecode(raw))
    for cand in ([p] if p.is_absolute() else [Path.cwd() / p, run.parent / p, run / p]):
        if cand.is_file():
            return cand
    return None


def _field_of(check: str) -> str:
    """'birth_date:valid_date' -> 'birth_date'; 'results.unit:value_set' -> 'results'."""
    return check.split(":", 1)[0].split(".", 1)[0]


def flags(review: dict[str, Any], result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per field: why it is flagged ('failed' check or 'low' confidence), with message and, when
    known, confidence, threshold, page and box."""
    out: dict[str, dict[str, Any]] = {}
    for name in review.get("checks_failed") or result.get("checks_failed") or []:
        f = out.setdefault(_field_of(str(name)), {"kind": "failed", "checks": []})
        f["checks"].append(str(name))
    # richer review records name fields directly (any list of objects with a "field" key)
    for key in ("fields", "flags", "items", "values", "reasons"):
        items = review.get(key)
        if isinstance(items, dict):
            items = [{"field": k, **v} if isinstance(v, dict) else {"field": k} for k, v in items.items()]
        if not isinstance(items, list):
            continue
        for it in items:
            if not isinstance(it, dict) or not it.get("field"):
                continue
            name = _field_of(str(it["field"]))
            f = out.setdefault(name, {"kind": "low", "checks": []})
            if it.get("check"):
                f["checks"].append(str(it["check"]))
                f["kind"] = "failed"
            for k in ("confidence", "threshold", "page", "bbox", "reason", "message"):
                if it.get(k) is not None:
                    f[k] = it[k]
    for name, entry in (result.get("fields") or {}).items():
        if not isinstance(entry, dict) or isinstance(entry.get("value"), list):
            continue
        conf = entry.get("confidence")
        threshold = (out.get(name) or {}).get("threshold", LOW_CONFIDENCE)
        if isinstance(conf, (int, float)) and isinstance(threshold, (int, float)) and conf < threshold:
            f = out.setdefault(name, {"kind": "low", "checks": []})
            f.setdefault("confidence", conf)
            f.setdefault("threshold", threshold)
    for f in out.values():
        parts = []
        if f["checks"]:
            parts.append("failed " + ", ".join(sorted(set(f["checks"]))))
        if f.get("confidence") is not None:
            parts.append(f"confidence {f['confidence']:.2f}" + (f" < {f['threshold']:.2f}" if f.get("threshold") is not None else ""))
        if f.get("reason") or f.get("message"):
            parts.append(str(f.get("reason") or f.get("message")))
        f["message"] = "; ".join(parts) or "flagged"
    return out


class ReviewQueue:
    """One run folder's review queue."""

    def __init__(self, run: Path, extractors_dir: Path, samples: Path | None = None) -> None:
        self.run = Path(run)
        self.extractors_dir = Path(extractors_dir)
        self.samples = samples

    # ------------------------------------------------------------------ reading
    def results(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.run / "results.jsonl")

    def audit(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.run / "review" / AUDIT)

    def items(self) -> list[dict[str, Any]]:
        results = {r.get("sha256"): r for r in self.results() if r.get("sha256")}
        notes: dict[str, list[dict[str, Any]]] = {}
        for a in self.audit():
            if a.get("action") == "reject":
                notes.setdefault(a.get("sha256"), []).append({"at": a.get("at"), "note": a.get("note")})
        out, seen = [], set()
        for rv in _read_jsonl(self.run / "review" / "review.jsonl"):
            sha = rv.get("sha256")
            if sha in seen:
                continue
            seen.add(sha)
            res = results.get(sha) or {}
            out.append({"sha256": sha, "source": rv.get("source") or res.get("source"), "doc_type": rv.get("doc_type") or res.get("doc_type"),
                        "reason": rv.get("reason") or res.get("reason"), "checks_failed": rv.get("checks_failed") or [],
                        "notes": notes.get(sha, []), "flags": flags(rv, res), "status": res.get("status", "review")})
        return out

    def item(self, sha: str) -> tuple[dict[str, Any], dict[str, Any], Path | None]:
        rv = next((r for r in _read_jsonl(self.run / "review" / "review.jsonl") if r.get("sha256") == sha), None)
        res = next((r for r in self.results() if r.get("sha256") == sha), None)
        if rv is None or res is None:
            raise ReviewError(f"document {sha[:12]} is not in this run's review queue")
        return rv, res, resolve_source(self.run, res)

    def schema(self, doc_type: str | None) -> Schema | None:
        if not doc_type or self.samples is None:
            return None
        path = self.samples / doc_type / "schema.yaml"
        return Schema.load(path) if path.exists() else None

    # ------------------------------------------------------------------ corrections
    def corrected_fields(self, res: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any, Any]]]:
        """The result's fields with the browser's corrections applied, and the (field, before,
        after) changes. A value confirmed by a person gets confidence 1.0."""
        schema = self.schema(res.get("doc_type"))
        fields = json.loads(json.dumps(res.get("fields") or {}))
        changes = []
        for name, corr in values.items():
            if not isinstance(corr, dict):
                corr = {"value": corr}
            before = fields.get(name)
            spec = schema.fields.get(name) if schema else None
            if spec is not None and spec.type == "table" or isinstance(corr.get("value"), list):
                rows = []
                for row in corr.get("value") or []:
                    cells = {}
                    for col, v in sorted(row.items()):
                        cspec = spec.columns.get(col) if spec is not None else None
                        cells[col] = {"value": self._canon(v, cspec, f"{name}.{col}")}
                    rows.append(cells)
                after = {"value": rows, "confidence": 1.0, "page": corr.get("page"), "bbox": corr.get("bbox"), "text": ""}
                old_rows = (before or {}).get("value") if isinstance(before, dict) else None
                if _plain_rows(old_rows) == _plain_rows(rows):
                    continue
            else:
                old = before.get("value") if isinstance(before, dict) else None
                raw = corr.get("value")
                if raw == old or (old is not None and str(raw) == str(old)):
                    continue  # unchanged: the runtime checks judge the extracted value
                v = self._canon(raw, spec, name)
                if v == old:
                    continue
                after = None if v is None else {"value": v, "confidence": 1.0, "page": corr.get("page"),
                                                "bbox": corr.get("bbox"), "text": str(corr.get("text") or v)[:200]}
            fields[name] = after
            changes.append((name, before, after))
        # keys sorted at every level, as `docc run` stores records: a re-run writes the same bytes
        return json.loads(json.dumps(fields, sort_keys=True)), changes

    @staticmethod
    def _canon(v: Any, spec: Any, where: str) -> Any:
        if spec is None:
            return None if v in (None, "") else v
        try:
            return canonical_value(v, spec)
        except ValueError as e:
            raise ReviewError(f"{where}: {e}") from None

    # ------------------------------------------------------------------ actions
    def _lock(self) -> FileLock:
        (self.run / ".state").mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.run / ".state" / "run.lock"))

    def reject(self, sha: str, note: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        if not (note or "").strip():
            raise ReviewError("say why in a note when rejecting")
        _, res, _ = self.item(sha)
        _, changes = self.corrected_fields(res, values or {})
        entries = [self._audit_entry("correct_proposed", res, field=n, before=b, after=a) for n, b, a in changes]
        entries.append(self._audit_entry("reject", res, note=note.strip()))
        self._append_audit(entries)
        return {"sha256": sha, "status": "review", "note": note.strip()}

    def approve(self, sha: str, values: dict[str, Any], *, note: str = "", force: bool = False,
                add_sample: bool = False) -> dict[str, Any]:
        lock = self._lock()
        try:
            lock.acquire(timeout=5)
        except Timeout:
            raise ReviewError("a `docc run` is writing to this run folder; approve when it has finished") from None
        try:
            return self._approve(sha, values, note=note, force=force, add_sample=add_sample)
        finally:
            lock.release()

    def _approve(self, sha: str, values: dict[str, Any], *, note: str, force: bool, add_sample: bool) -> dict[str, Any]:
        from pipeline.fhir_bundle import BuildError, MappingError, build_bundle, write_bundle

        rv, res, source = self.item(sha)
        doc_type = res.get("doc_type")
        if not doc_type or not res.get("extractor_sha256"):
            raise ReviewError("this document has no doc type with a locked extractor; label it as a sample instead")
        fields, changes = self.corrected_fields(res, values)
        failed = self._checks(doc_type, fields)
        if failed and not force:
            raise ChecksFailed(failed)
        if failed and not note.strip():
            raise ReviewError("approving values that fail checks needs a note saying why")
        golden = None
        if add_sample:
            golden = self._golden(doc_type, fields)
        ext = _MEDIA_EXT.get((source.suffix.lower() if source else ""), "bin")
        public = {k: v for k, v in res.items() if k not in ("source", "source_b64")}
        public.update(status="exported", reason=None, fields=fields, checks_failed=[], source=f"{sha}.{ext}")
        try:
            bundle = build_bundle(public)
        except (MappingError, BuildError, ValueError) as e:
            raise ReviewError(f"the corrected values do not make valid FHIR: {str(e)[:300]}") from None
        write_bundle(json.loads(json.dumps(bundle)), self.run / "fhir")
        self._update_state(sha, fields)
        results = self.results()
        for line in results:
            if line.get("sha256") == sha:
                line.update(status="exported", reason=None, fields=fields, checks_failed=[])
        _atomic(self.run / "results.jsonl", _jsonl_bytes(results))
        review = [r for r in _read_jsonl(self.run / "review" / "review.jsonl") if r.get("sha256") != sha]
        _atomic(self.run / "review" / "review.jsonl", _jsonl_bytes(review))
        ndjson = self._write_ndjson(results)
        manifest = self._update_manifest(results, ndjson)
        entries = [self._audit_entry("correct", res, field=n, before=b, after=a) for n, b, a in changes]
        entries.append(self._audit_entry("approve", res, note=note.strip() or None, checks_failed_before=rv.get("checks_failed") or [],
                                         checks_overridden=failed or None))
        sample = None
        if golden is not None and source is not None:
            sample = self._add_sample(doc_type, source, golden, sha)
            entries.append(self._audit_entry("add_sample", res, sample=str(sample)))
        self._append_audit(entries)
        return {"sha256": sha, "status": "exported", "changes": len(changes), "fhir": f"fhir/{sha}.json",
                "manifest": {k: manifest.get(k) for k in ("inputs", "exported", "review", "quarantined", "reconciles")},
                "sample": str(sample) if sample else None, "checks_overridden": failed}

    def _checks(self, doc_type: str, fields: dict[str, Any]) -> list[str]:
        from extractors.artifacts import read_lock
        from extractors.expectations import load_runtime_suite
        from pipeline.checks import RuntimeChecks

        entry = read_lock(self.extractors_dir)["doc_types"].get(doc_type, {})
        suite = load_runtime_suite(self.extractors_dir, doc_type, entry)
        if not suite:
            return []
        return RuntimeChecks({doc_type: suite}).validate(doc_type, [fields])[0]

    def _golden(self, doc_type: str, fields: dict[str, Any]) -> dict[str, Any]:
        from pipeline.studio.labels import LabelError, canonical_golden

        schema = self.schema(doc_type)
        if schema is None:
            raise ReviewError(f"no schema.yaml for {doc_type} under the samples folder: cannot add a labeled sample")
        values = {}
        for name in schema.fields:
            entry = fields.get(name)
            v = entry.get("value") if isinstance(entry, dict) else None
            if isinstance(v, list):
                v = [{c: (cell or {}).get("value") if isinstance(cell, dict) else cell for c, cell in row.items()} for row in v]
            values[name] = v
        try:
            return canonical_golden(schema, values)
        except LabelError as e:
            raise ReviewError(f"cannot add as a labeled sample: {e}") from None

    def _add_sample(self, doc_type: str, source: Path, golden: dict[str, Any], sha: str) -> Path:
        from pipeline.studio.labels import golden_bytes, safe_name
        from extractors.artifacts import atomic_write

        folder = self.samples / doc_type
        name = safe_name(source.name)
        stem, suffix = Path(name).stem, Path(name).suffix
        if any(folder.glob(f"{stem}.*")):
            stem = f"{stem}_{sha[:8]}"
        atomic_write(folder / f"{stem}.json", golden_bytes(golden))
        atomic_write(folder / f"{stem}{suffix}", source.read_bytes())
        return folder / f"{stem}{suffix}"

    def _update_state(self, sha: str, fields: dict[str, Any]) -> None:
        """Keep the decision on a later `docc run` (the record keeps its fingerprint: it is
        re-done only when the extractor or checks change, as any record)."""
        path = self.run / ".state" / "records" / sha[:2] / f"{sha}.json"
        try:
            rec = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return
        rec.update(status="exported", reason=None, fields=fields, checks_failed=[])
        _atomic(path, json.dumps(rec, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n")

    def _write_ndjson(self, results: list[dict[str, Any]]) -> dict[str, int]:
        from pipeline import fhir_bundle as fb

        shas = sorted({r["sha256"] for r in results if r.get("status") == "exported" and r.get("sha256")})

        def bundles():
            for s in shas:
                p = self.run / "fhir" / f"{s}.json"
                if p.exists():
                    yield json.loads(p.read_bytes())

        return fb.write_ndjson(bundles(), self.run / "ndjson", presorted=True)

    def _update_manifest(self, results: list[dict[str, Any]], ndjson: dict[str, int]) -> dict[str, Any]:
        from collections import Counter, defaultdict

        from pipeline.records import STATUSES, ReviewReason

        path = self.run / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        counts: Counter = Counter()
        per_type: dict[str, Counter] = defaultdict(Counter)
        review_kinds: Counter = Counter()
        check_counts: Counter = Counter()
        for line in results:
            status = line.get("status")
            counts[status] += 1
            per_type[line.get("doc_type") or ("unknown" if status == "review" else "-")][status] += 1
            if status == "review":
                review_kinds[ReviewReason.of_reason(line.get("reason")).value] += 1
                for name in line.get("checks_failed") or []:
                    check_counts[name] += 1
        inputs = manifest.get("inputs", len(results))
        manifest.update({
            "exported": counts["exported"], "review": counts["review"], "quarantined": counts["quarantined"],
            "reconciles": inputs == counts["exported"] + counts["review"] + counts["quarantined"],
            "doc_types": {t: {s: c[s] for s in STATUSES} for t, c in sorted(per_type.items())},
            "review_reasons": dict(sorted(review_kinds.items())),
            "checks_failed": dict(sorted(check_counts.items())),
            "fhir_bundles": len(list((self.run / "fhir").glob("*.json"))),
            "ndjson": ndjson,
            "results_sha256": hashlib.sha256((self.run / "results.jsonl").read_bytes()).hexdigest(),
        })
        _atomic(path, (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
        return manifest

    # ------------------------------------------------------------------ audit
    def _audit_entry(self, action: str, res: dict[str, Any], **kw: Any) -> dict[str, Any]:
        entry = {"at": _now(), "action": action, "sha256": res.get("sha256"), "source": res.get("source"),
                 "doc_type": res.get("doc_type")}
        entry.update({k: v for k, v in kw.items() if v is not None})
        return entry

    def _append_audit(self, entries: list[dict[str, Any]]) -> None:
        path = self.run / "review" / AUDIT
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(_jsonl_bytes(entries))
            fh.flush()
            os.fsync(fh.fileno())


def _plain_rows(rows: Any) -> Any:
    if not isinstance(rows, list):
        return rows
    return [{c: (cell or {}).get("value") if isinstance(cell, dict) else cell for c, cell in sorted((r or {}).items())} for r in rows]


def _atomic(path: Path, data: bytes) -> None:
    from extractors.fileio import atomic_write

    atomic_write(path, data)
