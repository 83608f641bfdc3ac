"""The ARN-case reading (docs/semantics.md, "Readings"): a pattern whose partition, service or
region has upper case matches the request's lower-case ARN under one reading and not under the
other, so a PASS must hold under both. Each check runs on both solvers, exact and lazy domains;
every counterexample is replayed through the evaluator.
"""

from __future__ import annotations

import json
from typing import Any

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome
from policy_guard.document.read import decode_text
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.reading import USUAL, Reading
from policy_guard.semantics.request import Request

UPPER = "arn:AWS:s3:::b/*"
LOWER = "arn:aws:s3:::b/*"
FOLDED = Reading(arn_prefix_case_folded=True)


def allow(statement: dict[str, Any]) -> Policy:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}
    return load_policy(decode_text(json.dumps(document), "p.json"), PolicyType.IDENTITY)


def test_the_evaluator_matches_an_upper_case_partition_only_when_folded() -> None:
    policy = allow({"NotAction": "s3:GetObject", "Resource": UPPER})
    request = Request("s3:PutObject", "arn:aws:s3:::b/x", None, {}, USUAL)
    assert not evaluate(policy, request).allowed
    assert evaluate(policy, Request("s3:PutObject", "arn:aws:s3:::b/x", None, {}, FOLDED)).allowed


def test_an_upper_case_partition_grants_the_listed_resource(
    engine_options: EngineOptions,
) -> None:
    """The property test's false PASS: the statement was sliced away because its pattern, read
    case-sensitively, misses the listed resource; under the folded reading it covers it."""
    policy = allow({"Sid": "A", "NotAction": ["s3:GetObject"], "Resource": [UPPER]})
    result = check_access_not_granted(policy, Access(resources=(LOWER,)), engine_options)
    assert result.outcome is Outcome.FAIL
    (reason,) = result.reasons
    request = reason.counterexample
    assert request is not None and request.reading.arn_prefix_case_folded
    assert request.resource.startswith("arn:aws:s3:::b/")
    assert evaluate(policy, request).allowed


def test_a_listed_action_on_an_upper_case_partition_is_granted(
    engine_options: EngineOptions,
) -> None:
    policy = allow({"Action": "s3:*", "Resource": UPPER})
    access = Access(actions=("s3:GetObject",), resources=(LOWER,))
    assert check_access_not_granted(policy, access, engine_options).outcome is Outcome.FAIL


def test_lower_casing_the_partition_is_new_access_under_the_usual_reading(
    engine_options: EngineOptions,
) -> None:
    upper = allow({"Action": "s3:GetObject", "Resource": UPPER})
    lower = allow({"Action": "s3:GetObject", "Resource": LOWER})
    widened = check_no_new_access(upper, lower, engine_options)
    assert widened.outcome is Outcome.FAIL
    request = widened.reasons[0].counterexample
    assert request is not None and not request.reading.arn_prefix_case_folded
    assert request.resource.startswith("arn:aws:s3:::b/")
    # the other way round nothing is gained: a request's ARN has a lower-case partition (a real
    # ARN, docs/semantics.md "A request"), which the upper-case pattern matches only folded
    narrowed = check_no_new_access(lower, upper, engine_options)
    assert narrowed.outcome is Outcome.PASS
    assert check_no_new_access(upper, upper, engine_options).outcome is Outcome.PASS
