"""CloudFormation, SAM and CDK templates and AWS CLI output as sources of policies.

The real templates in fixtures/cloudformation (aws-cloudformation-templates, Apache-2.0, see
its NOTICE) are read with their policy counts checked against index.tsv; YAML/JSON twins give
the same policies; the rest are small templates that each pin one rule of the sources.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from policy_guard.document.read import decode_text
from policy_guard.policy.model import PolicyType
from policy_guard.sources import FoundPolicy, decode_file, find_policies
from policy_guard.sources.cloudformation import is_template
from policy_guard.sources.cloudformation_intrinsics import _may_be_pattern
from policy_guard.sources.cloudformation_properties import POLICY_PROPERTIES, SPECIAL_TYPES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloudformation"
INDEX = list(csv.DictReader((FIXTURES / "index.tsv").open(), delimiter="\t"))
# Documents index.tsv counts that are not IAM policies (an IoT policy has its own semantics)
NOT_IAM = {"AWS::IoT::Policy"}
TWINS = [
    (row["path"], row["path"].rsplit(".", 1)[0] + ".json")
    for row in INDEX
    if row["format"] == "yaml"
    and any(r["path"] == row["path"].rsplit(".", 1)[0] + ".json" for r in INDEX)
]


def policies_of(text: str, name: str = "template.yaml") -> tuple[FoundPolicy, ...]:
    return find_policies(decode_text(text, name))


def by_id(found: tuple[FoundPolicy, ...]) -> dict[str, FoundPolicy]:
    return {f.policy_id: f for f in found}


def read(relative: str) -> tuple[FoundPolicy, ...]:
    return find_policies(decode_file((FIXTURES / relative).read_bytes(), relative))


def _at(value: Any, policy_id: str) -> Any:
    """The template value at a policy's logical path (`Resources.R.Properties.Policies[0]...`)."""
    for part in policy_id.replace("[", ".[").split("."):
        if isinstance(value, dict) and isinstance(value.get("Fn::If"), list):
            value = value["Fn::If"][1]  # the branch that holds the policy
        if part.startswith("["):
            value = value[int(part[1:-1])] if isinstance(value, list) else None
        elif isinstance(value, dict):
            value = value.get(part)
    return value


def _is_mapping(value: Any) -> bool:
    """A policy written as a mapping with `Statement` (not a JSON string, nor `Fn::Sub` of one)."""
    return isinstance(value, dict) and "Statement" in value


def defining_type(relative: str, policy_id: str) -> str:
    template = decode_file((FIXTURES / relative).read_bytes(), relative).value
    return str(template["Resources"][policy_id.split(".")[1]]["Type"])


@pytest.mark.parametrize("row", INDEX, ids=[r["path"] for r in INDEX])
def test_each_real_template_gives_the_policies_index_tsv_counts(row: dict[str, str]) -> None:
    found = read(row["path"])
    assert not [f.problem for f in found if f.problem and not f.only_when_new]
    template = decode_file((FIXTURES / row["path"]).read_bytes(), row["path"])
    documents = Counter(
        defining_type(row["path"], f.policy_id)
        for f in found
        if not f.only_when_new
        and "ManagedPolicyArns[" not in f.policy_id  # the attached policy, counted where defined
        and (".Properties." not in f.policy_id or _is_mapping(_at(template.value, f.policy_id)))
    )
    for built in ("AWS::Lambda::Permission", "AWS::Lambda::LayerVersionPermission"):
        documents.pop(built, None)  # built from properties: index.tsv has no such document
    pairs = (p.rsplit(":", 1) for p in row["policy_docs_by_resource_type"].split(","))
    expected = Counter({kind: int(count) for kind, count in pairs if kind not in NOT_IAM})
    assert documents == expected


def test_the_fixture_counts_add_up_to_the_documented_163() -> None:
    assert len(INDEX) == 41
    assert sum(int(r["policy_docs"]) for r in INDEX) == 163


@pytest.mark.parametrize(("yaml_name", "json_name"), TWINS)
def test_yaml_and_json_twins_give_the_same_policies(yaml_name: str, json_name: str) -> None:
    from_yaml, from_json = read(yaml_name), read(json_name)
    assert [f.policy_id for f in from_yaml] == [f.policy_id for f in from_json]
    for a, b in zip(from_yaml, from_json, strict=True):
        assert a.problem == b.problem
        if a.problem is None:
            assert a.document.value == b.document.value
        assert (a.policy_type, a.resource_type) == (b.policy_type, b.resource_type)
        # the same unknowns (the twins differ in some parameters' definitions, not in names)
        assert [u.name for u in a.unknowns] == [u.name for u in b.unknowns]


def test_there_are_eight_twins() -> None:
    assert len(TWINS) == 8


def test_the_property_table_covers_the_named_resource_types() -> None:
    for kind in (
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::Policy",
        "AWS::IAM::User",
        "AWS::IAM::Group",
        "AWS::IAM::RolePolicy",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::KMS::Key",
        "AWS::SecretsManager::ResourcePolicy",
        "AWS::ECR::Repository",
        "AWS::Logs::ResourcePolicy",
        "AWS::OpenSearchService::Domain",
    ):
        assert kind in POLICY_PROPERTIES, kind
    assert {"AWS::Lambda::Permission", "AWS::Events::EventBusPolicy"} <= set(SPECIAL_TYPES)
    ecr = dict((p, k) for p, k, _ in POLICY_PROPERTIES["AWS::ECR::Repository"])
    assert ecr == {"RepositoryPolicyText": "resource"}  # the lifecycle policy is no IAM policy
    assert "AWS::IoT::Policy" not in POLICY_PROPERTIES


ROLE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Bucket: {Type: String, Default: data}
Conditions:
  IsProd: !Equals [!Ref "AWS::AccountId", "111122223333"]
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"
              - !If
                - IsProd
                - Effect: Allow
                  Action: s3:PutObject
                  Resource: !GetAtt Logs.Arn
                - !Ref AWS::NoValue
  Logs:
    Type: AWS::S3::Bucket
  Lifecycle:
    Type: AWS::ECR::Repository
    Properties:
      LifecyclePolicy:
        LifecyclePolicyText: '{"Statement": [{"Effect": "Allow"}]}'
"""


def test_a_role_gives_trust_inline_and_attachment_with_identities_and_lines() -> None:
    found = by_id(policies_of(ROLE))
    trust = found["Resources.AppRole.Properties.AssumeRolePolicyDocument"]
    assert (trust.policy_type, trust.resource_type, trust.line) == (
        PolicyType.RESOURCE,
        "AWS::IAM::AssumeRolePolicyDocument",
        11,
    )
    inline = found["Resources.AppRole.Properties.Policies[0].PolicyDocument"]
    assert inline.policy_type is PolicyType.IDENTITY
    statements = inline.document.value["Statement"]
    assert statements[0]["Resource"] == "arn:${unknown/AWS.Partition}:s3:::${unknown/Bucket}/*"
    assert inline.document.span_of(("Statement", 0, "Resource")).line == 25
    # the statement under `!If` is there, in force only when the condition is true
    assert statements[1]["Condition"] == {"StringEquals": {"unknown:Condition/IsProd": "true"}}
    assert statements[1]["Resource"] == "${unknown/Logs.Arn}"
    names = {u.name for u in inline.unknowns}
    assert names == {"AWS::Partition", "Bucket", "Logs.Arn", "Condition/IsProd"}
    bucket = next(u for u in inline.unknowns if u.name == "Bucket")
    assert bucket.may_be_pattern  # a String parameter a deployer may set to `*`
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    attached = found[f"Resources.AppRole.Properties.ManagedPolicyArns[{arn}]"]
    assert attached.only_when_new and "unknown" in str(attached.problem)
    assert not any("Lifecycle" in f for f in found)  # an ECR lifecycle policy is no IAM policy


def test_a_template_is_recognised_by_version_or_by_resource_types() -> None:
    assert is_template({"AWSTemplateFormatVersion": "2010-09-09"})
    assert is_template({"Resources": {"R": {"Type": "AWS::S3::Bucket"}}})
    assert not is_template({"Resources": {"R": {"Type": "Custom"}}})
    assert not is_template({"Statement": []})


def test_parameters_that_cannot_hold_wildcards() -> None:
    assert not _may_be_pattern({"Type": "String", "AllowedPattern": "^[a-z0-9-]+$"})
    assert not _may_be_pattern({"Type": "String", "AllowedPattern": r"\d{12}"})
    assert _may_be_pattern({"Type": "String", "AllowedPattern": ".+"})
    assert _may_be_pattern({"Type": "String", "AllowedPattern": "[^/]+"})
    assert not _may_be_pattern({"Type": "String", "AllowedValues": ["a", "b"]})
    assert _may_be_pattern({"Type": "String", "AllowedValues": ["a", "*"]})
    assert not _may_be_pattern({"Type": "AWS::EC2::VPC::Id"})
    assert _may_be_pattern({"Type": "String"})


def test_permissions_bus_policies_and_json_strings_are_read_as_policies() -> None:
    text = """\
Resources:
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: my-function
      Principal: s3.amazonaws.com
      SourceAccount: "111122223333"
  Bus:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: s
      Statement:
        Effect: Allow
        Principal: {AWS: "111122223333"}
        Action: events:PutEvents
        Resource: "*"
  Logs:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: p
      PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "es.amazonaws.com"}, "Action": "logs:PutLogEvents",
        "Resource": "*"}]}'
  Macro:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: !Base64 whatever
"""
    found = by_id(policies_of(text))
    invoke = found["Resources.Invoke"]
    statement = invoke.document.value["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert statement["Resource"].endswith(":function:my-function")
    assert invoke.resource_type == "AWS::Lambda::Function"
    assert invoke.document.span_of(("Statement", 0, "Principal")).line == 7
    assert found["Resources.Bus"].document.value["Statement"][0]["Action"] == "events:PutEvents"
    logs = found["Resources.Logs.Properties.PolicyDocument"]
    assert logs.document.value["Statement"][0]["Action"] == "logs:PutLogEvents"
    assert logs.line == 22
    broken = found["Resources.Macro.Properties.PolicyDocument"]
    assert "Fn::Base64" in str(broken.problem) and broken.line == 28


def test_a_macro_is_reported_not_skipped() -> None:
    found = policies_of("Transform: MyMacro\nResources:\n  B:\n    Type: AWS::S3::Bucket\n")
    assert [f.policy_id for f in found] == ["Transform"]
    assert "MyMacro" in str(found[0].problem) and found[0].line == 1


SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies:
        - S3ReadPolicy:
            BucketName: !Ref Data
        - AdministratorAccess
        - Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: "*"
  Data:
    Type: AWS::S3::Bucket
"""


def test_sam_policy_templates_are_expanded_and_managed_policies_are_unknown_access() -> None:
    found = by_id(policies_of(SAM))
    template = found["Resources.Fn.Properties.Policies[0].S3ReadPolicy"]
    statement = template.document.value["Statement"][0]
    assert "s3:GetObject" in statement["Action"]
    assert statement["Resource"] == [
        "arn:${unknown/AWS.Partition}:s3:::${unknown/Data}",
        "arn:${unknown/AWS.Partition}:s3:::${unknown/Data}/*",
    ]
    assert template.line == 9
    admin = found["Resources.Fn.Properties.Policies[1][AdministratorAccess]"]
    assert admin.only_when_new and "AdministratorAccess" in str(admin.problem)
    inline = found["Resources.Fn.Properties.Policies[2]"]
    assert inline.document.value["Statement"][0]["Action"] == "sqs:SendMessage"


def cli_document(actions: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def test_aws_cli_outputs_are_recognised_by_content() -> None:
    document = cli_document(["s3:GetObject"])
    encoded = quote(json.dumps(document))  # as the IAM API returns it
    outputs = {
        "get-policy-version": {"PolicyVersion": {"Document": encoded, "VersionId": "v3"}},
        "get-policy-version decoded": {"PolicyVersion": {"Document": document, "VersionId": "v3"}},
        "get-role": {"Role": {"RoleName": "app", "AssumeRolePolicyDocument": encoded}},
        "get-role-policy": {"RoleName": "app", "PolicyName": "s3", "PolicyDocument": document},
        "get-user-policy": {"UserName": "u", "PolicyName": "s3", "PolicyDocument": document},
        "get-group-policy": {"GroupName": "g", "PolicyName": "s3", "PolicyDocument": document},
        "string": json.dumps(document),
    }
    expected_ids = {
        "get-policy-version": "PolicyVersion.Document",
        "get-policy-version decoded": "PolicyVersion.Document",
        "get-role": "Role.AssumeRolePolicyDocument",
        "get-role-policy": "PolicyDocument",
        "get-user-policy": "PolicyDocument",
        "get-group-policy": "PolicyDocument",
        "string": "",
    }
    for name, output in outputs.items():
        found = find_policies(decode_text(json.dumps(output, indent=2), "ReadOnlyAccess"))
        assert [f.policy_id for f in found] == [expected_ids[name]], name
        assert found[0].document.value == document, name
    role = find_policies(decode_text(json.dumps(outputs["get-role"]), "role"))[0]
    assert role.resource_type == "AWS::IAM::AssumeRolePolicyDocument"


def test_account_authorization_details_give_every_policy_by_entity_name() -> None:
    document = cli_document(["s3:GetObject"])
    details = {
        "UserDetailList": [
            {"UserName": "u", "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": document}]}
        ],
        "GroupDetailList": [{"GroupName": "g", "GroupPolicyList": []}],
        "RoleDetailList": [
            {
                "RoleName": "app",
                "AssumeRolePolicyDocument": document,
                "RolePolicyList": [
                    {"PolicyName": "s3", "PolicyDocument": quote(json.dumps(document))}
                ],
            }
        ],
        "Policies": [
            {
                "PolicyName": "Shared",
                "PolicyVersionList": [
                    {"Document": document, "IsDefaultVersion": False, "VersionId": "v1"},
                    {"Document": document, "IsDefaultVersion": True, "VersionId": "v2"},
                ],
            }
        ],
    }
    found = find_policies(decode_text(json.dumps(details, indent=1), "details.json"))
    assert [f.policy_id for f in found] == [
        "UserDetailList[u].UserPolicyList[p].PolicyDocument",
        "RoleDetailList[app].AssumeRolePolicyDocument",
        "RoleDetailList[app].RolePolicyList[s3].PolicyDocument",
        "Policies[Shared].Document",
    ]
