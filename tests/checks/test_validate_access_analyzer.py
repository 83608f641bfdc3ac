"""Validation findings Access Analyzer reports that policy-guard now reports too: the PassRole
security warnings, and actions of retired services said once, plainly, as retired."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from policy_guard.checks.validation import validate_document
from policy_guard.document.json_decode import decode_json
from policy_guard.policy import catalogue
from policy_guard.policy.findings import Finding, FindingType


def findings(*statements: dict[str, Any]) -> list[Finding]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return list(validate_document(decode_json(json.dumps(document), "p.json")).findings)


def allow(action: Any = None, resource: Any = "*", **elements: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": "Allow", "Resource": resource, **elements}
    if action is not None:
        body["Action"] = action
    return body


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        (allow("iam:PassRole"), "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        (allow(["s3:GetObject", "IAM:passrole"]), "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        (
            allow("iam:PassRole", "arn:aws:iam::111122223333:role/*"),
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        ),
        (allow("iam:*"), "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"),
        (allow("*"), "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"),
        (allow("iam:Pass*"), "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"),
        (allow(NotAction=["s3:*"]), "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE"),
    ],
)
def test_pass_role_on_every_role_is_a_security_warning(
    statement: dict[str, Any], code: str
) -> None:
    (finding,) = [f for f in findings(statement) if f.issue_code.startswith("PASS_ROLE")]
    assert finding.issue_code == code
    assert finding.finding_type is FindingType.SECURITY_WARNING
    assert finding.path[:3] == ("Statement", 0, "Resource")


@pytest.mark.parametrize(
    "statement",
    [
        allow("iam:PassRole", "arn:aws:iam::111122223333:role/app-*"),
        allow("iam:PassRole", "arn:aws:iam::111122223333:role/service/app"),
        allow(NotAction=["iam:*"]),
        allow("iam:GetRole"),
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
        allow("iam:PassRole", None, NotResource="arn:aws:iam::111122223333:role/admin"),
    ],
)
def test_pass_role_on_named_roles_or_not_granted_is_quiet(statement: dict[str, Any]) -> None:
    if statement.get("Resource", "") is None:
        del statement["Resource"]
    assert not [f for f in findings(statement) if f.issue_code.startswith("PASS_ROLE")]


def _retired_action_of_a_current_service() -> str:
    for key, entry in json.loads(
        (resources.files("policy_guard.policy") / "retired.json").read_text("utf-8")
    )["actions"].items():
        if catalogue.retired_action(key) is not None:
            return str(entry["name"])
    pytest.skip("every retired action is back in the installed catalogue")


def test_action_of_a_retired_service_is_one_plain_suggestion() -> None:
    retired = catalogue.retired_service("evidently")
    if retired is None:
        pytest.skip("the installed catalogue lists `evidently` again")
    (finding,) = findings(allow("evidently:GetExperiment"))
    assert (finding.issue_code, finding.finding_type) == ("RETIRED_ACTION", FindingType.SUGGESTION)
    assert "retired" in finding.details and retired.left_in in finding.details
    assert "did you mean" not in finding.details
    wildcard = findings(allow("evidently:Get*"))
    assert [f.issue_code for f in wildcard] == ["RETIRED_ACTION"]


def test_retired_action_of_a_current_service_is_one_plain_suggestion() -> None:
    action = _retired_action_of_a_current_service()
    (finding,) = findings(allow(action))
    assert finding.issue_code == "RETIRED_ACTION" and action in finding.details


def test_current_names_are_not_retired_and_misspellings_still_get_a_did_you_mean() -> None:
    assert catalogue.retired_service("s3") is None
    assert catalogue.retired_action("s3:GetObject") is None
    (finding,) = findings(allow("s3:GetObjekt"))
    assert (
        finding.issue_code == "INVALID_ACTION" and "did you mean `s3:GetObject`" in finding.details
    )


@pytest.mark.parametrize(
    ("resource", "action", "code"),
    [
        ("arn:aws:s3:us-east-1::example-bucket", "s3:ListBucket", "ARN_REGION_NOT_ALLOWED"),
        ("arn:aws:s3:::example-bucket", "s3:ListBucket", None),
        ("arn:aws:s3::111122223333:example-bucket", "s3:ListBucket", "ARN_ACCOUNT_NOT_ALLOWED"),
        ("arn:aws:dynamodb::111122223333:table/T", "dynamodb:GetItem", "MISSING_ARN_REGION"),
        ("arn:aws:dynamodb:us-east-1::table/T", "dynamodb:GetItem", "MISSING_ARN_ACCOUNT"),
        ("arn:aws:dynamodb:*:*:table/T", "dynamodb:GetItem", None),
        ("arn:aws:dynamodb:useast1:111122223333:table/T", "dynamodb:GetItem", "INVALID_ARN_REGION"),
        ("arn:aws:dynamodb:us-east-1:1111:table/T", "dynamodb:GetItem", "INVALID_ARN_ACCOUNT"),
        ("arn:aws:s*:::example-bucket", "s3:ListBucket", "WILDCARD_IN_ARN_SERVICE"),
        ("arn:aws:s3:::${bucket_name}/*", "s3:GetObject", "UNFILLED_PLACEHOLDER"),
        ("arn:aws:s3:::home/${aws:username}/*", "s3:GetObject", None),
    ],
)
def test_arn_fields_fit_the_resource_type(resource: str, action: str, code: str | None) -> None:
    codes = {f.issue_code for f in findings(allow(action, resource))}
    assert codes == ({code} if code else set())
    if code:
        (finding,) = findings(allow(action, resource))
        assert finding.finding_type is FindingType.WARNING  # IAM accepts it: it matches nothing


@pytest.mark.parametrize(
    ("action", "resource", "mismatch"),
    [
        ("s3:GetObject", "arn:aws:s3:::example-bucket", True),  # an object action on a bucket
        ("s3:GetObject", "arn:aws:s3:::example-bucket/*", False),
        ("s3:GetObject", "arn:aws:s3:::example-bucket*", False),  # `*` may reach the key
        ("s3:ListBucket", "arn:aws:sqs:us-east-1:111122223333:example-queue", True),
        ("s3:ListAllMyBuckets", "arn:aws:s3:::example-bucket", True),  # takes only `*`
        ("s3:ListAllMyBuckets", "*", False),
        ("s3:Put*", "arn:aws:s3:::example-bucket", False),  # s3:PutBucketPolicy fits
        ("ec2:Describe*", "arn:aws:s3:::example-bucket", True),
        ("*", "arn:aws:s3:::example-bucket", False),  # a wildcard service is not judged
        ("s3:GetObject", "arn:aws:s3:::${aws:username}", False),  # a variable counts as `*`
        ("s3:GetObject", "${aws:ResourceArn}", False),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/app", False),
        ("iam:PassRole", "arn:aws:iam::111122223333:user/app", True),
        # AWSManagedServices_DetectiveControlsConfig_ServiceRolePolicy: a stack ARN ends in the
        # stack's id (`stack/NAME/ID`), so `stack/NAME` matches no stack
        ("cloudformation:CreateStack", "arn:aws:cloudformation:*:*:stack/ams-config", True),
        ("cloudformation:CreateStack", "arn:aws:cloudformation:*:*:stack/ams-config/*", False),
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:111122223333:function:f:live", False),
    ],
)
def test_an_action_that_cannot_act_on_the_statements_resources_is_a_warning(
    action: str, resource: str, mismatch: bool
) -> None:
    found = [f for f in findings(allow(action, resource)) if f.issue_code == "RESOURCE_MISMATCH"]
    assert bool(found) == mismatch
    if found:
        (finding,) = found
        assert finding.finding_type is FindingType.SUGGESTION  # it grants nothing
        assert finding.path[-2:] == ("Action", 0) or finding.path[-1] == "Action"
        assert "allows" in finding.details and action in finding.details


def test_a_resource_mismatch_names_what_the_action_takes_and_is_said_of_a_deny_too() -> None:
    deny = {"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b"]}
    (finding,) = findings(deny)
    assert finding.issue_code == "RESOURCE_MISMATCH"
    assert "`object`" in finding.details and "denies it nothing" in finding.details


def test_an_entry_another_entry_covers_is_a_suggestion() -> None:
    statement = allow(["s3:GetObject", "s3:Get*"], ["arn:aws:s3:::b/k", "arn:aws:s3:::b/*"])
    found = {(f.issue_code, f.finding_type) for f in findings(statement)}
    assert found == {
        ("REDUNDANT_ACTION", FindingType.SUGGESTION),
        ("REDUNDANT_RESOURCE", FindingType.SUGGESTION),
    }
