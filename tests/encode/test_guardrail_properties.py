"""The engine agrees with the reference evaluator on random small SCPs, RCPs and permissions
boundaries (`engine_strategies`' policies, read as the new types), on both solvers.

The oracle is independent of the engine's reading (`policy.guardrails.engine_policy`): each
request of the finite space is decided by `semantics.organization.evaluate_account` — the policy
beside an identity policy that allows everything, in AWS's evaluation order — and counted only
when the policy governs it (for an SCP or boundary, a caller whose `aws:PrincipalArn` values are
IAM callers' ARNs; for an SCP or RCP, not a service-linked role; for an RCP, a service RCPs
cover). Bounded: few examples per type.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from engine_strategies import SOLVERS, bounded, policy_pairs, request_space
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome
from policy_guard.document.read import decode_text
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.guardrails import IAM_CALLERS, service_governed
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.organization import (
    AccountPolicies,
    evaluate_account,
    service_linked_caller,
)
from policy_guard.semantics.request import Request

USER = "arn:aws:iam::111122223333:user/a"
LINKED = "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
ALLOW_ALL = load_policy(
    decode_text(
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                            "Resource": "*"}]}),
        "identity.json",
    ),
    PolicyType.IDENTITY,
)  # fmt: skip
OPTIONS = [pytest.param(EngineOptions(s), id=s) for s in SOLVERS]


@st.composite
def guardrail_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], PolicyType]:
    """A random pair read as an SCP or boundary (identity-shaped) or an RCP (every statement
    names `Principal: "*"`, as an RCP must)."""
    old, new, kind = draw(policy_pairs())
    if kind is PolicyType.RESOURCE:
        for document in (old, new):
            for statement in document["Statement"]:
                statement.pop("NotPrincipal", None)
                statement["Principal"] = "*"
        return old, new, PolicyType.RESOURCE_CONTROL
    guardrail = draw(st.sampled_from([PolicyType.SERVICE_CONTROL, PolicyType.PERMISSIONS_BOUNDARY]))
    return old, new, guardrail


def load(document: dict[str, Any], kind: PolicyType, name: str) -> Policy:
    return load_policy(decode_text(json.dumps(document), name), kind)


def governed(kind: PolicyType, request: Request) -> bool:
    boundary = kind is PolicyType.PERMISSIONS_BOUNDARY
    if not boundary and service_linked_caller(request):
        return False
    if not service_governed(kind, request.action):
        return False
    if kind is not PolicyType.RESOURCE_CONTROL:
        callers = [compile_pattern(arn, Kind.RESOURCE) for arn in IAM_CALLERS]
        arns = request.context_values("aws:PrincipalArn") or ()
        return bool(arns) and all(any(c.matches(arn) for c in callers) for arn in arns)
    return True


def lets_through(policy: Policy, request: Request) -> bool:
    kind = policy.policy_type
    given_ = {
        PolicyType.SERVICE_CONTROL: AccountPolicies(ALLOW_ALL, scp=policy),
        PolicyType.RESOURCE_CONTROL: AccountPolicies(ALLOW_ALL, rcp=policy),
        PolicyType.PERMISSIONS_BOUNDARY: AccountPolicies(ALLOW_ALL, boundary=policy),
    }[kind]
    return evaluate_account(request, given_).allowed


def space(
    old: dict[str, Any], new: dict[str, Any], kind: PolicyType, extra: tuple[str, ...] = ()
) -> list[Request]:
    """The strategies' space (read as the type the statements look like), with callers an SCP or
    boundary governs and does not: a user's and a service-linked role's `aws:PrincipalArn` where
    absent."""
    requests = request_space(old, new, kind.evaluated_as, extra)
    if kind is PolicyType.RESOURCE_CONTROL:
        return bounded(requests)
    more = []
    for request in requests:
        if request.context_values("aws:PrincipalArn") is None:
            for arn in (USER, LINKED):
                context = {**request.context, "aws:PrincipalArn": (arn,)}
                more.append(dataclasses.replace(request, context=context))
    return bounded(requests + more)


@pytest.mark.parametrize("options", OPTIONS)
@settings(max_examples=15)
@given(pair=guardrail_pairs())
def test_guardrail_changes_agree_with_the_evaluator(
    options: EngineOptions, pair: tuple[dict[str, Any], dict[str, Any], PolicyType]
) -> None:
    old_document, new_document, kind = pair
    old, new = load(old_document, kind, "old.json"), load(new_document, kind, "new.json")
    result = check_no_new_access(old, new, options)
    gained = any(
        governed(kind, r) and lets_through(new, r) and not lets_through(old, r)
        for r in space(old_document, new_document, kind)
    )
    if gained:
        assert result.outcome is Outcome.FAIL
    for reason in result.reasons:
        shown = reason.counterexample
        assert governed(kind, shown)
        assert lets_through(new, shown) and not lets_through(old, shown)
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)


@pytest.mark.parametrize("options", OPTIONS)
@settings(max_examples=15)
@given(pair=guardrail_pairs(), action=st.sampled_from(["s3:GetObject", "s3:*", "ec2:Run*"]))
def test_guardrails_let_through_what_the_evaluator_says(
    options: EngineOptions, pair: tuple[dict[str, Any], dict[str, Any], PolicyType], action: str
) -> None:
    document, _, kind = pair
    policy = load(document, kind, "p.json")
    access = Access(actions=(action,))
    result = check_access_not_granted(policy, access, options)
    wanted = compile_pattern(action, Kind.ACTION)
    through = any(
        wanted.matches(r.action) and governed(kind, r) and lets_through(policy, r)
        for r in space(document, document, kind, (action,))
    )
    if through:
        assert result.outcome is Outcome.FAIL
    for reason in result.reasons:
        shown = reason.counterexample
        assert wanted.matches(shown.action) and governed(kind, shown)
        assert lets_through(policy, shown)
