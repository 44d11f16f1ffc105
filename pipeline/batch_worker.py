"""The per-document work of a batch, run inside worker processes (local or Ray).

`process_chunk(items)` takes `(path_bytes, sha256)` pairs and, for each, ingests the file
(OCR inside this process, single-threaded Tesseract), classifies it, runs the locked
extractor, serialises its fields per the run-output contract and, for a document that may be
exported, builds its FHIR Bundle. Runtime validation (Great Expectations) happens in the
driver over whole batches; a document that fails it loses its bundle there.

The `Package` shipped to workers holds the extractors' *source* and hashes, the classifier
model and the ingest settings: workers re-check every hash before loading, and need no access
to the extractors folder (Ray workers on other hosts need only the input files).
"""
from __future__ import annotations

import hashlib
import logging
import os
import resource
import signal
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from decimal import Decimal
from typing import Any

from pipeline.records import DocRecord, ErrorKind, ReviewReason, WorkerResult

log = logging.getLogger(__name__)

TEXT_SNIPPET = 200
_EXT = {"pdf": "pdf", "png": "png", "jpeg": "jpg", "tiff": "tif"}


@dataclass
class Package:
    """What a worker needs: extractor sources + hashes, classifier model, ingest settings."""

    extractors: dict[str, tuple[str, str]]  # doc_type -> (sha256, source)
    classifier: dict[str, Any]
    cache_dir: str | None = None
    dpi: int = 300
    has_checks: dict[str, bool] = field(default_factory=dict)  # doc types with a runtime suite
    gates: dict[str, Any] = field(default_factory=dict)  # doc_type -> pipeline.gate.DocGate
    alternates: dict[str, tuple[str, str]] = field(default_factory=dict)  # doc_type -> (sha256, runner-ups' source)
    ocr_profiles: dict[str, str] = field(default_factory=dict)  # doc type -> locked OCR profile
    key: str = ""
    fhir_mappings: str | None = None  # the FHIR mapping folder (None: the default setting)
    extract_cpu_s: float = 5.0        # per document, per extractor call (see pipeline.containment)
    extract_memory_mb: int = 512

    def __post_init__(self) -> None:
        if not self.key:
            h = hashlib.sha256()
            for t, (sha, _) in sorted(self.extractors.items()):
                h.update(f"{t}:{sha};".encode())
            h.update(str(self.classifier.get("sha256")).encode())
            h.update(f"{self.cache_dir}:{self.dpi}:{self.fhir_mappings}".encode())
            for t, g in sorted(self.gates.items()):
                h.update(f"gate:{t}:{g.sha256};".encode())
            for t, (sha, _) in sorted(self.alternates.items()):
                h.update(f"alt:{t}:{sha};".encode())
            h.update(repr(sorted(self.ocr_profiles.items())).encode())
            self.key = h.hexdigest()


class _Runtime:
    def __init__(self, pkg: Package) -> None:
        from extractors.artifacts import ArtifactError, sha256_bytes
        from pipeline.containment import Contained, install, scrub_environment

        scrub_environment()  # secrets are not there for extractor code to find
        install()
        self.pkg = pkg
        self.extract = {}
        self.alternates = {}
        for doc_type, (sha, source) in pkg.extractors.items():
            if sha256_bytes(source.encode("utf-8")) != sha:
                raise ArtifactError(f"{doc_type}: extractor source does not match its hash")
            self.extract[doc_type] = Contained(source, doc_type, cpu_seconds=pkg.extract_cpu_s,
                                               memory_mb=pkg.extract_memory_mb)
        for doc_type, (sha, source) in pkg.alternates.items():  # the compile's runner-up candidates
            if sha256_bytes(source.encode("utf-8")) != sha:
                raise ArtifactError(f"{doc_type}: alternates source does not match its hash")
            self.alternates[doc_type] = Contained(source, f"{doc_type}_alternates", cpu_seconds=pkg.extract_cpu_s,
                                                  memory_mb=pkg.extract_memory_mb)
        from pipeline import fhir_bundle

        self.fhir = fhir_bundle


_RUNTIME: _Runtime | None = None


def init_worker(pkg: Package, driver_pid: int | None = None) -> None:
    """Process-pool initializer: die with the driver, ignore Ctrl-C and SIGTERM (the driver
    decides: it finishes the documents in flight, then shuts the pool down), one OCR thread,
    load the package once."""
    global _RUNTIME
    from pipeline.containment import die_with_parent

    die_with_parent(driver_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _RUNTIME = _Runtime(pkg)


def _runtime(pkg: Package | None) -> _Runtime:
    global _RUNTIME
    if _RUNTIME is None or (pkg is not None and _RUNTIME.pkg.key != pkg.key):
        if pkg is None:
            raise RuntimeError("worker not initialised")
        os.environ["OMP_THREAD_LIMIT"] = "1"
        _RUNTIME = _Runtime(pkg)
    return _RUNTIME


# ------------------------------------------------------------------------- serialisation


def jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and abs(v) < 2**53 else float(v)
    if isinstance(v, (date, datetime, dtime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    raise TypeError(f"{type(v).__name__} is not a JSON-native value")


def serialise_found(found: Any, doc) -> dict[str, Any] | None:
    """`Found` -> `{"value", "confidence", "page", "bbox", "text"}`; tables become lists of rows.
    The confidence is the reading's (`extractors.reliability.reading_confidence`); the gate
    replaces it with the calibrated one."""
    from extractors.reliability import reading_confidence
    from extractors.runtime import Found

    if found is None:
        return None
    if not isinstance(found, Found):
        found = Found(found, confidence=1.0)
    value = found.value
    if isinstance(value, list) and value and all(isinstance(r, dict) or r is None for r in value):
        value = [
            {str(col): serialise_found(cell, doc) or {"value": None} for col, cell in sorted(row.items())}
            for row in value if row is not None
        ]
    else:
        value = jsonable(value)
    conf = reading_confidence(doc, found)
    return {
        "value": value,
        "confidence": round(conf, 4),
        "page": found.page,
        "bbox": [round(float(x), 2) for x in found.bbox] if found.bbox is not None else None,
        "text": (found.text or "")[:TEXT_SNIPPET],
    }


# ------------------------------------------------------------------------- per document


def process_document(path: bytes, sha: str, rt: _Runtime, stats: dict[str, float]) -> WorkerResult:
    """Everything for one input up to (not including) runtime validation. Never raises."""
    from extractors.classifier import classify
    from pipeline.errors import IngestError
    from pipeline.ingest import ingest

    Q, R = DocRecord.quarantined, DocRecord.review
    t0 = time.perf_counter()
    try:
        kw = {"dpi": rt.pkg.dpi}
        if rt.pkg.cache_dir is not None:
            kw["cache_dir"] = rt.pkg.cache_dir
        doc = ingest(os.fsdecode(path), **kw)
    except IngestError as e:
        stats["ingest_s"] += time.perf_counter() - t0
        return WorkerResult(Q(sha, e.kind, e.reason))
    except MemoryError:
        return WorkerResult(Q(sha, ErrorKind.TOO_LARGE, "out of memory while reading"))
    except Exception as e:  # a bug, not bad input: still account for the file
        log.warning("ingest raised %s unexpectedly (a bug: please report)", type(e).__name__)
        log.debug("ingest failure", exc_info=True)
        return WorkerResult(Q(sha, ErrorKind.CORRUPT, f"unexpected {type(e).__name__} while reading"))
    t1 = time.perf_counter()
    stats["ingest_s"] += t1 - t0
    n_pages = len(doc.pages)
    n_ocr = sum(1 for p in doc.pages if p.source == "ocr")
    stats["pages"] += n_pages
    stats["ocr_pages"] += n_ocr
    if n_ocr:
        stats["ocr_s"] += t1 - t0
    pages = {"total": n_pages, "ocr": n_ocr}
    if doc.sha256 != sha:
        return WorkerResult(Q(sha, ErrorKind.UNREADABLE, "the file changed while it was being processed; run again",
                              pages=pages), cache=False)

    try:
        doc_type, score = classify(rt.pkg.classifier, doc)
    except Exception as e:
        log.warning("classifier raised %s", type(e).__name__)
        return WorkerResult(R(sha, ReviewReason.CLASSIFIER_ERROR, type(e).__name__, pages=pages))
    t2 = time.perf_counter()
    stats["classify_s"] += t2 - t1
    if doc_type is None:
        return WorkerResult(R(sha, ReviewReason.UNKNOWN_TYPE, f" (best score {score:.3f})", doc_type_score=score, pages=pages))
    if doc_type not in rt.extract:
        return WorkerResult(R(sha, ReviewReason.NO_EXTRACTOR, f" for doc type {doc_type}", doc_type=doc_type,
                              doc_type_score=score, pages=pages))
    want = rt.pkg.ocr_profiles.get(doc_type)
    if n_ocr and want and want != doc.meta.get("ocr_profile"):
        # scans are read again with the OCR profile the compiler chose for this doc type
        t_re = time.perf_counter()
        try:
            doc = ingest(os.fsdecode(path), **kw, profile=want)
        except IngestError as e:
            return WorkerResult(Q(sha, e.kind, e.reason, pages=pages))
        stats["ocr_s"] += time.perf_counter() - t_re
        stats["ingest_s"] += time.perf_counter() - t_re
        t2 = time.perf_counter()
    ext_sha = rt.pkg.extractors[doc_type][0]
    base = dict(doc_type=doc_type, doc_type_score=score, extractor_sha256=ext_sha, pages=pages)
    outcome = rt.extract[doc_type](doc)
    stats["extract_s"] += time.perf_counter() - t2
    if outcome.kind in ("error",):
        log.debug("extractor %s raised %s", doc_type, outcome.why)
        return WorkerResult(R(sha, ReviewReason.EXTRACTOR_ERROR, outcome.why, **base))
    if outcome.kind is not None:
        log.warning("the %s extractor was stopped on a document: %s", doc_type, outcome.why)
        return WorkerResult(Q(sha, ErrorKind.CONTAINED, f"the locked {doc_type} extractor {outcome.why}", **base),
                            cache=outcome.kind not in ("cpu", "memory"))
    try:
        out = outcome.out
        fields = {str(k): serialise_found(v, doc) for k, v in sorted(out.items(), key=lambda kv: str(kv[0]))}
    except (TypeError, ValueError) as e:
        log.debug("extractor %s output refused: %s", doc_type, type(e).__name__)
        return WorkerResult(Q(sha, ErrorKind.CONTAINED, f"the locked {doc_type} extractor returned a value "
                              "the serializer refuses", **base))
    stats["docs_extracted"] += 1
    needs_checks = rt.pkg.has_checks.get(doc_type, False)
    withheld: list[str] = []
    gate_items = None
    gate = rt.pkg.gates.get(doc_type)
    if gate is not None:
        assessment = gate_document(gate, rt.alternates.get(doc_type), doc, fields)
        gate_items = tuple(i.as_dict() for i in assessment.items)
        if assessment.review:
            # the runtime checks still run, so the review record names every problem at once
            rec = DocRecord(sha, "review", assessment.reason(), fields=fields, gate=gate_items,
                            review_kind=ReviewReason.EXPORT_GATE, **base)
            return WorkerResult(rec, needs_checks=needs_checks)
        withheld = assessment.withheld
    rec = DocRecord(sha, "exported", None, fields=fields, gate=gate_items, **base)
    t3 = time.perf_counter()
    try:
        # State is keyed by content, so the bundle must not depend on the file's path: the
        # mapper sees a content-derived name (right media type, no path).
        ext = _EXT.get(str(doc.meta.get("format")), "bin")
        public = {k: v for k, v in rec.to_json().items() if k not in ("gate", "review_kind")}
        public["fields"] = {k: (None if k in withheld else v) for k, v in fields.items()}
        public["source"] = f"{sha}.{ext}"
        result = WorkerResult(rec, bundle=jsonable(rt.fhir.build_bundle(public, mappings=rt.pkg.fhir_mappings)),
                              needs_checks=needs_checks)
    except Exception as e:
        log.debug("FHIR bundle for a %s document failed: %s", doc_type, type(e).__name__)
        result = WorkerResult(rec.to_review(ReviewReason.FHIR_ERROR, type(e).__name__))
    stats["fhir_s"] += time.perf_counter() - t3
    return result


def gate_document(gate, alternates, doc, fields: dict[str, Any]):
    """Run the runner-up candidates, calibrate each value's confidence (written into `fields`)
    and return the gate's assessment (`pipeline.gate.Assessment`)."""
    from pipeline.containment import Outcome
    from pipeline.gate import assess

    alts: dict[str, list[Any]] = {}
    if alternates is not None:
        try:
            out = alternates(doc)
            if isinstance(out, Outcome):  # contained in the batch workers; a stopped runner-up says nothing
                out = out.out if out.kind is None else None
            alts = {str(k): list(v) for k, v in out.items()} if isinstance(out, dict) else {}
        except Exception as e:  # a runner-up that fails has nothing to say: the value counts as unconfirmed
            log.debug("alternates raised %s", type(e).__name__)
    from extractors.reliability import fingerprint, reading_of

    readings = {n: reading_of(doc, f.get("page")) for n, f in fields.items() if f}
    # on an OCR'd page the reading's own confidence caps the calibrated one: it is the lowest
    # word confidence in the value's box (serialise_found), lowered by the reading's doubts
    # (a split vote, the field's own label read with an unreadable value, a garbled word)
    ocr = {n: f.get("confidence") for n, f in fields.items()
           if f and f.get("page") is not None and f.get("bbox") is not None and readings[n] == "ocr"}
    assessment = assess(gate, fields, alts, ocr, fingerprint(doc) if gate.seen_layouts else None, readings)
    for name, c in assessment.confidence.items():
        if fields.get(name) is not None:
            fields[name]["confidence"] = c
    return assessment


def process_chunk(items: list[tuple[bytes, str]], pkg: Package | None = None) -> tuple[list[WorkerResult], dict[str, Any]]:
    """Process a chunk of (path, sha256) inputs; returns their records and worker stats."""
    rt = _runtime(pkg)
    stats: dict[str, Any] = {k: 0.0 for k in ("ingest_s", "ocr_s", "classify_s", "extract_s", "fhir_s", "pages", "ocr_pages", "docs_extracted")}
    out = [process_document(path, sha, rt, stats) for path, sha in items]
    stats["pid"] = os.getpid()
    stats["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    try:  # current RSS (ru_maxrss never goes down; the driver tracks both)
        import psutil

        stats["rss_mb"] = psutil.Process().memory_info().rss / 2**20
    except Exception:
        stats["rss_mb"] = None
    return out, stats


def process_chunk_ray(key: str, pkg_refs: list, items: list[tuple[bytes, str]]):
    """The Ray task: the package arrives as an object ref (inside a list, so Ray does not
    resolve it per task); it is fetched and loaded once per worker process."""
    if _RUNTIME is None or _RUNTIME.pkg.key != key:
        import ray

        return process_chunk(items, ray.get(pkg_refs[0]))
    return process_chunk(items)
