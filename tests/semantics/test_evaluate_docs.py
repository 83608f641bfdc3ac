"""The reference evaluator against the IAM User Guide's own examples, element by element and
operator by operator.

Each row: a policy (inline, or a file in tests/fixtures/evaluate/ copied unchanged from the IAM
User Guide's examples, MIT-0, licence beside them), a request, the decision the documentation
gives, and the documented rule it exercises. Where docs/semantics.md makes a choice the guide
does not spell out, the row says "(semantics.md choice)".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from policy_guard.document.read import decode_text
from policy_guard.errors import UndecidedError
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import Decision, evaluate
from policy_guard.semantics.request import Request

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluate"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"

ALLOW, IMPLICIT, EXPLICIT = Decision.ALLOW, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY

Document = str | dict[str, Any]  # a fixture file name, or the policy itself


@dataclass(frozen=True)
class Case:
    id: str
    policy: Document
    request: Request
    expected: Decision
    rule: str


def load(document: Document) -> Policy:
    if isinstance(document, str):
        text, name = (FIXTURES / document).read_text(encoding="utf-8"), document
    else:
        text, name = json.dumps(document, indent=2), "inline.json"
    return load_policy(decode_text(text, name))


def req(
    action: str,
    resource: str = "*",
    principal: str | None = None,
    context: dict[str, str | list[str]] | None = None,
) -> Request:
    values = {k: (tuple(v) if isinstance(v, list) else (v,)) for k, v in (context or {}).items()}
    return Request(action, resource, principal, values)


def identity(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def allow(action: str | list[str] = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def granted_to(principal: Any, action: str, resource: str | None = None) -> dict[str, Any]:
    """A resource policy with one Allow statement for `principal`."""
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    return {"Version": "2012-10-17", "Statement": [statement]}


def when(operator: str, key: str, values: str | list[str]) -> dict[str, Any]:
    """An Allow of everything under one condition."""
    return identity(allow(Condition={operator: {key: values}}))


BUCKET = "arn:aws:s3:::BUCKETNAME"
ACCT = "444455556666"
BOB = f"arn:aws:iam::{ACCT}:user/Bob"

CASES: list[Case] = [
    # --- Policy evaluation logic -----------------------------------------------------------
    Case(
        "default-deny",
        "reference_policies_evaluation-logic-1.json",
        req("s3:GetObject", "arn:aws:s3:::otherbucket/key"),
        IMPLICIT,
        "IAM User Guide, Policy evaluation logic: by default, all requests are implicitly denied",
    ),
    Case(
        "allow-own-bucket",
        "reference_policies_evaluation-logic-1.json",
        req("s3:GetObject", "arn:aws:s3:::carlossalazar/photo.jpg"),
        ALLOW,
        "IAM User Guide, Policy evaluation logic example: AllowS3Self allows the user's bucket",
    ),
    Case(
        "explicit-deny-wins",
        "reference_policies_evaluation-logic-1.json",
        req("s3:GetObject", "arn:aws:s3:::carlossalazar/logs/today"),
        EXPLICIT,
        "IAM User Guide, Policy evaluation logic: an explicit deny in any policy overrides any "
        "allow (DenyS3Logs, `arn:aws:s3:::*log*`)",
    ),
    Case(
        "deny-reports",
        "reference_policies_evaluation-logic-3.json",
        req("iam:GetCredentialReport"),
        EXPLICIT,
        "IAM User Guide, Policy evaluation logic example: `iam:*Report` denies what "
        "`iam:Get*` allows",
    ),
    Case(
        "allow-get",
        "reference_policies_evaluation-logic-3.json",
        req("iam:GetUser"),
        ALLOW,
        "IAM User Guide, Policy evaluation logic example: `iam:Get*` allows GetUser",
    ),
    Case(
        "not-listed",
        "reference_policies_evaluation-logic-3.json",
        req("iam:CreateUser"),
        IMPLICIT,
        "IAM User Guide, Policy evaluation logic: nothing allows it: implicit deny",
    ),
    # --- Action ------------------------------------------------------------------------------
    Case(
        "action-star-middle",
        identity(allow("iam:*AccessKey*")),
        req("iam:ListAccessKeys"),
        ALLOW,
        "IAM User Guide, Action element: `iam:*AccessKey*` covers every action whose "
        "name contains AccessKey",
    ),
    Case(
        "action-star-no-match",
        identity(allow("iam:*AccessKey*")),
        req("iam:CreateUser"),
        IMPLICIT,
        "IAM User Guide, Action element: a wildcard pattern covers only matching names",
    ),
    Case(
        "action-case-insensitive",
        identity(allow("iam:*AccessKey*")),
        req("IAM:createaccesskey"),
        ALLOW,
        "IAM User Guide, Action element: prefixes and action names are case insensitive",
    ),
    Case(
        "action-question-mark",
        identity(allow("s3:Get?bject")),
        req("s3:GetObject"),
        ALLOW,
        "IAM User Guide, Action element: `?` matches any single character",
    ),
    Case(
        "action-question-one-char",
        identity(allow("s3:Get?bject")),
        req("s3:GetOObject"),
        IMPLICIT,
        "IAM User Guide, Action element: `?` matches exactly one character",
    ),
    Case(
        "action-star-all",
        identity(allow("*")),
        req("ec2:RunInstances"),
        ALLOW,
        "IAM User Guide, Action element: `*` alone means every action",
    ),
    Case(
        "action-list-or",
        identity(allow(["s3:GetObject", "ec2:StartInstances"])),
        req("ec2:StartInstances"),
        ALLOW,
        "IAM User Guide, Action element: a list of actions matches any of them",
    ),
    # --- NotAction ---------------------------------------------------------------------------
    Case(
        "notaction-deny-without-mfa",
        "reference_policies_elements_notaction-1.json",
        req("s3:ListBucket", context={"aws:MultiFactorAuthPresent": "false"}),
        EXPLICIT,
        "IAM User Guide, NotAction element: Deny with NotAction `iam:*` denies every other action",
    ),
    Case(
        "notaction-excluded",
        "reference_policies_elements_notaction-1.json",
        req("iam:ListUsers", context={"aws:MultiFactorAuthPresent": "false"}),
        IMPLICIT,
        "IAM User Guide, NotAction element: the listed actions are not matched",
    ),
    Case(
        "notaction-mfa-absent",
        "reference_policies_elements_notaction-1.json",
        req("s3:ListBucket"),
        EXPLICIT,
        "IAM User Guide, Condition operators, ...IfExists: if the key is not present, the "
        "condition evaluates to true (BoolIfExists)",
    ),
    Case(
        "notaction-mfa-true",
        "reference_policies_elements_notaction-1.json",
        req("s3:ListBucket", context={"aws:MultiFactorAuthPresent": "true"}),
        IMPLICIT,
        "IAM User Guide, NotAction element: a Deny never allows; its condition is false here",
    ),
    Case(
        "notaction-allow-everything-else",
        identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        req("s3:GetObject", "arn:aws:s3:::b/k"),
        ALLOW,
        "IAM User Guide, NotAction element: Allow with NotAction allows all actions not listed",
    ),
    Case(
        "notaction-allow-listed-not-allowed",
        identity({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        req("iam:CreateUser"),
        IMPLICIT,
        "IAM User Guide, NotAction element: NotAction does not allow the listed actions",
    ),
    # --- Resource ----------------------------------------------------------------------------
    Case(
        "resource-case-sensitive",
        identity(allow("iam:*", "arn:aws:iam::123456789012:user/Bob")),
        req("iam:GetUser", "arn:aws:iam::123456789012:user/bob"),
        IMPLICIT,
        "IAM User Guide, Resource element: in the Resource element, the IAM user name is case "
        "sensitive",
    ),
    Case(
        "resource-exact",
        identity(allow("iam:*", "arn:aws:iam::123456789012:user/Bob")),
        req("iam:GetUser", "arn:aws:iam::123456789012:user/Bob"),
        ALLOW,
        "IAM User Guide, Resource element: an ARN names one resource",
    ),
    Case(
        "resource-bare-star",
        identity(allow("s3:*", "*")),
        req("s3:GetObject", "anything"),
        ALLOW,
        "IAM User Guide, Resource element: `*` alone means every resource",
    ),
    Case(
        "resource-path-star",
        identity(allow("iam:*", "arn:aws:iam::123456789012:user/accounting/*")),
        req("iam:GetUser", "arn:aws:iam::123456789012:user/accounting/alice"),
        ALLOW,
        "IAM User Guide, Resource element: every IAM user whose path is /accounting",
    ),
    Case(
        "resource-star-across-slashes",
        identity(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*")),
        req("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg"),
        ALLOW,
        "IAM User Guide, Resource element: `*` expands to replace everything within the "
        "segment, including characters like `/`",
    ),
    Case(
        "resource-star-needs-literal",
        identity(allow("s3:*", "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*")),
        req("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/1/tests/object.jpg"),
        IMPLICIT,
        "IAM User Guide, Resource element: the literal `/test/` must still occur",
    ),
    Case(
        "resource-question-in-segment",
        identity(allow("s3:*", "arn:aws:s3:::bucket-?")),
        req("s3:ListBucket", "arn:aws:s3:::bucket-a"),
        ALLOW,
        "IAM User Guide, Resource element: `?` represents any single character",
    ),
    Case(
        "resource-question-one-char",
        identity(allow("s3:*", "arn:aws:s3:::bucket-?")),
        req("s3:ListBucket", "arn:aws:s3:::bucket-ab"),
        IMPLICIT,
        "IAM User Guide, Resource element: `?` is exactly one character",
    ),
    Case(
        "resource-star-end-of-segment-crosses-colon",
        identity(allow("ec2:*", "arn:aws:ec2:us-*:123456789012:instance/i-1")),
        req("ec2:StartInstances", "arn:aws:ec2:us-a:b:123456789012:instance/i-1"),
        ALLOW,
        "IAM User Guide, Resource element: if the `*` is the last character of a resource ARN "
        "segment, it can expand to match beyond colon boundaries",
    ),
    Case(
        "resource-star-mid-segment-stays-in-segment",
        identity(allow("ec2:*", "arn:aws:ec2:us-*-1:123456789012:instance/i-1")),
        req("ec2:StartInstances", "arn:aws:ec2:us-a:b-1:123456789012:instance/i-1"),
        IMPLICIT,
        "IAM User Guide, Resource element: wildcards are used within the individual segments "
        "of an ARN (a `*` not at the end of a segment does not cross a colon)",
    ),
    Case(
        "resource-star-in-region",
        identity(allow("ec2:*", "arn:aws:ec2:*:123456789012:instance/*")),
        req("ec2:StartInstances", "arn:aws:ec2:eu-west-1:123456789012:instance/i-9"),
        ALLOW,
        "IAM User Guide, Resource element: `*` for a whole segment (any Region)",
    ),
    Case(
        "resource-part-colons",
        identity(allow("logs:*", "arn:aws:logs:us-east-1:123456789012:log-group:*")),
        req("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s"),
        ALLOW,
        "IAM User Guide, Resource element: a trailing `*` in the resource part matches colons too",
    ),
    # --- NotResource -------------------------------------------------------------------------
    Case(
        "notresource-outside",
        "reference_policies_elements_notresource-1.json",
        req("s3:GetObject", "arn:aws:s3:::HRBucket/Other/file"),
        EXPLICIT,
        "IAM User Guide, NotResource element: Deny with NotResource denies every resource "
        "except those listed",
    ),
    Case(
        "notresource-listed",
        "reference_policies_elements_notresource-1.json",
        req("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/file"),
        IMPLICIT,
        "IAM User Guide, NotResource element: the listed resources are not matched",
    ),
    Case(
        "deny-except-bucket-inside",
        "reference_policies_examples_s3_deny-except-bucket-1.json",
        req("s3:GetObject", "arn:aws:s3:::bucket-name/key"),
        ALLOW,
        "IAM User Guide, example: allows S3 on one bucket",
    ),
    Case(
        "deny-except-bucket-other-service",
        "reference_policies_examples_s3_deny-except-bucket-1.json",
        req("ec2:RunInstances", "*"),
        EXPLICIT,
        "IAM User Guide, example: NotAction + NotResource deny every other service's action "
        "on every other resource",
    ),
    Case(
        "deny-except-bucket-other-bucket",
        "reference_policies_examples_s3_deny-except-bucket-1.json",
        req("s3:GetObject", "arn:aws:s3:::another-bucket/key"),
        IMPLICIT,
        "IAM User Guide, example: S3 actions are outside the Deny (NotAction), and the Allow "
        "names only bucket-name",
    ),
    # --- Principal ---------------------------------------------------------------------------
    Case(
        "principal-star-anonymous",
        granted_to("*", "s3:GetObject", f"{BUCKET}/*"),
        req("s3:GetObject", f"{BUCKET}/k", "anonymous"),
        ALLOW,
        'IAM User Guide, Principal element: `"Principal": "*"` means all principals, '
        "anonymous users included",
    ),
    Case(
        "principal-aws-star-anonymous",
        granted_to({"AWS": "*"}, "s3:GetObject", f"{BUCKET}/*"),
        req("s3:GetObject", f"{BUCKET}/k", "anonymous"),
        ALLOW,
        'IAM User Guide, Principal element: `{"AWS": "*"}` is equivalent to `"*"`',
    ),
    Case(
        "principal-star-service",
        granted_to("*", "s3:GetObject", f"{BUCKET}/*"),
        req("s3:GetObject", f"{BUCKET}/k", "cloudtrail.amazonaws.com"),
        ALLOW,
        "IAM User Guide, Principal element: `*` is every principal, services included "
        "(semantics.md)",
    ),
    Case(
        "principal-account-id-user",
        granted_to({"AWS": "123456789012"}, "sqs:SendMessage"),
        req("sqs:SendMessage", "q", "arn:aws:iam::123456789012:user/alice"),
        ALLOW,
        "IAM User Guide, Principal element: an account id delegates to the account: any "
        "principal of it",
    ),
    Case(
        "principal-account-id-role-session",
        granted_to({"AWS": "123456789012"}, "sqs:SendMessage"),
        req("sqs:SendMessage", "q", "arn:aws:sts::123456789012:assumed-role/r/s"),
        ALLOW,
        "IAM User Guide, Principal element: an account id covers its role sessions",
    ),
    Case(
        "principal-root-arn-same-as-id",
        granted_to({"AWS": "arn:aws:iam::123456789012:root"}, "sqs:SendMessage"),
        req("sqs:SendMessage", "q", "arn:aws:iam::123456789012:user/alice"),
        ALLOW,
        "IAM User Guide, Principal element: `arn:aws:iam::123456789012:root` and "
        "`123456789012` are equivalent",
    ),
    Case(
        "principal-account-other",
        granted_to({"AWS": "123456789012"}, "sqs:SendMessage"),
        req("sqs:SendMessage", "q", "arn:aws:iam::999999999999:user/alice"),
        IMPLICIT,
        "IAM User Guide, Principal element: another account's principals are not named",
    ),
    Case(
        "principal-account-anonymous",
        granted_to({"AWS": "123456789012"}, "sqs:SendMessage"),
        req("sqs:SendMessage", "q", "anonymous"),
        IMPLICIT,
        "IAM User Guide, Principal element: an account grant is not a grant to everyone",
    ),
    Case(
        "principal-user-exact",
        granted_to({"AWS": BOB}, "s3:*"),
        req("s3:GetObject", "b", BOB),
        ALLOW,
        "IAM User Guide, Principal element: an IAM user ARN names that user",
    ),
    Case(
        "principal-user-other",
        granted_to({"AWS": BOB}, "s3:*"),
        req("s3:GetObject", "b", f"arn:aws:iam::{ACCT}:user/Alice"),
        IMPLICIT,
        "IAM User Guide, Principal element: an IAM user ARN names no one else in the account",
    ),
    Case(
        "principal-role-not-user",
        granted_to({"AWS": BOB}, "s3:*"),
        req("s3:GetObject", "b", f"arn:aws:iam::{ACCT}:role/Bob"),
        IMPLICIT,
        "IAM User Guide, Principal element: a role ARN is a different principal",
    ),
    Case(
        "principal-no-partial-wildcard",
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/*"},
                    "Action": "s3:*",
                }
            ],
            "Version": "2012-10-17",
        },
        req("s3:GetObject", "b", BOB),
        IMPLICIT,
        "IAM User Guide, Principal element: you cannot use a wildcard to match part of a "
        "principal name or ARN",
    ),
    Case(
        "principal-service",
        granted_to({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"),
        req("s3:PutObject", "b", "cloudtrail.amazonaws.com"),
        ALLOW,
        "IAM User Guide, Principal element: AWS service principals",
    ),
    Case(
        "principal-service-other",
        granted_to({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject"),
        req("s3:PutObject", "b", "ec2.amazonaws.com"),
        IMPLICIT,
        "IAM User Guide, Principal element: a service principal names one service",
    ),
    Case(
        "principal-federated-web-identity",
        granted_to(
            {"Federated": "cognito-identity.amazonaws.com"}, "sts:AssumeRoleWithWebIdentity"
        ),
        req("sts:AssumeRoleWithWebIdentity", "r", "cognito-identity.amazonaws.com"),
        ALLOW,
        "IAM User Guide, Principal element: web identity session principals (Federated)",
    ),
    Case(
        "principal-federated-saml",
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCT}:saml-provider/Okta"},
                    "Action": "sts:AssumeRoleWithSAML",
                }
            ],
            "Version": "2012-10-17",
        },
        req("sts:AssumeRoleWithSAML", "r", f"arn:aws:iam::{ACCT}:saml-provider/Okta"),
        ALLOW,
        "IAM User Guide, Principal element: SAML session principals (Federated provider ARN)",
    ),
    Case(
        "principal-none-in-request",
        granted_to("*", "s3:*"),
        req("s3:GetObject", "b", None),
        IMPLICIT,
        "semantics.md: a statement with Principal does not match a request without one",
    ),
    # --- NotPrincipal ------------------------------------------------------------------------
    Case(
        "notprincipal-bob-exempt",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", f"{BUCKET}/k", BOB),
        IMPLICIT,
        "IAM User Guide, NotPrincipal element: all principals except Bob are denied; the "
        "statement alone grants Bob nothing",
    ),
    Case(
        "notprincipal-other-account",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", f"{BUCKET}/k", "arn:aws:iam::111122223333:user/Eve"),
        EXPLICIT,
        "IAM User Guide, NotPrincipal element: every principal not listed is denied",
    ),
    Case(
        "notprincipal-anonymous",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", BUCKET, "anonymous"),
        EXPLICIT,
        "IAM User Guide, NotPrincipal element: anonymous users are not listed, so denied",
    ),
    Case(
        "notprincipal-same-account-user",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", BUCKET, f"arn:aws:iam::{ACCT}:user/Alice"),
        EXPLICIT,
        'IAM User Guide, NotPrincipal element: "all principals except the user named Bob in '
        'AWS account 444455556666 are explicitly denied": the listed account names the account '
        "principal, not Alice",
    ),
    Case(
        "notprincipal-account-root-exempt",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", BUCKET, f"arn:aws:iam::{ACCT}:root"),
        IMPLICIT,
        "IAM User Guide, NotPrincipal element: the listed account principal itself is exempt",
    ),
    Case(
        "notprincipal-other-resource",
        "reference_policies_elements_notprincipal-1.json",
        req("s3:GetObject", "arn:aws:s3:::OTHER/k", "anonymous"),
        IMPLICIT,
        "IAM User Guide, NotPrincipal element: the Deny covers only the listed resources",
    ),
    Case(
        "principal-arn-condition-instead",
        "reference_policies_elements_principal-1.json",
        req(
            "s3:GetObject",
            f"{BUCKET}/k",
            "arn:aws:iam::111122223333:user/Eve",
            {"aws:PrincipalArn": "arn:aws:iam::111122223333:user/Eve"},
        ),
        EXPLICIT,
        "IAM User Guide, Principal element: Deny `*` unless aws:PrincipalArn is the named "
        "user (ArnNotEquals)",
    ),
    Case(
        "principal-arn-condition-exempt",
        "reference_policies_elements_principal-1.json",
        req(
            "s3:GetObject",
            f"{BUCKET}/k",
            f"arn:aws:iam::{ACCT}:user/user-name",
            {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/user-name"},
        ),
        IMPLICIT,
        "IAM User Guide, Principal element: the named user is not denied",
    ),
    # --- Condition: String -------------------------------------------------------------------
    Case(
        "string-equals",
        when("StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin"),
        req("iam:CreateAccessKey", context={"aws:PrincipalTag/job-category": "iamuser-admin"}),
        ALLOW,
        "IAM User Guide, Condition operators: StringEquals, exact matching",
    ),
    Case(
        "string-equals-case-sensitive",
        when("StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin"),
        req("iam:CreateAccessKey", context={"aws:PrincipalTag/job-category": "IAMUSER-ADMIN"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: StringEquals is case sensitive",
    ),
    Case(
        "condition-key-name-case-insensitive",
        when("StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin"),
        req("iam:CreateAccessKey", context={"AWS:PRINCIPALTAG/Job-Category": "iamuser-admin"}),
        ALLOW,
        "IAM User Guide, Condition element: condition key names are not case sensitive",
    ),
    Case(
        "string-equals-missing-key",
        when("StringEquals", "aws:PrincipalTag/job-category", "iamuser-admin"),
        req("iam:CreateAccessKey"),
        IMPLICIT,
        "IAM User Guide, Condition operators: if the key is not present in the request "
        "context, the condition is false",
    ),
    Case(
        "string-equals-ignore-case",
        when("StringEqualsIgnoreCase", "aws:PrincipalTag/job-category", "iamuser-admin"),
        req("iam:CreateAccessKey", context={"aws:PrincipalTag/job-category": "IAMUser-Admin"}),
        ALLOW,
        "IAM User Guide, Condition operators: StringEqualsIgnoreCase ignores case",
    ),
    Case(
        "string-not-equals-ignore-case",
        when("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "Blue"),
        req("s3:GetObject", context={"aws:PrincipalTag/team": "BLUE"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: StringNotEqualsIgnoreCase, negated, case ignored",
    ),
    Case(
        "string-not-equals-nor-listed",
        "reference_policies_examples_aws_deny-requested-region-1.json",
        req("ec2:RunInstances", context={"aws:RequestedRegion": "eu-west-1"}),
        IMPLICIT,
        "IAM User Guide, Conditions with multiple values: a negated operator with several "
        "values is a NOR (eu-west-1 is listed)",
    ),
    Case(
        "string-not-equals-nor-unlisted",
        "reference_policies_examples_aws_deny-requested-region-1.json",
        req("ec2:RunInstances", context={"aws:RequestedRegion": "us-east-1"}),
        EXPLICIT,
        "IAM User Guide, example: deny access to AWS based on the requested Region",
    ),
    Case(
        "string-not-equals-missing-key",
        "reference_policies_examples_aws_deny-requested-region-1.json",
        req("ec2:RunInstances"),
        EXPLICIT,
        "IAM User Guide, Condition operators: a negated operator with the key absent is true",
    ),
    Case(
        "string-not-equals-notaction-global",
        "reference_policies_examples_aws_deny-requested-region-1.json",
        req("iam:CreateUser", context={"aws:RequestedRegion": "us-east-1"}),
        IMPLICIT,
        "IAM User Guide, example: global services in NotAction are exempt from the Region deny",
    ),
    Case(
        "string-like",
        "reference_policies_elements_condition_operators-9.json",
        req("ec2:RunInstances", context={"ec2:InstanceType": "t2.micro"}),
        ALLOW,
        "IAM User Guide, Condition operators: StringLike, `*` matches any characters",
    ),
    Case(
        "string-like-no-match",
        "reference_policies_elements_condition_operators-9.json",
        req("ec2:RunInstances", context={"ec2:InstanceType": "m5.large"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: StringLike, no value matches",
    ),
    Case(
        "string-like-missing-key",
        "reference_policies_elements_condition_operators-9.json",
        req("ec2:RunInstances"),
        IMPLICIT,
        "IAM User Guide, ...IfExists: THISPOLICYDOESNOTWORK because requests without "
        "ec2:InstanceType fail the condition",
    ),
    Case(
        "string-like-if-exists-absent",
        "reference_policies_elements_condition_operators-10.json",
        req("ec2:RunInstances", "arn:aws:ec2:us-east-1::image/ami-1"),
        ALLOW,
        "IAM User Guide, ...IfExists: StringLikeIfExists is true when the key is absent",
    ),
    Case(
        "string-like-if-exists-present",
        "reference_policies_elements_condition_operators-10.json",
        req("ec2:RunInstances", context={"ec2:InstanceType": "m5.large"}),
        IMPLICIT,
        "IAM User Guide, ...IfExists: when the key is present it is checked as usual",
    ),
    Case(
        "string-like-case-sensitive",
        when("StringLike", "s3:prefix", "home/*"),
        req("s3:ListBucket", context={"s3:prefix": "HOME/x"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: StringLike is case sensitive",
    ),
    Case(
        "string-like-question",
        when("StringLike", "ec2:InstanceType", "t?.micro"),
        req("ec2:RunInstances", context={"ec2:InstanceType": "t3.micro"}),
        ALLOW,
        "IAM User Guide, Condition operators: StringLike, `?` matches one character",
    ),
    Case(
        "string-not-like",
        when("StringNotLike", "s3:prefix", ["home/*", "public/*"]),
        req("s3:ListBucket", context={"s3:prefix": "public/x"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: StringNotLike with several values (NOR)",
    ),
    Case(
        "string-not-like-true",
        when("StringNotLike", "s3:prefix", ["home/*", "public/*"]),
        req("s3:ListBucket", context={"s3:prefix": "private/x"}),
        ALLOW,
        "IAM User Guide, Condition operators: StringNotLike, no value matches",
    ),
    Case(
        "several-values-or",
        "reference_policies_variables-8.json",
        req("iam:TagUser", context={"iam:ResourceTag/costCenter": "67890"}),
        ALLOW,
        "IAM User Guide, Conditions with multiple values: values of one key are ORed",
    ),
    Case(
        "several-values-or-none",
        "reference_policies_variables-8.json",
        req("iam:TagUser", context={"iam:ResourceTag/costCenter": "11111"}),
        IMPLICIT,
        "IAM User Guide, Conditions with multiple values: none of the values matches",
    ),
    # --- Numeric -----------------------------------------------------------------------------
    Case(
        "numeric-le",
        "reference_policies_elements_condition_operators-3.json",
        req("s3:ListBucket", "arn:aws:s3:::example_bucket", context={"s3:max-keys": "10"}),
        ALLOW,
        "IAM User Guide, Condition operators: NumericLessThanEquals",
    ),
    Case(
        "numeric-le-above",
        "reference_policies_elements_condition_operators-3.json",
        req("s3:ListBucket", "arn:aws:s3:::example_bucket", context={"s3:max-keys": "11"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: NumericLessThanEquals, above the bound",
    ),
    Case(
        "numeric-le-decimal",
        "reference_policies_elements_condition_operators-3.json",
        req("s3:ListBucket", "arn:aws:s3:::example_bucket", context={"s3:max-keys": "9.5"}),
        ALLOW,
        "IAM User Guide, Condition operators: numbers are compared as numbers",
    ),
    Case(
        "numeric-not-a-number",
        "reference_policies_elements_condition_operators-3.json",
        req("s3:ListBucket", "arn:aws:s3:::example_bucket", context={"s3:max-keys": "ten"}),
        IMPLICIT,
        "(semantics.md choice) a request value that is not a number matches nothing",
    ),
    Case(
        "numeric-missing",
        "reference_policies_elements_condition_operators-3.json",
        req("s3:ListBucket", "arn:aws:s3:::example_bucket"),
        IMPLICIT,
        "IAM User Guide, Condition operators: the key absent makes the condition false",
    ),
    Case(
        "numeric-equals-forms",
        when("NumericEquals", "s3:max-keys", "10"),
        req("s3:ListBucket", context={"s3:max-keys": "10.0"}),
        ALLOW,
        "IAM User Guide, Condition operators: NumericEquals compares values, not text",
    ),
    Case(
        "numeric-not-equals",
        when("NumericNotEquals", "s3:max-keys", ["10", "20"]),
        req("s3:ListBucket", context={"s3:max-keys": "20"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: NumericNotEquals with several values (NOR)",
    ),
    Case(
        "numeric-lt-boundary",
        when("NumericLessThan", "s3:max-keys", "10"),
        req("s3:ListBucket", context={"s3:max-keys": "10"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: NumericLessThan is strict",
    ),
    Case(
        "numeric-gt",
        when("NumericGreaterThan", "s3:max-keys", "10"),
        req("s3:ListBucket", context={"s3:max-keys": "11"}),
        ALLOW,
        "IAM User Guide, Condition operators: NumericGreaterThan",
    ),
    Case(
        "numeric-ge-boundary",
        when("NumericGreaterThanEquals", "s3:max-keys", "10"),
        req("s3:ListBucket", context={"s3:max-keys": "10"}),
        ALLOW,
        "IAM User Guide, Condition operators: NumericGreaterThanEquals",
    ),
    # --- Date --------------------------------------------------------------------------------
    Case(
        "date-gt",
        "reference_policies_elements_condition_operators-4.json",
        req(
            "iam:CreateAccessKey",
            "arn:aws:iam::account-id:user/alice",
            context={"aws:TokenIssueTime": "2020-01-01T00:00:02Z"},
        ),
        ALLOW,
        "IAM User Guide, Condition operators: DateGreaterThan",
    ),
    Case(
        "date-gt-equal-is-not-greater",
        "reference_policies_elements_condition_operators-4.json",
        req(
            "iam:CreateAccessKey",
            "arn:aws:iam::account-id:user/alice",
            context={"aws:TokenIssueTime": "2020-01-01T00:00:01Z"},
        ),
        IMPLICIT,
        "IAM User Guide, Condition operators: DateGreaterThan is strict",
    ),
    Case(
        "date-epoch",
        "reference_policies_elements_condition_operators-4.json",
        req(
            "iam:CreateAccessKey",
            "arn:aws:iam::account-id:user/alice",
            context={"aws:TokenIssueTime": "1577836802"},
        ),
        ALLOW,
        "IAM User Guide, Condition operators: dates may be given in epoch (UNIX) time",
    ),
    Case(
        "date-before",
        "reference_policies_elements_condition_operators-4.json",
        req(
            "iam:CreateAccessKey",
            "arn:aws:iam::account-id:user/alice",
            context={"aws:TokenIssueTime": "2019-12-31"},
        ),
        IMPLICIT,
        "IAM User Guide, Condition operators: an earlier date is not greater",
    ),
    Case(
        "date-offset",
        "reference_policies_elements_condition_operators-4.json",
        req(
            "iam:CreateAccessKey",
            "arn:aws:iam::account-id:user/alice",
            context={"aws:TokenIssueTime": "2020-01-01T01:00:02+01:00"},
        ),
        ALLOW,
        "IAM User Guide, Condition operators: dates are ISO 8601 instants (zone offsets count)",
    ),
    Case(
        "date-no-zone-is-utc",
        when("DateLessThan", "aws:CurrentTime", "2020-06-30T00:00:00Z"),
        req("s3:GetObject", context={"aws:CurrentTime": "2020-06-29T23:59:59"}),
        ALLOW,
        "(semantics.md choice) a date without a zone is UTC",
    ),
    Case(
        "date-not-equals",
        when("DateNotEquals", "aws:CurrentTime", "2020-06-30T00:00:00Z"),
        req("s3:GetObject", context={"aws:CurrentTime": "1593475200"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: DateNotEquals compares instants (the same "
        "instant in epoch seconds)",
    ),
    # --- Bool --------------------------------------------------------------------------------
    Case(
        "bool-false-denies",
        "reference_policies_elements_condition_operators-5.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            context={"aws:SecureTransport": "false"},
        ),
        EXPLICIT,
        "IAM User Guide, Condition operators: Bool, deny requests not sent over TLS",
    ),
    Case(
        "bool-case-insensitive",
        "reference_policies_elements_condition_operators-5.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            context={"aws:SecureTransport": "FALSE"},
        ),
        EXPLICIT,
        "(semantics.md choice) `true`/`false` are read case-insensitively",
    ),
    Case(
        "bool-true",
        "reference_policies_elements_condition_operators-5.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            context={"aws:SecureTransport": "true"},
        ),
        IMPLICIT,
        "IAM User Guide, Condition operators: Bool, the value does not match",
    ),
    Case(
        "bool-missing",
        "reference_policies_elements_condition_operators-5.json",
        req("s3:GetObject", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k"),
        IMPLICIT,
        "IAM User Guide, Condition operators: Bool with the key absent is false",
    ),
    # --- Binary ------------------------------------------------------------------------------
    Case(
        "binary-equals",
        when("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        req("s3:GetObject", context={"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}),
        ALLOW,
        "IAM User Guide, Condition operators: BinaryEquals with a base-64 value",
    ),
    Case(
        "binary-equals-other",
        when("BinaryEquals", "key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="),
        req("s3:GetObject", context={"key": "T3RoZXI="}),
        IMPLICIT,
        "IAM User Guide, Condition operators: BinaryEquals, other bytes",
    ),
    # --- IpAddress / NotIpAddress ------------------------------------------------------------
    Case(
        "ip-v4-in",
        "reference_policies_elements_condition_operators-7.json",
        req("someservice:Do", context={"aws:SourceIp": "203.0.113.77"}),
        ALLOW,
        "IAM User Guide, Condition operators: IpAddress, an IPv4 CIDR block",
    ),
    Case(
        "ip-v4-out",
        "reference_policies_elements_condition_operators-7.json",
        req("someservice:Do", context={"aws:SourceIp": "203.0.114.1"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: IpAddress, outside every block",
    ),
    Case(
        "ip-v6-in",
        "reference_policies_elements_condition_operators-7.json",
        req("someservice:Do", context={"aws:SourceIp": "2001:db8:1234:5678::1"}),
        ALLOW,
        "IAM User Guide, Condition operators: IpAddress with IPv4 and IPv6 blocks together",
    ),
    Case(
        "ip-v6-out",
        "reference_policies_elements_condition_operators-7.json",
        req("someservice:Do", context={"aws:SourceIp": "2001:db8:1234:5679::1"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: IpAddress, IPv6 outside the /64",
    ),
    Case(
        "ip-not-an-address",
        "reference_policies_elements_condition_operators-7.json",
        req("someservice:Do", context={"aws:SourceIp": "localhost"}),
        IMPLICIT,
        "(semantics.md choice) a request value that is not an address matches no block",
    ),
    Case(
        "not-ip-inside",
        "reference_policies_examples_aws_deny-ip-1.json",
        req("s3:GetObject", context={"aws:SourceIp": "192.0.2.10", "aws:ViaAWSService": "false"}),
        IMPLICIT,
        "IAM User Guide, example: deny access based on the source IP: inside a listed range",
    ),
    Case(
        "not-ip-outside",
        "reference_policies_examples_aws_deny-ip-1.json",
        req("s3:GetObject", context={"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": "false"}),
        EXPLICIT,
        "IAM User Guide, example: deny access based on the source IP: outside every range",
    ),
    Case(
        "not-ip-via-service",
        "reference_policies_examples_aws_deny-ip-1.json",
        req("s3:GetObject", context={"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": "true"}),
        IMPLICIT,
        "IAM User Guide, Conditions with multiple keys: operators are ANDed (Bool fails)",
    ),
    Case(
        "not-ip-v6-never-in-v4",
        "reference_policies_examples_aws_deny-ip-1.json",
        req(
            "s3:GetObject",
            context={"aws:SourceIp": "::ffff:192.0.2.10", "aws:ViaAWSService": "false"},
        ),
        EXPLICIT,
        "(semantics.md choice) an IPv6 address is never inside an IPv4 block",
    ),
    # --- Arn ---------------------------------------------------------------------------------
    Case(
        "arn-equals",
        "reference_policies_elements_condition_operators-8.json",
        req(
            "sqs:SendMessage",
            "arn:aws:sqs:REGION:123456789012:QUEUE-ID",
            "arn:aws:iam::123456789012:root",
            {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"},
        ),
        ALLOW,
        "IAM User Guide, Condition operators: ArnEquals on aws:SourceArn",
    ),
    Case(
        "arn-equals-other",
        "reference_policies_elements_condition_operators-8.json",
        req(
            "sqs:SendMessage",
            "arn:aws:sqs:REGION:123456789012:QUEUE-ID",
            "arn:aws:iam::123456789012:root",
            {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:OTHER"},
        ),
        IMPLICIT,
        "IAM User Guide, Condition operators: ArnEquals, another topic",
    ),
    Case(
        "arn-like-segments",
        when("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*"),
        req("sqs:SendMessage", context={"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:t"}),
        ALLOW,
        "IAM User Guide, Condition operators: ArnLike, each segment matched with wildcards",
    ),
    Case(
        "arn-like-star-stays-in-segment",
        when("ArnLike", "aws:SourceArn", "arn:aws:sns:*:123456789012:*"),
        req(
            "sqs:SendMessage",
            context={"aws:SourceArn": "arn:aws:sns:eu:west:999999999999:123456789012:t"},
        ),
        IMPLICIT,
        "IAM User Guide, Condition operators: ArnLike compares each colon-delimited "
        "component separately (a `*` does not span components)",
    ),
    Case(
        "arn-not-like",
        when("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin-*"),
        req("s3:GetObject", context={"aws:PrincipalArn": "arn:aws:iam::123456789012:role/dev"}),
        ALLOW,
        "IAM User Guide, Condition operators: ArnNotLike",
    ),
    Case(
        "arn-not-equals-missing",
        "reference_policies_elements_principal-1.json",
        req("s3:GetObject", f"{BUCKET}/k", "anonymous"),
        EXPLICIT,
        "IAM User Guide, Condition operators: a negated operator with the key absent is true",
    ),
    # --- Null --------------------------------------------------------------------------------
    Case(
        "null-true-absent",
        "reference_policies_elements_condition_operators-11.json",
        req("ec2:RunInstances"),
        ALLOW,
        "IAM User Guide, Condition operators: Null `true`: the key does not exist",
    ),
    Case(
        "null-true-present",
        "reference_policies_elements_condition_operators-11.json",
        req("ec2:RunInstances", context={"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}),
        IMPLICIT,
        "IAM User Guide, Condition operators: Null `true` is false when the key exists",
    ),
    Case(
        "null-false-present",
        when("Null", "aws:TokenIssueTime", "false"),
        req("ec2:RunInstances", context={"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}),
        ALLOW,
        "IAM User Guide, Condition operators: Null `false`: the key exists",
    ),
    Case(
        "null-false-absent",
        when("Null", "aws:TokenIssueTime", "false"),
        req("ec2:RunInstances"),
        IMPLICIT,
        "IAM User Guide, Condition operators: Null `false` is false when the key is absent",
    ),
    # --- ForAllValues / ForAnyValue ----------------------------------------------------------
    Case(
        "for-all-subset",
        "reference_policies_multi-value-conditions-1.json",
        req(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            context={"dynamodb:Attributes": ["ID", "Message"]},
        ),
        ALLOW,
        "IAM User Guide, Set operators: ForAllValues, every request value matches a policy value",
    ),
    Case(
        "for-all-not-subset",
        "reference_policies_multi-value-conditions-1.json",
        req(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            context={"dynamodb:Attributes": ["ID", "PostDateTime"]},
        ),
        IMPLICIT,
        "IAM User Guide, Set operators: ForAllValues, PostDateTime matches no policy value",
    ),
    Case(
        "for-all-absent",
        "reference_policies_multi-value-conditions-1.json",
        req("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Thread"),
        ALLOW,
        "IAM User Guide, Set operators: ForAllValues also returns true if there are no "
        "context keys in the request",
    ),
    Case(
        "for-all-empty",
        "reference_policies_multi-value-conditions-1.json",
        Request(
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            None,
            {"dynamodb:Attributes": ()},
        ),
        ALLOW,
        "IAM User Guide, Set operators: ForAllValues is true for an empty data set",
    ),
    Case(
        "for-any-match",
        "reference_policies_multi-value-conditions-2.json",
        req(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            context={"dynamodb:Attributes": ["Message", "ID"]},
        ),
        EXPLICIT,
        "IAM User Guide, Set operators: ForAnyValue, at least one request value matches",
    ),
    Case(
        "for-any-no-match",
        "reference_policies_multi-value-conditions-2.json",
        req(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            context={"dynamodb:Attributes": ["Message", "Tags"]},
        ),
        IMPLICIT,
        "IAM User Guide, Set operators: ForAnyValue, no request value matches",
    ),
    Case(
        "for-any-absent",
        "reference_policies_multi-value-conditions-2.json",
        req("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Thread"),
        IMPLICIT,
        "IAM User Guide, Set operators: ForAnyValue returns false when there is no "
        "matching context key",
    ),
    Case(
        "for-any-empty",
        "reference_policies_multi-value-conditions-2.json",
        Request(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:123456789012:table/Thread",
            None,
            {"dynamodb:Attributes": ()},
        ),
        IMPLICIT,
        "IAM User Guide, Set operators: ForAnyValue returns false for a null data set",
    ),
    Case(
        "for-any-if-exists-absent",
        when("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["env"]),
        req("ec2:CreateTags"),
        ALLOW,
        "IAM User Guide, ...IfExists with a set operator: the key absent makes it true",
    ),
    Case(
        "for-all-negated",
        when("ForAllValues:StringNotLike", "aws:TagKeys", ["aws:*"]),
        req("ec2:CreateTags", context={"aws:TagKeys": ["env", "aws:x"]}),
        IMPLICIT,
        "IAM User Guide, Set operators: ForAllValues with a negated operator, one value "
        "matches a pattern",
    ),
    Case(
        "for-all-negated-ok",
        when("ForAllValues:StringNotLike", "aws:TagKeys", ["aws:*"]),
        req("ec2:CreateTags", context={"aws:TagKeys": ["env", "team"]}),
        ALLOW,
        "IAM User Guide, Set operators: ForAllValues with a negated operator, no value matches",
    ),
    # --- Several keys and operators ----------------------------------------------------------
    Case(
        "keys-and",
        identity(
            allow(
                Condition={
                    "StringEquals": {"aws:PrincipalTag/dept": "d", "aws:PrincipalTag/role": "r"}
                }
            )
        ),
        req("s3:GetObject", context={"aws:PrincipalTag/dept": "d"}),
        IMPLICIT,
        "IAM User Guide, Conditions with multiple keys: keys of one operator are ANDed",
    ),
    Case(
        "keys-and-all",
        identity(
            allow(
                Condition={
                    "StringEquals": {"aws:PrincipalTag/dept": "d", "aws:PrincipalTag/role": "r"}
                }
            )
        ),
        req("s3:GetObject", context={"aws:PrincipalTag/dept": "d", "aws:PrincipalTag/role": "r"}),
        ALLOW,
        "IAM User Guide, Conditions with multiple keys: all keys hold",
    ),
    # --- Policy variables --------------------------------------------------------------------
    Case(
        "variable-resource",
        "reference_policies_variables-2.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/notes.txt",
            context={"aws:username": "David"},
        ),
        ALLOW,
        "IAM User Guide, Variables: `${aws:username}` is replaced by the requester's name",
    ),
    Case(
        "variable-resource-other-user",
        "reference_policies_variables-2.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/notes.txt",
            context={"aws:username": "Alice"},
        ),
        IMPLICIT,
        "IAM User Guide, Variables: one policy, each user's own folder",
    ),
    Case(
        "variable-condition",
        "reference_policies_variables-2.json",
        req(
            "s3:ListBucket",
            "arn:aws:s3:::mybucket",
            context={"aws:username": "David", "s3:prefix": "David/2024"},
        ),
        ALLOW,
        "IAM User Guide, Variables: variables in a StringLike condition value",
    ),
    Case(
        "variable-no-value",
        "reference_policies_variables-2.json",
        req("s3:GetObject", "arn:aws:s3:::mybucket/David/notes.txt"),
        IMPLICIT,
        "IAM User Guide, Variables: a variable with no value matches no resource",
    ),
    Case(
        "variable-key-case",
        "reference_policies_variables-2.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/notes.txt",
            context={"AWS:UserName": "David"},
        ),
        ALLOW,
        "IAM User Guide, Condition element: key names (and so variable names) are not case "
        "sensitive",
    ),
    Case(
        "variable-value-is-literal",
        "reference_policies_variables-2.json",
        req("s3:GetObject", "arn:aws:s3:::mybucket/David/notes.txt", context={"aws:username": "*"}),
        IMPLICIT,
        "(semantics.md) a substituted value is literal text: a `*` in it is no wildcard",
    ),
    Case(
        "variable-multi-valued",
        "reference_policies_variables-2.json",
        req(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/David/notes.txt",
            context={"aws:username": ["David", "Alice"]},
        ),
        IMPLICIT,
        "IAM User Guide, Single-valued vs. multivalued keys: you cannot use a multivalued key "
        "as a policy variable",
    ),
    Case(
        "variable-in-segment",
        "reference_policies_variables-6.json",
        req(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-2:123456789012:David-queue",
            context={"aws:username": "David"},
        ),
        ALLOW,
        "IAM User Guide, Variables: `${aws:username}-queue`",
    ),
    Case(
        "variable-default",
        identity(
            allow(
                "s3:*",
                "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*",
            )
        ),
        req("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/doc"),
        ALLOW,
        "IAM User Guide, Variables, Specifying default values: the default stands in for an "
        "absent key",
    ),
    Case(
        "variable-default-unused",
        identity(
            allow(
                "s3:*",
                "arn:aws:s3:::amzn-s3-demo-bucket/${aws:PrincipalTag/team, 'company-wide'}/*",
            )
        ),
        req(
            "s3:GetObject",
            "arn:aws:s3:::amzn-s3-demo-bucket/company-wide/doc",
            context={"aws:PrincipalTag/team": "blue"},
        ),
        IMPLICIT,
        "IAM User Guide, Variables, Specifying default values: a present key wins",
    ),
    Case(
        "escape-star",
        identity(allow("s3:*", "arn:aws:s3:::bucket/${*}")),
        req("s3:GetObject", "arn:aws:s3:::bucket/*"),
        ALLOW,
        "IAM User Guide, Variables, special characters: `${*}` is a literal `*`",
    ),
    Case(
        "escape-star-not-wildcard",
        identity(allow("s3:*", "arn:aws:s3:::bucket/${*}")),
        req("s3:GetObject", "arn:aws:s3:::bucket/key"),
        IMPLICIT,
        "IAM User Guide, Variables, special characters: `${*}` is no wildcard",
    ),
    Case(
        "escape-question",
        identity(allow("s3:*", "arn:aws:s3:::bucket/a${?}")),
        req("s3:GetObject", "arn:aws:s3:::bucket/ab"),
        IMPLICIT,
        "IAM User Guide, Variables, special characters: `${?}` is a literal `?`",
    ),
    Case(
        "escape-question-literal",
        identity(allow("s3:*", "arn:aws:s3:::bucket/a${?}")),
        req("s3:GetObject", "arn:aws:s3:::bucket/a?"),
        ALLOW,
        "IAM User Guide, Variables, special characters: `${?}` matches `?`",
    ),
    Case(
        "escape-dollar",
        identity(allow("s3:*", "arn:aws:s3:::bucket/${$}{x}")),
        req("s3:GetObject", "arn:aws:s3:::bucket/${x}"),
        ALLOW,
        "IAM User Guide, Variables, special characters: `${$}` is a literal `$`",
    ),
    Case(
        "escape-in-condition",
        when("StringLike", "s3:prefix", "a${*}"),
        req("s3:ListBucket", context={"s3:prefix": "abc"}),
        IMPLICIT,
        "IAM User Guide, Variables, special characters: escapes in condition values too",
    ),
    Case(
        "version-2008-literal",
        identity(allow("s3:*", "arn:aws:s3:::mybucket/${aws:username}/*"), version="2008-10-17"),
        req(
            "s3:GetObject",
            "arn:aws:s3:::mybucket/${aws:username}/f",
            context={"aws:username": "David"},
        ),
        ALLOW,
        "IAM User Guide, Version element: under 2008-10-17 `${aws:username}` is not a "
        "variable but literal text",
    ),
    Case(
        "version-2008-no-substitution",
        identity(allow("s3:*", "arn:aws:s3:::mybucket/${aws:username}/*"), version="2008-10-17"),
        req("s3:GetObject", "arn:aws:s3:::mybucket/David/f", context={"aws:username": "David"}),
        IMPLICIT,
        "IAM User Guide, Version element: no substitution under 2008-10-17",
    ),
    Case(
        "no-version-literal",
        identity(allow("s3:*", "arn:aws:s3:::mybucket/${aws:username}/*"), version=None),
        req("s3:GetObject", "arn:aws:s3:::mybucket/David/f", context={"aws:username": "David"}),
        IMPLICIT,
        "IAM User Guide, Version element: without Version, the value defaults to "
        "2008-10-17 and variables are literal strings",
    ),
    Case(
        "condition-literal-version-2008",
        identity(
            allow(Condition={"StringEquals": {"s3:prefix": "${aws:username}"}}),
            version="2008-10-17",
        ),
        req("s3:ListBucket", context={"s3:prefix": "${aws:username}", "aws:username": "x"}),
        ALLOW,
        "IAM User Guide, Version element: condition values are literal under 2008-10-17 too",
    ),
    # --- Resource policies without Resource --------------------------------------------------
    Case(
        "no-resource-element",
        "reference_policies_variables-7.json",
        req(
            "sns:Subscribe",
            "arn:aws:sns:us-east-1:123456789012:any-topic",
            "arn:aws:iam::999999999999:user/David",
            {
                "aws:username": "David",
                "sns:endpoint": "https://example.com/David/",
                "sns:Protocol": "https",
            },
        ),
        ALLOW,
        "IAM User Guide, Variables: a resource-based policy statement without Resource "
        "applies to the resource it is attached to (any resource here)",
    ),
    Case(
        "resource-policy-other-queue",
        "reference_policies_elements_condition_operators-8.json",
        req(
            "sqs:SendMessage",
            "arn:aws:sqs:REGION:123456789012:OTHER",
            "arn:aws:iam::123456789012:user/u",
            {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"},
        ),
        IMPLICIT,
        "IAM User Guide, Resource element: the listed queue only",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_documented_decision(case: Case) -> None:
    result = evaluate(load(case.policy), case.request)
    assert result.decision is case.expected, case.rule


def test_case_ids_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "operator", ["StringEqualz", "ForAnyValues:StringEquals", "NullIfExists", "Foo:StringLike"]
)
def test_unknown_operator_is_undecided(operator: str) -> None:
    """semantics.md / task: never guess what an operator IAM does not know means."""
    policy = load(when(operator, "aws:username", "x"))
    with pytest.raises(UndecidedError, match="`" + operator + "`"):
        evaluate(policy, req("s3:GetObject", context={"aws:username": "x"}))


def test_unknown_operator_undecided_even_when_statement_is_not_reached() -> None:
    """The answer must not depend on which statement the request happens to reach."""
    policy = load(
        identity(allow("s3:GetObject"), allow("ec2:*", Condition={"StringEqualz": {"k": "v"}}))
    )
    with pytest.raises(UndecidedError):
        evaluate(policy, req("s3:GetObject"))


def test_fixtures_are_unchanged_copies() -> None:
    """The fixtures are the User Guide's examples, byte for byte (MIT-0, licence beside)."""
    source = SHARED / "data" / "user-guide-examples"
    if not source.is_dir():
        pytest.skip("shared data not present")
    copied = sorted(FIXTURES.glob("*.json"))
    assert copied
    for path in copied:
        assert path.read_bytes() == (source / path.name).read_bytes(), path.name
    assert (FIXTURES / "LICENSE").read_bytes() == (source / "LICENSE").read_bytes()
