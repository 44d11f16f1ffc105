"""Choosing a doc type's OCR profile at compile time.

Scans of one document type share their damage (a clinic's fax, a lab's grey-filled
tables), so the profile that reads them best is learned per doc type: the compiled
extractor is run over a few of the doc type's scanned samples OCR'd with each profile, and
the profile with the best field F1 wins (ties go to the earlier, cheaper profile), except
that a profile without cleanup must beat the best cleaning one by more than `RAW_MARGIN`: the
samples' scans are few and lightly damaged, so a few values read better on clean pages cannot
outweigh what the cleanup rescues on damaged ones (heavy-damage discharge summaries: 0.39 F1
read raw, 0.88 cleaned, where the four samples had scored raw 0.926, cleaned 0.900). The lock
records it under `ocr_profile`; the batch and `docc eval` OCR that doc type's scans with it.
Cost is bounded: at most `MAX_SAMPLES` scanned samples and `MAX_PAGES` pages each.

A profile that enlarges the page (costlier OCR) must likewise win by more than `ENLARGE_MARGIN`,
about one value of the few dozen the samples score: on generated forms with heavy damage it
read worse (claims 0.30 against 0.58 "clean") where the samples had it ahead by 0.002. A doc
type without scanned samples gets `NO_SCANS_PROFILE`, the profile that read real vendor
documents' scans best (light damage 0.853 field F1, "clean" 0.825, "default" 0.619).
"""
from __future__ import annotations

from typing import Any

from extractors.schema import SampleSet
from extractors.scoring import Counts, plain, score_field
from pipeline.document import Document

MAX_SAMPLES = 4
MAX_PAGES = 2
RAW_MARGIN = 0.03  # field F1 a profile without cleanup must win by over the best cleaning one
ENLARGE_MARGIN = 0.02  # field F1 a profile that enlarges pages must win by over one that does not
NO_SCANS_PROFILE = "clean_hires"  # for a doc type whose samples hold no scan to choose by


def scanned_ids(docs: dict[str, Document]) -> list[str]:
    """Sample ids whose document was read (at least in part) by OCR, in id order."""
    return sorted(i for i, d in docs.items() if any(p.source == "ocr" for p in d.pages))


def _spread(ids: list[str], k: int) -> list[str]:
    """k ids spread over the sorted list (so several layouts take part, not the first one's scans)."""
    if len(ids) <= k:
        return ids
    step = len(ids) / k
    return [ids[int(j * step)] for j in range(k)]


def _f1(extract, docs: dict[str, Document], sample_set: SampleSet) -> float:
    goldens = {s.id: s.golden for s in sample_set.samples}
    total = Counts()
    for sid, doc in sorted(docs.items()):
        try:
            out = extract(doc)
        except Exception:  # noqa: BLE001 - a failing extractor scores zero on this document
            out = {}
        out = out if isinstance(out, dict) else {}
        for name, spec in sample_set.schema_.fields.items():
            total.add(score_field(plain(out.get(name)), goldens[sid].get(name), spec))
    return total.f1


def _first_pages(doc: Document, n: int) -> Document:
    return Document(source=doc.source, sha256=doc.sha256, pages=doc.pages[:n], meta=doc.meta)


def choose_profile(sample_set: SampleSet, docs: dict[str, Document], source: str,
                   profiles: list[str] | None = None, workers: int = 2) -> dict[str, Any]:
    """The lock's `ocr_profile` entry: {"name", "scores" per profile, "samples"}."""
    from extractors.artifacts import load_source
    from pipeline.ingest import ingest_many
    from pipeline.ingest.ocr import AUTO_PROFILES

    names = profiles or list(AUTO_PROFILES)
    ids = _spread(scanned_ids(docs), MAX_SAMPLES)
    if not ids:
        return {"name": NO_SCANS_PROFILE, "samples": 0, "scores": {}}
    extract = load_source(source, sample_set.doc_type)
    paths = {s.id: s.path for s in sample_set.samples}
    scores: dict[str, float] = {}
    for name in names:
        read: dict[str, Document] = {}
        order = [paths[i] for i in ids]
        for sid, (_, doc) in zip(ids, ingest_many(order, workers=workers, profile=name)):
            if isinstance(doc, Exception):
                continue  # unreadable with this profile: its fields count as missed
            read[sid] = _first_pages(doc, MAX_PAGES)
        # documents a profile could not read score as empty extractions
        for sid in ids:
            read.setdefault(sid, Document(source="", sha256="", pages=(), meta={}))
        scores[name] = round(_f1(extract, read, sample_set), 4)
    return {"name": pick_profile(scores, names), "samples": len(ids), "scores": scores}


def pick_profile(scores: dict[str, float], names: list[str]) -> str:
    """The best-scoring profile (ties to the earlier one), a cleaning one unless a raw one
    beats it by more than RAW_MARGIN, and one that keeps the page's size unless one that
    enlarges it beats it by more than ENLARGE_MARGIN."""
    from pipeline.ingest.ocr import get_profile

    rank = sorted(names, key=lambda n: (-round(scores[n], 3), names.index(n)))
    best = rank[0]
    for costly, margin in ((lambda p: p.chain == "none", RAW_MARGIN), (lambda p: p.min_dpi > 0, ENLARGE_MARGIN)):
        if costly(get_profile(best)):
            rest = [n for n in rank if not costly(get_profile(n)) and get_profile(n).chain != "none"]
            if rest and scores[best] - scores[rest[0]] <= margin:
                best = rest[0]
    return best


def locked_profiles(entries: dict[str, Any]) -> dict[str, str]:
    """{doc_type: profile name} from a lock's doc_types section (default where none is recorded)."""
    from pipeline.ingest.ocr import DEFAULT_PROFILE

    out = {}
    for doc_type, entry in entries.items():
        prof = entry.get("ocr_profile") if isinstance(entry, dict) else None
        out[doc_type] = prof.get("name", DEFAULT_PROFILE) if isinstance(prof, dict) else DEFAULT_PROFILE
    return out


