"""SCPs, RCPs and permissions boundaries: AWS's documented examples decided by the evaluator
(`semantics.organization`, `policy.guardrails`), widenings and narrowings of them decided by the
engine on both solvers (each counterexample confirmed by the evaluator), validation per type,
the sources and configuration that give the type, and the workflow on a real git repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, isolated_git, make_repo, write

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome, Relation
from policy_guard.checks.validation import validate_document
from policy_guard.cli import main
from policy_guard.document.read import decode_text
from policy_guard.errors import InputError
from policy_guard.policy.guardrails import RCP_SERVICES, engine_policy, is_synthetic
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import Decision, evaluate
from policy_guard.semantics.organization import AccountPolicies, evaluate_account
from policy_guard.semantics.request import Request
from policy_guard.sources import find_policies
from policy_guard.workflow.config import parse_config

__all__ = ["isolated_git"]

SCP, RCP, BOUNDARY = (
    PolicyType.SERVICE_CONTROL,
    PolicyType.RESOURCE_CONTROL,
    PolicyType.PERMISSIONS_BOUNDARY,
)
USER = "arn:aws:iam::111122223333:user/alice"
ADMIN_ARN = "arn:aws:iam::111122223333:role/Role1AllowedToBypassThisSCP"
LINKED = "arn:aws:iam::111122223333:role/aws-service-role/ops.example.amazonaws.com/AWSServiceRoleX"


def load(kind: PolicyType, *statements: dict[str, Any]) -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document, indent=1), "p.json"), kind)


# AWS Organizations User Guide, "Example SCPs": deny access outside the requested Regions, with
# exceptions for roles (NotAction list shortened to the global services the tests use).
REGIONS = {
    "Sid": "DenyAllOutsideEU",
    "Effect": "Deny",
    "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"],
    "Resource": "*",
    "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
        "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/Role1AllowedToBypassThisSCP"]},
    },
}
# "Prevent member accounts from leaving the organization".
LEAVE = {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}
# "Prevent any actions as the root user" (aws:PrincipalArn of a member account's root).
ROOT = {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]}},
}
# AWS Organizations User Guide, "Resource control policy examples": enforce secure transport.
SECURE_TRANSPORT = {
    "Sid": "EnforceSecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": ["sts:*", "s3:*", "sqs:*", "secretsmanager:*", "kms:*"],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
}
# IAM User Guide, "Permissions boundaries for IAM entities": Shirley may manage S3, CloudWatch
# and EC2 only.
SHIRLEY = {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def request(
    action: str, principal: str | None = USER, resource: str = "*", **context: str
) -> Request:
    values = {key.replace("__", ":"): (value,) for key, value in context.items()}
    return Request(action, resource, principal, values)


@pytest.mark.parametrize(
    ("policies", "case", "expected"),
    [
        # the region SCP beside FullAWSAccess
        ("scp", request("ec2:RunInstances", aws__RequestedRegion="eu-west-1"), Decision.ALLOW),
        (
            "scp",
            request("ec2:RunInstances", aws__RequestedRegion="us-east-1", aws__PrincipalARN=USER),
            Decision.EXPLICIT_DENY,
        ),
        (
            "scp",
            request(
                "ec2:RunInstances", aws__RequestedRegion="us-east-1", aws__PrincipalARN=ADMIN_ARN
            ),
            Decision.ALLOW,
        ),
        ("scp", request("iam:CreateUser", aws__RequestedRegion="us-east-1"), Decision.ALLOW),
        ("scp", request("organizations:LeaveOrganization"), Decision.EXPLICIT_DENY),
        # a service-linked role is not limited by SCPs
        (
            "scp",
            request("organizations:LeaveOrganization", aws__PrincipalArn=LINKED),
            Decision.ALLOW,
        ),
        # the RCP: only over TLS; a service RCPs do not cover is not limited
        ("rcp", request("s3:GetObject", aws__SecureTransport="false"), Decision.EXPLICIT_DENY),
        ("rcp", request("s3:GetObject", aws__SecureTransport="true"), Decision.ALLOW),
        # BoolIfExists on an absent key holds: the Deny matches
        ("rcp", request("s3:GetObject"), Decision.EXPLICIT_DENY),
        # the boundary: identity grants beyond it are implicitly denied
        ("boundary", request("s3:GetObject"), Decision.ALLOW),
        ("boundary", request("iam:CreateUser"), Decision.IMPLICIT_DENY),
    ],
)
def test_documented_examples_in_aws_evaluation_order(
    policies: str, case: Request, expected: Decision
) -> None:
    identity = load(PolicyType.IDENTITY, ALLOW_ALL)
    given = {
        "scp": AccountPolicies(identity, scp=load(SCP, REGIONS, LEAVE)),
        "rcp": AccountPolicies(identity, rcp=load(RCP, SECURE_TRANSPORT)),
        "boundary": AccountPolicies(identity, boundary=load(BOUNDARY, SHIRLEY)),
    }[policies]
    assert evaluate_account(case, given).decision is expected


def test_without_full_aws_access_a_deny_list_scp_lets_nothing_through() -> None:
    given = AccountPolicies(load(PolicyType.IDENTITY, ALLOW_ALL), scp=load(SCP, LEAVE))
    assert evaluate_account(request("s3:GetObject"), given).allowed
    alone = AccountPolicies(given.identity, scp=given.scp, full_aws_access=False)
    assert evaluate_account(request("s3:GetObject"), alone).decision is Decision.IMPLICIT_DENY


def test_an_rcp_does_not_limit_services_it_does_not_cover() -> None:
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    given = AccountPolicies(load(PolicyType.IDENTITY, ALLOW_ALL), rcp=load(RCP, deny_all))
    assert evaluate_account(request("s3:GetObject"), given).decision is Decision.EXPLICIT_DENY
    assert "ec2" not in RCP_SERVICES
    assert evaluate_account(request("ec2:RunInstances"), given).allowed


def test_a_boundary_does_not_limit_a_resource_grant_to_the_user_itself() -> None:
    bucket = "arn:aws:s3:::reports/a"
    to_user = {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:GetObject",
               "Resource": bucket}  # fmt: skip
    to_account = {**to_user, "Principal": {"AWS": "111122223333"}}
    boundary = load(BOUNDARY, {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    asked = request("s3:GetObject", resource=bucket)
    direct = AccountPolicies(resource=load(PolicyType.RESOURCE, to_user), boundary=boundary)
    assert evaluate_account(asked, direct).allowed
    through_account = AccountPolicies(
        resource=load(PolicyType.RESOURCE, to_account), boundary=boundary
    )
    assert evaluate_account(asked, through_account).decision is Decision.IMPLICIT_DENY


def test_the_engine_view_adds_full_access_and_takes_out_what_is_not_governed() -> None:
    viewed = engine_policy(load(SCP, LEAVE))
    assert viewed.policy_type is PolicyType.IDENTITY
    added = [s for s in viewed.statements if is_synthetic(s)]
    assert [s.sid for s in added] == ["FullAWSAccess", *["PolicyGuardNotGoverned"] * 3]
    assert evaluate(viewed, request("s3:GetObject", aws__PrincipalArn=USER)).allowed
    assert not evaluate(viewed, request("s3:GetObject")).allowed  # no caller: not governed
    linked = request("s3:GetObject", aws__PrincipalArn=LINKED)
    assert not evaluate(viewed, linked).allowed  # out of the question, not let through
    rcp = engine_policy(load(RCP, SECURE_TRANSPORT), full_aws_access=False)
    assert rcp.policy_type is PolicyType.RESOURCE
    assert not any(s.sid == "RCPFullAWSAccess" for s in rcp.statements)
    assert engine_policy(viewed) is viewed  # an identity policy stays as it is


# --- the engine, both solvers ------------------------------------------------------------------


@pytest.fixture(params=["z3", "cvc5"])
def options(request: pytest.FixtureRequest) -> EngineOptions:
    return EngineOptions(solver=request.param)


def test_removing_a_deny_from_an_scp_lets_through_what_it_blocked(options: EngineOptions) -> None:
    old, new = load(SCP, REGIONS, LEAVE), load(SCP, REGIONS)
    result = check_no_new_access(old, new, options)
    assert result.outcome is Outcome.FAIL and result.relation is Relation.WIDER
    (reason,) = result.reasons
    assert reason.statement_id == "FullAWSAccess" and "implicit" in reason.description
    shown = reason.counterexample
    assert shown is not None and shown.action.lower() == "organizations:leaveorganization"
    confirmed = AccountPolicies(load(PolicyType.IDENTITY, ALLOW_ALL), scp=old)
    assert not evaluate_account(shown, confirmed).allowed
    assert evaluate_account(shown, AccountPolicies(confirmed.identity, scp=new)).allowed


def test_adding_a_deny_or_an_exception_is_decided_both_ways(options: EngineOptions) -> None:
    old, new = load(SCP, REGIONS), load(SCP, REGIONS, LEAVE)
    narrower = check_no_new_access(old, new, options)
    assert narrower.outcome is Outcome.PASS and narrower.relation is Relation.NARROWER
    roles = ["arn:aws:iam::*:role/Role1AllowedToBypassThisSCP",
             "arn:aws:iam::*:role/Role2AllowedToBypassThisSCP"]  # fmt: skip
    region = {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}}
    excepted = dict(REGIONS, Condition={**region, "ArnNotLike": {"aws:PrincipalARN": roles}})
    wider = check_no_new_access(old, load(SCP, excepted), options)
    assert wider.outcome is Outcome.FAIL
    (reason,) = wider.reasons
    assert reason.counterexample is not None
    assert "Role2AllowedToBypassThisSCP" in json.dumps(reason.counterexample.to_json())


def test_an_rcp_that_drops_secure_transport_lets_requests_through(options: EngineOptions) -> None:
    old = load(RCP, SECURE_TRANSPORT)
    new = load(RCP, dict(SECURE_TRANSPORT, Action=["s3:*", "sqs:*"]))
    result = check_no_new_access(old, new, options)
    assert result.outcome is Outcome.FAIL
    shown = result.reasons[0].counterexample
    assert shown is not None and shown.action.split(":")[0].lower() in (
        "sts",
        "kms",
        "secretsmanager",
    )
    assert check_no_new_access(new, old, options).outcome is Outcome.PASS


def test_access_not_granted_asks_what_the_policy_lets_through(options: EngineOptions) -> None:
    get = Access(actions=("s3:GetObject",))
    rcp = load(RCP, SECURE_TRANSPORT)
    assert check_access_not_granted(rcp, get, options).outcome is Outcome.FAIL
    deny_s3 = load(SCP, {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    assert check_access_not_granted(deny_s3, get, options).outcome is Outcome.PASS
    boundary = load(BOUNDARY, SHIRLEY)
    assert check_access_not_granted(boundary, get, options).outcome is Outcome.FAIL
    create = Access(actions=("iam:CreateUser",))
    assert check_access_not_granted(boundary, create, options).outcome is Outcome.PASS


def test_requests_an_scp_does_not_govern_are_not_counted(options: EngineOptions) -> None:
    """Only service-linked roles pass this SCP: they are not governed by it, so no governed
    request is let through."""
    only_linked = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/aws-service-role/*"}},
    }
    get = Access(actions=("s3:GetObject",))
    result = check_access_not_granted(load(SCP, only_linked), get, options)
    assert result.outcome is Outcome.PASS


def test_without_full_aws_access_an_allow_list_scp_is_read_alone() -> None:
    allow_list = load(SCP, {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    get = Access(actions=("s3:GetObject",))
    alone = EngineOptions(full_aws_access=False)
    assert check_access_not_granted(allow_list, get, alone).outcome is Outcome.PASS
    assert check_access_not_granted(allow_list, get).outcome is Outcome.FAIL


# --- validation, sources, configuration, commands, workflow -----------------------------------


def codes(document: dict[str, Any], kind: PolicyType) -> list[str]:
    decoded = decode_text(json.dumps(document), "p.json")
    return [f.issue_code for f in validate_document(decoded, kind).findings]


def test_validation_per_type() -> None:
    with_principal = {"Version": "2012-10-17", "Statement": [dict(LEAVE, Principal="*")]}
    assert "SCP_SYNTAX_ERROR_PRINCIPAL" in codes(with_principal, SCP)
    rcp = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "NotAction": "s3:*",
         "Resource": "*"}]}  # fmt: skip
    found = codes(rcp, RCP)
    for code in (
        "RCP_SYNTAX_ERROR_ALLOW",
        "RCP_SYNTAX_ERROR_PRINCIPAL",
        "RCP_SYNTAX_ERROR_NOT_ACTION",
    ):
        assert code in found
    assert codes({"Version": "2012-10-17", "Statement": [SECURE_TRANSPORT]}, RCP) == []
    assert "SCP_SYNTAX_ERROR_VERSION" in codes({"Statement": [LEAVE]}, SCP)
    old_version = {"Version": "2008-10-17", "Statement": [SECURE_TRANSPORT]}
    assert "RCP_SYNTAX_ERROR_VERSION" in codes(old_version, RCP)
    assert "SCP_SYNTAX_ERROR_VERSION" not in codes({"Statement": [LEAVE]}, PolicyType.IDENTITY)
    boundary = {"Version": "2012-10-17", "Statement": [dict(SHIRLEY, Principal="*")]}
    assert "UNSUPPORTED_PRINCIPAL" in codes(boundary, BOUNDARY)


def test_size_limits_per_type() -> None:
    many = [dict(LEAVE, Sid=f"S{i}", Action=f"organizations:Leave{i:04}") for i in range(80)]
    big = {"Version": "2012-10-17", "Statement": many}
    assert len(json.dumps(big, separators=(",", ":"))) > 5120
    assert "POLICY_SIZE_EXCEEDS_SCP_QUOTA" in codes(big, SCP)
    assert "POLICY_SIZE_EXCEEDS_SCP_QUOTA" not in codes(big, PolicyType.IDENTITY)


def test_cloudformation_says_the_type_of_organizations_policies_and_boundaries() -> None:
    template = {
        "Resources": {
            "Guard": {
                "Type": "AWS::Organizations::Policy",
                "Properties": {"Name": "g", "Type": "SERVICE_CONTROL_POLICY",
                               "Content": {"Version": "2012-10-17", "Statement": [LEAVE]}},
            },
            "Perimeter": {
                "Type": "AWS::Organizations::Policy",
                "Properties": {"Name": "p", "Type": "RESOURCE_CONTROL_POLICY",
                               "Content": {"Version": "2012-10-17",
                                           "Statement": [SECURE_TRANSPORT]}},
            },
            "Boundary": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": {"Version": "2012-10-17",
                                                  "Statement": [SHIRLEY]}},
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]},
                    "PermissionsBoundary": {"Ref": "Boundary"},
                },
            },
        }
    }  # fmt: skip
    found = find_policies(decode_text(json.dumps(template, indent=1), "t.json"))
    kinds = {f.policy_id: f.policy_type for f in found}
    assert kinds["Resources.Guard.Properties.Content"] is SCP
    assert kinds["Resources.Perimeter.Properties.Content"] is RCP
    assert BOUNDARY in kinds.values()
    assert kinds["Resources.Boundary.Properties.PolicyDocument"] is PolicyType.IDENTITY


def test_aws_cli_describe_policy_says_its_type() -> None:
    content = json.dumps({"Version": "2012-10-17", "Statement": [SECURE_TRANSPORT]})
    output = {"Policy": {"PolicySummary": {"Id": "p-1", "Type": "RESOURCE_CONTROL_POLICY"},
                         "Content": content}}  # fmt: skip
    (found,) = find_policies(decode_text(json.dumps(output, indent=1), "rcp.json"))
    assert found.policy_id == "Policy.Content" and found.policy_type is RCP
    tagging = {"Policy": {"PolicySummary": {"Type": "TAG_POLICY"}, "Content": content}}
    assert all(f.policy_type is None for f in find_policies(decode_text(json.dumps(tagging), "t")))


def test_config_maps_paths_to_policy_types() -> None:
    config = parse_config(
        'policy_types:\n  "org/scps/**": SERVICE_CONTROL_POLICY\nfull_aws_access: false\n',
        ".policy-guard.yaml",
    )
    assert config.policy_type("org/scps/regions.json") is SCP
    assert config.policy_type("iam/app.json") is None
    assert config.full_aws_access is False
    with pytest.raises(InputError, match="policy_types"):
        parse_config('policy_types:\n  "x/**": SCP\n', ".policy-guard.yaml")


def test_commands_take_the_new_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(json.dumps({"Version": "2012-10-17", "Statement": [REGIONS, LEAVE]}))
    new.write_text(json.dumps({"Version": "2012-10-17", "Statement": [REGIONS]}))
    pair = ["--existing-policy-document", str(old), "--new-policy-document", str(new)]
    scp = ["--policy-type", "SERVICE_CONTROL_POLICY"]
    assert main(["check-no-new-access", *pair, *scp]) == 1
    assert "FullAWSAccess" in capsys.readouterr().out
    assert main(["check-no-new-access", *pair, *scp, "--without-full-aws-access"]) == 0
    capsys.readouterr()
    identity = tmp_path / "id.json"
    identity.write_text(json.dumps({"Version": "2012-10-17", "Statement": [ALLOW_ALL]}))
    ask = ["--action", "organizations:LeaveOrganization", "--resource", "*"]
    assert main(["simulate", "--policy-document", str(identity), "--scp", str(old), *ask]) == 1
    assert "serviceControlPolicy" in capsys.readouterr().out
    assert main(["simulate", "--policy-document", str(identity), "--scp", str(new), *ask]) == 0
    alone = ["simulate", "--policy-document", str(old), "--policy-type", "SERVICE_CONTROL_POLICY"]
    get = [
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
        "--context",
        "aws:RequestedRegion=eu-west-1",
    ]
    assert main([*alone, *get]) == 0
    assert main([*alone, *ask]) == 1
    assert main([*alone, *get, "--without-full-aws-access"]) == 1


@pytest.mark.usefixtures("isolated_git")
def test_the_workflow_checks_an_scp_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, ".policy-guard.yaml", 'policy_types:\n  "org/**": SERVICE_CONTROL_POLICY\n')
    write(repo, "org/guard.json", json.dumps({"Version": "2012-10-17", "Statement": [LEAVE]}))
    commit(repo, "first")
    monkeypatch.chdir(repo)
    write(repo, "org/guard.json", json.dumps({"Version": "2012-10-17", "Statement": [ROOT]}))
    assert main(["--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["files"]
    issues = [i for i in entry["issues"] if i["check"] == "no-new-access"]
    assert issues and "FullAWSAccess" in json.dumps(issues[0])
    assert [p["policyType"] for p in entry["policies"]] == ["SERVICE_CONTROL_POLICY"]
    write(repo, "org/guard.json", json.dumps({"Version": "2012-10-17", "Statement": [LEAVE, ROOT]}))
    assert main([]) == 0  # a Deny added: nothing let through that was blocked
    commit(repo, "narrower")
    assert main(["--all"]) == 0


@pytest.mark.usefixtures("isolated_git")
def test_the_hook_checks_an_scp_in_a_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def template(*statements: dict[str, Any]) -> str:
        content = {"Version": "2012-10-17", "Statement": list(statements)}
        guard = {"Type": "AWS::Organizations::Policy",
                 "Properties": {"Name": "guard", "Type": "SERVICE_CONTROL_POLICY",
                                "Content": content, "TargetIds": ["r-abcd"]}}  # fmt: skip
        return json.dumps({"AWSTemplateFormatVersion": "2010-09-09",
                           "Resources": {"Guard": guard}}, indent=2)  # fmt: skip

    repo = make_repo(tmp_path / "repo")
    write(repo, "org.template.json", template(REGIONS, LEAVE))
    commit(repo, "first")
    monkeypatch.chdir(repo)
    write(repo, "org.template.json", template(REGIONS))
    assert main(["--format", "json"]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    (issue,) = [i for i in entry["issues"] if i["check"] == "no-new-access"]
    assert "organizations:LeaveOrganization" in json.dumps(issue)
    assert "blocked it by statement 1" in json.dumps(issue)  # the Deny that is gone
    write(repo, "org.template.json", template(REGIONS, LEAVE, ROOT))
    assert main([]) == 0


@pytest.mark.usefixtures("isolated_git")
def test_the_hook_checks_terraform_organizations_policies_by_their_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aws_organizations_policy`: an SCP without `type` (Terraform's default), an RCP by its
    `type`, a tag policy no IAM policy at all; the SCP's lost Deny is found at its line."""

    def terraform(*statements: dict[str, Any]) -> str:
        scp = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        rcp = json.dumps({"Version": "2012-10-17", "Statement": [SECURE_TRANSPORT]})
        return (
            f'resource "aws_organizations_policy" "guard" {{\n  name = "guard"\n'
            f"  content = <<EOT\n{scp}\nEOT\n}}\n"
            f'resource "aws_organizations_policy" "perimeter" {{\n  name = "perimeter"\n'
            f'  type = "RESOURCE_CONTROL_POLICY"\n  content = <<EOT\n{rcp}\nEOT\n}}\n'
            'resource "aws_organizations_policy" "tags" {\n  name = "tags"\n'
            '  type = "TAG_POLICY"\n  content = "{\\"tags\\": {}}"\n}\n'
        )

    repo = make_repo(tmp_path / "repo")
    write(repo, "org.tf", terraform(REGIONS, LEAVE))
    commit(repo, "first")
    monkeypatch.chdir(repo)
    assert main(["--all", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    kinds = {p["policyId"]: p["policyType"] for p in entry["policies"]}
    assert kinds == {
        "aws_organizations_policy.guard.content": "SERVICE_CONTROL_POLICY",
        "aws_organizations_policy.perimeter.content": "RESOURCE_CONTROL_POLICY",
    }
    write(repo, "org.tf", terraform(REGIONS))
    assert main(["--format", "json"]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    (issue,) = [i for i in entry["issues"] if i["check"] == "no-new-access"]
    assert "organizations:LeaveOrganization" in json.dumps(issue)
    assert issue["policyId"] == "aws_organizations_policy.guard.content"
