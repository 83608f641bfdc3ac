"""The facts of the condition language that the evaluator and the engine share (one place)."""

from __future__ import annotations

import json
from decimal import Decimal
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.document.read import decode_text
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Kind
from policy_guard.policy.model import Policy
from policy_guard.policy.operators import (
    OPERATORS,
    Comparison,
    ConditionOperator,
    Family,
    ValueError_,
    compare,
    lookup_operator,
    read_policy_value,
    read_request_value,
)
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("StringEquals", Kind.STRING_EQUALS),
        ("StringNotEquals", Kind.STRING_EQUALS),
        ("StringEqualsIgnoreCase", Kind.STRING_EQUALS_IGNORE_CASE),
        ("StringNotEqualsIgnoreCase", Kind.STRING_EQUALS_IGNORE_CASE),
        ("StringLike", Kind.STRING_LIKE),
        ("StringNotLike", Kind.STRING_LIKE),
        ("ArnEquals", Kind.ARN_LIKE),
        ("ArnLike", Kind.ARN_LIKE),
        ("ArnNotEquals", Kind.ARN_LIKE),
        ("ArnNotLike", Kind.ARN_LIKE),
    ],
)
def test_string_kind(name: str, kind: Kind) -> None:
    spec = lookup_operator(name)
    assert spec is not None and spec.is_string
    assert spec.string_kind is kind


def test_only_string_and_arn_operators_are_strings() -> None:
    strings = {spec.name for spec in OPERATORS if spec.is_string}
    assert strings == {s.name for s in OPERATORS if s.family in (Family.STRING, Family.ARN)}
    assert len(strings) == 10


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("StringSortOf", "the condition operator `StringSortOf` is not one IAM knows"),
        ("ForAllValues:Null", "`ForAllValues:Null` (a set operator on `Null`) has no defined"),
        ("ForAnyValue:Null", "`ForAnyValue:Null` (a set operator on `Null`) has no defined"),
        ("NullIfExists", "the condition operator `NullIfExists` is not one IAM knows"),
        ("Sometimes:StringLike", "the condition operator `Sometimes:StringLike` is not one"),
    ],
)
def test_refused_operators(text: str, reason: str) -> None:
    operator = ConditionOperator.parse(text)
    assert operator.refusal is not None and operator.refusal.startswith(reason)
    with pytest.raises(UndecidedError, match=r"^p\.json:3: .*; so what$"):
        operator.decided_spec("p.json:3", "so what")


@pytest.mark.parametrize(
    "text", ["StringLike", "ForAllValues:StringLikeIfExists", "Null", "forallvalues:stringequals"]
)
def test_known_operators_are_decided(text: str) -> None:
    operator = ConditionOperator.parse(text)
    assert operator.refusal is None
    assert operator.decided_spec("here", "never said") is operator.spec


def _policy(operator: str) -> Policy:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {operator: {"aws:SourceVpc": "vpc-1"}},
            }
        ],
    }
    return load_policy(decode_text(json.dumps(document, indent=1), "p.json"))


@pytest.mark.parametrize("operator", ["StringSortOf", "ForAnyValue:Null"])
def test_evaluator_and_engine_refuse_alike(operator: str) -> None:
    """Both sides name the same place and give the same reason; only the consequence differs."""
    refused = _policy(operator)
    with pytest.raises(UndecidedError) as by_evaluator:
        evaluate(refused, Request("s3:GetObject", "arn:aws:s3:::b/k"))
    with pytest.raises(UndecidedError) as by_engine:
        check_no_new_access(_policy("StringEquals"), refused, EngineOptions())
    reason = ConditionOperator.parse(operator).refusal
    assert str(by_evaluator.value) == f"p.json:10: {reason}; the request cannot be decided"
    assert str(by_engine.value) == f"p.json:10: {reason}; policy-guard cannot decide what it grants"


def test_values_read_per_family() -> None:
    assert read_policy_value(Family.NUMERIC, " 1e3 ") == Decimal(1000)
    assert read_policy_value(Family.NULL, "TRUE") is True
    assert read_policy_value(Family.IP, "10.1.2.3/8") == ip_network("10.0.0.0/8")
    assert read_request_value(Family.IP, "10.1.2.3") == ip_address("10.1.2.3")
    with pytest.raises(ValueError_):
        read_request_value(Family.IP, "10.0.0.0/8")  # a request value is one address
    with pytest.raises(ValueError_):
        read_policy_value(Family.DATE, "yesterday")


@pytest.mark.parametrize(
    ("comparison", "request_value", "policy_value", "expected"),
    [
        (Comparison.LESS, Decimal(1), Decimal(2), True),
        (Comparison.LESS, Decimal(2), Decimal(2), False),
        (Comparison.LESS_EQUALS, Decimal(2), Decimal(2), True),
        (Comparison.GREATER, Decimal(3), Decimal(2), True),
        (Comparison.GREATER_EQUALS, Decimal(1), Decimal(2), False),
        (Comparison.EQUALS, Decimal("1.0"), Decimal(1), True),
        (Comparison.EQUALS, b"ab", b"ab", True),
        (Comparison.IN_RANGE, ip_address("10.9.0.1"), ip_network("10.0.0.0/8"), True),
        (Comparison.IN_RANGE, ip_address("11.0.0.1"), ip_network("10.0.0.0/8"), False),
        (Comparison.IN_RANGE, ip_address("::ffff:a00:1"), ip_network("10.0.0.0/8"), False),
        (Comparison.IN_RANGE, ip_address("10.0.0.1"), ip_network("::/0"), False),
    ],
)
def test_compare(
    comparison: Comparison, request_value: Any, policy_value: Any, expected: bool
) -> None:
    assert compare(comparison, request_value, policy_value) is expected
