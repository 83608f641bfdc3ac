"""What the checks return: AWS's response shape, plus our counterexamples and positions.

Field names follow IAM Access Analyzer's custom policy checks (`result`, `message`, `reasons`
with `description`, `statementIndex`, `statementId`) so tools can swap one for the other;
`policy_guard.report.check_result` writes them as JSON. A check's workflow adapter returns
`Flag`s, which the workflow places in files as issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from policy_guard.checks.access_diff import AccessDiff
from policy_guard.checks.spec import Severity
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


@dataclass(frozen=True)
class CheckResult:
    check: str  # check id: no-new-access, access-not-granted, no-public-access, no-external-access
    outcome: Outcome
    message: str
    reasons: tuple[Reason, ...] = ()
    relation: Relation | None = None  # no-new-access only
    access_diff: AccessDiff | None = None  # no-new-access only: what NEW gains and loses


@dataclass(frozen=True)
class Flag:
    """One thing a check's workflow adapter raises about a policy, before the workflow places
    it in a file (as an `Issue` at a line).

    `path` is where in the policy's document (`()`: the policy itself): the statement for a
    finding about a request (its identity in a baseline), while `elements` are the entries of
    it that match the request (`Reason.elements`), the first of which the issue points at
    (`located`). `level`: None takes
    the severity configured for the check; validation findings that are not errors carry
    their own (warning, note). `undecided`: the check could not answer (`message` says why)."""

    message: str
    path: Path = ()
    statement_index: int | None = None
    statement_id: str | None = None
    counterexample: Request | None = None
    aws_message: str | None = None
    level: Severity | None = None
    undecided: bool = False
    subject: str | None = None  # what of the check it is about (a critical permission's id)
    elements: tuple[Path, ...] = ()
    access_diff: AccessDiff | None = None  # no-new-access: the policy's gains and losses

    @property
    def located(self) -> Path:
        """Where the issue points: the first matching element, else `path`."""
        return self.elements[0] if self.elements else self.path
