"""What the checks return: AWS's response shape, plus our counterexamples and positions.

Field names follow IAM Access Analyzer's custom policy checks (`result`, `message`, `reasons`
with `description`, `statementIndex`, `statementId`) so tools can swap one for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from policy_guard.document.values import Path
from policy_guard.semantics.request import Request


class Outcome(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"


class Relation(str, Enum):
    """How the new policy's allowed requests compare with the existing policy's."""

    EQUIVALENT = "equivalent"
    NARROWER = "narrower"
    WIDER = "wider"
    INCOMPARABLE = "incomparable"


@dataclass(frozen=True)
class Reason:
    """One responsible statement, with a request that the reference evaluator confirmed."""

    description: str
    statement_index: int
    statement_id: str | None
    counterexample: Request
    path: Path  # the statement's path in its document, for positions
    elements: tuple[Path, ...] = ()
    """The statement's entries that match the counterexample (Action/NotAction entry, Resource
    entry, condition), in document order: the first is where a finding points."""

    @property
    def located(self) -> Path:
        """Where a finding points: the first matching element, else the statement."""
        return self.elements[0] if self.elements else self.path

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "description": self.description,
            "statementIndex": self.statement_index,
        }
        if self.statement_id is not None:
            result["statementId"] = self.statement_id
        result["counterexample"] = self.counterexample.to_json()
        return result


@dataclass(frozen=True)
class CheckResult:
    check: str  # check id: no-new-access, access-not-granted, no-public-access, no-external-access
    outcome: Outcome
    message: str
    reasons: tuple[Reason, ...] = ()
    relation: Relation | None = None  # no-new-access only

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "result": self.outcome.value,
            "message": self.message,
            "reasons": [r.to_json() for r in self.reasons],
        }
        if self.relation is not None:
            result["relation"] = self.relation.value
        return result
