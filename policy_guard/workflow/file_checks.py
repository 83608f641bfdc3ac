"""One file: decode both versions, find their policies, pair them by identity, run the checks.

A pure function of its inputs (`FileTask`, `CheckContext`), so the runner can run files in
worker processes. The solver engine (`policy_guard.checks`) is imported only when a policy needs
it, so a hook run on files that hold no policy never loads pySMT. Every engine error becomes an
`undecided` issue of its policy (exit 2) while the other checks and files still run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from policy_guard.checks.results import CheckResult, Outcome, Reason
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError, PolicyGuardError
from policy_guard.policy.findings import Finding, FindingType
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import parse_policy
from policy_guard.sources import FoundPolicy, decode_file, find_policies
from policy_guard.workflow.config import Config, CriticalPermission, NewFiles
from policy_guard.workflow.results import FileReport, Issue, Location, PolicyInFile, Severity
from policy_guard.workflow.waivers import apply_waivers

if TYPE_CHECKING:
    from policy_guard.checks.common import EngineOptions

_FINDING_SEVERITY = {
    FindingType.SECURITY_WARNING: Severity.WARNING,
    FindingType.WARNING: Severity.WARNING,
    FindingType.SUGGESTION: Severity.NOTE,
}


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
        issue = Issue("undecided", Severity.ERROR, problem, Location(task.path, 1))
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
            "parse-error", Severity.ERROR, error.problem, Location(task.path, error.line or 1)
        )
        return _report(task, (), (issue,), context)
    if not new_found:
        if not (named or old_found):
            return None
        why = "was a policy at the base" if old_found else "is listed in `policies`"
        issue = Issue(
            "parse-error",
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


class _PolicyChecks:
    """The checks of one policy; each failure of the engine becomes an `undecided` issue."""

    def __init__(self, task: FileTask, found: FoundPolicy, policy: Policy, config: Config) -> None:
        self.task = task
        self.found = found
        self.policy = policy
        self.config = config
        self.issues: list[Issue] = []

    def location(self, span_path: tuple[str | int, ...] = ()) -> Location:
        span = self.policy.span_of(span_path)
        return Location(self.task.path, span.line, span.column, span.end_line, span.end_column)

    def also_matching(self, reason: Reason) -> str:
        """The other entries of the statement that match the counterexample (the finding
        points at the first), as `; also matching lines 7:5, 9:9`."""
        spans = [self.policy.span_of(path) for path in reason.elements[1:]]
        if not spans:
            return ""
        listed = ", ".join(f"{s.line}:{s.column + 1}" for s in spans)
        return f"; also matching {'line' if len(spans) == 1 else 'lines'} {listed}"

    def run(self, check: str, body: Callable[[], None]) -> None:
        try:
            body()
        except PolicyGuardError as error:
            self.issues.append(
                Issue(
                    "undecided",
                    Severity.ERROR,
                    f"`{check}` could not be decided: {error}",
                    self.location(),
                    self.found.policy_id,
                )
            )

    def result_issues(
        self, check: str, severity: Severity, result: CheckResult, summary: str
    ) -> None:
        """An issue for each reason of a FAIL: `summary` and the counterexample, at the
        statement."""
        if result.outcome is Outcome.PASS:
            return
        if not result.reasons:
            self.issues.append(
                Issue(
                    check,
                    severity,
                    result.message,
                    self.location(),
                    self.found.policy_id,
                    aws_message=result.message,
                )
            )
            return
        for reason in result.reasons:
            self.issues.append(
                Issue(
                    check,
                    severity,
                    f"{summary} {_request_text(reason)}{self.also_matching(reason)}",
                    self.location(reason.located),
                    self.found.policy_id,
                    reason.statement_index,
                    reason.statement_id,
                    reason.counterexample,
                    f"{result.message} {reason.description}".strip(),
                )
            )


def _check_policy(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | None, context: CheckContext
) -> tuple[str, list[Issue]]:
    """The policy's type (as reported) and its issues."""
    config = context.config
    parsed = parse_policy(found.document, found.policy_type)
    issues = _validation_issues(task.path, found, config)
    if parsed.errors or parsed.policy is None:
        if not any(i.severity is Severity.ERROR for i in issues):
            first = parsed.errors[0]
            line = found.document.span_of(first.path).line
            issues.append(
                Issue(
                    "parse-error",
                    Severity.ERROR,
                    f"the policy cannot be checked: {first.details}",
                    Location(task.path, line),
                    found.policy_id,
                )
            )
        kind = found.policy_type or (parsed.policy.policy_type if parsed.policy else None)
        return (kind.value if kind else ""), issues
    policy = parsed.policy
    checks = _PolicyChecks(task, found, policy, config)
    if context.compare:
        _no_new_access(checks, old)
    critical = config.severity("critical-permission")
    if critical is not None:
        for entry in config.critical_permissions:
            checks.run("critical-permission", partial(_critical, checks, critical, entry))
    if policy.policy_type is PolicyType.RESOURCE:
        resource_type = config.resource_type(task.path) or found.resource_type
        public = config.severity("public-access")
        if resource_type is not None and public is not None:
            checks.run("public-access", partial(_public, checks, public, resource_type))
        external = config.severity("external-access")
        if (config.trusted_accounts or config.trusted_organization) and external is not None:
            checks.run("external-access", partial(_external, checks, external))
    return policy.policy_type.value, issues + checks.issues


def _validation_issues(path: str, found: FoundPolicy, config: Config) -> list[Issue]:
    severity = config.severity("validation")
    if severity is None:
        return []
    issues = []
    for finding in _validation_findings(found):
        span = found.document.span_of(finding.path)
        level = severity if finding.is_error else _FINDING_SEVERITY[finding.finding_type]
        if severity is Severity.WARNING and level is Severity.ERROR:
            level = Severity.WARNING
        statement = (
            finding.path[1]
            if len(finding.path) > 1
            and finding.path[0] == "Statement"
            and isinstance(finding.path[1], int)
            else None
        )
        issues.append(
            Issue(
                "validation",
                level,
                f"{finding.issue_code}: {finding.details}",
                Location(path, span.line, span.column, span.end_line, span.end_column),
                found.policy_id,
                statement,
                _sid(found.document, statement),
            )
        )
    return issues


def _validation_findings(found: FoundPolicy) -> tuple[Finding, ...]:
    """Every validation finding of the policy (the parser's structural errors among them)."""
    from policy_guard.checks.validation import validate_document

    return tuple(validate_document(found.document, found.policy_type).findings)


def _sid(document: Decoded, index: int | None) -> str | None:
    if index is None:
        return None
    statements = document.value.get("Statement") if isinstance(document.value, dict) else None
    if isinstance(statements, dict) and index == 0:
        statements = [statements]
    if isinstance(statements, list) and index < len(statements):
        statement = statements[index]
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        return sid if isinstance(sid, str) else None
    return None


# --- the checks ------------------------------------------------------------------------------


def _options(config: Config) -> EngineOptions:
    from policy_guard.checks.common import EngineOptions

    return EngineOptions(solver=config.solver, timeout=config.timeout)


def _request_text(reason: Reason) -> str:
    request = reason.counterexample
    text = f"action `{request.action}` on `{request.resource}`"
    return f"{text} for `{request.principal}`" if request.principal else text


def _no_new_access(checks: _PolicyChecks, old: FoundPolicy | None) -> None:
    severity = checks.config.severity("no-new-access")
    if severity is None:
        return
    old_policy = _load_old(old, checks.policy)
    if old_policy is None:
        treatment = checks.config.new_files
        if treatment is NewFiles.ACCEPT:
            return
        if treatment is NewFiles.FAIL:
            checks.issues.append(
                Issue(
                    "no-new-access",
                    severity,
                    "new policy: there is no version at the base to "
                    "compare with (`new_files: fail`); review it, then waive or merge it",
                    checks.location(),
                    checks.found.policy_id,
                )
            )
            return
        old_policy = _empty_like(checks.policy)
    if old_policy == checks.policy:
        return  # the same statements: nothing new, no solver needed

    def body() -> None:
        from policy_guard.checks.no_new_access import check_no_new_access

        result = check_no_new_access(old_policy, checks.policy, _options(checks.config))
        checks.result_issues("no-new-access", severity, result, "newly allows")

    checks.run("no-new-access", body)


def _load_old(old: FoundPolicy | None, new: Policy) -> Policy | None:
    """The base version, read as the same type of policy; None when there is none that IAM
    would accept (a policy broken at the base granted nothing)."""
    if old is None:
        return None
    parsed = parse_policy(old.document, new.policy_type)
    return None if parsed.errors else parsed.policy


def _empty_like(policy: Policy) -> Policy:
    """A policy that allows nothing, to compare a new policy with."""
    document = Decoded({"Version": policy.version, "Statement": []}, policy.filename)
    return Policy(policy.version, None, (), policy.policy_type, document)


def _critical(checks: _PolicyChecks, severity: Severity, entry: CriticalPermission) -> None:
    from policy_guard.checks.access_not_granted import check_access_not_granted
    from policy_guard.checks.common import Access

    access = Access(actions=entry.actions, resources=entry.resources)
    result = check_access_not_granted(checks.policy, access, _options(checks.config))
    summary = f"grants critical permission `{entry.id}` ({entry.description}):"
    checks.result_issues("critical-permission", severity, result, summary)


def _public(checks: _PolicyChecks, severity: Severity, resource_type: str) -> None:
    from policy_guard.checks.public_access import check_no_public_access

    result = check_no_public_access(checks.policy, resource_type, _options(checks.config))
    checks.result_issues("public-access", severity, result, "makes the policy public:")


def _external(checks: _PolicyChecks, severity: Severity) -> None:
    config = checks.config
    from policy_guard.checks.external_access import check_no_external_access

    result = check_no_external_access(
        checks.policy,
        trusted_accounts=config.trusted_accounts,
        trusted_organization=config.trusted_organization,
        options=_options(config),
    )
    summary = "grants access outside the trusted accounts:"
    checks.result_issues("external-access", severity, result, summary)
