"""Bundle assembly: the interpreter's resources plus the source DocumentReference and a
Provenance, each validated, as one conditional-create transaction Bundle (`build_bundle`).

Split from `pipeline.fhir_build` (the mapping interpreter) because wrapping, validating and
titling a Bundle is a different job from turning fields into resources; the public names are
imported through `pipeline.fhir_bundle` as before.
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from extractors.values import present as _present
from pipeline.fhir_build import _Builder, _Ctx
from pipeline.fhir_codes import assert_bindings
from pipeline.fhir_common import BuildError, FHIR_DIR, MEDIA_TYPES, MappingError, NAMESPACE
from pipeline.settings import settings
from pipeline.fhir_mapping import Mapping, _terminology, default_mapping, load_mapping, mapping_path


def _if_none_exist(identifier: dict) -> str:
    def esc(s: str) -> str:
        return re.sub(r"([\\|,$])", r"\\\1", s)
    return "identifier=" + quote(f"{esc(identifier['system'])}|{esc(identifier['value'])}", safe=":/")


def _validate(resource: dict) -> dict:
    """Validate with the fhir.resources R4B model and the required bindings; return the resource.

    The dict itself is kept (not the model's re-serialisation, which costs as much again): docc's
    transforms already produce canonical JSON types, and tests check that the model's own JSON
    equals it for every sample."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    model_cls = get_fhir_model_class(resource["resourceType"])
    try:
        model_cls.model_validate(resource)
    except ValidationError as e:
        where = sorted({".".join(str(p) for p in err["loc"]) for err in e.errors()})
        raise BuildError(f"{resource['resourceType']} does not validate at {', '.join(where)}") from None
    assert_bindings(resource)
    return resource


def _recorded(builder: _Builder, mapping: Mapping) -> str:
    explicit = builder.result.get("recorded") or builder.result.get("processed_at")
    if explicit:
        return str(explicit)
    spec = mapping.document.get("date")
    day = builder.transform("date", builder.value(spec, _Ctx(builder.fields)), {}, _Ctx(builder.fields)) if spec else None
    return f"{day or '1970-01-01'}T00:00:00Z"


def build_bundle(result: dict, fhir_dir: Path | None = None, mappings: Path | str | None = None,
                 mapping: Mapping | None = None) -> dict:
    """One FHIR R4 transaction Bundle for one results.jsonl record (any status; callers send only
    `exported` ones). Raises MappingError for a bad mapping, BuildError for fields that do not
    make valid FHIR. A doc type with no mapping file gets `default_mapping` (Patient,
    DocumentReference, Provenance and what field names say with certainty)."""
    if mapping is None:
        try:
            mapping = load_mapping(result["doc_type"], Path(fhir_dir) if fhir_dir else None, mappings)
        except MappingError:
            if mapping_path(result["doc_type"], Path(fhir_dir) if fhir_dir else None, mappings).exists():
                raise
            mapping = default_mapping(result["doc_type"], (result.get("fields") or {}).keys())
    fhir_dir = Path(fhir_dir or settings().fhir_dir or FHIR_DIR)
    term = _terminology(str(fhir_dir / "terminology"))
    b = _Builder(result, mapping, term)
    b.plan()
    built = b.build()
    sha = result["sha256"]

    entries: list[dict] = []
    for inst, resource in built:
        entries.append({"fullUrl": inst.full_url, "resource": _validate(resource),
                        "request": {"method": "POST", "url": inst.spec.type,
                                    "ifNoneExist": inst.match or _if_none_exist(inst.key_identifier)}})

    # the source document
    doc_system = term.uri("document-sha256")
    doc_url = f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{sha}/document')}"
    doc = mapping.document
    attachment: dict[str, Any] = {"contentType": MEDIA_TYPES.get(Path(result.get("source") or "").suffix.lower(),
                                                                 "application/octet-stream")}
    if result.get("source"):
        attachment["title"] = source_title(result["source"])
    docref: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "identifier": [{"system": doc_system, "value": sha}],
        "status": "current",
        "description": f"docc {result['doc_type']}",
        "content": [{"attachment": attachment}],
    }
    if doc.get("type"):
        docref["type"] = {"coding": [b.value(doc["type"], _Ctx(b.fields))]}
    if doc.get("subject"):
        docref["subject"] = b.reference(doc["subject"], _Ctx(b.fields))
    if doc.get("encounter"):
        enc = b.reference(doc["encounter"], _Ctx(b.fields))
        if enc:
            docref["context"] = {"encounter": [enc]}
    docref = {k: v for k, v in docref.items() if _present(v)}
    entries.append({"fullUrl": doc_url, "resource": _validate(docref),
                    "request": {"method": "POST", "url": "DocumentReference",
                                "ifNoneExist": _if_none_exist({"system": doc_system, "value": sha})}})

    # provenance: what docc created, from which document, with which extractor
    entity = [{"role": "source", "what": {"reference": doc_url, "display": f"source document {sha[:12]}"}}]
    if result.get("extractor_sha256"):
        entity.append({"role": "derivation", "what": {
            "identifier": {"system": term.uri("extractor-sha256"), "value": result["extractor_sha256"]},
            "display": f"docc extractor {result['doc_type']}"}})
    provenance = {
        "resourceType": "Provenance",
        "target": [{"reference": e["fullUrl"]} for e in entries if e["fullUrl"] != doc_url] or [{"reference": doc_url}],
        "recorded": _recorded(b, mapping),
        "agent": [{"type": {"coding": [{"system": term.uri("provenance-participant-type"), "code": "assembler",
                                        "display": "Assembler"}]},
                   "who": {"display": "docc document compiler"}}],
        "entity": entity,
    }
    entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{sha}/provenance')}",
                    "resource": _validate(provenance),
                    "request": {"method": "POST", "url": "Provenance",
                                "ifNoneExist": "entity:DocumentReference.identifier="
                                               + quote(f"{doc_system}|{sha}", safe=":/")}})

    bundle = {"resourceType": "Bundle", "type": "transaction",
              "identifier": {"system": doc_system, "value": sha}, "entry": entries}
    # the envelope (resources were validated one by one above)
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate({**bundle, "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries]})
    assert_bindings({**bundle, "entry": [{"request": e["request"]} for e in entries]})
    return bundle


def source_title(source: str) -> str:
    """The DocumentReference title: the source file's name (no folders)."""
    return Path(str(source).replace("\\", "/")).name


def set_source_title(bundle: dict, source: str) -> dict:
    """Title the Bundle's DocumentReference with the source file name. The batch workers build
    Bundles from content alone (their state is keyed by sha256); the driver, which knows the
    path, names the file here."""
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") or {}
        if res.get("resourceType") == "DocumentReference":
            for content in res.get("content") or []:
                content.setdefault("attachment", {})["title"] = source_title(source)
    return bundle
