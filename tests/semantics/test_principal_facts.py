"""Principal facts: keys that describe the caller agree with the request's principal.

docs/semantics.md, "Principal facts". AWS's default KMS key policy for EBS is not public (it
was: the counterexample was an anonymous caller carrying `kms:CallerAccount`); facts hold for
every check, on both solvers, exact and lazy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.public_access import check_no_public_access
from policy_guard.checks.results import Outcome
from policy_guard.document.read import decode_text
from policy_guard.errors import UndecidedError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.principal_facts import consistent, fact_for, with_facts
from policy_guard.semantics.request import Request

ACCOUNT = "111122223333"
KEYS = (
    "aws:PrincipalAccount",
    "kms:CallerAccount",
    "aws:PrincipalArn",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalOrgID",
)

# AWS's default key policy of an AWS managed key (aws/ebs), as AWS publishes it (KMS Developer
# Guide, "AWS managed keys": the policy's statements, account 111122223333).
KMS_DEFAULT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Id": "auto-ebs-2",
    "Statement": [
        {
            "Sid": "Allow access through EBS for all principals in the account that are "
            "authorized to use EBS",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": ACCOUNT,
                    "kms:ViaService": "ec2.us-east-1.amazonaws.com",
                }
            },
        },
        {
            "Sid": "Allow direct access to key metadata to the account",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
            "Resource": "*",
        },
    ],
}


def load(document: dict[str, Any], name: str = "p.json") -> Policy:
    return load_policy(decode_text(json.dumps(document), name), PolicyType.RESOURCE)


def statements(*found: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(found)}


def everyone(condition: dict[str, Any], action: str = "kms:Decrypt") -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": "*",
        "Action": action,
        "Resource": "*",
        "Condition": condition,
    }


# --- the facts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("anonymous", {"aws:principaltype": "Anonymous", "aws:userid": "anonymous"}),
        (
            f"arn:aws:iam::{ACCOUNT}:root",
            {
                "aws:principalaccount": ACCOUNT,
                "kms:calleraccount": ACCOUNT,
                "aws:principalarn": f"arn:aws:iam::{ACCOUNT}:root",
                "aws:principaltype": "Account",
                "aws:userid": ACCOUNT,
                "aws:principalisawsservice": "false",
            },
        ),
        (
            f"arn:aws:iam::{ACCOUNT}:user/team/alice",
            {
                "aws:principalaccount": ACCOUNT,
                "kms:calleraccount": ACCOUNT,
                "aws:principalarn": f"arn:aws:iam::{ACCOUNT}:user/team/alice",
                "aws:principaltype": "User",
                "aws:principalisawsservice": "false",
            },
        ),
        (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s",
            {
                "aws:principalaccount": ACCOUNT,
                "kms:calleraccount": ACCOUNT,
                "aws:principaltype": "AssumedRole",
                "aws:principalisawsservice": "false",
            },
        ),
    ],
)
def test_determined_facts_are_written_from_the_principal(
    principal: str, expected: dict[str, str]
) -> None:
    made = with_facts(Request("kms:Decrypt", "*", principal, {}), KEYS)
    found = {k.lower(): v[0] for k, v in made.context.items()}
    assert found == expected
    assert consistent(made, [k.lower() for k in KEYS]) == (
        principal.endswith(":root") or principal == "anonymous"
    )  # a user needs aws:username, a session aws:PrincipalArn and aws:userid: not determined


def test_anonymous_has_no_account_and_services_are_free() -> None:
    assert fact_for("kms:calleraccount", "anonymous") is not None
    wrong = Request("kms:Decrypt", "*", "anonymous", {"kms:CallerAccount": (ACCOUNT,)})
    assert not consistent(wrong, ["kms:calleraccount"])
    service = Request("kms:Decrypt", "*", "ec2.amazonaws.com", {"kms:CallerAccount": (ACCOUNT,)})
    assert consistent(service, ["kms:calleraccount"])
    assert fact_for("kms:calleraccount", "ec2.amazonaws.com") is None


# --- public access: AWS's default KMS key policy ----------------------------------------------


def test_default_kms_key_policy_is_not_public(engine_options: EngineOptions) -> None:
    """Was FAIL with `anonymous` carrying kms:CallerAccount, a request that cannot exist."""
    result = check_no_public_access(load(KMS_DEFAULT), "AWS::KMS::Key", engine_options)
    assert result.outcome is Outcome.PASS, result


def test_caller_account_of_another_account_is_still_public(engine_options: EngineOptions) -> None:
    """Facts do not hide exposure: a pin to an account that anyone's principal can be in
    (a NotEquals) leaves outsiders in; the counterexample agrees with its principal."""
    policy = load(statements(everyone({"StringNotEquals": {"kms:CallerAccount": ACCOUNT}})))
    result = check_no_public_access(policy, "AWS::KMS::Key", engine_options)
    assert result.outcome is Outcome.FAIL
    for reason in result.reasons:
        example = reason.counterexample
        assert consistent(example, ["kms:calleraccount"])
        assert evaluate(policy, example).allowed
        assert example.context_values("kms:CallerAccount") != (ACCOUNT,)


def test_a_null_caller_account_lets_anonymous_in(engine_options: EngineOptions) -> None:
    """Only an anonymous caller has no kms:CallerAccount: the check must find it."""
    policy = load(statements(everyone({"Null": {"kms:CallerAccount": "true"}})))
    result = check_no_public_access(policy, "AWS::KMS::Key", engine_options)
    assert result.outcome is Outcome.FAIL
    assert {r.counterexample.principal for r in result.reasons} == {"anonymous"}
    assert all(not r.counterexample.context for r in result.reasons)


def test_a_principal_account_pin_keeps_external_access_out(engine_options: EngineOptions) -> None:
    policy = load(statements(everyone({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})))
    result = check_no_external_access(policy, (ACCOUNT,), None, engine_options)
    assert result.outcome is Outcome.PASS


def test_a_partial_wildcard_on_the_account_is_undecided(engine_options: EngineOptions) -> None:
    policy = load(statements(everyone({"StringLike": {"aws:PrincipalAccount": "1111*"}})))
    with pytest.raises(UndecidedError, match="1111"):
        check_no_public_access(policy, "AWS::KMS::Key", engine_options)


# --- every check: no answer rests on an impossible request ------------------------------------


def test_no_new_access_ignores_impossible_principal_facts(engine_options: EngineOptions) -> None:
    """A grant to a user that needs her to be of another account, or to carry a role session's
    ARN, adds nothing a real request can use."""
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": alice},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    wider = dict(grant, Action="s3:*")
    old = load(statements(grant), "old.json")
    other = {"StringEquals": {"aws:PrincipalAccount": "444455556666"}}
    mixed = {
        "StringEquals": {"aws:PrincipalType": "User"},
        "StringLike": {"aws:PrincipalArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/*"},
    }
    new = load(
        statements(grant, dict(wider, Condition=other), dict(wider, Condition=mixed)),
        "new.json",
    )
    result = check_no_new_access(old, new, engine_options)
    assert result.outcome is Outcome.PASS, result
    possible = {"StringEquals": {"aws:PrincipalType": "User", "aws:PrincipalAccount": ACCOUNT}}
    newer = load(statements(grant, dict(wider, Condition=possible)), "new.json")
    result = check_no_new_access(old, newer, engine_options)
    assert result.outcome is Outcome.FAIL
    for reason in result.reasons:
        example = reason.counterexample
        assert example.principal == alice
        assert example.context_values("aws:PrincipalAccount") == (ACCOUNT,)
        assert example.context_values("aws:PrincipalType") == ("User",)
