"""Requests AWS can make: real resource ARNs and single-valued keys (issue 9, points 3 and 4).

AWS's labelled Access Analyzer sample ("Check for access to a CloudFormation stack", in
aws-samples' iam-access-analyzer-custom-policy-check-samples) expects PASS for a candidate that
allows `stack/NotMySensitiveStack/*` against a Deny on `arn:aws:cloudformation:*:*:stack/
MySensitiveStack/*`, and FAIL for the candidates that reach the sensitive stack. Each case runs
on both solvers, on the exact and on the lazy domain.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import CheckResult, Outcome, Relation
from policy_guard.document.read import decode_text
from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import (
    as_arn_format,
    is_arn_format,
    resource_fits,
    resource_shapes,
)
from policy_guard.policy.key_values import single_valued
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.possible import impossible
from policy_guard.semantics.request import Request

OPTIONS = [
    pytest.param(EngineOptions(solver, max_partition_states=states), id=f"{solver}-{domain}")
    for solver in ("z3", "cvc5")
    for domain, states in (("exact", None), ("lazy", 0))
]
SENSITIVE = "arn:aws:cloudformation:*:*:stack/MySensitiveStack/*"
STACK_ACTIONS = [
    "cloudformation:CancelUpdateStack",
    "cloudformation:ContinueUpdateRollback",
    "cloudformation:CreateChangeSet",
    "cloudformation:CreateStack",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeStacks",
    "cloudformation:RollbackStack",
    "cloudformation:UpdateStack",
]


def policy(*statements: dict[str, Any], name: str = "p.json") -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document), name), PolicyType.IDENTITY)


REFERENCE = policy(
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": STACK_ACTIONS, "Resource": SENSITIVE},
    name="reference.json",
)


def stack_candidate(actions: Any, resource: str) -> Policy:
    return policy({"Effect": "Allow", "Action": actions, "Resource": resource})


@pytest.mark.parametrize("options", OPTIONS)
def test_the_samples_passing_candidates_pass(options: EngineOptions) -> None:
    allowed = [
        "cloudformation:UpdateStack",
        "cloudformation:DeleteStack",
        "cloudformation:RollbackStack",
    ]
    first = stack_candidate(allowed, "arn:aws:cloudformation:*:*:stack/NotMySensitiveStack/*")
    assert check_no_new_access(REFERENCE, first, options).outcome is Outcome.PASS
    second = policy(
        {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": SENSITIVE},
    )
    assert check_no_new_access(REFERENCE, second, options).outcome is Outcome.PASS


def sensitive_stack(result: CheckResult) -> str:
    assert result.outcome is Outcome.FAIL
    resource = result.reasons[0].counterexample.resource
    assert resource.startswith("arn:aws:cloudformation:us-east-1:111122223333:stack/")
    return resource


@pytest.mark.parametrize("options", OPTIONS)
def test_the_samples_failing_candidates_fail_on_a_real_stack(options: EngineOptions) -> None:
    exact = stack_candidate("cloudformation:DeleteStack", SENSITIVE)
    resource = sensitive_stack(check_no_new_access(REFERENCE, exact, options))
    assert resource.startswith(
        "arn:aws:cloudformation:us-east-1:111122223333:stack/MySensitiveStack/"
    )
    wildcard = stack_candidate(
        "cloudformation:DeleteStack", "arn:aws:cloudformation:*:*:stack/*Sensitive*/*"
    )
    assert "MySensitiveStack/" in sensitive_stack(check_no_new_access(REFERENCE, wildcard, options))
    everything = stack_candidate("cloudformation:*", "*")
    assert check_no_new_access(REFERENCE, everything, options).outcome is Outcome.FAIL


@pytest.mark.parametrize("options", OPTIONS)
def test_a_region_star_still_crosses_colons_on_the_policy_side(options: EngineOptions) -> None:
    granted = policy(
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": "arn:aws:dynamodb:us-*:table/T",
        }
    )
    result = check_access_not_granted(granted, Access(("dynamodb:GetItem",), ()), options)
    assert result.outcome is Outcome.FAIL
    example = result.reasons[0].counterexample
    assert example.action == "dynamodb:GetItem"
    assert example.resource == "arn:aws:dynamodb:us-east-1:111122223333:table/T"


def test_a_resource_fits_the_actions_arn_formats() -> None:
    stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/NotMySensitiveStack/a1b2"
    assert resource_fits("cloudformation:UpdateStack", stack)
    crafted = "arn:aws:cloudformation:::stack/MySensitiveStack/:stack/NotMySensitiveStack/x"
    assert not resource_fits("cloudformation:UpdateStack", crafted)
    assert not resource_fits(
        "cloudformation:UpdateStack", "arn:aws:cloudformation:us-east-1:1:stack/a/b"
    )
    assert resource_fits("s3:GetObject", "arn:aws:s3:::bucket/any:key/with:colons")
    assert not resource_fits("s3:GetObject", "arn:aws:s3:::bucket")
    assert resource_fits(
        "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:111122223333:function:f:live"
    )
    # no format in the catalogue (takes only `*`), or not catalogued: any string
    assert resource_shapes("s3:ListAllMyBuckets") is None
    assert resource_fits("s3:ListAllMyBuckets", "anything at all")
    assert resource_fits("s3:NoSuchActionYet", "x")


def test_a_catalogue_format_that_is_no_arn_is_not_trusted() -> None:
    """mediaconnect's `Offering` format has no account segment, so no real ARN (with an
    account) is of it. Trusting it would leave `DescribeOffering` with no possible request:
    its resource is any string instead, and the example ARN gets its account back."""
    formats = [f for a in catalogue.all_actions() for _, f in catalogue.action_resource_formats(a)]
    malformed = sorted({f for f in formats if not is_arn_format(f)})
    assert malformed == ["arn:${Partition}:mediaconnect:${Region}:offering:${OfferingId}"]
    real = "arn:aws:mediaconnect:us-east-1:111122223333:offering:o-1"
    assert resource_shapes("mediaconnect:DescribeOffering") is None
    assert resource_fits("mediaconnect:DescribeOffering", real)
    assert as_arn_format(malformed[0]) == (
        "arn:${Partition}:mediaconnect:${Region}:${Account}:offering:${OfferingId}"
    )


@pytest.mark.parametrize("options", OPTIONS)
def test_an_action_with_a_format_that_is_no_arn_is_still_checked(options: EngineOptions) -> None:
    """Granting DescribeOffering on real offering ARNs is new access (it was undecided: the
    only requests the catalogue's format allowed were no real ARNs, which the evaluator
    refused), with a real ARN as the example."""
    listing = {"Effect": "Allow", "Action": "mediaconnect:ListFlows", "Resource": "*"}
    offering = {
        "Effect": "Allow",
        "Action": "mediaconnect:DescribeOffering",
        "Resource": "arn:aws:mediaconnect:*:111122223333:offering:*",
    }
    result = check_no_new_access(policy(listing), policy(listing, offering), options)
    assert result.outcome is Outcome.FAIL
    example = result.reasons[0].counterexample
    assert example.action == "mediaconnect:DescribeOffering"
    assert example.resource == (
        "arn:aws:mediaconnect:us-east-1:111122223333:offering:example-offering"
    )


def test_single_valued_keys_come_from_the_catalogue() -> None:
    assert single_valued("aws:SourceVpce") and single_valued("AWS:SourceArn")
    assert single_valued("aws:PrincipalTag/team") and single_valued("acm-pca:TemplateArn")
    assert not single_valued("aws:TagKeys")  # ArrayOfString
    assert not single_valued("s3:no-such-key")  # unknown: possibly multi-valued
    assert not single_valued("cognito-identity.amazonaws.com:amr")  # corrected to multi
    several = Request("s3:ListAllMyBuckets", "*", None, {"aws:SourceVpce": ("a", "b")})
    assert impossible(several) is not None
    tags = Request("s3:ListAllMyBuckets", "*", None, {"aws:TagKeys": ("a", "b")})
    assert impossible(tags) is None


VPCE = "vpce-1a2b3c4d"


@pytest.mark.parametrize("options", OPTIONS)
def test_a_deny_folded_into_a_negated_allow_is_equivalent(options: EngineOptions) -> None:
    grant = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    deny = {
        "Effect": "Deny",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
        "Condition": {"StringEquals": {"aws:SourceVpce": VPCE}},
    }
    folded = {**grant, "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": VPCE}}}
    old, new = policy(grant, deny), policy(folded)
    for before, after in ((old, new), (new, old)):
        result = check_no_new_access(before, after, options)
        assert result.outcome is Outcome.PASS
        assert result.relation is Relation.EQUIVALENT


@pytest.mark.parametrize("options", OPTIONS)
def test_set_operators_still_see_several_values_of_a_multivalued_key(
    options: EngineOptions,
) -> None:
    def tagged(operator: str) -> Policy:
        return policy(
            {
                "Effect": "Allow",
                "Action": "s3:PutObjectTagging",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {operator: {"aws:TagKeys": ["team"]}},
            }
        )

    result = check_no_new_access(
        tagged("ForAllValues:StringEquals"), tagged("ForAnyValue:StringEquals"), options
    )
    assert result.outcome is Outcome.FAIL
    values = result.reasons[0].counterexample.context_values("aws:TagKeys")
    assert values is not None and "team" in values and len(values) >= 2


def test_a_resource_shape_has_a_partition() -> None:
    """Every partition starts `aws`, so the shapes the encoder states exclude an empty one (a
    model with `arn::s3:::b/x` would be a counterexample no evaluator confirms)."""
    shapes = resource_shapes("s3:PutObject")
    assert shapes is not None
    assert not any(glob.matches("arn::s3:::b/x") for glob in shapes)
    assert any(glob.matches("arn:aws-cn:s3:::b/x") for glob in shapes)
