"""Run-time document classification: the compiled classifier (`<compiled>/classifier.json`,
hash-checked against the lock) applied to an ingested `Document`.

The model and its builder live in `extractors.classifier` (compile time); this module is the
run-time entry point so `pipeline` code does not reach into compile-time internals.
"""
from __future__ import annotations

from extractors.classifier import ClassifierError, classify, load_classifier, scores

__all__ = ["ClassifierError", "classify", "load_classifier", "scores"]
