"""One file: decode both versions, find their policies, pair them by identity, run the checks.

A pure function of its inputs (`FileTask`, `CheckContext`), so the runner can run files in
worker processes. The checks come from `policy_guard.checks.registry`; each imports the solver
engine only when a policy needs it, so a hook run on files that hold no policy never loads
pySMT. Every engine error becomes an `undecided` issue of its policy (exit 2) while the other
checks and files still run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from policy_guard.checks.settings import NewFiles
from policy_guard.checks.spec import Stage, Target
from policy_guard.errors import InputError
from policy_guard.policy.model import PolicyType
from policy_guard.policy.parse import parse_policy
from policy_guard.sources import (
    POLICY_LIKE,
    FoundPolicy,
    is_own_format,
    may_hold_policy,
    read_policies,
)
from policy_guard.sources.base import BOUNDARY_PREFIX, CONDITION_PREFIX, UNKNOWN_PREFIX
from policy_guard.workflow.base_versions import UnreadableBase, pair_policies
from policy_guard.workflow.baseline import finding_key
from policy_guard.workflow.config import Config
from policy_guard.workflow.outcomes import PARSE_ERROR, UNDECIDED
from policy_guard.workflow.results import FileReport, Issue, Location, PolicyInFile, Severity
from policy_guard.workflow.waivers import apply_waivers

VALIDATION = "validation"  # `checks.validation.CHECK_ID`, which this module must not import

if TYPE_CHECKING:
    from policy_guard.checks.results import Flag
    from policy_guard.workflow.unknown_policies import Prepared


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
    # files the policies' values depend on (a `.tf` file's folder): (path, new, old)
    related: tuple[tuple[str, bytes | None, bytes | None], ...] = ()
    quiet: bool = False  # checked for what its folder changed: not reported when clean
    removed_policies: tuple[str, ...] = ()  # a policy's task: the identities the change removes


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
            or POLICY_LIKE.search(task.new_data)
            or (is_own_format(task.path) and may_hold_policy(task.new_data, task.path))
        ):
            return None
        issue = Issue(
            PARSE_ERROR,
            Severity.ERROR,
            error.problem,
            Location(task.path, error.line or 1, (error.column or 1) - 1),
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
    pairs = pair_policies(old_found, new_found)
    policies, issues = [], []
    configured = context.config.policy_type(task.path)
    for found in map(pairs.new_policy, new_found):
        if configured is not None and found.policy_type is None:  # a plain policy file
            found = replace(found, policy_type=configured)
        old_id = found.renamed_from or found.policy_id
        policy_task = task
        if found.policy_id in pairs.from_nothing:  # beside removed policies: may be one of them
            policy_task = replace(task, compare_with_empty=True, removed_policies=pairs.removed)
        if _from_terraform(task, found) or _is_boundary(found):
            old_tf: FoundPolicy | str | None = found.base
            if not found.carries_base:
                old_tf = _old_version(task, old_id, old_by_id, earlier)
            policy_type, policy_issues = _check_terraform(policy_task, found, old_tf, context)
            if not _is_boundary(found) or _is_document(found):  # a boundary's ARN alone: no policy
                policies.append(PolicyInFile(found.policy_id, policy_type, found.line))
            issues.extend(policy_issues)
            continue
        if found.problem is not None:
            issues.extend(_problem_issues(task, found, old_by_id.get(old_id), context))
            continue
        old = _old_version(task, old_id, old_by_id, earlier)
        policy_type, policy_issues = _check_policy(policy_task, found, old, context)
        policies.append(PolicyInFile(found.policy_id, policy_type, found.line))
        issues.extend(policy_issues)
    if task.quiet and not issues:
        return None
    return _report(task, tuple(policies), tuple(issues), context)


def _problem_issues(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | None, context: CheckContext
) -> list[Issue]:
    """A policy that cannot be read is undecided, never "not a policy". An attachment whose
    text is unknown matters only when it is new: attached at the base already, it adds
    nothing; in a sweep, or in a new file whose new policies are accepted, nothing compares."""
    if found.only_when_new:
        accepted = task.old_data is None and context.config.new_files is NewFiles.ACCEPT
        if old is not None or not context.compare or accepted:
            return []
    location = Location(task.path, found.line)
    return [Issue(UNDECIDED, Severity.ERROR, str(found.problem), location, found.policy_id)]


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


def _earlier_policies(task: FileTask) -> dict[str, FoundPolicy]:
    """The policies of the last readable version, when the base's cannot be read."""
    unreadable = task.unreadable_base
    if unreadable is None or unreadable.earlier is None:
        return {}
    path = task.old_path or task.path
    found = read_policies(unreadable.earlier, path, _related(task, new=False))
    return {f.policy_id: f for f in found}


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
    """The policy's type (as reported) and its issues; over every reading of its unknown
    values when it has some (`sources.template_unknowns`)."""
    if not found.unknowns and (not isinstance(old, FoundPolicy) or not old.unknowns):
        return _check_one_reading(task, found, old, context)
    from policy_guard.sources.template_unknowns import paired_readings, where

    if isinstance(old, str):  # no readable version to compare with: say why, per reading
        base_problem, old = old, None
    else:
        base_problem = None
    ways = paired_readings(found, old)
    if isinstance(ways, str):
        location = Location(task.path, found.line)
        problem = f"the policy cannot be decided: {ways}"
        return "", [Issue(UNDECIDED, Severity.ERROR, problem, location, found.policy_id)]
    kind, issues, failing = "", list[Issue](), set[str]()
    for index, way in enumerate(ways):
        new_reading = replace(found, document=way.documents[0])
        old_reading: FoundPolicy | str | None = (
            base_problem if old is None else replace(old, document=way.documents[1])
        )
        kind, found_issues = _check_one_reading(
            task, new_reading, old_reading, context, validate=index == 0
        )
        decided = {i.check for i in issues if i.counterexample is not None}
        for issue in found_issues:
            if issue.check in decided:
                continue  # one counterexample per check is enough
            if way.exact and issue.counterexample is not None:
                issue = replace(issue, message=issue.message + where(way))
            if way.exact or issue.check in (VALIDATION, PARSE_ERROR, UNDECIDED):
                issues.append(issue)
                failing.add(issue.check)
            elif issue.check not in failing:
                failing.add(issue.check)
                issues.append(_pattern_undecided(task, found, issue))
    unique: list[Issue] = []
    for issue in issues:
        if issue not in unique:
            unique.append(issue)
    return kind, unique


def _pattern_undecided(task: FileTask, found: FoundPolicy, issue: Issue) -> Issue:
    from policy_guard.sources.template_unknowns import pattern_undecided

    problem = pattern_undecided(issue.check, found.unknowns)
    return Issue(UNDECIDED, Severity.ERROR, problem, issue.location, found.policy_id)


def _check_one_reading(
    task: FileTask,
    found: FoundPolicy,
    old: FoundPolicy | str | None,
    context: CheckContext,
    validate: bool = True,
) -> tuple[str, list[Issue]]:
    """One reading of a policy: the registry's checks, in its order, those that read the
    document first; the others only when the policy parses. A policy IAM would refuse (an
    ERROR-level validation finding) is a validation finding, and every other check that would
    have run on it is undecided: its answer would be about a policy IAM never runs. `old` is
    the version to compare with, or why none can be read. `validate`: report validation
    findings (once per policy, not once per reading)."""
    config = context.config
    target = Target(
        task.path,
        found.document,
        found.policy_type,
        found.resource_type,
        compared=context.compare,
        base=old.document if isinstance(old, FoundPolicy) else None,
        base_problem=old if isinstance(old, str) else None,
        base_note=_base_note(task, found),
        compare_with_empty=task.compare_with_empty,
    )
    flagged = _run_checks(Stage.DOCUMENT, target, config)
    if found.unknowns:  # values known at deployment only: the engine decides over every value
        flagged = [
            (check, severity, flag)
            for check, severity, flag in flagged
            if not (check == VALIDATION and _mentions_unknown(found.document.value, flag.path))
        ]
    elif found.terraform_unknowns:  # a value known when Terraform runs: nothing about its form
        flagged = [
            (check, severity, flag)
            for check, severity, flag in flagged
            if not (check == VALIDATION and _about_unknown(found.document.value, flag.path))
        ]
    issues = _issues(flagged, target, found)
    refused = next(
        (flag for check, _, flag in flagged if check == VALIDATION and _refuses(flag)), None
    )
    parsed = parse_policy(found.document, found.policy_type)
    kind = found.policy_type or (parsed.policy.policy_type if parsed.policy else None)
    if not validate:
        issues = [i for i in issues if i.check != VALIDATION]
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


def _base_note(task: FileTask, found: FoundPolicy) -> str | None:
    """What the policy is compared with when it is not its version at the base."""
    if task.removed_policies:
        names = ", ".join(f"`{name}`" for name in task.removed_policies[:3])
        more = " ..." if len(task.removed_policies) > 3 else ""
        return (
            f"compared with nothing: the change removes {names}{more} from this file; "
            "this may be one of them, renamed"
        )
    renamed = f"`{found.renamed_from}`, which it renames" if found.renamed_from else None
    unreadable = task.unreadable_base
    if unreadable is None or not unreadable.covers(found.renamed_from or found.policy_id):
        return None if renamed is None else f"against {renamed}"
    commit = (unreadable.earlier_commit or "")[:12]
    at = f" of {renamed}" if renamed else ""
    return f"against {commit}{at}, the last version IAM would accept: not the base's"


def _refuses(flag: Flag) -> bool:
    """A validation flag of an ERROR-level finding (the others carry their own level)."""
    return flag.level is None and not flag.undecided


def _run_checks(stage: Stage, target: Target, config: Config) -> list[tuple[str, Severity, Flag]]:
    """What the checks of `stage` that the configuration leaves on flag, with each check's id
    and severity; what a check cannot decide is an undecided flag, and the other checks still
    run. (The registry is imported when a policy is checked: the hook's quick look never needs
    it.)"""
    from policy_guard.checks.common import EngineOptions, decided
    from policy_guard.checks.registry import CHECKS

    options = EngineOptions(
        solver=config.solver, timeout=config.timeout, full_aws_access=config.full_aws_access
    )
    flagged = []
    for check in CHECKS:
        severity = config.severity(check.id)
        if check.stage is not stage or severity is None:
            continue
        flags = decided(check.id, partial(check.run, target, config, options))
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
    from policy_guard.checks.access_not_granted import CHECK_ID as CRITICAL_PERMISSION
    from policy_guard.checks.external_access import CHECK_ID as EXTERNAL_ACCESS
    from policy_guard.checks.no_new_access import CHECK_ID as NO_NEW_ACCESS
    from policy_guard.checks.public_access import CHECK_ID as PUBLIC_ACCESS

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


def _mentions_unknown(value: object, path: tuple[str | int, ...]) -> bool:
    """Does the element at `path` (or a key on the way) hold an unknown value?"""
    for element in path:
        if isinstance(element, str) and element.startswith(CONDITION_PREFIX):
            return True
        try:
            value = value[element]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
    text = json.dumps(value)
    return UNKNOWN_PREFIX in text or CONDITION_PREFIX in text


def _issue(check: str, severity: Severity, flag: Flag, target: Target, found: FoundPolicy) -> Issue:
    """A check's flag as an issue at its line of the file: at the first entry that matches the
    counterexample (naming the others), identified in a baseline by its statement."""
    span = target.document.span_of(flag.located)
    location = Location(target.path, span.line, span.column, span.end_line, span.end_column)
    if flag.undecided:
        return Issue(UNDECIDED, Severity.ERROR, flag.message, location, found.policy_id)
    impossible = _impossible(found, flag)
    if impossible is not None:
        problem = f"`{check}` could not be decided: {impossible}"
        return Issue(UNDECIDED, Severity.ERROR, problem, location, found.policy_id)
    return Issue(
        check,
        severity if flag.level is None else flag.level,
        flag.message + _also_matching(flag, target),
        location,
        found.policy_id,
        flag.statement_index,
        flag.statement_id,
        flag.counterexample,
        flag.aws_message,
        finding_key=_finding_key(check, flag, target, found),
        access_diff=flag.access_diff,
    )


# --- Terraform's policies ---------------------------------------------------------------------


def _from_terraform(task: FileTask, found: FoundPolicy) -> bool:
    """A policy of a Terraform source (a `.tf` file, or a plan that carries its own base): its
    problems, attachments and unknown values follow Terraform's rules (`_check_terraform`,
    `sources.terraform_unknowns`); templates' follow `_check_policy`'s, except for permissions
    boundaries, which every source reports alike (`_boundary_issues`)."""
    return found.carries_base or is_own_format(task.path)


def _check_terraform(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | str | None, context: CheckContext
) -> tuple[str, list[Issue]]:
    """A policy as a Terraform source found it: unreadable, an attachment, or with unknown
    values, each decided or reported undecided (never skipped); else `_check_policy`. `old`
    as for `_check_one_reading` (a string: why no readable version can be compared)."""
    base_problem = old if isinstance(old, str) else None
    old = old if isinstance(old, FoundPolicy) else None
    kind = found.policy_type.value if found.policy_type else ""
    if context.compare and old is not None and _unchanged(found, old):
        return kind, []  # like an unchanged file: one policy of many, untouched by the change
    if found.problem is not None:
        return kind, [_undecided(task, found, f"the policy cannot be read: {found.problem}")]
    if _is_boundary(found):
        boundary_issues = _boundary_issues(task, found, old)
        if boundary_issues is not None:
            return kind, boundary_issues
        if old is None or not (old.attaches or "").removeprefix(BOUNDARY_PREFIX):
            context = replace(context, compare=False)  # a boundary added only limits
            old, base_problem = None, None
    elif found.attaches is not None:
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
        return _check_prepared(task, found, every[0][1], base_problem, context)
    issues: list[Issue] = []
    seen: set[tuple[str, int, int | None]] = set()
    for reading, prepared in every:
        kind, found_issues = _check_prepared(task, found, prepared, base_problem, context)
        shown = ", ".join(f"`${{{name}}}` = `{value}`" for name, value in reading.items())
        for issue in found_issues:
            key = (issue.check, issue.location.line, issue.statement_index)
            if key not in seen:  # one reading's issue stands for the others'
                seen.add(key)
                issues.append(replace(issue, message=f"{issue.message} (when {shown})"))
    return kind, issues


def _check_prepared(
    task: FileTask,
    found: FoundPolicy,
    prepared: Prepared,
    base_problem: str | None,
    context: CheckContext,
) -> tuple[str, list[Issue]]:
    """The checks of one reading of a Terraform policy's unknowns."""
    kind = found.policy_type.value if found.policy_type else ""
    if prepared.new is None:
        if prepared.unchanged and context.compare and not _single_checks(task, found, context):
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
    old: FoundPolicy | str | None = prepared.base if prepared.base is not None else base_problem
    return _check_policy(task, prepared.new, old, context)


def _is_boundary(found: FoundPolicy) -> bool:
    return (found.attaches or "").startswith(BOUNDARY_PREFIX)


def _boundary_issues(
    task: FileTask, found: FoundPolicy, old: FoundPolicy | None
) -> list[Issue] | None:
    """A permissions boundary only limits: none before, or the same, grants nothing new; one
    removed, or replaced by one whose document or the old one's is not here, may grant more:
    undecided. None: the boundary's document is here (a PERMISSIONS_BOUNDARY) and so is the
    old one's, or there was none: checked as a policy (a replaced boundary against the one it
    replaces; an added one by the checks that need no base)."""
    new = (found.attaches or "").removeprefix(BOUNDARY_PREFIX)
    before = (old.attaches or "").removeprefix(BOUNDARY_PREFIX) if old is not None else ""
    readable = _is_document(found) or found.problem is not None
    if readable and (not before or (old is not None and _is_document(old))):
        return None
    if not before or before == new:
        return []
    if not new:
        why = (
            f"removes the permissions boundary `{before}`: what it blocked is no longer limited "
            "by a boundary"
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
    same_unknowns = found.terraform_unknowns.keys() == old.terraform_unknowns.keys() and all(
        u.fingerprint is not None and old.terraform_unknowns[name].fingerprint == u.fingerprint
        for name, u in found.terraform_unknowns.items()
    )
    return (
        same_unknowns
        and found.unknowns == old.unknowns
        and found.document.value == old.document.value
        and found.problem == old.problem
        and found.attaches == old.attaches
        and found.policy_type == old.policy_type
        and found.resource_type == old.resource_type
    )


def _single_checks(task: FileTask, found: FoundPolicy, context: CheckContext) -> bool:
    """Does a check that needs no base apply to this policy (critical permissions, or public
    or external access of a resource policy)?"""
    statements = found.document.value.get("Statement") if _is_document(found) else None
    names_principals = isinstance(statements, list) and any(
        isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in statements
    )
    kind = found.policy_type or (PolicyType.RESOURCE if names_principals else None)
    return bool(_planned_checks(task, found, kind, None, replace(context, compare=False)))


def _is_document(found: FoundPolicy) -> bool:
    return isinstance(found.document.value, dict) and "Statement" in found.document.value


def _undecided(task: FileTask, found: FoundPolicy, problem: str) -> Issue:
    return Issue(
        UNDECIDED, Severity.ERROR, problem, Location(task.path, found.line), found.policy_id
    )


def _impossible(found: FoundPolicy, flag: Flag) -> str | None:
    """Why a counterexample cannot happen (it gives a Terraform account-id unknown another
    form)."""
    if not found.terraform_unknowns or flag.counterexample is None:
        return None
    from policy_guard.sources.terraform_unknowns import shape_problem

    return shape_problem(flag.counterexample.context, found.terraform_unknowns)


def _about_unknown(value: object, path: tuple[str | int, ...]) -> bool:
    """Is the element at `path` a value that holds a Terraform unknown (`${terraform:...}`)?"""
    from policy_guard.sources.terraform_unknowns import KEY_PREFIX

    for element in path:
        if isinstance(value, dict) and element in value:
            value = value[element]
            continue
        if not (isinstance(value, list) and isinstance(element, int) and element < len(value)):
            return False
        value = value[element]
    return isinstance(value, str) and "${" + KEY_PREFIX in value


def _also_matching(flag: Flag, target: Target) -> str:
    """The other entries that match the counterexample, as `; also matching lines 7:5, 9:9`."""
    spans = [target.document.span_of(path) for path in flag.elements[1:]]
    if not spans:
        return ""
    listed = ", ".join(f"{s.line}:{s.column + 1}" for s in spans)
    return f"; also matching {'line' if len(spans) == 1 else 'lines'} {listed}"


def _finding_key(check: str, flag: Flag, target: Target, found: FoundPolicy) -> str:
    """The finding's identity across reformatting, reordering, Sid renames and new
    counterexamples (`workflow.baseline`): the check's subject (a critical permission's id, a
    validation issue code) and the element flagged."""
    subject = flag.subject or (flag.message.split(":", 1)[0] if check == VALIDATION else "")
    return finding_key(check, found.policy_id, subject, target.document.value, flag.path)
