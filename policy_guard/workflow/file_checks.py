"""One file: decode both versions, find their policies, pair them by identity, run the checks.

A pure function of its inputs (`FileTask`, `CheckContext`), so the runner can run files in
worker processes. The solver engine (`policy_guard.checks`) is imported only when a policy needs
it, so a hook run on files that hold no policy never loads pySMT. Every engine error becomes an
`undecided` issue of its policy (exit 2) while the other checks and files still run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from policy_guard.checks.results import CheckResult, Outcome, Reason
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError, PolicyGuardError
from policy_guard.policy.findings import Finding, FindingType
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import parse_policy
from policy_guard.sources import FoundPolicy, is_own_format, may_hold_policy, read_policies
from policy_guard.sources.terraform_resources import BOUNDARY_PREFIX
from policy_guard.workflow.config import Config, CriticalPermission, NewFiles
from policy_guard.workflow.results import FileReport, Issue, Location, PolicyInFile, Severity
from policy_guard.workflow.waivers import apply_waivers

if TYPE_CHECKING:
    from policy_guard.checks.common import EngineOptions
    from policy_guard.workflow.unknown_policies import Prepared

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
    # files the policies' values depend on (a `.tf` file's folder): (path, new, old)
    related: tuple[tuple[str, bytes | None, bytes | None], ...] = ()
    quiet: bool = False  # checked for what its folder changed: not reported when clean


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
    old_path = task.old_path or task.path
    if not (
        named
        or may_hold_policy(task.new_data, task.path)
        or may_hold_policy(task.old_data, old_path)
    ):
        return None  # e.g. a large package-lock.json: not worth decoding
    old_found = _old_policies(task)
    try:
        new_found = read_policies(task.new_data, task.path, _related(task, new=True))
    except InputError as error:
        # a file that does not decode is reported when it is known to be a policy, or looks
        # like one (it mentions `Statement`, or is of a kind that holds policies such as
        # `.tf`): a broken policy never passes as "not a policy"
        if not (
            named
            or old_found
            or b"Statement" in task.new_data
            or (is_own_format(task.path) and may_hold_policy(task.new_data, task.path))
        ):
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
        old = found.base if found.carries_base else old_by_id.get(found.policy_id)
        policy_type, policy_issues = _check_found(task, found, old, context)
        if not (found.attaches or "").startswith(BOUNDARY_PREFIX):  # a limit, not a policy
            policies.append(PolicyInFile(found.policy_id, policy_type, found.line))
        issues.extend(policy_issues)
    if task.quiet and not issues:
        return None
    return _report(task, tuple(policies), tuple(issues), context)


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


def _related(task: FileTask, *, new: bool) -> dict[str, bytes]:
    result = {}
    for path, new_data, old_data in task.related:
        data = new_data if new else old_data
        if data is not None:
            result[path] = data
    return result


def _old_policies(task: FileTask) -> tuple[FoundPolicy, ...]:
    """The policies of the base version; none when it is absent or does not decode."""
    if task.old_data is None:
        return ()
    try:
        return read_policies(task.old_data, task.old_path or task.path, _related(task, new=False))
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
            impossible = _impossible(self.found, reason)
            if impossible is not None:
                self.issues.append(
                    Issue(
                        "undecided",
                        Severity.ERROR,
                        f"`{check}` could not be decided: {impossible}",
                        self.location(reason.path),
                        self.found.policy_id,
                    )
                )
                continue
            self.issues.append(
                Issue(
                    check,
                    severity,
                    f"{summary} {_request_text(reason)}",
                    self.location(reason.path),
                    self.found.policy_id,
                    reason.statement_index,
                    reason.statement_id,
                    reason.counterexample,
                    f"{result.message} {reason.description}".strip(),
                )
            )


def _check_found(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | None, context: CheckContext
) -> tuple[str, list[Issue]]:
    """A policy as a source found it: unreadable, an attachment, or with unknown values, each
    decided or reported undecided (never skipped); else `_check_policy`."""
    kind = found.policy_type.value if found.policy_type else ""
    if context.compare and old is not None and _unchanged(found, old):
        return kind, []  # like an unchanged file: one policy of many, untouched by the change
    if found.problem is not None:
        return kind, [_undecided(task, found, f"the policy cannot be read: {found.problem}")]
    if found.attaches is not None and found.attaches.startswith(BOUNDARY_PREFIX):
        return kind, _boundary_issues(task, found, old)
    if found.attaches is not None:
        if old is not None and old.attaches == found.attaches:
            if not _is_document(found):
                return kind, []
        elif not _is_document(found):
            return kind, [
                _undecided(
                    task,
                    found,
                    f"attaches `{found.attaches}`, whose document is not in this file: the "
                    "access it grants is not known here",
                )
            ]
        else:
            old = old if old is not None and old.attaches == found.attaches else None
    from policy_guard.workflow.unknown_policies import prepare_all

    every = prepare_all(found, old)
    if len(every) == 1:
        return _check_prepared(task, found, every[0][1], context)
    issues: list[Issue] = []
    seen: set[tuple[str, int, int | None]] = set()
    for reading, prepared in every:
        kind, found_issues = _check_prepared(task, found, prepared, context)
        shown = ", ".join(f"`${{{name}}}` = `{value}`" for name, value in reading.items())
        for issue in found_issues:
            key = (issue.check, issue.location.line, issue.statement_index)
            if key not in seen:  # one reading's issue stands for the others'
                seen.add(key)
                issues.append(replace(issue, message=f"{issue.message} (when {shown})"))
    return kind, issues


def _check_prepared(
    task: FileTask, found: FoundPolicy, prepared: Prepared, context: CheckContext
) -> tuple[str, list[Issue]]:
    """The checks of one reading of a policy's unknowns."""
    kind = found.policy_type.value if found.policy_type else ""
    if prepared.new is None:
        if prepared.unchanged and context.compare and not _single_checks(found, context.config):
            return kind, []  # the same unknowns as at the base, and nothing else to check
        return kind, [_undecided(task, found, f"the policy cannot be decided: {prepared.problem}")]
    if prepared.base_problem is not None:
        kind, issues = _check_policy(task, prepared.new, None, replace(context, compare=False))
        if context.compare:
            why = f"`no-new-access` could not be decided: {prepared.base_problem}"
            issues.append(_undecided(task, found, why))
        return kind, issues
    if prepared.unchanged:
        return _check_policy(task, prepared.new, None, replace(context, compare=False))
    return _check_policy(task, prepared.new, prepared.base, context)


def _boundary_issues(task: FileTask, found: FoundPolicy, old: FoundPolicy | None) -> list[Issue]:
    """A permissions boundary only limits: none before, or the same, grants nothing new; one
    removed or replaced may grant more (its document is not here): undecided."""
    new = (found.attaches or "").removeprefix(BOUNDARY_PREFIX)
    before = (old.attaches or "").removeprefix(BOUNDARY_PREFIX) if old is not None else ""
    if not before or before == new:
        return []
    if not new:
        why = (
            f"removes the permissions boundary `{before}`: the access it limited is not known here"
        )
    else:
        why = (
            f"replaces the permissions boundary `{before}` with `{new}`: what the new one allows "
            "is not known here"
        )
    return [_undecided(task, found, why)]


def _unchanged(found: FoundPolicy, old: FoundPolicy) -> bool:
    """The same policy at the base: the same text, the same unknown values (by fingerprint), the
    same kind. (A bare policy file that changed is checked even when only its layout did: it is
    the file's one policy; this is for files that hold many.)"""
    if not found.policy_id:
        return False
    same_unknowns = found.unknowns.keys() == old.unknowns.keys() and all(
        u.fingerprint is not None and old.unknowns[name].fingerprint == u.fingerprint
        for name, u in found.unknowns.items()
    )
    return (
        same_unknowns
        and found.document.value == old.document.value
        and found.problem == old.problem
        and found.attaches == old.attaches
        and found.policy_type == old.policy_type
        and found.resource_type == old.resource_type
    )


def _single_checks(found: FoundPolicy, config: Config) -> bool:
    """Does a check that needs no base apply to this policy (critical permissions, or public
    or external access of a resource policy)?"""
    if config.critical_permissions and config.severity("critical-permission") is not None:
        return True
    statements = found.document.value.get("Statement") if _is_document(found) else None
    resource = found.policy_type is PolicyType.RESOURCE or (
        found.policy_type is None
        and isinstance(statements, list)
        and any(
            isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in statements
        )
    )
    if not resource:
        return False
    public = config.severity("public-access") is not None and found.resource_type is not None
    external = bool(config.trusted_accounts or config.trusted_organization) and (
        config.severity("external-access") is not None
    )
    return public or external


def _is_document(found: FoundPolicy) -> bool:
    return isinstance(found.document.value, dict) and "Statement" in found.document.value


def _undecided(task: FileTask, found: FoundPolicy, problem: str) -> Issue:
    return Issue(
        "undecided", Severity.ERROR, problem, Location(task.path, found.line), found.policy_id
    )


def _impossible(found: FoundPolicy, reason: Reason) -> str | None:
    """Why a counterexample cannot happen (it gives an account-id unknown another form)."""
    if not found.unknowns:
        return None
    from policy_guard.sources.unknowns import shape_problem

    return shape_problem(reason.counterexample.context, found.unknowns)


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
        if found.unknowns and _about_unknown(found.document.value, finding.path):
            continue  # a value known only when Terraform runs: nothing to say about its form
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


def _about_unknown(value: Any, path: tuple[str | int, ...]) -> bool:
    """Is the element at `path` a value that holds an unknown (`${terraform:...}`)?"""
    from policy_guard.sources.unknowns import KEY_PREFIX

    for element in path:
        if isinstance(value, dict) and element in value:
            value = value[element]
            continue
        if not (isinstance(value, list) and isinstance(element, int) and element < len(value)):
            return False
        value = value[element]
    return isinstance(value, str) and "${" + KEY_PREFIX in value


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
