"""access-not-granted, the workflow's `critical-permission`: violated by a request allowed by
POLICY for a listed action or resource.

The property (`check_access_not_granted`, the `check-access-not-granted` command's) and the
workflow's check (`run`: each of the configured `critical_permissions`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from policy_guard.checks.common import (
    DEFAULT_OPTIONS,
    Access,
    EngineOptions,
    allow_statements,
    analysis_for,
    decided,
    flags_for,
    reasons_for,
    statement_reference,
)
from policy_guard.checks.results import CheckResult, Flag, Outcome
from policy_guard.checks.settings import CriticalPermission, Settings
from policy_guard.checks.spec import Check, Rule, Severity, Stage, Target
from policy_guard.errors import InputError
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.guardrails import engine_policy
from policy_guard.policy.model import Effect, Policy
from policy_guard.semantics.request import Request

CHECK_ID = "critical-permission"  # the workflow's check id
ACCESS_NOT_GRANTED = "access-not-granted"  # the result's, as the command and AWS name it

RULE = Rule(
    CHECK_ID,
    "CriticalPermission",
    "The policy grants an action or resource listed as critical in the configuration.",
    "Some request for one of the configured critical actions or resources is allowed by "
    "the policy. The finding names the statement responsible and a request that proves it. "
    "Remove the grant, add a condition that excludes it, or waive the finding.",
    Severity.ERROR,
    security=True,
    security_severity="9.0",
)


def _access_predicate(access: Access) -> Callable[[Request], bool]:
    """The listed access, decided on a concrete request (the evaluator's side of the check)."""
    actions = [compile_pattern(a, Kind.ACTION) for a in access.actions]
    resources = [compile_pattern(r, Kind.RESOURCE) for r in access.resources]

    def wanted(request: Request) -> bool:
        return (not actions or any(g.matches(request.action) for g in actions)) and (
            not resources or any(g.matches(request.resource) for g in resources)
        )

    return wanted


def check_access_not_granted(
    policy: Policy, access: Access, options: EngineOptions = DEFAULT_OPTIONS
) -> CheckResult:
    """FAIL iff the policy allows a listed action (on any resource), any action on a listed
    resource, or — both listed — a listed action on a listed resource.

    Reasons: each Allow statement that grants some of it, with a confirmed request. An SCP,
    RCP or boundary "grants" what it lets through (`policy.guardrails.engine_policy`).
    """
    if not access.actions and not access.resources:
        raise InputError("the access to check must list `actions`, `resources` or both")
    policy = engine_policy(policy, options.full_aws_access)
    from policy_guard.encode.analysis import Holds
    from policy_guard.encode.concretize import granted_covers
    from policy_guard.encode.slicing import sliced_for_access

    granted = (
        f"The policy document grants access to perform one or more of the listed {access.listed}."
    )
    not_granted = (
        "The policy document does not grant access to perform one or more of the listed "
        f"{access.listed}."
    )
    covers = granted_covers(policy, _access_predicate(access))
    sliced = sliced_for_access(policy, access.actions, access.resources)
    (kept,) = sliced.policies
    if not any(s.effect is Effect.ALLOW for s in kept.statements):
        return CheckResult(ACCESS_NOT_GRANTED, Outcome.PASS, not_granted)  # nothing can grant
    with analysis_for([kept], options, access, sliced.actions, [policy]) as analysis:
        m = analysis.session.manager
        within = m.And(
            analysis.action_in(access.actions) if access.actions else m.TRUE(),
            analysis.resource_in(access.resources) if access.resources else m.TRUE(),
        )
        violation = m.And(analysis.allows(kept), within)
        verdict = analysis.prove(violation, lambda r: bool(covers(r)))
        if isinstance(verdict, Holds):
            return CheckResult(ACCESS_NOT_GRANTED, Outcome.PASS, not_granted)
        found = analysis.localise(
            violation, allow_statements(kept), covers, known=[verdict.request]
        )
    reasons = reasons_for(
        policy,
        found,
        lambda s: (
            f"One or more of the listed {access.listed} in the statement with "
            f"{statement_reference(s)}."
        ),
    )
    return CheckResult(ACCESS_NOT_GRANTED, Outcome.FAIL, granted, reasons)


# --- the workflow's check ----------------------------------------------------------------------


def run(target: Target, settings: Settings, options: EngineOptions) -> tuple[Flag, ...]:
    """Each configured critical permission on its own (one that cannot be decided leaves the
    others checked)."""
    policy = target.policy
    if policy is None:
        return ()
    flags: list[Flag] = []
    for entry in settings.critical_permissions:
        flags += decided(CHECK_ID, partial(_critical, policy, entry, options))
    return tuple(flags)


def _critical(
    policy: Policy, entry: CriticalPermission, options: EngineOptions
) -> tuple[Flag, ...]:
    access = Access(actions=entry.actions, resources=entry.resources)
    result = check_access_not_granted(policy, access, options)
    lead = f"grants critical permission `{entry.id}` ({entry.description}):"
    return tuple(replace(flag, subject=entry.id) for flag in flags_for(result, lead))


CHECK = Check(RULE, Stage.POLICY, run, settings=("critical_permissions",))
