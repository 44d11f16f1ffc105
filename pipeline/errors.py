"""The one error type ingest raises for bad input, with a machine-readable kind."""
from __future__ import annotations

from typing import Literal

IngestErrorKind = Literal["corrupt", "encrypted", "empty", "unsupported", "too_large", "unreadable", "crashed"]


class IngestError(Exception):
    """A document that cannot be read. `kind` is stable; `reason` is for people."""

    def __init__(self, kind: IngestErrorKind, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason

    def __reduce__(self):  # picklable across worker processes (the default would lose `reason`)
        return (type(self), (self.kind, self.reason))
