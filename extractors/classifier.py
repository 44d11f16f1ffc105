"""The document-type classifier, built at compile time from the labeled samples.

Model: TF-IDF over stemmed lower-cased alphabetic words (first five letters) of the first
pages, one L2-normalised centroid per document type, cosine similarity at run time.
Digits never become features, so values (dates, ids, amounts) do not matter; patient names
appear in one sample only and get no weight in a centroid. Words that every type prints
("patient", "name", "date") get a low IDF, so the type-specific vocabulary (label words,
test names, drug words, claim boxes) decides.

`unknown` outcome: each type has an acceptance threshold learned from the samples, placed
between the best score a document of *another* type reaches against this type's centroid
and the lowest leave-one-out score of this type's own samples, at 15% of the way from the
former: leave-one-out scores are optimistic (other samples of the same layout remain), and a
layout never seen scores about 40% of a seen one. Measured on the generated corpus (4 types,
24 samples each, 8 held-out-layout documents each): every held-out document accepted with
the right type, and with each type left out of the model in turn, every document of the
left-out type rejected as unknown (scores <= 0.13 against thresholds >= 0.16). Plus a
minimum margin over the runner-up. A document below both is `None` (unknown type).

Background corpus (`extractors/background.yaml`, 18 short pseudo-documents of other kinds: lab,
radiology, claims, EOB, referral, consent, invoice, ...): they join the document frequencies
and are negatives for each type's threshold, except those scoring at or above 40% of the type's
lowest own score (those look like the type itself: an unlabeled layout of it). Without them a
model of a single type learns the floor threshold (0.08) and accepts foreign documents. Measured
on the generated corpus with each type compiled alone: before, 9-24 of 24 documents of some
other types accepted as that type; after, none, and every held-out layout still accepted
(thresholds 0.13-0.16 against held-out minimum scores 0.16-0.46); the 4-type model keeps
128/128 right (`python -m eval.bench.classifier_routing` prints these numbers).

Everything is deterministic (sorted keys, rounded floats): the same samples give the same
`classifier.json` byte for byte.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from pipeline.errors import DoccError
from pipeline.document import Document

MODEL_VERSION = 2
CLASSIFIER_NAME = "classifier.json"
MAX_PAGES = 3            # classify on the first pages only (a 500-page PDF costs the same)
MIN_DF = 2               # a feature must occur in at least 2 samples to be in the vocabulary
CENTROID_TOP_K = 400     # features kept per centroid (the rest carry ~no weight)
THRESHOLD_POSITION = 0.15  # threshold = cross + 0.15 * (own - cross); see module docstring
STEM = 5
MIN_THRESHOLD = 0.08
BACKGROUND = Path(__file__).with_name("background.yaml")
BACKGROUND_CAP = 0.4     # a background document counts against a type only below this share of its own lowest score
_ALPHA = re.compile(r"[a-z]+")
FEATURES = {"max_pages": MAX_PAGES, "stem": STEM, "min_len": 3}  # stored in the model


class ClassifierError(DoccError):
    """A missing or tampered classifier model."""


# ------------------------------------------------------------------------- features


def _line_texts(doc: Document, max_pages: int = MAX_PAGES) -> Iterable[str]:
    for page in doc.pages[:max_pages]:
        for line in page.lines:
            yield line.text


def features(doc: Document, config: dict[str, int] | None = None) -> Counter[str]:
    """Stemmed alphabetic words of the first pages (first STEM letters of words of 3+ letters), with counts.

    Unigram stems generalise across layouts ("Collected" / "Collection", "Pt Name" / "Patient
    Name"); bigrams were tried and tie the model to one layout's label phrases.
    """
    cfg = config or FEATURES
    return text_features(_line_texts(doc, cfg["max_pages"]), cfg)


def text_features(lines: Iterable[str], config: dict[str, int] | None = None) -> Counter[str]:
    """`features` of plain text lines (the background corpus has no pages)."""
    cfg = config or FEATURES
    stem, min_len = cfg["stem"], cfg["min_len"]
    counts: Counter[str] = Counter()
    for text in lines:
        counts.update(t[:stem] for t in _ALPHA.findall(text.lower()) if len(t) >= min_len)
    return counts


def background_texts() -> list[str]:
    """The built-in background corpus (`extractors/background.yaml`)."""
    import yaml

    data = yaml.safe_load(BACKGROUND.read_text(encoding="utf-8")) or {}
    return [d["text"] for d in data.get("documents") or []]


def _vector(counts: Counter[str], idf: dict[str, float], oov_idf: float, exclude: Counter[str] | None = None) -> tuple[dict[str, float], float]:
    """Sublinear TF-IDF weights of in-vocabulary features and the norm over *all* features.

    Out-of-vocabulary features count in the norm (at the highest IDF): a document full of
    words no sample ever used is far from every centroid.
    """
    vec: dict[str, float] = {}
    sq = 0.0
    for feat, n in counts.items():
        tf = 1.0 + math.log(n)
        w_idf = idf.get(feat)
        if w_idf is None or (exclude is not None and feat in exclude):
            sq += (tf * oov_idf) ** 2
            continue
        w = tf * w_idf
        vec[feat] = w
        sq += w * w
    return vec, math.sqrt(sq)


def _cosine(vec: dict[str, float], norm: float, centroid: dict[str, float]) -> float:
    if norm == 0.0:
        return 0.0
    return sum(w * centroid.get(f, 0.0) for f, w in vec.items()) / norm


# ------------------------------------------------------------------------- build


def build_classifier(examples: dict[str, list[Document]], background: list[str] | None = None) -> dict[str, Any]:
    """A JSON-able model from labeled example documents: `{doc_type: [Document, ...]}`.

    `background` (default: the built-in corpus, `extractors/background.yaml`) are texts of
    other kinds of documents: they join the document frequencies (words every healthcare
    document prints weigh little) and count as negatives when placing each type's threshold,
    so that a model of one or few types rejects documents of other kinds."""
    if not examples or not any(examples.values()):
        raise ValueError("build_classifier needs at least one example document")
    types = sorted(t for t, docs in examples.items() if docs)
    docs: list[tuple[str, Counter[str]]] = [(t, features(d)) for t in types for d in examples[t]]
    bg = [text_features(t.splitlines()) for t in (background_texts() if background is None else background)]
    n = len(docs) + len(bg)
    df: Counter[str] = Counter()
    for _, c in docs:
        df.update(c.keys())
    for c in bg:
        df.update(c.keys())
    min_df = MIN_DF if n >= 4 else 1
    idf = {f: math.log((n + 1) / (k + 1)) + 1.0 for f, k in df.items() if k >= min_df}
    oov_idf = math.log(n + 1) + 1.0

    vectors = [(t, *_vector(c, idf, oov_idf)) for t, c in docs]
    sums: dict[str, Counter[float]] = {t: Counter() for t in types}
    counts = Counter(t for t, _ in docs)
    for t, vec, norm in vectors:
        if norm:
            sums[t].update({f: w / norm for f, w in vec.items()})

    def centroid(total: Counter, k: int) -> dict[str, float]:
        mean = {f: w / k for f, w in total.items()}
        norm = math.sqrt(sum(w * w for w in mean.values())) or 1.0
        return {f: w / norm for f, w in mean.items()}

    full = {t: centroid(sums[t], counts[t]) for t in types}

    # Scores used to learn thresholds: own type leave-one-out, other types against each centroid.
    own: dict[str, list[float]] = {t: [] for t in types}
    cross: dict[str, list[float]] = {t: [] for t in types}
    margins: list[float] = []
    for (t, c), (_, vec, norm) in zip(docs, vectors):
        # leave-one-out: remove this doc from its centroid and from the vocabulary counts
        singles = Counter({f: 1 for f in c if df[f] - 1 < min_df})
        v2, n2 = _vector(c, idf, oov_idf, exclude=singles)
        scores = {}
        for u in types:
            if u == t:
                if counts[t] > 1 and n2:
                    rest = sums[t].copy()
                    rest.subtract({f: w / norm for f, w in vec.items()} if norm else {})
                    scores[u] = _cosine(v2, n2, centroid(rest, counts[t] - 1))
                else:
                    scores[u] = _cosine(v2, n2, full[u])
                own[t].append(scores[u])
            else:
                scores[u] = _cosine(v2, n2, full[u])
                cross[u].append(scores[u])
        ranked = sorted(scores.values(), reverse=True)
        if len(ranked) > 1 and scores[t] == ranked[0]:
            margins.append(ranked[0] - ranked[1])

    # background documents against every centroid: negatives unless they look like the type
    # itself (then they are no evidence against it: a layout of it nobody labeled)
    bg_scores: dict[str, list[float]] = {t: [] for t in types}
    for c in bg:
        vec, norm = _vector(c, idf, oov_idf)
        for t in types:
            bg_scores[t].append(_cosine(vec, norm, full[t]))

    thresholds = {}
    bg_used: dict[str, int] = {}
    for t in types:
        lo_own = min(own[t]) if own[t] else 0.5
        negatives = [b for b in bg_scores[t] if b < BACKGROUND_CAP * lo_own]
        bg_used[t] = len(negatives)
        hi_cross = max(cross[t] + negatives) if cross[t] or negatives else 0.0
        if lo_own > hi_cross:
            thr = hi_cross + THRESHOLD_POSITION * (lo_own - hi_cross)
        else:  # overlapping types: accept what the samples accept, the margin decides
            thr = lo_own * 0.8
        thresholds[t] = round(max(MIN_THRESHOLD, thr), 6)

    kept: set[str] = set()
    centroids = {}
    for t in types:
        top = sorted(full[t].items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TOP_K]
        centroids[t] = {f: round(w, 6) for f, w in sorted(top)}
        kept.update(centroids[t])
    # Keep the IDF of every vocabulary feature: the norm of a document needs them all.
    model = {
        "version": MODEL_VERSION,
        "kind": "tfidf-centroid",
        "features": dict(FEATURES),
        "n_examples": {t: counts[t] for t in types},
        "n_background": len(bg),
        "oov_idf": round(oov_idf, 6),
        "idf": {f: round(w, 6) for f, w in sorted(idf.items())},
        "centroids": centroids,
        "thresholds": thresholds,
        "min_margin": round(min(0.02, min(margins) * 0.5) if margins else 0.0, 6),
        "stats": {
            t: {
                "own_min": round(min(own[t]), 6) if own[t] else None,
                "own_mean": round(sum(own[t]) / len(own[t]), 6) if own[t] else None,
                "cross_max": round(max(cross[t]), 6) if cross[t] else None,
                "background_max": round(max(bg_scores[t]), 6) if bg_scores[t] else None,
                "background_negatives": bg_used[t],
            }
            for t in types
        },
    }
    return model


# ------------------------------------------------------------------------- classify


def scores(model: dict[str, Any], doc: Document) -> dict[str, float]:
    """Cosine similarity of `doc` to every type's centroid."""
    vec, norm = _vector(features(doc, model["features"]), model["idf"], model["oov_idf"])
    return {t: _cosine(vec, norm, c) for t, c in model["centroids"].items()}


def classify(model: dict[str, Any], doc: Document) -> tuple[str | None, float]:
    """(doc_type, score), or (None, best score) when no known type matches well enough."""
    s = scores(model, doc)
    if not s:
        return None, 0.0
    ranked = sorted(s.items(), key=lambda kv: (-kv[1], kv[0]))
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    score = round(score, 6)
    if score < model["thresholds"][best] or (len(ranked) > 1 and score - runner_up < model["min_margin"]):
        return None, score
    return best, score


# ------------------------------------------------------------------------- persistence


def model_bytes(model: dict[str, Any]) -> bytes:
    return (json.dumps(model, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def save_classifier(folder: Path, model: dict[str, Any]) -> str:
    """Write `<folder>/classifier.json` and record its sha256 in the lock (top-level key
    `"classifier": {"artifact": "classifier.json", "sha256": ...}`). Returns the sha256. For the compiler."""
    from extractors.artifacts import atomic_write, read_lock, sha256_bytes, write_lock

    data = model_bytes(model)
    digest = sha256_bytes(data)
    atomic_write(Path(folder) / CLASSIFIER_NAME, data)
    lock = read_lock(Path(folder))
    lock["classifier"] = {"artifact": CLASSIFIER_NAME, "sha256": digest}
    write_lock(Path(folder), lock)
    return digest


def load_classifier(folder: Path) -> dict[str, Any]:
    """Read `<folder>/classifier.json`, refusing it when its sha256 differs from the lock."""
    from extractors.artifacts import read_lock, sha256_bytes

    folder = Path(folder)
    lock = read_lock(folder)
    entry = lock.get("classifier")
    if not entry:
        raise ClassifierError(f"{folder}: the lock records no classifier (run `docc compile`)")
    path = folder / (entry.get("artifact") or entry.get("file") or CLASSIFIER_NAME)
    if not path.exists():
        raise ClassifierError(f"{path}: classifier listed in the lock is missing")
    data = path.read_bytes()
    actual = sha256_bytes(data)
    if actual != entry["sha256"]:
        raise ClassifierError(
            f"{path}: sha256 {actual[:12]}… does not match the lock ({entry['sha256'][:12]}…); "
            "the classifier was changed after it was built. Recompile with `docc compile`."
        )
    model = json.loads(data.decode("utf-8"))
    if model.get("version") != MODEL_VERSION:
        raise ClassifierError(f"{path}: classifier format {model.get('version')!r}, this docc reads {MODEL_VERSION}; "
                              "recompile with `docc compile`")
    model["sha256"] = actual
    return model
