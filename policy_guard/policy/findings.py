"""Findings about a policy document itself, shaped like IAM Access Analyzer's ValidatePolicy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from policy_guard.document.values import Path


class FindingType(str, Enum):
    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


@dataclass(frozen=True)
class Finding:
    """One problem: its type, an UPPER_SNAKE issue code, a one-line message, and where.

    `path` is the logical path of the element inside the document; the span is looked up from
    the decoded document when the finding is reported.
    """

    finding_type: FindingType
    issue_code: str
    details: str
    path: tuple[str | int, ...]

    @property
    def is_error(self) -> bool:
        return self.finding_type is FindingType.ERROR


def error(code: str, details: str, path: Path) -> Finding:
    return Finding(FindingType.ERROR, code, details, path)
