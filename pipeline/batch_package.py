"""Loading what a batch runs: the hash-checked extractors, classifier, runtime suites, export
gates and OCR profiles as one `Package`, and the per-doc-type parts of the state key."""
from __future__ import annotations

import logging
import os
from pathlib import Path


from pipeline.batch_worker import Package
from pipeline.settings import settings
from pipeline.state import dumps


log = logging.getLogger(__name__)


def load_package(extractors_dir: Path, cache_dir: str | None, dpi: int, mappings: Path | None = None):
    """Hash-checked extractors, classifier and runtime suites; raises on any problem."""
    from extractors.artifacts import load_locked, read_lock, sha256_bytes
    from extractors.classifier import load_classifier
    from extractors.expectations import load_runtime_suite

    locked = load_locked(extractors_dir, execute=False)  # extractor code runs only in the workers, contained
    model = load_classifier(extractors_dir)
    lock = read_lock(extractors_dir)
    sources = {}
    suites = {}
    for t, le in locked.items():
        data = (extractors_dir / le.entry["artifact"]).read_bytes()
        if sha256_bytes(data) != le.sha256:
            raise RuntimeError(f"{t}: artifact changed while loading")
        sources[t] = (le.sha256, data.decode("utf-8"))
        suites[t] = load_runtime_suite(extractors_dir, t, lock["doc_types"].get(t, {}))
    unknown = sorted(set(model["centroids"]) - set(locked))
    if unknown:
        log.warning("classifier knows doc type(s) with no locked extractor: %s (they go to review)", ", ".join(unknown))
    from extractors.ocr_profiles import locked_profiles
    from pipeline.gate import alternates_sources, load_gates

    gates = {t: g for t, g in load_gates(extractors_dir, lock).items() if t in sources}
    alts = {t: a for t, a in alternates_sources(extractors_dir, lock).items() if t in sources}
    pkg = Package(extractors=sources, classifier=model, cache_dir=cache_dir, dpi=dpi,
                  has_checks={t: bool(s) for t, s in suites.items()},
                  fhir_mappings=str(mappings) if mappings is not None else None,
                  extract_cpu_s=settings().extract_cpu_seconds,
                  extract_memory_mb=settings().extract_memory_mb,
                  gates=gates, alternates=alts,
                  ocr_profiles=locked_profiles({t: lock["doc_types"].get(t, {}) for t in locked}))
    return pkg, suites


def state_keys(pkg: Package, extractors_dir: Path) -> dict[str, dict[str, str]]:
    """Per doc type, what besides the extractor decides its results and so joins the state key:
    the sha256 of its FHIR mapping and of its lock entry (scores, thresholds)."""
    import hashlib

    from extractors.artifacts import read_lock

    entries = read_lock(extractors_dir).get("doc_types", {})
    keys = {t: {"lock_entry": hashlib.sha256(dumps(entries.get(t))).hexdigest()} for t in pkg.extractors}
    from pipeline.fhir_bundle import mapping_sha256, mapping_status

    for t in pkg.extractors:
        keys[t]["mapping"] = mapping_sha256(t, pkg.fhir_mappings)
        status = mapping_status(t, pkg.fhir_mappings)
        if status == "invalid":
            log.warning("doc type %s: FHIR mapping does not load; its documents go to review (docc compile names the problem)", t)
        elif status != "reviewed":
            log.warning("doc type %s: FHIR mapping is %s; its documents export Patient, DocumentReference, "
                        "Provenance and what it maps with certainty (review it: docs/fhir.md)", t, status)
    return keys
