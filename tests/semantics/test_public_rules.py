"""Public and external access per resource type and per identity provider, from AWS's own
documented examples (semantics/public_rules.py; docs/semantics.md, "Public per resource type").

Each check runs on z3 and cvc5; every FAIL is replayed against the reference evaluator and the
test oracle (tests/access_cases.py)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from access_cases import (
    PublicReading,
    assert_confirmed,
    document_of,
    grant,
    load,
)
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.public_access import check_no_public_access
from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.checks.validation import validate_document
from policy_guard.cli import main
from policy_guard.document.json_decode import decode_json
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.resource_types import RESOURCE_TYPES
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.principal_facts import with_facts
from policy_guard.semantics.public_rules import PUBLIC_ISSUERS, TYPE_RULES
from policy_guard.semantics.request import Request

ROOT = Path(__file__).resolve().parents[2]
TRUST = "AWS::IAM::AssumeRolePolicyDocument"
ME = "111122223333"
GITHUB = f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
GITLAB = f"arn:aws:iam::{ME}:oidc-provider/gitlab.com"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@pytest.fixture(params=["z3", "cvc5"])
def options(request: pytest.FixtureRequest) -> EngineOptions:
    return EngineOptions(solver=request.param)


def public(policy: Policy, options: EngineOptions, resource_type: str) -> CheckResult:
    result = check_no_public_access(policy, resource_type, options)
    if result.outcome is Outcome.FAIL:
        prefix = RESOURCE_TYPES[resource_type][0]
        assert_confirmed(policy, result, PublicReading(document_of(policy), prefix))
    return result


def action_of(resource_type: str) -> str:
    """An action of the type's service that the catalogue knows (any name will do: `*`)."""
    return f"{RESOURCE_TYPES[resource_type][0]}:*"


# --- the table ------------------------------------------------------------------------------


def test_every_check_no_public_access_type_has_a_row_with_its_aws_page() -> None:
    assert set(TYPE_RULES) == set(RESOURCE_TYPES)
    semantics = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    for resource_type, rule in TYPE_RULES.items():
        assert rule.page.startswith("https://docs.aws.amazon.com/"), resource_type
        assert f"`{resource_type}`" in semantics, resource_type
        assert rule.page in semantics, resource_type


@pytest.mark.parametrize("resource_type", sorted(RESOURCE_TYPES))
def test_everyone_is_public_and_a_fixed_vpc_endpoint_is_not(
    resource_type: str, options: EngineOptions
) -> None:
    """Every list AWS documents (and the conservative one) has aws:SourceVpce."""
    action = action_of(resource_type)
    everyone = load([grant("*", action, Resource="*")])
    assert public(everyone, options, resource_type).outcome is Outcome.FAIL
    endpoint = {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    pinned = load([grant("*", action, Resource="*", Condition=endpoint)])
    assert public(pinned, options, resource_type).outcome is Outcome.PASS


# DynamoDB, "Blocking public access with resource-based policies in DynamoDB"
DYNAMODB = "AWS::DynamoDB::Table"


@pytest.mark.parametrize(
    ("condition", "outcome"),
    [
        ({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:SourceOwner": ME}}, Outcome.FAIL),
        ({"StringEquals": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}},
         Outcome.PASS),
        ({"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}}, Outcome.PASS),
        ({"StringEquals": {"aws:Ec2InstanceSourceVpc": "vpc-1a2b3c4d"}}, Outcome.PASS),
        ({"Bool": {"aws:PrincipalIsAWSService": "true"}}, Outcome.PASS),
        ({"StringEquals": {"aws:PrincipalServiceName": "dynamodb.amazonaws.com"}}, Outcome.PASS),
        ({"StringEquals": {"aws:PrincipalAccount": ME}}, Outcome.PASS),
        ({"StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}}, Outcome.FAIL),
    ],
)  # fmt: skip
def test_dynamodb_block_public_access_keys(
    condition: dict[str, Any], outcome: Outcome, options: EngineOptions
) -> None:
    policy = load([grant("*", "dynamodb:GetItem", Resource="*", Condition=condition)])
    assert public(policy, options, DYNAMODB).outcome is outcome


def test_dynamodb_documented_principals_and_source_ip_on_s3(options: EngineOptions) -> None:
    named = load([grant({"AWS": ["123456789012", ME]}, "dynamodb:*", Resource="*")])
    assert public(named, options, DYNAMODB).outcome is Outcome.PASS
    ranged = {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    bucket = load([grant("*", "s3:GetObject", Resource="*", Condition=ranged)])
    assert public(bucket, options, "AWS::S3::Bucket").outcome is Outcome.PASS


# EFS, "Blocking public access", the meaning of "public"
EFS = "AWS::EFS::FileSystem"


def test_efs_accessed_via_mount_target_is_not_public(options: EngineOptions) -> None:
    actions = ["elasticfilesystem:ClientWrite", "elasticfilesystem:ClientMount"]
    via = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    mounted = load([grant({"AWS": "*"}, actions, Condition=via)])
    assert public(mounted, options, EFS).outcome is Outcome.PASS
    anywhere = load([grant({"AWS": "*"}, actions)])
    result = public(anywhere, options, EFS)
    assert result.outcome is Outcome.FAIL
    not_via = {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "false"}}
    assert public(load([grant("*", actions, Condition=not_via)]), options, EFS).outcome is (
        Outcome.FAIL
    )


# S3, "The meaning of public": an access point ARN with a fixed account and any name
@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        ("arn:aws:s3:us-west-2:123456789012:accesspoint/*", Outcome.PASS),
        ("arn:aws:s3:us-west-2:123456789012:accesspoint/reports", Outcome.PASS),
        ("arn:aws:s3:us-west-2:*:accesspoint/*", Outcome.FAIL),
        ("arn:aws:s3:*:123456789012:accesspoint/*", Outcome.FAIL),
    ],
)
def test_s3_data_access_point_arn(value: str, outcome: Outcome, options: EngineOptions) -> None:
    condition = {"StringLike": {"s3:DataAccessPointArn": value}}
    policy = load([grant("*", "s3:GetObject", Resource="*", Condition=condition)])
    assert public(policy, options, "AWS::S3::Bucket").outcome is outcome


# KMS, "Default key policy" and the AWS managed keys' policies
def test_aws_default_key_policies_are_not_public(options: EngineOptions) -> None:
    root = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ME}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    through_ebs = {
        "Sid": "Allow access through EBS for all principals in the account that are authorized",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                   "kms:CreateGrant", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:CallerAccount": ME,
                                       "kms:ViaService": "ec2.us-west-2.amazonaws.com"}},
    }  # fmt: skip
    describe = {
        "Sid": "Allow direct access to key metadata to the account",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ME}:root"},
        "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
        "Resource": "*",
    }
    for statements in ([root], [through_ebs, describe]):
        assert public(load(statements), options, "AWS::KMS::Key").outcome is Outcome.PASS


# --- public token issuers ---------------------------------------------------------------------


def trust(principal: str, condition: dict[str, Any]) -> Policy:
    return load(
        [{"Effect": "Allow", "Principal": {"Federated": principal}, "Action": WEB_IDENTITY,
          "Condition": condition}]
    )  # fmt: skip


AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


def test_github_audience_alone_is_public_and_names_the_outsider(options: EngineOptions) -> None:
    result = public(trust(GITHUB, {"StringEquals": AUD}), options, TRUST)
    assert result.outcome is Outcome.FAIL
    request = result.reasons[0].counterexample
    assert request.principal == GITHUB
    assert request.context_values("token.actions.githubusercontent.com:sub") == (
        "repo:someone-else/any-repo:ref:refs/heads/main",
    )


@pytest.mark.parametrize(
    ("operator", "claim", "value", "outcome"),
    [
        ("StringLike", "sub", "repo:my-org/my-repo:*", Outcome.PASS),
        ("StringEquals", "sub", "repo:my-org/my-repo:ref:refs/heads/main", Outcome.PASS),
        ("StringLike", "sub", "repo:my-org/my-repo:environment:prod", Outcome.PASS),
        ("StringLike", "sub", "repo:*/my-repo:*", Outcome.FAIL),
        ("StringLike", "sub", "repo:my-org/*", Outcome.FAIL),
        ("StringLike", "sub", "*", Outcome.FAIL),
        ("StringEquals", "repository", "my-org/my-repo", Outcome.PASS),
        ("StringEquals", "repository_owner", "my-org", Outcome.PASS),
        ("StringLike", "repository", "my-org/*", Outcome.FAIL),
        ("StringNotEquals", "sub", "repo:my-org/my-repo:ref:refs/heads/main", Outcome.FAIL),
        ("ForAllValues:StringLike", "sub", "repo:my-org/my-repo:*", Outcome.FAIL),
    ],
)
def test_github_subject_pins(
    operator: str, claim: str, value: str, outcome: Outcome, options: EngineOptions
) -> None:
    key = f"token.actions.githubusercontent.com:{claim}"
    condition = {"StringEquals": AUD, operator: {key: value}}
    assert public(trust(GITHUB, condition), options, TRUST).outcome is outcome


def test_gitlab_with_and_without_a_project(options: EngineOptions) -> None:
    aud = {"StringEquals": {"gitlab.com:aud": "https://gitlab.com"}}
    result = public(trust(GITLAB, aud), options, TRUST)
    assert result.outcome is Outcome.FAIL
    assert result.reasons[0].counterexample.context_values("gitlab.com:sub") == (
        "project_path:someone-else/any-project:ref_type:branch:ref:main",
    )
    project = {
        "StringLike": {
            "gitlab.com:sub": "project_path:my-group/my-project:ref_type:branch:ref:main"
        }
    }
    assert public(trust(GITLAB, {**aud, **project}), options, TRUST).outcome is Outcome.PASS


COGNITO = "cognito-identity.amazonaws.com"
POOL = {"StringEquals": {f"{COGNITO}:aud": "us-east-1:12345678-abcd-abcd-abcd-123456789012"}}


@pytest.mark.parametrize(
    ("amr", "outcome"),
    [("unauthenticated", Outcome.FAIL), ("authenticated", Outcome.PASS), (None, Outcome.FAIL)],
)
def test_cognito_guests_are_public(
    amr: str | None, outcome: Outcome, options: EngineOptions
) -> None:
    condition = dict(POOL)
    if amr is not None:
        condition["ForAnyValue:StringLike"] = {f"{COGNITO}:amr": amr}
    result = public(trust(COGNITO, condition), options, TRUST)
    assert result.outcome is outcome
    if outcome is Outcome.FAIL and amr is not None:
        assert result.reasons[0].counterexample.context_values(f"{COGNITO}:amr") == (
            "unauthenticated",
        )


def test_cognito_identity_pinned_is_not_public(options: EngineOptions) -> None:
    one = {"StringEquals": {f"{COGNITO}:sub": "us-east-1:11111111-2222-3333-4444-555555555555"}}
    assert public(trust(COGNITO, {**POOL, **one}), options, TRUST).outcome is Outcome.PASS


def test_facebook_on_a_bucket_is_public(options: EngineOptions) -> None:
    """S3's "meaning of public": its first example of a public policy."""
    policy = load([grant({"Federated": "graph.facebook.com"}, "s3:GetObject",
                         Resource="arn:aws:s3:::example-bucket/*")])  # fmt: skip
    result = public(policy, options, "AWS::S3::Bucket")
    assert result.outcome is Outcome.FAIL
    assert result.reasons[0].counterexample.principal == "graph.facebook.com"


def test_every_issuer_is_public_without_a_subject_pin(options: EngineOptions) -> None:
    for issuer in PUBLIC_ISSUERS:
        example = issuer.principal.replace("(?:arn:[^:]+:iam::\\d{12}:oidc-provider/)?", "")
        principal = example.replace("[^/]+", "my-org").replace("\\", "")
        assert issuer.matches(principal), principal
        policy = trust(principal, {})
        result = check_no_public_access(policy, TRUST, options)
        assert result.outcome is Outcome.FAIL, issuer.name
        request = result.reasons[0].counterexample
        assert evaluate(policy, request).allowed
        assert request.principal == principal


# --- external access ----------------------------------------------------------------------------


def test_github_role_of_a_trusted_account_is_external_without_a_pin(
    options: EngineOptions,
) -> None:
    open_role = trust(GITHUB, {"StringEquals": AUD})
    result = check_no_external_access(open_role, [ME], options=options)
    assert result.outcome is Outcome.FAIL
    request = result.reasons[0].counterexample
    assert evaluate(open_role, request).allowed
    assert request.context_values("token.actions.githubusercontent.com:sub") == (
        "repo:someone-else/any-repo:ref:refs/heads/main",
    )
    pin = {"token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:*"}
    pinned = trust(GITHUB, {"StringEquals": AUD, "StringLike": pin})
    assert check_no_external_access(pinned, [ME], options=options).outcome is Outcome.PASS


def service_grant(condition: dict[str, Any] | None = None) -> Policy:
    statement = grant({"Service": "s3.amazonaws.com"}, "sns:Publish",
                      Resource=f"arn:aws:sns:us-east-1:{ME}:topic")  # fmt: skip
    if condition is not None:
        statement["Condition"] = condition
    return load([statement])


def test_service_principal_without_a_source_is_external(options: EngineOptions) -> None:
    result = check_no_external_access(service_grant(), [ME], options=options)
    assert result.outcome is Outcome.FAIL
    assert result.reasons[0].counterexample.principal == "s3.amazonaws.com"
    pinned = service_grant({"StringEquals": {"aws:SourceAccount": ME}})
    assert check_no_external_access(pinned, [ME], options=options).outcome is Outcome.PASS
    other = service_grant({"StringEquals": {"aws:SourceAccount": "999988887777"}})
    assert check_no_external_access(other, [ME], options=options).outcome is Outcome.FAIL


# --- validate-policy ----------------------------------------------------------------------------


def findings(policy: Policy) -> list[tuple[str, int]]:
    text = json.dumps(document_of(policy), indent=2)
    validation = validate_document(decode_json(text, "p.json"), PolicyType.RESOURCE)
    return [
        (f.issue_code, validation.document.span_of(f.path).line)
        for f in validation.findings
        if f.finding_type.name == "SECURITY_WARNING"
    ]


def test_validation_names_the_missing_subject_claim() -> None:
    found = findings(trust(GITHUB, {"StringEquals": AUD}))
    assert [code for code, _ in found] == ["MISSING_SUBJECT_CLAIM"]
    validation = validate_document(
        decode_json(json.dumps(document_of(trust(GITHUB, {"StringEquals": AUD}))), "p.json"),
        PolicyType.RESOURCE,
    )
    assert "token.actions.githubusercontent.com:sub" in validation.findings[0].details
    pinned = {"StringEquals": AUD, "StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:*"}}  # fmt: skip
    assert findings(trust(GITHUB, pinned)) == []


def test_validation_flags_for_all_values_on_a_claim() -> None:
    forall = {"ForAllValues:StringLike": {
        "token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:*"}}  # fmt: skip
    codes = {code for code, _ in findings(trust(GITHUB, forall))}
    assert codes == {"MISSING_SUBJECT_CLAIM", "FORALLVALUES_ON_TOKEN_CLAIM"}


def test_validation_cognito_authenticated_only_is_pinned() -> None:
    signed_in = {**POOL, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}
    assert findings(trust(COGNITO, signed_in)) == []
    guests = {**POOL, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"}}
    assert [c for c, _ in findings(trust(COGNITO, guests))] == ["MISSING_SUBJECT_CLAIM"]


def test_validation_says_which_key_pins_a_service_principal() -> None:
    found = findings(service_grant())
    assert [code for code, _ in found] == ["MISSING_SOURCE_CONDITION"]
    assert found[0][1] > 1  # at the principal's line
    for key in ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"):
        operator = "ArnLike" if key == "aws:SourceArn" else "StringEquals"
        value = "arn:aws:s3:::my-bucket" if key == "aws:SourceArn" else "x"
        assert findings(service_grant({operator: {key: value}})) == [], key
    role = load([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                  "Action": "sts:AssumeRole"}])  # fmt: skip
    assert findings(role) == []


# --- the commands -------------------------------------------------------------------------------


def test_commands_on_a_github_trust_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = document_of(trust(GITHUB, {"StringEquals": AUD}))
    path = tmp_path / "trust.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for solver in ("z3", "cvc5"):
        code = main(["check-no-public-access", "--policy-document", f"file://{path}",
                     "--resource-type", TRUST, "--solver", solver])  # fmt: skip
        out = capsys.readouterr().out
        assert code == 1, out
        assert "repo:someone-else/any-repo:ref:refs/heads/main" in out
        code = main(["check-no-external-access", "--policy-document", f"file://{path}",
                     "--trusted-account", ME, "--solver", solver])  # fmt: skip
        assert code == 1, capsys.readouterr().out
        capsys.readouterr()
    code = main(["validate-policy", "--policy-document", f"file://{path}",
                 "--policy-type", "RESOURCE_POLICY"])  # fmt: skip
    out = capsys.readouterr().out
    assert "SECURITY_WARNING MISSING_SUBJECT_CLAIM" in out
    assert "trust.json:" in out


# --- the property per type: the engine agrees with the evaluator and the oracle ------------------

# resource type -> (actions, key -> (operators, policy values, other request values))
TYPED_KEYS: dict[str, tuple[list[str], dict[str, tuple[list[str], list[str], list[str]]]]] = {
    DYNAMODB: (
        ["dynamodb:GetItem", "dynamodb:PutItem"],
        {
            "aws:SourceIp": (["IpAddress", "NotIpAddress"], ["192.0.2.0/24"], ["192.0.2.7", "::1"]),
            "aws:SourceOwner": (["StringEquals"], [ME], ["444455556666"]),
            "aws:PrincipalOrgPaths": (
                ["StringEquals", "StringLike", "StringNotEquals"],
                ["o-a1b2c3d4e5/r-ab12/", "o-a1b2c3d4e5/*"],
                ["o-other/r-1/"],
            ),
            "aws:PrincipalIsAWSService": (["Bool"], ["true", "false"], []),
        },
    ),
    EFS: (
        ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        {
            "elasticfilesystem:AccessedViaMountTarget": (["Bool"], ["true", "false"], ["TRUE"]),
            "aws:SourceVpce": (["StringEquals", "StringLike"], ["vpce-1", "vpce-*"], ["vpce-2"]),
        },
    ),
}
TYPED_PRINCIPALS = ["*", {"AWS": "*"}, {"AWS": ME}, {"AWS": "444455556666"}]
TYPED_REQUEST_PRINCIPALS = [
    "anonymous",
    f"arn:aws:iam::{ME}:root",
    "arn:aws:iam::555566667777:user/u",
    "arn:aws:sts::444455556666:assumed-role/r/s",
]


@st.composite
def typed_policies(draw: st.DrawFn, resource_type: str) -> dict[str, Any]:
    actions, keys = TYPED_KEYS[resource_type]
    statements = []
    for _ in range(draw(st.integers(1, 3))):
        statement: dict[str, Any] = {
            "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
            "Principal": draw(st.sampled_from(TYPED_PRINCIPALS)),
            "Action": draw(st.sampled_from([*actions, "*"])),
            "Resource": "*",
        }
        block: dict[str, dict[str, Any]] = {}
        for key in draw(st.lists(st.sampled_from(sorted(keys)), max_size=2, unique=True)):
            operators, values, _ = keys[key]
            operator = draw(st.sampled_from(operators)) + draw(st.sampled_from(["", "IfExists"]))
            block.setdefault(operator, {})[key] = draw(st.sampled_from(values))
        if block:
            statement["Condition"] = block
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def typed_requests(resource_type: str, document: dict[str, Any]) -> Iterator[Request]:
    actions, keys = TYPED_KEYS[resource_type]
    text = json.dumps(document)
    choices = [
        [(key, None), *((key, v) for v in sorted({*values, *others}))]
        for key, (_, values, others) in keys.items()
        if key in text
    ]
    for combination in itertools.product(*choices):
        context = {k: (v,) for k, v in combination if v is not None}
        for principal in TYPED_REQUEST_PRINCIPALS:
            for action in actions:
                yield with_facts(Request(action, "*", principal, context), list(context))


@pytest.mark.parametrize("resource_type", [DYNAMODB, EFS])
@pytest.mark.parametrize("solver", ["z3", "cvc5"])
@given(data=st.data())
def test_typed_public_access_agrees_with_the_evaluator(
    solver: str, resource_type: str, data: st.DataObject
) -> None:
    document = data.draw(typed_policies(resource_type))
    policy = load(document["Statement"])
    result = public(policy, EngineOptions(solver), resource_type)
    reading = PublicReading(document, RESOURCE_TYPES[resource_type][0])
    found = next(
        (
            r
            for r in typed_requests(resource_type, document)
            if reading(r) and evaluate(policy, r).allowed
        ),
        None,
    )
    if found is not None:
        assert result.outcome is Outcome.FAIL, found
