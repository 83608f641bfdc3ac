"""Accounts, root ARNs and principals: one reading for the model, the evaluator and the engine.

An ARN's partition is never empty (AWS General Reference, "Amazon Resource Names": `aws`,
`aws-cn`, `aws-us-gov`), so `arn::iam::ID:root` is no account's root ARN, in a policy or in a
request alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from policy_guard.document.read import decode_text
from policy_guard.policy.arns import (
    ANONYMOUS,
    PrincipalKind,
    principal_account,
    principal_kind,
    root_account,
    root_arn,
)
from policy_guard.policy.model import Policy, PolicyType, PrincipalEntry
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request

ID = "123456789012"


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        (f"arn:aws:iam::{ID}:root", ID),
        (f"arn:aws-cn:iam::{ID}:root", ID),
        (f"arn:aws-us-gov:iam::{ID}:root", ID),
        (f"arn::iam::{ID}:root", None),  # no partition: not an ARN
        (f"arn:aws:iam::{ID}:user/root", None),
        (f"arn:aws:sts::{ID}:root", None),
        (f"arn:aws:iam::{ID[:-1]}:root", None),
        (ID, None),
    ],
)
def test_root_account(arn: str, account: str | None) -> None:
    assert root_account(arn) == account


def test_root_arn_round_trips() -> None:
    assert root_arn(ID) == f"arn:aws:iam::{ID}:root"
    assert root_account(root_arn(ID, "aws-cn")) == ID


@pytest.mark.parametrize(
    ("principal", "account"),
    [
        (f"arn:aws:iam::{ID}:user/a", ID),
        (f"arn:aws:sts::{ID}:assumed-role/r/s", ID),
        (f"arn:aws-cn:iam::{ID}:root", ID),
        (f"arn::iam::{ID}:user/a", None),
        (f"arn:aws:s3:::{ID}", None),
        ("s3.amazonaws.com", None),
    ],
)
def test_principal_account(principal: str, account: str | None) -> None:
    assert principal_account(principal) == account


@pytest.mark.parametrize(
    ("principal", "kind"),
    [
        (ANONYMOUS, None),
        (f"arn:aws:iam::{ID}:user/a", PrincipalKind.AWS),
        (f"arn:aws:iam::{ID}:saml-provider/corp", PrincipalKind.FEDERATED),
        (f"arn:aws:iam::{ID}:oidc-provider/example.com", PrincipalKind.FEDERATED),
        ("accounts.google.com", PrincipalKind.FEDERATED),
        ("a" * 64, PrincipalKind.CANONICAL_USER),
        ("s3.amazonaws.com", PrincipalKind.SERVICE),
        ("s3.amazonaws.com.cn", PrincipalKind.SERVICE),
    ],
)
def test_principal_kind(principal: str, kind: PrincipalKind | None) -> None:
    assert principal_kind(principal) is kind


@pytest.mark.parametrize(
    ("text", "account"),
    [(ID, ID), (f"arn:aws:iam::{ID}:root", ID), (f"arn::iam::{ID}:root", None), ("*", None)],
)
def test_account_entries(text: str, account: str | None) -> None:
    """The model reads an entry as an account with the same rule as requests are read."""
    assert PrincipalEntry(PrincipalKind.AWS, text, ()).account == account
    assert PrincipalEntry(PrincipalKind.SERVICE, text, ()).account is None


def _resource_policy(element: str, aws: Any) -> Policy:
    statement = {"Effect": "Allow", element: {"AWS": aws}, "Action": "s3:GetObject"}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return load_policy(decode_text(json.dumps(document), "p.json"), PolicyType.RESOURCE)


def _allowed(policy: Policy, principal: str) -> bool:
    return evaluate(policy, Request("s3:GetObject", "arn:aws:s3:::b/k", principal)).allowed


def test_an_entry_without_partition_names_no_account() -> None:
    named = _resource_policy("Principal", f"arn::iam::{ID}:root")
    assert not _allowed(named, f"arn:aws:iam::{ID}:user/a")
    assert _allowed(
        _resource_policy("Principal", f"arn:aws-cn:iam::{ID}:root"), f"arn:aws:iam::{ID}:user/a"
    )


def test_not_principal_excludes_the_root_of_a_named_account_in_any_partition() -> None:
    policy = _resource_policy("NotPrincipal", ID)
    assert not _allowed(policy, f"arn:aws:iam::{ID}:root")
    assert not _allowed(policy, f"arn:aws-us-gov:iam::{ID}:root")
    assert _allowed(policy, f"arn:aws:iam::{ID}:user/a")  # an identity, not the account
    assert _allowed(policy, f"arn::iam::{ID}:root")  # no partition: not the account's root
