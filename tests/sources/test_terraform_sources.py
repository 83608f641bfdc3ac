"""The Terraform sources on their own: what `.tf` files and plans hold, where, and which
values are unknown (tests/fixtures/terraform)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy_guard.errors import InputError
from policy_guard.policy.model import PolicyType
from policy_guard.sources import read_policies
from policy_guard.sources.base import FoundPolicy
from policy_guard.sources.terraform_hcl import read_terraform
from policy_guard.sources.terraform_unknowns import MARK, Shape

FIXTURES = Path(__file__).parents[1] / "fixtures" / "terraform"


def found(name: str) -> dict[str, FoundPolicy]:
    data = (FIXTURES / name).read_bytes()
    return {f.policy_id: f for f in read_policies(data, name)}


def shown(value: object) -> str:
    return json.dumps(value).replace("\\ue000", "$")


def test_policy_documents_are_converted_as_the_provider_renders_them() -> None:
    policies = found("documents.tf")
    app = policies["data.aws_iam_policy_document.app"]
    statements = app.document.value["Statement"]
    # source_policy_documents first, then this document's statements
    assert [s.get("Sid") for s in statements] == ["List", "Read", "DenyOthers"]
    assert statements[1]["Resource"] == [
        f"arn:aws:s3:::{MARK}{{var.bucket}}/home/${{aws:username}}/*"
    ]
    assert statements[1]["Condition"] == {"StringEquals": {"aws:PrincipalTag/team": ["data"]}}
    assert statements[2] == {
        "Sid": "DenyOthers",
        "Effect": "Deny",
        "NotAction": ["s3:Get*", "s3:List*"],
        "NotResource": ["arn:aws:s3:::example-data/*"],
    }
    # the consumer decides the type: aws_iam_policy.app uses it
    assert app.policy_type is PolicyType.IDENTITY
    trust = policies["data.aws_iam_policy_document.trust"]
    assert trust.policy_type is PolicyType.RESOURCE
    assert trust.resource_type == "AWS::IAM::AssumeRolePolicyDocument"
    principal = trust.document.value["Statement"][0]["Principal"]
    assert principal["Service"] == ["ec2.amazonaws.com"] and len(principal["AWS"]) == 1
    assert trust.document.value["Statement"][0]["NotPrincipal"] == {
        "AWS": ["arn:aws:iam::111122223333:user/mallory"]
    }


def test_each_element_points_at_its_own_line() -> None:
    app = found("documents.tf")["data.aws_iam_policy_document.app"]
    lines = (FIXTURES / "documents.tf").read_text().splitlines()
    # statement 1 (`Read`) comes from this block; statement 0 from `base`, at its own line
    assert "statement {" in lines[app.document.span_of(("Statement", 1)).line - 1]
    assert (
        'actions = ["s3:GetObject"]'
        in lines[app.document.span_of(("Statement", 1, "Action")).line - 1]
    )
    assert 'sid       = "List"' in lines[app.document.span_of(("Statement", 0, "Sid")).line - 1]
    inline = found("inline.tf")
    queue = inline["aws_sqs_queue_policy.jobs.policy"]
    text = (FIXTURES / "inline.tf").read_text().splitlines()
    assert (
        '"sqs:ReceiveMessage"' in text[queue.document.span_of(("Statement", 1, "Action")).line - 1]
    )
    bucket = inline["aws_s3_bucket_policy.data.policy"]
    assert (
        'Action    = "s3:GetObject"'
        in text[bucket.document.span_of(("Statement", 0, "Action")).line - 1]
    )


def test_unknowns_have_names_shapes_and_fingerprints() -> None:
    policies = found("documents.tf")
    base = policies["data.aws_iam_policy_document.base"].terraform_unknowns
    assert base["var.bucket"].shape is Shape.TEXT
    assert base["var.bucket"].fingerprint is not None  # declared in this file
    assert base["data.aws_partition.current.partition"].shape is Shape.PARTITION
    trust = policies["data.aws_iam_policy_document.trust"].terraform_unknowns
    assert trust["data.aws_caller_identity.current.account_id"].shape is Shape.ACCOUNT
    extra = policies["data.aws_iam_policy_document.extra"]
    (dynamic,) = extra.terraform_unknowns.values()
    assert dynamic.shape is Shape.STRUCTURE and dynamic.line == 66
    bucket = found("inline.tf")["aws_s3_bucket_policy.data.policy"].terraform_unknowns
    assert bucket["aws_s3_bucket.data.arn"].fingerprint is None  # defined in another file


def test_a_changed_default_changes_the_fingerprint() -> None:
    text = (FIXTURES / "documents.tf").read_text()
    before = read_terraform(text, "d.tf")
    after = read_terraform(text.replace('default = "example-data"', 'default = "*"'), "d.tf")
    name = "data.aws_iam_policy_document.base"
    old = next(f for f in before if f.policy_id == name).terraform_unknowns["var.bucket"]
    new = next(f for f in after if f.policy_id == name).terraform_unknowns["var.bucket"]
    assert old.fingerprint != new.fingerprint


def test_policies_written_in_place_are_found_by_resource_and_argument() -> None:
    policies = found("inline.tf")
    assert set(policies) == {
        "aws_s3_bucket_policy.data.policy",
        "aws_sqs_queue_policy.jobs.policy",
        "aws_kms_key.main.policy",
        "module.reader.policy",
        "aws_lambda_permission.from_bucket",
        "aws_iam_policy.templated.policy",
    }
    assert policies["aws_kms_key.main.policy"].resource_type == "AWS::KMS::Key"
    assert policies["module.reader.policy"].policy_type is None  # inferred from statements
    queue = policies["aws_sqs_queue_policy.jobs.policy"].document.value
    # `$${aws:username}` is IAM's variable, `${...}` an unknown
    assert queue["Statement"][1]["Resource"].endswith("jobs-${aws:username}")
    assert queue["Statement"][0]["Resource"] == f"{MARK}{{aws_sqs_queue.jobs.arn}}"
    permission = policies["aws_lambda_permission.from_bucket"]
    assert permission.resource_type == "AWS::Lambda::Function"
    assert permission.document.value["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert permission.document.value["Statement"][0]["Condition"]["ArnLike"] == {
        "AWS:SourceArn": "arn:aws:s3:::example-uploads"
    }


def test_attachments_name_what_they_attach() -> None:
    policies = found("documents.tf")
    admin = policies["aws_iam_role_policy_attachment.admin.policy_arn"]
    assert admin.attaches == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert admin.document.value == {}
    app = policies["aws_iam_role_policy_attachment.app.policy_arn"]
    assert app.attaches == "${aws_iam_policy.app.arn}"
    assert [s.get("Sid") for s in app.document.value["Statement"]] == [
        "List",
        "Read",
        "DenyOthers",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            'resource "aws_iam_policy" "p" {\n  policy = "%{if true}x%{endif}"\n}\n',
            "template directive",
        ),
        ('resource "aws_iam_policy" "p" {\n  policy = var.policy\n}\n', "`${var.policy}`"),
        (
            'resource "aws_iam_policy" "p" {\n  policy = <<EOT\n{"Statement": ${x}}\nEOT\n}\n',
            "not valid JSON",
        ),
    ],
)
def test_what_cannot_be_read_is_a_problem_with_its_line(text: str, problem: str) -> None:
    (policy,) = read_terraform(text, "p.tf")
    assert policy.problem is not None and problem in policy.problem
    assert policy.line == 2


def test_a_file_that_does_not_parse_names_its_line() -> None:
    with pytest.raises(InputError) as raised:
        read_policies(b'resource "aws_iam_policy" "p" {\n  policy = [1,\n}\n', "bad.tf")
    assert raised.value.line == 3 and "invalid HCL" in raised.value.problem


def test_a_plan_carries_both_versions_and_its_unknowns() -> None:
    policies = found("plan.json")
    app = policies["aws_iam_policy.app.policy"]
    assert app.carries_base and app.base is not None
    assert app.base.document.value["Statement"][0]["Action"] == ["s3:GetObject"]
    assert app.document.value["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]
    trust = policies["aws_iam_role.app.assume_role_policy"]
    assert trust.base is None and trust.resource_type == "AWS::IAM::AssumeRolePolicyDocument"
    bucket = policies["aws_s3_bucket_policy.data.policy"]
    assert bucket.problem is not None and "after_unknown" in bucket.problem
    admin = policies["aws_iam_role_policy_attachment.admin.policy_arn"]
    assert admin.attaches == "arn:aws:iam::aws:policy/AdministratorAccess"
    # managed_policy_arns left to the provider (unset in the configuration): not an attachment
    assert "aws_iam_role.app.managed_policy_arns" not in policies


def test_shown_names() -> None:
    assert shown({"a": MARK + "{var.x}"}) == '{"a": "${var.x}"}'


def test_terraform_json_is_read_as_terraform() -> None:
    """(tests/sources/test_terraform_json.py has the rest.)"""
    text = (
        b'{\n  "resource": {\n    "aws_iam_policy": {\n      "app": {\n'
        b'        "policy": "${jsonencode({Statement = []})}"\n      }\n    }\n  }\n}\n'
    )
    (policy,) = read_policies(text, "main.tf.json")
    assert policy.policy_id == "aws_iam_policy.app.policy" and policy.line == 5
    assert policy.problem is None and policy.document.value == {"Statement": []}
    assert read_policies(b'{"resource": {}}', "other.json") == ()


def test_only_what_decides_a_variable_s_value_is_in_its_fingerprint() -> None:
    text = (FIXTURES / "documents.tf").read_text()
    name = "data.aws_iam_policy_document.base"

    def fingerprint(source: str) -> str | None:
        policy = next(f for f in read_terraform(source, "d.tf") if f.policy_id == name)
        return policy.terraform_unknowns["var.bucket"].fingerprint

    described = text.replace("type    = string", 'type    = string\n  description = "the bucket"')
    assert fingerprint(described) == fingerprint(text)
    assert fingerprint(text.replace("type    = string", "type    = any")) != fingerprint(text)


def test_a_policy_read_from_a_file_is_checked_as_that_file() -> None:
    text = 'resource "aws_iam_policy" "p" {\n  policy = file("${path.module}/p.json")\n}\n'
    assert read_terraform(text, "p.tf") == ()
    built = 'resource "aws_iam_policy" "p" {\n  policy = templatefile("p.json", {})\n}\n'
    (policy,) = read_terraform(built, "p.tf")
    assert policy.problem is not None and "templatefile" in policy.problem
