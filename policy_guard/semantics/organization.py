"""Every policy type of one account together, in AWS's evaluation order (`simulate --scp --rcp
--permissions-boundary`; docs/semantics.md, "Service control policies, resource control
policies and permissions boundaries").

IAM User Guide, "Policy evaluation logic" (within a single account):
1. a matching Deny in any policy that applies denies (explicit deny);
2. an RCP that applies and lets nothing through (no Allow matches) denies;
3. an SCP that applies and lets nothing through denies;
4. a resource policy's Allow that names the caller itself — the IAM user's ARN, or the role
   session's ARN — allows: a permissions boundary does not limit what a resource policy grants
   to the principal itself ("Permissions boundaries for IAM entities", resource-based policies;
   a grant to the role's ARN or to the account is limited by the boundary);
5. otherwise an Allow in the identity or resource policy allows, if the boundary (when there is
   one) lets the request through; else implicit deny.

An SCP or RCP applies unless the caller is a service-linked role or, for an RCP, the action's
service is not one RCPs cover (`policy.guardrails`); the caller's and resource's account are
taken to be member accounts (SCPs and RCPs do not apply to the management account).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.guardrails import SERVICE_LINKED_ROLES, service_governed, with_full_access
from policy_guard.policy.model import Effect, Policy, PolicyType
from policy_guard.semantics.evaluate import (
    SOURCE_IDENTITY,
    SOURCE_RESOURCE,
    Decision,
    Evaluation,
    MatchedStatement,
    evaluate,
)
from policy_guard.semantics.request import Request

SOURCE_SCP = "serviceControlPolicy"
SOURCE_RCP = "resourceControlPolicy"
SOURCE_BOUNDARY = "permissionsBoundary"


@dataclass(frozen=True)
class AccountPolicies:
    """What decides a request in one account; any may be missing (None)."""

    identity: Policy | None = None
    resource: Policy | None = None
    scp: Policy | None = None
    rcp: Policy | None = None
    boundary: Policy | None = None
    full_aws_access: bool = True  # SCP/RCP deployed beside FullAWSAccess / RCPFullAWSAccess


def service_linked_caller(request: Request) -> bool:
    """Is the caller a service-linked role (its `aws:PrincipalArn`, or the principal itself)?"""
    linked = compile_pattern(SERVICE_LINKED_ROLES, Kind.RESOURCE)
    names = [request.principal or "", *(request.context_values("aws:PrincipalArn") or ())]
    return any(linked.matches(name) for name in names)


def not_applying(policy_type: PolicyType, request: Request) -> str | None:
    """Why an SCP or RCP does not apply to the request (None: it applies)."""
    if service_linked_caller(request):
        return "the caller is a service-linked role"
    if not service_governed(policy_type, request.action):
        return "RCPs do not apply to this service"
    return None


def _matched(policy: Policy | None, request: Request, source: str) -> tuple[MatchedStatement, ...]:
    if policy is None:
        return ()
    return tuple(replace(m, source=source) for m in evaluate(policy, request).matched_statements)


def _allows(matched: tuple[MatchedStatement, ...]) -> bool:
    return any(m.effect is Effect.ALLOW for m in matched)


def _names_caller(resource: Policy, matched: tuple[MatchedStatement, ...], caller: str) -> bool:
    """Does a matched Allow of the resource policy name the caller's own ARN (a user, a role
    session), not its account or its role?"""
    indexes = {m.statement_index for m in matched if m.effect is Effect.ALLOW}
    for statement in resource.statements:
        if statement.index in indexes and statement.principal is not None:
            for entry in statement.principal.entries:
                if entry.kind is PrincipalKind.AWS and entry.normalized == caller:
                    return True
    return False


def evaluate_account(request: Request, policies: AccountPolicies) -> Evaluation:
    """The decision of every given policy together, in AWS's order (module docstring)."""
    guardrails: list[tuple[Policy, str]] = []
    for policy, source in ((policies.rcp, SOURCE_RCP), (policies.scp, SOURCE_SCP)):
        if policy is not None and not_applying(policy.policy_type, request) is None:
            guardrails.append((with_full_access(policy, policies.full_aws_access), source))
    by_source = {source: _matched(p, request, source) for p, source in guardrails}
    identity = _matched(policies.identity, request, SOURCE_IDENTITY)
    resource = _matched(policies.resource, request, SOURCE_RESOURCE)
    boundary = _matched(policies.boundary, request, SOURCE_BOUNDARY)
    matched = identity + resource + boundary + tuple(m for ms in by_source.values() for m in ms)
    if any(m.effect is Effect.DENY for m in matched):
        return Evaluation(Decision.EXPLICIT_DENY, matched)
    if not all(_allows(ms) for ms in by_source.values()):
        return Evaluation(Decision.IMPLICIT_DENY, matched)
    caller = request.principal
    if (
        policies.resource is not None
        and caller is not None
        and _names_caller(policies.resource, resource, caller)
    ):
        return Evaluation(Decision.ALLOW, matched)
    granted = _allows(identity) or _allows(resource)
    if granted and (policies.boundary is None or _allows(boundary)):
        return Evaluation(Decision.ALLOW, matched)
    return Evaluation(Decision.IMPLICIT_DENY, matched)
