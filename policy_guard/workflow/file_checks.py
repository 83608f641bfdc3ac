"""One file: decode both versions, find their policies, pair them by identity, run the checks.

A pure function of its inputs (`FileTask`, `CheckContext`), so the runner can run files in
worker processes. The checks come from `policy_guard.checks.registry`; each imports the solver
engine only when a policy needs it, so a hook run on files that hold no policy never loads
pySMT. Every engine error becomes an `undecided` issue of its policy (exit 2) while the other
checks and files still run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from policy_guard.checks.spec import Stage, Target
from policy_guard.document.read import decode_file
from policy_guard.errors import InputError
from policy_guard.policy.parse import parse_policy
from policy_guard.sources import FoundPolicy, find_policies
from policy_guard.workflow.config import Config
from policy_guard.workflow.outcomes import PARSE_ERROR, UNDECIDED
from policy_guard.workflow.results import FileReport, Issue, Location, PolicyInFile, Severity
from policy_guard.workflow.waivers import apply_waivers

if TYPE_CHECKING:
    from policy_guard.checks.results import Flag


@dataclass(frozen=True)
class FileTask:
    """A file to check: its contents on the new side and, when compared, at the base."""

    path: str
    status: str  # "modified" | "added" | "renamed" | "unchanged"
    new_data: bytes
    old_path: str | None = None
    old_data: bytes | None = None
    unreadable: str | None = None  # why the new version could not be read


@dataclass(frozen=True)
class CheckContext:
    config: Config
    compare: bool  # False for `--all`: only the checks that need no base
    today: date


def check_file(task: FileTask, context: CheckContext) -> FileReport | None:
    """The report of one file, or None when it holds no policy and need not (quietly skipped)."""
    if task.unreadable is not None:
        problem = f"the file cannot be read: {task.unreadable}"
        issue = Issue(UNDECIDED, Severity.ERROR, problem, Location(task.path, 1))
        return _report(task, (), (issue,), context)
    named = context.config.names(task.path)
    if not (named or _may_hold_policy(task.new_data) or _may_hold_policy(task.old_data)):
        return None  # e.g. a large package-lock.json: not worth decoding
    old_found = _old_policies(task)
    try:
        new_found = find_policies(decode_file(task.new_data, task.path))
    except InputError as error:
        # a file that does not decode is reported when it is known to be a policy, or looks
        # like one (it mentions `Statement`): a broken policy never passes as "not a policy"
        if not (named or old_found or b"Statement" in task.new_data):
            return None
        issue = Issue(
            PARSE_ERROR, Severity.ERROR, error.problem, Location(task.path, error.line or 1)
        )
        return _report(task, (), (issue,), context)
    if not new_found:
        if not (named or old_found):
            return None
        why = "was a policy at the base" if old_found else "is listed in `policies`"
        issue = Issue(
            PARSE_ERROR,
            Severity.ERROR,
            f"the file {why} but is not a policy document (no `Statement`)",
            Location(task.path, 1),
        )
        return _report(task, (), (issue,), context)
    old_by_id = {found.policy_id: found for found in old_found}
    policies, issues = [], []
    for found in new_found:
        policy_type, policy_issues = _check_policy(
            task, found, old_by_id.get(found.policy_id), context
        )
        policies.append(PolicyInFile(found.policy_id, policy_type, found.line))
        issues.extend(policy_issues)
    return _report(task, tuple(policies), tuple(issues), context)


def _may_hold_policy(data: bytes | None) -> bool:
    """Can this text have a `Statement` key at all (spelled out, or behind an escape)?"""
    return data is not None and (b"Statement" in data or b"\\" in data)


def _report(
    task: FileTask,
    policies: tuple[PolicyInFile, ...],
    issues: tuple[Issue, ...],
    context: CheckContext,
) -> FileReport:
    return FileReport(
        task.path,
        task.status,
        task.old_path,
        policies,
        apply_waivers(issues, context.config.waivers, context.today),
    )


def _old_policies(task: FileTask) -> tuple[FoundPolicy, ...]:
    """The policies of the base version; none when it is absent or does not decode."""
    if task.old_data is None:
        return ()
    try:
        return find_policies(decode_file(task.old_data, task.old_path or task.path))
    except InputError:
        return ()


# --- one policy ------------------------------------------------------------------------------


def _check_policy(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | None, context: CheckContext
) -> tuple[str, list[Issue]]:
    """The policy's type (as reported) and its issues: the registry's checks, in its order,
    those that read the document first; the others only when the policy parses."""
    config = context.config
    target = Target(
        task.path,
        found.document,
        found.policy_type,
        found.resource_type,
        compared=context.compare,
        base=old.document if old is not None else None,
    )
    issues = _run_checks(Stage.DOCUMENT, target, found, config)
    parsed = parse_policy(found.document, found.policy_type)
    if parsed.errors or parsed.policy is None:
        if not any(i.severity is Severity.ERROR for i in issues):
            first = parsed.errors[0]
            line = found.document.span_of(first.path).line
            issues.append(
                Issue(
                    PARSE_ERROR,
                    Severity.ERROR,
                    f"the policy cannot be checked: {first.details}",
                    Location(task.path, line),
                    found.policy_id,
                )
            )
        kind = found.policy_type or (parsed.policy.policy_type if parsed.policy else None)
        return (kind.value if kind else ""), issues
    policy = parsed.policy
    issues += _run_checks(Stage.POLICY, replace(target, policy=policy), found, config)
    return policy.policy_type.value, issues


def _run_checks(stage: Stage, target: Target, found: FoundPolicy, config: Config) -> list[Issue]:
    """The issues of the checks of `stage` that the configuration leaves on; what a check
    cannot decide is an `undecided` issue of the policy, and the other checks still run. (The
    registry is imported when a policy is checked: the hook's quick look never needs it.)"""
    from policy_guard.checks.common import EngineOptions, decided
    from policy_guard.checks.registry import CHECKS

    options = EngineOptions(solver=config.solver, timeout=config.timeout)
    issues = []
    for check in CHECKS:
        severity = config.severity(check.id)
        if check.stage is not stage or severity is None:
            continue
        flags = decided(check.id, partial(check.run, target, config, options))
        issues += [_issue(check.id, severity, flag, target, found) for flag in flags]
    return issues


def _issue(check: str, severity: Severity, flag: Flag, target: Target, found: FoundPolicy) -> Issue:
    """A check's flag as an issue at its line of the file."""
    span = target.document.span_of(flag.path)
    location = Location(target.path, span.line, span.column, span.end_line, span.end_column)
    if flag.undecided:
        return Issue(UNDECIDED, Severity.ERROR, flag.message, location, found.policy_id)
    return Issue(
        check,
        severity if flag.level is None else flag.level,
        flag.message,
        location,
        found.policy_id,
        flag.statement_index,
        flag.statement_id,
        flag.counterexample,
        flag.aws_message,
    )
