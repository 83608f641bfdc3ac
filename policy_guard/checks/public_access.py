"""no-public-access, the workflow's `public-access`: violated by a request allowed by POLICY that
`semantics.exposure` calls public for the resource type (the principal one of an account the
policy does not name, standing for everyone; each pinning key absent or outside its fixed
values).

The property (`check_no_public_access`, the `check-no-public-access` command's) and the
workflow's check (`run`: resource policies whose resource type is known)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from policy_guard.checks.common import (
    Question,
    answer,
    decided,
    flags_for,
    known_globs,
    require_resource_policy,
    statement_reference,
    valued,
)
from policy_guard.checks.results import CheckResult, Flag, Outcome
from policy_guard.checks.settings import Settings
from policy_guard.checks.spec import Check, Rule, Severity, Stage, Target
from policy_guard.policy.arns import ANONYMOUS
from policy_guard.policy.model import Policy, PolicyType, Statement

if TYPE_CHECKING:
    from pysmt.fnode import FNode

    from policy_guard.checks.common import EngineOptions
    from policy_guard.encode.analysis import Analysis
    from policy_guard.semantics.exposure import PublicAccess

CHECK_ID = "public-access"  # the workflow's check id
NO_PUBLIC_ACCESS = "no-public-access"  # the result's, as the command and AWS name it

RULE = Rule(
    CHECK_ID,
    "PublicAccess",
    "The resource policy grants access to everyone, anonymous principals included.",
    "A statement allows a principal of `*` without a condition that pins the caller to a "
    "fixed account, organization, network or source (S3's definition of public, which IAM "
    "Access Analyzer follows). Restrict the principal or add such a condition.",
    Severity.ERROR,
    security=True,
    security_severity="9.0",
)

PUBLIC_MESSAGE = "The resource policy grants public access for the given resource type."
NOT_PUBLIC_MESSAGE = "The resource policy does not grant public access for the given resource type."

# --- no public access -------------------------------------------------------------------------


def _public_violation(analysis: Analysis, policy: Policy, public: PublicAccess) -> FNode:
    from policy_guard.checks.federated import exposed_formula
    from policy_guard.errors import UndecidedError
    from policy_guard.semantics.exposure import SOURCE_IP, account_entry, outside_blocks

    m = analysis.session.manager
    request, keys = analysis.request, analysis.vocabulary.keys
    parts = [
        analysis.allows(policy),
        analysis.action_in(public.action_patterns),
        m.Or(
            analysis.principal_in([account_entry(public.outsider)]),
            analysis.principal_anonymous(),
            exposed_formula(analysis, public.federated, public.guests, {}),
        ),
    ]
    parts.append(valued(analysis, public.valued_keys))
    for key, globs in public.fixed.items():
        space = keys.get(key)
        if space is None or space.strings is None:
            continue  # (fixed values come from String/Arn conditions: never the case)
        # every value outside the fixed values: none inside
        parts.append(m.Not(analysis.key_some(key, known_globs(space.strings, globs))))
    for key in public.rule.true_keys:
        space = keys.get(key)
        if space is None:
            continue  # the policy does not read it: no request needs to carry it
        if space.family != "bool":
            raise UndecidedError(
                f"`{space.name}` restricts the caller when true, and the policy compares it "
                "other than with Bool; policy-guard cannot decide public access exactly"
            )
        not_true = frozenset(r for r, v in enumerate(space.domain.parsed) if v is not True)
        parts.append(request.has_only(key, not_true))
    source_ip = keys.get(SOURCE_IP)
    if public.rule.source_ip and source_ip is not None and source_ip.family == "ip":
        outside = frozenset(
            r
            for r, address in enumerate(source_ip.domain.parsed)
            if address is None or outside_blocks(address, public.narrow)
        )
        parts.append(request.has_only(SOURCE_IP, outside))
    return m.And(parts)


def _public_reason(statement: Statement) -> str:

    return (
        f"Public access granted in the following statement with {statement_reference(statement)}."
    )


def check_no_public_access(
    policy: Policy, resource_type: str, options: EngineOptions | None = None
) -> CheckResult:
    """FAIL iff the resource policy, read as a `resource_type` policy, allows a public request
    (`policy_guard.semantics.exposure`).

    Reasons: each Allow statement that takes part, with a request the evaluator confirms and
    the definition calls public (principal `anonymous` where that confirms too).
    InputError: an unknown resource type, or an identity policy.
    """
    from policy_guard.checks.federated import guest_values, outsider_requests
    from policy_guard.semantics.exposure import account_entry, public_access

    public = public_access(policy, resource_type)
    require_resource_policy(policy, "check-no-public-access")
    question = Question(
        policy,
        lambda analysis: _public_violation(analysis, policy, public),
        public.is_public,
        public.outsider,
        ANONYMOUS,
        _public_reason,
        actions=public.action_patterns,
        principals=(account_entry(public.outsider),),
        values=guest_values(public.guests),
        dress=lambda request: outsider_requests(request, public.federated),
    )
    reasons = answer(question, options)
    if not reasons:
        return CheckResult(NO_PUBLIC_ACCESS, Outcome.PASS, NOT_PUBLIC_MESSAGE)
    return CheckResult(NO_PUBLIC_ACCESS, Outcome.FAIL, PUBLIC_MESSAGE, reasons)


# --- the workflow's check ----------------------------------------------------------------------


def run(target: Target, settings: Settings, options: EngineOptions) -> tuple[Flag, ...]:
    """A resource policy, read as the policy of its resource type (configured for its path,
    else as its source knows it); nothing when the type is unknown."""
    policy = target.policy
    if policy is None or policy.policy_type is not PolicyType.RESOURCE:
        return ()
    resource_type = settings.resource_type(target.path) or target.resource_type
    if resource_type is None:
        return ()
    return decided(
        CHECK_ID,
        lambda: flags_for(
            check_no_public_access(policy, resource_type, options), "makes the policy public:"
        ),
    )


CHECK = Check(RULE, Stage.POLICY, run, settings=("public_access",))
