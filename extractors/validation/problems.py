"""The record every validation stage reports: one `Problem` per thing wrong with a candidate."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from pipeline.errors import DoccError

Stage = Literal["static", "security", "execution", "accuracy"]
STAGES: tuple[Stage, ...] = ("static", "security", "execution", "accuracy")


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a candidate failed a stage.

    `code` is a short stable identifier (e.g. ``forbidden-name``) that the repair loop and
    tests key on; `message` is a human sentence safe to feed back to the model (it never
    contains document text); `line` is the 1-based source line when known.
    """

    stage: str
    code: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"[{self.stage}:{self.code}]{where} {self.message}"


class ValidationFailed(DoccError):
    """A candidate (typically the assembled artifact) failed a stage; `problems` say why."""

    def __init__(self, stage: str, problems: list[Problem]) -> None:
        self.stage = stage
        self.problems = list(problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"failed the {stage} stage: {head}{more}")

    def __reduce__(self):
        return (type(self), (self.stage, self.problems))


class SandboxUnavailable(DoccError):
    """The sandbox child could not start on this machine: an environment problem, not a
    verdict on any candidate. The message is one line: what failed, as which user, what to do."""
