"""no-external-access, the workflow's `external-access`: violated by a request allowed by POLICY
from a principal outside the trusted accounts and organization (`semantics.exposure`,
"External").

The property (`check_no_external_access`, the `check-no-external-access` command's) and the
workflow's check (`run`: resource policies, when trusted accounts or an organization are
configured)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from policy_guard.checks.common import (
    STRING_LIKE,
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
from policy_guard.errors import UndecidedError
from policy_guard.policy.arns import root_arn
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Policy, PolicyType, Statement
from policy_guard.policy.variables import Variable, split_variables

if TYPE_CHECKING:
    from pysmt.fnode import FNode

    from policy_guard.checks.common import EngineOptions
    from policy_guard.encode.analysis import Analysis
    from policy_guard.semantics.exposure import ExternalAccess

CHECK_ID = "external-access"  # the workflow's check id
NO_EXTERNAL_ACCESS = "no-external-access"  # the result's, as the command names it

RULE = Rule(
    CHECK_ID,
    "ExternalAccess",
    "The resource policy grants access to a principal outside the trusted accounts.",
    "Some principal that is not in the configured trusted accounts or organization is "
    "allowed by the policy. The finding names the statement and a request that proves it.",
    Severity.ERROR,
    security=True,
    security_severity="8.0",
)

# --- no external access -----------------------------------------------------------------------


def _keys_used(policy: Policy) -> set[str]:
    """Condition keys the policy compares, and keys its policy variables read (lower case)."""
    keys = {c.key_lower for s in policy.statements for c in s.conditions}
    if policy.variables_enabled:
        texts = [v.text for s in policy.statements for v in s.resources or s.not_resources or ()]
        texts += [v.text for s in policy.statements for c in s.conditions for v in c.values]
        for text in texts:
            keys.update(p.key_lower for p in split_variables(text) if isinstance(p, Variable))
    return keys


def _trusted_values(policy: Policy, external: ExternalAccess) -> dict[str, tuple[Glob, ...]]:
    """The trusted values of the caller keys the policy uses (the engine makes them boundaries
    of the keys' spaces); a caller key compared other than as a string is undecided."""
    for statement in policy.statements:
        for condition in statement.conditions:
            spec = condition.operator.spec
            named = condition.key_lower in external.vouching
            if named and spec is not None and spec.family not in STRING_LIKE:
                raise UndecidedError(
                    f"{policy.filename}:{policy.span_of(condition.path).line}: the caller key "
                    f"`{condition.key}` is compared with `{condition.operator.text}`; "
                    "policy-guard decides external access only for String/Arn/Null conditions "
                    "on it"
                )
    used = _keys_used(policy)
    return {key: globs for key, globs in external.vouching.items() if key in used}


def _external_violation(analysis: Analysis, policy: Policy, external: ExternalAccess) -> FNode:
    from policy_guard.checks.federated import exposed_formula
    from policy_guard.semantics.exposure import account_entry, principal_entries

    m = analysis.session.manager
    keys = analysis.vocabulary.keys
    named = [e for e in principal_entries(policy) if not e.is_everyone]
    exposed = exposed_formula(analysis, external.federated, external.guests, external.claim_pins)
    parts = [
        analysis.allows(policy),
        m.Or(
            analysis.principal_in([*named, account_entry(external.outsider)]),
            analysis.principal_anonymous(),
        ),
        m.Or(m.Not(analysis.principal_in([account_entry(a) for a in external.trusted])), exposed),
    ]
    for key, globs in external.vouching.items():
        space = keys.get(key)
        if space is None:
            continue  # the policy does not read the key: no request needs to carry it
        if space.strings is None:
            raise UndecidedError(
                f"the caller key `{space.name}` is not compared as a string; "
                "policy-guard cannot decide external access exactly"
            )
        parts.append(m.Not(analysis.key_some(key, known_globs(space.strings, globs))))
    parts.append(valued(analysis, (*external.vouching, *external.claim_pins)))
    return m.And(parts)


def _zone(external: ExternalAccess) -> str:
    if external.trusted and external.organization:
        return "the trusted accounts and organization"
    return "the trusted accounts" if external.trusted else "the trusted organization"


def _external_reason(statement: Statement) -> str:

    reference = statement_reference(statement)
    return f"External access granted in the following statement with {reference}."


def check_no_external_access(
    policy: Policy,
    trusted_accounts: Sequence[str],
    trusted_organization: str | None = None,
    options: EngineOptions | None = None,
) -> CheckResult:
    """FAIL iff the resource policy allows a request from outside the trusted accounts and
    organization (`policy_guard.semantics.exposure`, "External").

    Reasons: each Allow statement that takes part, with a confirmed request (a principal the
    policy does not name is shown as `arn:aws:iam::ACCOUNT:root` of an untrusted account).
    InputError: malformed or no trusted ids, or an identity policy.
    """
    from policy_guard.checks.federated import guest_values, outsider_requests
    from policy_guard.semantics.exposure import account_entry, check_trusted, external_access

    trusted = check_trusted(trusted_accounts, trusted_organization)
    require_resource_policy(policy, "check-no-external-access")
    external = external_access(policy, trusted, trusted_organization)
    question = Question(
        policy,
        lambda analysis: _external_violation(analysis, policy, external),
        external.is_external,
        external.outsider,
        root_arn(external.outsider),
        _external_reason,
        principals=tuple(account_entry(a) for a in (*trusted, external.outsider)),
        values={**_trusted_values(policy, external), **guest_values(external.guests)},
        dress=lambda request: outsider_requests(request, external.federated),
    )
    reasons = answer(question, options)
    zone = _zone(external)
    if not reasons:
        message = f"The resource policy does not grant access to any principal outside {zone}."
        return CheckResult(NO_EXTERNAL_ACCESS, Outcome.PASS, message)
    message = f"The resource policy grants access to a principal outside {zone}."
    return CheckResult(NO_EXTERNAL_ACCESS, Outcome.FAIL, message, reasons)


# --- the workflow's check ----------------------------------------------------------------------


def run(target: Target, settings: Settings, options: EngineOptions) -> tuple[Flag, ...]:
    """A resource policy against the configured trusted accounts and organization; nothing
    when none is configured."""
    policy = target.policy
    if policy is None or policy.policy_type is not PolicyType.RESOURCE:
        return ()
    if not (settings.trusted_accounts or settings.trusted_organization):
        return ()
    return decided(
        CHECK_ID,
        lambda: flags_for(
            check_no_external_access(
                policy,
                trusted_accounts=settings.trusted_accounts,
                trusted_organization=settings.trusted_organization,
                options=options,
            ),
            "grants access outside the trusted accounts:",
        ),
    )


CHECK = Check(RULE, Stage.POLICY, run, settings=("trusted_accounts", "trusted_organization"))
