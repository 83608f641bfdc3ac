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

from policy_guard.checks.access_not_granted import CHECK_ID as CRITICAL_PERMISSION
from policy_guard.checks.common import EngineOptions, decided
from policy_guard.checks.external_access import CHECK_ID as EXTERNAL_ACCESS
from policy_guard.checks.no_new_access import CHECK_ID as NO_NEW_ACCESS
from policy_guard.checks.public_access import CHECK_ID as PUBLIC_ACCESS
from policy_guard.checks.registry import CHECKS
from policy_guard.checks.results import Flag
from policy_guard.checks.settings import NewFiles
from policy_guard.checks.spec import Stage, Target
from policy_guard.checks.validation import CHECK_ID as VALIDATION
from policy_guard.document.read import decode_file
from policy_guard.errors import InputError
from policy_guard.policy.model import PolicyType
from policy_guard.policy.parse import parse_policy
from policy_guard.sources import FoundPolicy, find_policies
from policy_guard.workflow.base_versions import UnreadableBase, may_hold_policy
from policy_guard.workflow.config import Config
from policy_guard.workflow.outcomes import PARSE_ERROR, UNDECIDED
from policy_guard.workflow.results import FileReport, Issue, Location, PolicyInFile, Severity
from policy_guard.workflow.waivers import apply_waivers


@dataclass(frozen=True)
class FileTask:
    """A file to check: its contents on the new side and, when compared, at the base."""

    path: str
    status: str  # "modified" | "added" | "renamed" | "unchanged"
    new_data: bytes
    old_path: str | None = None
    old_data: bytes | None = None
    unreadable: str | None = None  # why the new version could not be read
    compare_with_empty: bool = False  # added beside a removed policy file (`base_versions`)
    unreadable_base: UnreadableBase | None = None  # the base IAM would refuse, and instead


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
    if not (named or may_hold_policy(task.new_data) or may_hold_policy(task.old_data)):
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
    earlier = _earlier_policies(task)
    policies, issues = [], []
    for found in new_found:
        old = _old_version(task, found.policy_id, old_by_id, earlier)
        policy_type, policy_issues = _check_policy(task, found, old, context)
        policies.append(PolicyInFile(found.policy_id, policy_type, found.line))
        issues.extend(policy_issues)
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


def _old_policies(task: FileTask) -> tuple[FoundPolicy, ...]:
    """The policies of the base version; none when it is absent or does not decode."""
    if task.old_data is None:
        return ()
    try:
        return find_policies(decode_file(task.old_data, task.old_path or task.path))
    except InputError:
        return ()


def _earlier_policies(task: FileTask) -> dict[str, FoundPolicy]:
    """The policies of the last readable version, when the base's cannot be read."""
    unreadable = task.unreadable_base
    if unreadable is None or unreadable.earlier is None:
        return {}
    path = task.old_path or task.path
    return {f.policy_id: f for f in find_policies(decode_file(unreadable.earlier, path))}


def _old_version(
    task: FileTask,
    policy_id: str,
    at_base: dict[str, FoundPolicy],
    earlier: dict[str, FoundPolicy],
) -> FoundPolicy | str | None:
    """The version of a policy to compare with: at the base, or the last readable one when
    IAM would refuse the base's; a string says why there is none that can be read; None: the
    policy is new."""
    unreadable = task.unreadable_base
    if unreadable is None or not unreadable.covers(policy_id):
        return at_base.get(policy_id)
    cannot = f"the base version cannot be read ({unreadable.problem})"
    if unreadable.earlier is None:
        return f"{cannot} and {unreadable.why_none}"
    found = earlier.get(policy_id)
    if found is None:
        commit = (unreadable.earlier_commit or "")[:12]
        return f"{cannot} and the last readable version ({commit}) does not have this policy"
    return found


# --- one policy ------------------------------------------------------------------------------


def _check_policy(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | str | None, context: CheckContext
) -> tuple[str, list[Issue]]:
    """The policy's type (as reported) and its issues: the registry's checks, in its order,
    those that read the document first; the others only when the policy parses. A policy IAM
    would refuse (an ERROR-level validation finding) is a validation finding, and every other
    check that would have run on it is undecided: its answer would be about a policy IAM never
    runs. `old` is the version to compare with, or why none can be read."""
    config = context.config
    target = Target(
        task.path,
        found.document,
        found.policy_type,
        found.resource_type,
        compared=context.compare,
        base=old.document if isinstance(old, FoundPolicy) else None,
        base_problem=old if isinstance(old, str) else None,
        compare_with_empty=task.compare_with_empty,
    )
    flagged = _run_checks(Stage.DOCUMENT, target, config)
    issues = _issues(flagged, target, found)
    refused = next(
        (flag for check, _, flag in flagged if check == VALIDATION and _refuses(flag)), None
    )
    parsed = parse_policy(found.document, found.policy_type)
    kind = found.policy_type or (parsed.policy.policy_type if parsed.policy else None)
    if parsed.policy is None or parsed.errors:
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
    elif refused is None:
        flagged = _run_checks(Stage.POLICY, replace(target, policy=parsed.policy), config)
        issues += [
            _issue(check, severity, flag, target, found) for check, severity, flag in flagged
        ]
        return parsed.policy.policy_type.value, issues
    planned = _planned_checks(task, found, kind, old, context)
    if planned:
        issues.append(_refused(task, found, refused, planned))
    return (kind.value if kind else ""), issues


def _refuses(flag: Flag) -> bool:
    """A validation flag of an ERROR-level finding (the others carry their own level)."""
    return flag.level is None and not flag.undecided


def _run_checks(stage: Stage, target: Target, config: Config) -> list[tuple[str, Severity, Flag]]:
    """What the checks of `stage` that the configuration leaves on flag, with each check's id
    and severity; what a check cannot decide is an undecided flag, and the other checks still
    run."""
    flagged = []
    for check in CHECKS:
        severity = config.severity(check.id)
        if check.stage is not stage or severity is None:
            continue
        flags = decided(check.id, partial(check.run, target, config, _options(config)))
        flagged += [(check.id, severity, flag) for flag in flags]
    return flagged


def _planned_checks(
    task: FileTask,
    found: FoundPolicy,
    kind: PolicyType | None,
    old: FoundPolicy | str | None,
    context: CheckContext,
) -> tuple[str, ...]:
    """The checks besides validation that would apply to this policy under the configuration
    (named when the policy cannot be checked)."""
    config = context.config
    planned = []
    new_accepted = old is None and not task.compare_with_empty
    if (
        context.compare
        and config.severity(NO_NEW_ACCESS) is not None
        and not (new_accepted and config.new_files is NewFiles.ACCEPT)
    ):
        planned.append(NO_NEW_ACCESS)
    if config.severity(CRITICAL_PERMISSION) is not None and config.critical_permissions:
        planned.append(CRITICAL_PERMISSION)
    if kind is PolicyType.RESOURCE:
        resource_type = config.resource_type(task.path) or found.resource_type
        if config.severity(PUBLIC_ACCESS) is not None and resource_type is not None:
            planned.append(PUBLIC_ACCESS)
        trusted = config.trusted_accounts or config.trusted_organization
        if config.severity(EXTERNAL_ACCESS) is not None and trusted:
            planned.append(EXTERNAL_ACCESS)
    return tuple(planned)


def _refused(
    task: FileTask, found: FoundPolicy, refused: Flag | None, planned: tuple[str, ...]
) -> Issue:
    """The one undecided issue of a policy IAM would refuse: which checks did not run, why."""
    names = ", ".join(f"`{name}`" for name in planned)
    if refused is None:
        why = "the policy cannot be read"
        line = 1
    else:
        line = found.document.span_of(refused.path).line
        code = refused.message.split(":", 1)[0]
        why = f"IAM would refuse the policy ({code} at line {line})"
    return Issue(
        UNDECIDED,
        Severity.ERROR,
        f"{names} not checked: {why}; fix it, then the checks run",
        Location(task.path, line),
        found.policy_id,
    )


def _issues(
    flagged: list[tuple[str, Severity, Flag]], target: Target, found: FoundPolicy
) -> list[Issue]:
    return [_issue(check, severity, flag, target, found) for check, severity, flag in flagged]


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


def _options(config: Config) -> EngineOptions:
    return EngineOptions(solver=config.solver, timeout=config.timeout)
