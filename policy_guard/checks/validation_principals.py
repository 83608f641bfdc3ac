"""Validation of who a statement lets in, beyond the element's form: a public token issuer
whose subject no condition pins, a claim tested with ForAllValues in an Allow (true when the
token lacks the claim), and a service principal granted without the source that would pin the
calling resource (the confused deputy). Each finding is (issue code, details, path) for
`checks.validation`, which owns the codes; these are security warnings of policy-guard's own
(IAM Access Analyzer has no such check).

The issuers and their subject claims are `semantics.public_rules.PUBLIC_ISSUERS`, the data the
public and external access checks use too."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from policy_guard.document.values import Path
from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.model import Effect, Policy, PolicyType, Statement
from policy_guard.policy.operators import OperatorSpec
from policy_guard.policy.variables import compile_fixed
from policy_guard.semantics.public_rules import Issuer, claim_keys, issuer_of

Found = tuple[str, str, Path]

SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths")
"""The keys that pin the resource or account on whose behalf a service calls."""
SERVICE_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"


def _pins(
    policy: Policy, statement: Statement, key: str, pins: Callable[[str, bool], bool]
) -> bool:
    """A condition of the statement (not a negated one) on `key` with a value that pins
    (`pins(text, literal)`), its values compiled as the engine compiles them."""
    for condition in statement.conditions:
        spec = condition.operator.spec
        if condition.key_lower != key or spec is None or not spec.is_string or spec.negated:
            continue
        if condition.operator.set_operator == "ForAllValues":
            continue  # true for a token without the claim
        variables = policy.variables_enabled and spec.allows_variables
        for value in condition.values:
            glob = compile_fixed(value.text, spec.string_kind, variables)
            if glob is not None and pins(value.text, glob.is_literal):
                return True
    return False


def federated_subjects(policy: Policy) -> Iterator[Found]:
    """An Allow naming a public issuer with no condition pinning its subject; a ForAllValues
    condition on one of its claims in an Allow."""
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.principal is None:
            continue
        for entry in statement.principal.entries:
            issuer = issuer_of(entry.text) if entry.kind is PrincipalKind.FEDERATED else None
            if issuer is None:
                continue
            keys = claim_keys(issuer, entry.text)
            pinned = any(
                _pins(policy, statement, key, functools.partial(issuer.pins, name))
                for name, key in keys.items()
            ) or _refuses_guests(policy, statement, issuer)
            if not pinned:
                subject = next(iter(keys.values()))
                yield (
                    "MISSING_SUBJECT_CLAIM",
                    f"`{entry.text}` ({issuer.name}) issues tokens to anyone: without a "
                    f"condition that pins `{subject}` to specific values (an `aud` condition "
                    "does not), every one of them can use this statement; add "
                    f"`StringEquals` or `StringLike` on `{subject}` ({issuer.page})",
                    entry.path,
                )
            prefix = next(iter(keys.values())).rsplit(":", 1)[0] + ":"
            for condition in statement.conditions:
                if condition.operator.set_operator == "ForAllValues" and (
                    condition.key_lower.startswith(prefix)
                ):
                    yield (
                        "FORALLVALUES_ON_TOKEN_CLAIM",
                        f"`ForAllValues` on `{condition.key}` holds when the token has no such "
                        "claim, so it restricts nothing for a token without it: use "
                        "`ForAnyValue` or a single-valued operator",
                        condition.path,
                    )


def _refuses_guests(policy: Policy, statement: Statement, issuer: Issuer) -> bool:
    """A condition on the guest claim (Cognito's `amr`) none of whose values is the guests'
    (`authenticated`, not `unauthenticated`): only signed-in identities get in."""
    if issuer.guest is None:
        return False
    name, guest = issuer.guest
    key = f"{issuer.prefix}{name}".lower()
    return _pins(policy, statement, key, lambda text, literal: text.lower() != guest)


def service_sources(policy: Policy) -> Iterator[Found]:
    """An Allow in a resource policy (not a trust policy) naming a service principal, with no
    condition on aws:SourceAccount, aws:SourceArn, aws:SourceOrgID or aws:SourceOrgPaths."""
    if policy.policy_type is not PolicyType.RESOURCE:
        return
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.principal is None:
            continue
        if _is_trust_statement(statement):
            continue
        services = [e for e in statement.principal.entries if e.kind is PrincipalKind.SERVICE]
        if not services:
            continue
        keys = {c.key_lower for c in statement.conditions if not _negated(c.operator.spec)}
        if any(k.lower() in keys for k in SOURCE_KEYS):
            continue
        for entry in services:
            yield (
                "MISSING_SOURCE_CONDITION",
                f"the service principal `{entry.text}` can act here on behalf of any account's "
                "resource (a confused deputy): pin the caller with `aws:SourceArn` or "
                "`aws:SourceAccount` (or `aws:SourceOrgID`, `aws:SourceOrgPaths`) "
                f"({SERVICE_PAGE})",
                entry.path,
            )


def _negated(spec: OperatorSpec | None) -> bool:
    return spec is not None and spec.negated


def _is_trust_statement(statement: Statement) -> bool:
    """A role trust statement (sts: actions only): a service assuming a role is no deputy."""
    actions = statement.actions or ()
    return bool(actions) and all(a.text.lower().startswith("sts:") for a in actions)
