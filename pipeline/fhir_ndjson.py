"""FHIR output files: one Bundle per document (`write_bundle`) and bulk NDJSON per resource type
(`write_ndjson`), both canonical JSON, written atomically, byte-identical run to run."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator


from extractors.fileio import StagedFiles, atomic_write, canonical_json


from pipeline.fhir_common import NAMESPACE

# ----------------------------------------------------------------------------- output

dumps = canonical_json  # canonical JSON text: sorted keys, UTF-8, no trailing spaces


def bundle_path(out_dir: Path, sha256: str) -> Path:
    return Path(out_dir) / f"{sha256}.json"


def write_bundle(bundle: dict, out_dir: Path) -> Path:
    """Write OUT/fhir/<sha256>.json atomically: compact JSON, sorted keys, trailing newline (the
    same bytes as the batch runner's `extractors.fileio.dumps(bundle) + b"\\n"`)."""
    path = bundle_path(out_dir, bundle["identifier"]["value"])
    atomic_write(path, (dumps(bundle) + "\n").encode("utf-8"))
    return path


def bundle_resources(bundle: dict) -> Iterator[dict]:
    for entry in bundle.get("entry") or []:
        if entry.get("resource"):
            yield entry["resource"]


def ndjson_resources(bundle: dict) -> Iterator[dict]:
    """Resources for bulk load, with ids and `Type/id` references instead of urn:uuid fullUrls.

    The id is uuid5 of the resource type + its conditional-create key, so a resource shared by
    several documents (one Patient MRN, one NPI) gets one id everywhere."""
    ids: dict[str, str] = {}
    for e in bundle.get("entry") or []:
        res, req = e.get("resource") or {}, e.get("request") or {}
        key = req.get("ifNoneExist") or e.get("fullUrl", "")
        ids[e.get("fullUrl", "")] = f"{res.get('resourceType')}/{uuid.uuid5(NAMESPACE, res.get('resourceType', '') + '?' + key)}"

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            ref = out.get("reference")
            if isinstance(ref, str) and ref in ids:
                out["reference"] = ids[ref]
            return out
        if isinstance(node, list):
            return [fix(x) for x in node]
        return node

    for entry in bundle.get("entry") or []:
        res = entry.get("resource")
        if not res:
            continue
        res = fix(res)
        res["id"] = ids[entry.get("fullUrl", "")].split("/", 1)[1]
        yield res


def write_ndjson(bundles: Iterable[dict], out_dir: Path, presorted: bool = False) -> dict[str, int]:
    """OUT/ndjson/<ResourceType>.ndjson for bulk loads; returns {type: count}.

    Deterministic: bundles are taken in document sha256 order (pass `presorted=True` with an
    iterator already in that order to stream without holding all Bundles), resources keep their
    Bundle order; a resource shared by several documents (same business key) is written once.
    Each resource gets a deterministic `id` and references become `Type/id`.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not presorted:
        bundles = sorted(bundles, key=lambda b: b.get("identifier", {}).get("value", ""))
    seen: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    with StagedFiles() as staged:
        for bundle in bundles:
            for res in ndjson_resources(bundle):
                key = (res["resourceType"], res["id"])
                if key in seen:
                    continue
                seen.add(key)
                rtype = res["resourceType"]
                staged.open(out_dir / f"{rtype}.ndjson", text=True).write(dumps(res) + "\n")
                counts[rtype] = counts.get(rtype, 0) + 1
    for old in out_dir.glob("*.ndjson"):
        if old.stem not in counts:
            old.unlink()
    return dict(sorted(counts.items()))
