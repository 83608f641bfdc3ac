"""What a workflow run (hook, pull request, `--all` sweep) found: the input of every reporter.

Reporters (`policy_guard.report.*`) are pure functions of a `RunReport`; the runner builds it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy_guard.checks.spec import Severity as Severity  # re-exported: reporters use it
from policy_guard.semantics.request import Request
from policy_guard.workflow.outcomes import UNDECIDED

if TYPE_CHECKING:
    from policy_guard.checks.access_diff import AccessDiff


@dataclass(frozen=True)
class Location:
    """A place in a file of the repository: path relative to the root, line from 1, column
    from 0 (as ValidatePolicy counts; SARIF and GitHub reporters add 1)."""

    path: str
    line: int
    column: int = 0
    end_line: int | None = None
    end_column: int | None = None


@dataclass(frozen=True)
class Issue:
    """One finding of a workflow run.

    `check` is the id of a rule (`policy_guard.workflow.rules.RULES`): a check's
    (`policy_guard.checks.registry`) or one of the workflow's outcomes (`parse-error`,
    `expired-waiver`, `undecided`). `message` is one line; `aws_message` keeps AWS's wording
    where the check mirrors Access Analyzer.
    """

    check: str
    severity: Severity
    message: str
    location: Location
    policy_id: str = ""
    statement_index: int | None = None
    statement_id: str | None = None
    counterexample: Request | None = None
    aws_message: str | None = None
    waived_by: str | None = None  # the waiver's reason, when a waiver covers this issue
    finding_key: str = ""  # its identity for the baseline and SARIF (`workflow.baseline`)
    baselined_in: str | None = None  # the baseline file that holds this finding, if one does

    @property
    def accepted(self) -> bool:
        """Waived or held by the baseline: shown, but it fails nothing and annotates nothing."""
        return self.waived_by is not None or self.baselined_in is not None

    access_diff: AccessDiff | None = None  # no-new-access: what the policy gains and loses


@dataclass(frozen=True)
class PolicyInFile:
    """A policy found in a file: its identity inside the file (`""` for a bare policy file,
    e.g. `Resources.Role.Properties.Policies[0]` for a template), its type and its line."""

    policy_id: str
    policy_type: str
    line: int


@dataclass(frozen=True)
class FileReport:
    path: str
    status: str  # "modified" | "added" | "renamed" | "unchanged" (--all)
    old_path: str | None
    policies: tuple[PolicyInFile, ...]
    issues: tuple[Issue, ...]


@dataclass(frozen=True)
class RunReport:
    files: tuple[FileReport, ...]
    base: str | None  # the base commit compared against, when there is one
    report_only: bool = False
    baseline: str | None = None  # the baseline file the findings were matched with, if any

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(i for f in self.files for i in f.issues)

    def counts(self) -> dict[str, int]:
        """Counts by severity of issues neither waived nor baselined, plus `undecided`,
        `waived`, `baselined` and `files`."""
        counter: Counter[str] = Counter()
        for issue in self.issues:
            if issue.waived_by is not None:
                counter["waived"] += 1
            elif issue.baselined_in is not None:
                counter["baselined"] += 1
            elif issue.check == UNDECIDED:
                counter["undecided"] += 1
            else:
                counter[issue.severity.value] += 1
        return {
            "files": len(self.files),
            "error": counter["error"],
            "warning": counter["warning"],
            "note": counter["note"],
            "undecided": counter["undecided"],
            "waived": counter["waived"],
            "baselined": counter["baselined"],
        }

    @property
    def exit_code(self) -> int:
        """2 when something could not be checked, else 1 with unwaived errors, else 0.

        Report-only turns findings into 0, never an undecided file into a pass."""
        counts = self.counts()
        if counts["undecided"]:
            return 2
        if counts["error"] and not self.report_only:
            return 1
        return 0
