"""check-no-public-access: S3's meaning of public, on both solvers, every counterexample replayed.

Worked examples (the seed design's bucket policy, Deny NotPrincipal, pinning conditions, IP
ranges, trust policies, the resource type's service), AWS's wording, bad input, real User Guide
examples, and a property test against the reference evaluator over an enumerated request space.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from access_cases import (
    ME,
    PARTNER,
    PublicReading,
    assert_confirmed,
    document_of,
    grant,
    load,
    request_space,
    resource_policies,
)
from hypothesis import given

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.public_access import check_no_public_access
from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.document.read import read_document
from policy_guard.errors import InputError
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.policy.resource_types import RESOURCE_TYPES
from policy_guard.report.check_result import result_json
from policy_guard.semantics.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "access"
SHARED = ROOT.parent / "shared" / "data" / "user-guide-examples"
BUCKET = "AWS::S3::Bucket"
OBJECTS = "arn:aws:s3:::example-bucket/*"


@pytest.fixture(params=["z3", "cvc5"])
def options(request: pytest.FixtureRequest) -> EngineOptions:
    return EngineOptions(solver=request.param)


def public(policy: Policy, options: EngineOptions, resource_type: str = BUCKET) -> CheckResult:
    """The check, with every FAIL replayed against the evaluator and the definition."""
    result = check_no_public_access(policy, resource_type, options)
    assert result.check == "no-public-access"
    prefix = RESOURCE_TYPES[resource_type][0]
    if result.outcome is Outcome.FAIL:
        assert_confirmed(policy, result, PublicReading(document_of(policy), prefix))
    else:
        assert not result.reasons
    return result


def verdict(statements: list[dict[str, Any]], options: EngineOptions, **kind: str) -> Outcome:
    return public(load(statements), options, kind.get("resource_type", BUCKET)).outcome


def read_bucket_policy() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / "bucket-policy.json").read_text())
    return document


def pinned(condition: dict[str, Any]) -> list[dict[str, Any]]:
    return [grant(Resource=OBJECTS, Condition=condition)]


# --- the seed design's worked examples --------------------------------------------------------


def test_bucket_policy_with_principal_star_is_public(options: EngineOptions) -> None:
    policy = load_policy(read_document(str(EXAMPLES / "bucket-policy.json")))
    result = public(policy, options)
    assert result.outcome is Outcome.FAIL
    assert result_json(result)["message"] == (
        "The resource policy grants public access for the given resource type."
    )
    (reason,) = result.reasons
    assert (reason.statement_index, reason.statement_id) == (0, "PublicRead")
    assert (
        reason.description
        == "Public access granted in the following statement with sid: PublicRead."
    )
    assert reason.counterexample.principal == "anonymous"
    assert reason.counterexample.action.lower() == "s3:getobject"


@pytest.mark.parametrize("account", [ME, f"arn:aws:iam::{ME}:root"])
def test_deny_not_principal_own_account_makes_it_private(
    options: EngineOptions, account: str
) -> None:
    document = read_bucket_policy()
    document["Statement"].append(
        {"Effect": "Deny", "NotPrincipal": {"AWS": account}, "Action": "s3:*", "Resource": "*"}
    )
    result = public(load(document["Statement"]), options)
    assert result.outcome is Outcome.PASS
    assert result_json(result) == {
        "result": "PASS",
        "message": "The resource policy does not grant public access for the given resource type.",
        "reasons": [],
    }


def test_reason_names_the_index_without_a_sid(options: EngineOptions) -> None:
    result = public(load([grant(principal={"AWS": ME}), grant(Resource=OBJECTS)]), options)
    (reason,) = result.reasons
    assert reason.statement_index == 1 and reason.statement_id is None
    assert reason.description == "Public access granted in the following statement with index: 1."


def test_each_public_statement_is_a_reason(options: EngineOptions) -> None:
    statements = [
        grant(Sid="Read", Resource=OBJECTS),
        grant(principal={"Service": "s3.amazonaws.com"}, action="s3:PutObject"),
        grant(principal={"AWS": "*"}, action="s3:PutObject", Sid="Write"),
    ]
    result = public(load(statements), options)
    assert [(r.statement_index, r.statement_id) for r in result.reasons] == [
        (0, "Read"),
        (2, "Write"),
    ]


# --- pinning conditions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "outcome"),
    [
        ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, Outcome.PASS),
        ({"StringEquals": {"aws:sourcevpce": ["vpce-1", "vpce-2"]}}, Outcome.PASS),
        ({"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, Outcome.PASS),
        ({"StringLike": {"aws:SourceVpce": "*"}}, Outcome.FAIL),
        ({"StringLike": {"aws:SourceVpce": "vpce-*"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:SourceVpce": "${aws:SourceVpc}"}}, Outcome.FAIL),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, Outcome.FAIL),
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}, Outcome.PASS),
        ({"StringLike": {"aws:PrincipalOrgID": "o-*"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:PrincipalAccount": ME}}, Outcome.PASS),
        ({"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ME}:role/r"}}, Outcome.PASS),
        # S3's "fixed": a wildcard does not pin, even with the account spelled out
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ME}:role/*"}}, Outcome.FAIL),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:sns:us-east-1:{ME}:topic"}}, Outcome.PASS),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:SourceVpc": "vpc-111"}}, Outcome.PASS),
        ({"StringEquals": {"aws:SourceOwner": ME}}, Outcome.PASS),
        ({"StringEquals": {"aws:SourceAccount": ME}}, Outcome.PASS),
        ({"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:userid": "AIDAEXAMPLEID"}}, Outcome.PASS),
        ({"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "k"}}, Outcome.PASS),
        ({"StringEquals": {"s3:DataAccessPointAccount": ME}}, Outcome.PASS),
        (
            {"ArnEquals": {"s3:DataAccessPointArn": "arn:aws:s3:us-east-1:1:accesspoint/a"}},
            Outcome.PASS,
        ),
        ({"StringEquals": {"aws:username": "alice"}}, Outcome.FAIL),
        ({"Bool": {"aws:SecureTransport": "true"}}, Outcome.FAIL),
        ({"Null": {"aws:SourceVpce": "false"}}, Outcome.FAIL),
    ],
)
def test_a_condition_pins_only_with_a_fixed_value_of_a_listed_key(
    options: EngineOptions, condition: dict[str, Any], outcome: Outcome
) -> None:
    assert verdict(pinned(condition), options) is outcome


def test_ignore_case_fixed_value_pins_every_spelling(options: EngineOptions) -> None:
    condition = {"StringEqualsIgnoreCase": {"aws:SourceVpce": "VPCE-1"}}
    assert verdict(pinned(condition), options) is Outcome.PASS


def test_deny_outside_the_endpoint_makes_it_private(options: EngineOptions) -> None:
    statements = [
        grant(Resource=OBJECTS),
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        },
    ]
    assert verdict(statements, options) is Outcome.PASS


def test_a_pinned_and_an_open_statement_is_public(options: EngineOptions) -> None:
    statements = [
        grant(Resource=OBJECTS, Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
        grant(action="s3:ListBucket", Condition={"StringLike": {"aws:SourceVpce": "vpce-*"}}),
    ]
    result = public(load(statements), options)
    assert [r.statement_index for r in result.reasons] == [1]
    assert result.reasons[0].counterexample.context_values("aws:SourceVpce") != ("vpce-1",)


# --- aws:SourceIp -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blocks", "outcome"),
    [
        (["203.0.113.0/24"], Outcome.PASS),
        (["203.0.113.7/32"], Outcome.PASS),
        (["203.0.113.7"], Outcome.PASS),
        (["11.0.0.0/8"], Outcome.PASS),
        (["12.0.0.0/7"], Outcome.FAIL),
        (["0.0.0.0/0"], Outcome.FAIL),
        (["203.0.113.0/24", "0.0.0.0/1"], Outcome.FAIL),
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], Outcome.PASS),
        (["10.0.0.0/7"], Outcome.FAIL),
        (["2001:db8::/32"], Outcome.PASS),
        (["2001:db8::/64"], Outcome.PASS),
        (["2001:db8::/31"], Outcome.FAIL),
        (["::/0"], Outcome.FAIL),
    ],
)
def test_source_ip_pins_to_blocks_of_slash_8_or_narrower(
    options: EngineOptions, blocks: list[str], outcome: Outcome
) -> None:
    assert verdict(pinned({"IpAddress": {"aws:SourceIp": blocks}}), options) is outcome


def test_source_ip_broad_counterexample_lies_outside_the_narrow_blocks(
    options: EngineOptions,
) -> None:
    condition = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "12.0.0.0/7"]}}
    result = public(load(pinned(condition)), options)
    (address,) = result.reasons[0].counterexample.context_values("aws:SourceIp") or ()
    assert address.startswith(("12.", "13."))


def test_deny_not_ip_address_narrow_makes_it_private(options: EngineOptions) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/48"]}},
    }
    assert verdict([grant(Resource=OBJECTS), deny], options) is Outcome.PASS


def test_not_ip_address_in_an_allow_is_public(options: EngineOptions) -> None:
    condition = {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    assert verdict(pinned(condition), options) is Outcome.FAIL


# --- principals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "outcome"),
    [
        ("*", Outcome.FAIL),
        ({"AWS": "*"}, Outcome.FAIL),
        ({"AWS": ME}, Outcome.PASS),
        ({"AWS": [f"arn:aws:iam::{ME}:role/r", PARTNER]}, Outcome.PASS),
        ({"Service": "cloudtrail.amazonaws.com"}, Outcome.PASS),
        (
            {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
            Outcome.PASS,
        ),
    ],
)
def test_only_everyone_is_public(options: EngineOptions, principal: Any, outcome: Outcome) -> None:
    assert verdict([grant(principal=principal, Resource=OBJECTS)], options) is outcome


def test_not_principal_allow_is_public(options: EngineOptions) -> None:
    statement = {"Effect": "Allow", "NotPrincipal": {"AWS": ME}, "Action": "s3:GetObject"}
    result = public(load([statement]), options)
    assert result.outcome is Outcome.FAIL


# --- resource types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "outcome"),
    [
        ({"Service": "ec2.amazonaws.com"}, Outcome.PASS),
        ({"AWS": ME}, Outcome.PASS),
        ({"Federated": f"arn:aws:iam::{ME}:saml-provider/idp"}, Outcome.PASS),
        ("*", Outcome.FAIL),
        ({"AWS": "*"}, Outcome.FAIL),
    ],
)
def test_trust_policies(options: EngineOptions, principal: Any, outcome: Outcome) -> None:
    statements = [grant(principal=principal, action="sts:AssumeRole")]
    trust = "AWS::IAM::AssumeRolePolicyDocument"
    result = public(load(statements), options, trust)
    assert result.outcome is outcome
    if outcome is Outcome.FAIL:
        assert result.reasons[0].counterexample.action.lower().startswith("sts:")


def test_only_the_resource_types_service_counts(options: EngineOptions) -> None:
    statements = [grant(action=["sqs:SendMessage", "sns:Publish"])]
    assert verdict(statements, options) is Outcome.PASS
    assert verdict(statements, options, resource_type="AWS::SQS::Queue") is Outcome.FAIL
    assert verdict(statements, options, resource_type="AWS::SNS::Topic") is Outcome.FAIL
    assert verdict([grant(action="*")], options, resource_type="AWS::KMS::Key") is Outcome.FAIL


def test_not_action_outside_the_service_is_public(options: EngineOptions) -> None:
    statement = {"Effect": "Allow", "Principal": "*", "NotAction": "sqs:*"}
    result = public(load([statement]), options)
    assert result.reasons[0].counterexample.action.lower().startswith("s3:")


def test_the_resource_types_are_those_aws_lists() -> None:
    documented = (
        "AWS::DynamoDB::Table | AWS::DynamoDB::Stream | AWS::EFS::FileSystem | "
        "AWS::OpenSearchService::Domain | AWS::Kinesis::Stream | AWS::Kinesis::StreamConsumer | "
        "AWS::KMS::Key | AWS::Lambda::Function | AWS::S3::Bucket | AWS::S3::AccessPoint | "
        "AWS::S3Express::DirectoryBucket | AWS::S3::Glacier | AWS::S3Outposts::Bucket | "
        "AWS::S3Outposts::AccessPoint | AWS::SecretsManager::Secret | AWS::SNS::Topic | "
        "AWS::SQS::Queue | AWS::IAM::AssumeRolePolicyDocument | AWS::S3Tables::TableBucket | "
        "AWS::ApiGateway::RestApi | AWS::CodeArtifact::Domain | AWS::Backup::BackupVault | "
        "AWS::CloudTrail::Dashboard | AWS::CloudTrail::EventDataStore | AWS::S3Tables::Table | "
        "AWS::S3Express::AccessPoint"
    )
    assert list(RESOURCE_TYPES) == documented.split(" | ")


def test_every_resource_type_reads_a_public_grant_of_its_service() -> None:
    options = EngineOptions("z3")
    for resource_type, prefixes in RESOURCE_TYPES.items():
        statements = [grant(action=f"{p}:*") for p in prefixes]
        assert verdict(statements, options, resource_type=resource_type) is Outcome.FAIL


# --- bad input --------------------------------------------------------------------------------


def test_unknown_resource_type_lists_the_valid_ones() -> None:
    with pytest.raises(InputError) as raised:
        check_no_public_access(load([grant()]), "AWS::S3::Buckets")
    message = str(raised.value)
    assert "`AWS::S3::Buckets`" in message
    assert all(t in message for t in RESOURCE_TYPES)


def test_identity_policy_is_an_input_error() -> None:
    policy = load_policy(read_document(str(EXAMPLES / "identity-policy.json")))
    with pytest.raises(InputError, match="takes a resource policy"):
        check_no_public_access(policy, BUCKET)


def test_a_deny_only_policy_passes_without_the_solver() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    result = check_no_public_access(load([deny]), BUCKET, EngineOptions("no-such-solver"))
    assert result.outcome is Outcome.PASS


# --- real examples from the IAM User Guide ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "resource_type", "outcome"),
    [
        ("reference_policies_condition-keys-8.json", BUCKET, Outcome.PASS),
        ("access-analyzer-policy-generation-4.json", BUCKET, Outcome.PASS),
        ("reference_policies_elements_principal-1.json", BUCKET, Outcome.PASS),
        ("confused-deputy-2.json", "AWS::IAM::AssumeRolePolicyDocument", Outcome.PASS),
    ],
)
def test_user_guide_examples(
    options: EngineOptions, name: str, resource_type: str, outcome: Outcome
) -> None:
    policy = load_policy(read_document(str(FIXTURES / "user-guide" / name)))
    assert public(policy, options, resource_type).outcome is outcome


@pytest.mark.slow
def test_user_guide_examples_with_principals_replay() -> None:
    if not SHARED.is_dir():
        pytest.skip("the shared test data is not here")
    checked = 0
    for path in sorted(SHARED.glob("*.json")):
        if '"Principal"' not in path.read_text():
            continue
        policy = load_policy(read_document(str(path)))
        for resource_type in (BUCKET, "AWS::IAM::AssumeRolePolicyDocument"):
            public(policy, EngineOptions("z3"), resource_type)
        checked += 1
    assert checked >= 50


# --- the property: the engine agrees with the evaluator ---------------------------------------


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
@given(document=resource_policies())
def test_public_access_agrees_with_the_evaluator(solver: str, document: dict[str, Any]) -> None:
    policy = load(document["Statement"])
    result = public(policy, EngineOptions(solver))
    reading = PublicReading(document, "s3")
    found = next(
        (r for r in request_space(document) if reading(r) and evaluate(policy, r).allowed), None
    )
    if found is not None:
        assert result.outcome is Outcome.FAIL, found
