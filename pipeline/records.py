"""Typed records from a batch worker to the run's outputs.

`DocRecord` is the one place a document's result is built and serialised: as its state record
(`OUT/.state/records/...`) and as its `results.jsonl` line (the contract in docs/batch.md).
`WorkerResult` carries what only the driver needs (the FHIR Bundle, whether runtime checks
still run, whether the record may be cached) next to the record, instead of hidden keys.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Literal

Status = Literal["exported", "review", "quarantined"]
STATUSES: tuple[Status, ...] = ("exported", "review", "quarantined")


class ReviewReason(str, Enum):
    """Why a document waits for a person. The value is also the prefix of its `reason` text."""

    EXPORT_GATE = "export gate"
    UNKNOWN_TYPE = "unknown document type"
    FAILED_CHECKS = "failed runtime checks"
    EXTRACTOR_ERROR = "extractor error"
    FHIR_ERROR = "fhir mapping error"
    NO_EXTRACTOR = "no locked extractor"
    CLASSIFIER_ERROR = "classifier error"
    OTHER = "other"

    @classmethod
    def of_reason(cls, reason: str | None) -> "ReviewReason":
        """The kind of a `reason` read back from a results file written before kinds were
        recorded (reasons are built as `<kind value>...`, so this is exact for docc's own)."""
        for kind in cls:
            if kind is not cls.OTHER and (reason or "").startswith(kind.value):
                return kind
        return cls.OTHER


class ErrorKind(str, Enum):
    """Why an input is quarantined: the `IngestError` kinds plus what the batch adds."""

    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"
    CRASHED = "crashed"      # the worker died on it, twice (pipeline.pool)
    CONTAINED = "contained"  # the locked extractor was stopped on it (pipeline.containment)


@dataclass(frozen=True)
class DocRecord:
    """One input content's result (everything of its results line but the source path)."""

    sha256: str | None
    status: Status
    reason: str | None = None
    doc_type: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    extractor_sha256: str | None = None
    doc_type_score: float | None = None
    checks_failed: tuple[str, ...] = ()
    pages: dict[str, int] | None = None
    error_kind: ErrorKind | None = None
    gate: tuple[dict[str, Any], ...] | None = None  # the export gate's items (pipeline.gate.GateItem.as_dict)
    review_kind: ReviewReason | None = None

    # -- constructors: the only places a status and its reason are decided together
    @classmethod
    def quarantined(cls, sha: str | None, kind: ErrorKind | str, reason: str, **kw: Any) -> "DocRecord":
        kind = ErrorKind(kind)
        return cls(sha, "quarantined", f"{kind.value}: {reason}", error_kind=kind, **kw)

    @classmethod
    def review(cls, sha: str | None, kind: ReviewReason, detail: str | None = None, **kw: Any) -> "DocRecord":
        return cls(sha, "review", review_text(kind, detail), review_kind=kind, **kw)

    def to_review(self, kind: ReviewReason, detail: str | None = None, **kw: Any) -> "DocRecord":
        """This record, sent to review; a record already in review keeps its first kind and
        gets the new reason appended (one record names every problem)."""
        text = review_text(kind, detail)
        if self.status == "review" and self.reason:
            return replace(self, reason=f"{self.reason}; {text}", **kw)
        return replace(self, status="review", reason=text, review_kind=kind, **kw)

    # -- serialisation
    def to_json(self) -> dict[str, Any]:
        """The state record (`pipeline.state`), JSON-able."""
        out: dict[str, Any] = {
            "sha256": self.sha256, "doc_type": self.doc_type, "status": self.status, "reason": self.reason,
            "fields": self.fields, "extractor_sha256": self.extractor_sha256,
            "doc_type_score": self.doc_type_score, "checks_failed": list(self.checks_failed), "pages": self.pages,
        }
        if self.error_kind is not None:
            out["error_kind"] = self.error_kind.value
        if self.gate is not None:
            out["gate"] = list(self.gate)
        if self.review_kind is not None:
            out["review_kind"] = self.review_kind.value
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "DocRecord":
        kind = d.get("review_kind")
        return cls(
            sha256=d.get("sha256"), status=d["status"], reason=d.get("reason"), doc_type=d.get("doc_type"),
            fields=d.get("fields") or {}, extractor_sha256=d.get("extractor_sha256"),
            doc_type_score=d.get("doc_type_score"), checks_failed=tuple(d.get("checks_failed") or ()),
            pages=d.get("pages"), error_kind=ErrorKind(d["error_kind"]) if d.get("error_kind") else None,
            gate=tuple(d["gate"]) if d.get("gate") is not None else None,
            review_kind=ReviewReason(kind) if kind else (ReviewReason.of_reason(d.get("reason"))
                                                         if d.get("status") == "review" else None),
        )

    def result_line(self, path: bytes) -> dict[str, Any]:
        """The `results.jsonl` line for input `path` (bytes; non-UTF-8 names also as base64)."""
        from pipeline.walk import display, is_utf8

        line: dict[str, Any] = {"source": display(path)}
        if not is_utf8(path):
            line["source_b64"] = base64.b64encode(path).decode("ascii")
        line.update({
            "sha256": self.sha256, "doc_type": self.doc_type, "status": self.status, "reason": self.reason,
            "fields": self.fields or {}, "extractor_sha256": self.extractor_sha256,
            "doc_type_score": self.doc_type_score, "checks_failed": list(self.checks_failed), "pages": self.pages,
        })
        if self.error_kind:
            line["error_kind"] = self.error_kind.value
        if self.gate:
            line["gate"] = list(self.gate)
        return line


def review_text(kind: ReviewReason, detail: str | None) -> str:
    """A review reason as people read it: `<kind>: <detail>`, or `<kind><detail>` when the detail
    starts with a space and continues the sentence (`unknown document type (best score 0.41)`)."""
    if detail is None:
        return kind.value
    return f"{kind.value}{detail}" if detail.startswith(" ") else f"{kind.value}: {detail}"


@dataclass(frozen=True)
class WorkerResult:
    """A worker's answer for one input: the record plus what only the driver uses."""

    record: DocRecord
    bundle: dict[str, Any] | None = None  # FHIR transaction Bundle, for an exportable document
    needs_checks: bool = False            # runtime checks (GX) still run in the driver
    cache: bool = True                    # False: never reuse this record on a later run
