"""docc's exception base, and the one error type ingest raises for bad input.

Every docc exception derives from `DoccError` (a caller can catch "anything docc refused" in one
clause); which exit code each means is decided in one place, `pipeline.cli`. Exception:
`pipeline.containment.ExtractorStopped` is a `BaseException` on purpose, so generated code's
`except Exception` cannot swallow the stop. This module sits at the bottom layer.
"""
from __future__ import annotations

from typing import Literal

IngestErrorKind = Literal["corrupt", "encrypted", "empty", "unsupported", "too_large", "unreadable", "crashed"]


class DoccError(Exception):
    """Base of every error docc raises on purpose (bad input, refused artifact, server trouble)."""


class IngestError(DoccError):
    """A document that cannot be read. `kind` is stable; `reason` is for people."""

    def __init__(self, kind: IngestErrorKind, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason

    def __reduce__(self):  # picklable across worker processes (the default would lose `reason`)
        return (type(self), (self.kind, self.reason))
