"""The access diff against a brute force over the catalogue with the reference evaluator.

Each listed action is replayed (`backing_request`: allowed by NEW, not by EXISTING, a request
AWS can make), and every action the brute force (`tests/access_brute.py`, a lower bound of the
true gains) finds gained must be listed: together, listed == gained wherever the brute force is
exact. Hand-made cases pin what the brute force cannot see (outside the catalogue, NotAction,
resource shapes, conditions) on both solvers; real AWS managed-policy pairs run in both
directions: a small sample always (brute force over the services the pair names plus a spread
of the catalogue), every fixture pair over the whole catalogue as `slow`, and every pair of the
shared data set with POLICY_GUARD_SLOW_TESTS=1.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest
from access_brute import brute_gains

from policy_guard.checks.access_diff import access_diff
from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.document.read import read_document
from policy_guard.document.values import Decoded
from policy_guard.encode.access_diff import Gains, backing_request, gained_actions
from policy_guard.policy import catalogue
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy, parse_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.possible import impossible

SOLVERS = ("z3", "cvc5")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "managed-policies"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "managed-policies"
everything = pytest.mark.skipif(
    os.environ.get("POLICY_GUARD_SLOW_TESTS") != "1", reason="set POLICY_GUARD_SLOW_TESTS=1"
)


def policy(*statements: dict[str, Any], kind: PolicyType = PolicyType.IDENTITY) -> Policy:
    document = Decoded({"Version": "2012-10-17", "Statement": list(statements)}, "p.json")
    parsed = parse_policy(document, kind)
    assert parsed.policy is not None, parsed.errors
    return parsed.policy


def allow(action: str | list[str], resource: str = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def listed(gains: Gains) -> set[str]:
    return {a for group in gains.groups for a in group.actions}


def replayed(existing: Policy, new: Policy, gains: Gains, step: int = 1) -> set[str]:
    """Every listed action (every `step`-th of each group), each asserted gained by its backing
    request; and each string outside the catalogue asserted gained by its own request."""
    assert gains.undecided is None, gains.undecided
    for group in gains.groups:
        requests = [backing_request(group, a) for a in group.actions[::step]]
        if group.outside is not None:
            assert not catalogue.action_exists(group.outside.action)
            requests.append(group.outside)
        for request in requests:
            assert impossible(request) is None, request
            assert evaluate(new, request).allowed, request
            assert not evaluate(existing, request).allowed, request
    return listed(gains)


def services(*policies: Policy) -> list[str]:
    """The catalogued actions of the services the policies' Action/NotAction patterns name,
    and every 40th action of the catalogue (a spread over the others)."""
    named: set[str] = set()
    for p in policies:
        for statement in p.statements:
            for value in (*(statement.actions or ()), *(statement.not_actions or ())):
                named.add(value.text.partition(":")[0].lower())
    every = catalogue.all_actions()
    return sorted({a for a in every if a.partition(":")[0] in named} | set(every[::40]))


# --- hand-made cases, both solvers ---------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_added_patterns_are_gained_and_a_pattern_matching_no_catalogued_action_is_said(
    solver: str,
) -> None:
    old = policy(allow("s3:Get*"))
    new = policy(allow(["s3:Get*", "s3:PutBucket*", "s3:Future*"]))
    gains = gained_actions(old, new, {"solver": solver})
    put_bucket = {a for a in catalogue.actions_for_service("s3") if a.startswith("s3:PutBucket")}
    assert replayed(old, new, gains) == put_bucket
    outside = [g.outside for g in gains.groups if g.outside is not None]
    assert [r.action.lower().startswith("s3:future") for r in outside] == [True]
    assert not gained_actions(new, old, {"solver": solver}).groups  # nothing lost


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_not_action_opens_the_catalogue_and_the_actions_outside_it(solver: str) -> None:
    new = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    gains = gained_actions(policy(), new, {"solver": solver})
    every = set(catalogue.all_actions())
    assert replayed(policy(), new, gains, 25) == {a for a in every if not a.startswith("iam:")}
    assert any(g.outside is not None for g in gains.groups)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_resource_limit_keeps_only_the_actions_that_can_take_such_a_resource(
    solver: str,
) -> None:
    # Object ARNs only: an action whose resource types exclude `arn:aws:s3:::b/x` (a job, an
    # access point) is not gained, while one that takes no resource type (only `*`) is.
    new = policy(allow("s3:*", "arn:aws:s3:::b/*"))
    gains = gained_actions(policy(), new, {"solver": solver})
    s3 = catalogue.actions_for_service("s3")
    assert replayed(policy(), new, gains) == set(brute_gains(policy(), new, s3))
    assert "s3:GetObject" in listed(gains) and "s3:ListAllMyBuckets" in listed(gains)
    assert "s3:DescribeJob" not in listed(gains)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_condition_limits_a_gain_without_hiding_it(solver: str) -> None:
    old = policy(allow("ec2:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    new = policy(allow("ec2:*"), {"Effect": "Deny", "Action": "ec2:Delete*", "Resource": "*"})
    gains = gained_actions(old, new, {"solver": solver})
    ec2 = catalogue.actions_for_service("ec2")
    assert replayed(old, new, gains) == {a for a in ec2 if not a.startswith("ec2:Delete")}
    # the loss: the Delete* actions in eu-west-1 (the brute force, without context, cannot see
    # it: it finds no request the old policy allows)
    lost = gained_actions(new, old, {"solver": solver})
    assert replayed(new, old, lost) == {a for a in ec2 if a.startswith("ec2:Delete")}


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_resource_policy_diff_names_the_statement_and_the_resources(solver: str) -> None:
    base = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    wider = {**base, "Sid": "Writes", "Action": ["s3:PutObject", "s3:DeleteBucket"]}
    old = policy(base, kind=PolicyType.RESOURCE)
    new = policy(base, wider, kind=PolicyType.RESOURCE)
    diff = access_diff(old, new, EngineOptions(solver))
    assert [c.action for c in diff.gained.changes] == ["s3:DeleteBucket", "s3:PutObject"]
    assert all(c.statements[0].sid == "Writes" for c in diff.gained.changes)
    assert diff.gained.changes[1].resources == ("arn:aws:s3:::b/*",)
    assert diff.lost.changes == ()


@pytest.mark.parametrize("solver", SOLVERS)
def test_limits_are_the_granting_statements_not_the_new_part(solver: str) -> None:
    """Old: public objects; new: every object. The gain is the objects outside `public/`; the
    diff names the action with its granting statement's limits, worded as such (it does not
    claim that all of `b/*` is new), and its request is one the old version denied."""
    from policy_guard.report.access_diff import summary

    old = policy(allow("s3:GetObject", "arn:aws:s3:::b/public/*"))
    new = policy(allow("s3:GetObject", "arn:aws:s3:::b/*", Sid="All"))
    diff = access_diff(old, new, EngineOptions(solver))
    (gained,) = diff.gained.changes
    assert gained.action == "s3:GetObject" and gained.resources == ("arn:aws:s3:::b/*",)
    assert evaluate(new, gained.example).allowed and not evaluate(old, gained.example).allowed
    assert not gained.example.resource.startswith("arn:aws:s3:::b/public/")
    assert "s3:GetObject (granted by All on arn:aws:s3:::b/*)" in summary(diff)


def test_a_new_policy_diff_says_what_it_grants() -> None:
    new = policy(allow(["sqs:SendMessage", "sqs:ReceiveMessage"]))
    empty = policy()
    result = check_no_new_access(empty, new, diff=True, new_policy=True)
    assert result.access_diff is not None and result.access_diff.new_policy
    assert [c.action for c in result.access_diff.gained.changes] == [
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
    ]


def test_an_equivalent_change_has_an_empty_diff_without_the_engine() -> None:
    old = policy(allow(["s3:GetObject", "s3:Get*"]))
    new = policy(allow("s3:Get*"))
    result = check_no_new_access(old, new, diff=True)
    assert result.access_diff is not None
    assert not result.access_diff.gained.changes and not result.access_diff.lost.changes


def test_an_undecided_part_is_reported_never_dropped() -> None:
    # a timeout that has already passed: the engine cannot decide the conditional group
    old = policy()
    new = policy(allow("ec2:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    diff = access_diff(old, new, EngineOptions("z3", timeout=1e-9))
    assert diff.gained.undecided is not None


# --- real managed-policy pairs, both directions ---------------------------------------------------


def rows(folder: Path) -> list[dict[str, str]]:
    table = folder / "pairs.tsv"
    if not table.exists():
        return []
    with table.open(encoding="utf-8", newline="") as handle:
        return [{**r, "folder": str(folder)} for r in csv.DictReader(handle, delimiter="\t")]


def load(row: dict[str, str], column: str) -> Policy:
    return load_policy(read_document(str(Path(row["folder"]) / row[column])))


def label(row: dict[str, str]) -> str:
    return f"{row['policy']}-{row['old_version']}-{row['new_version']}"


SAMPLE = [
    r
    for r in rows(FIXTURES)
    if r["policy"]
    in {
        "PowerUserAccess",
        "AWSDataPipeline_PowerUser",
        "AWSCodeDeployRoleForECSLimited",
        "AmazonElastiCacheFullAccess",
        "AWSCertificateManagerPrivateCAUser",
    }
]


def assert_against_brute_force(
    row: dict[str, str], reverse: bool, solver: str = "z3", whole: bool = False
) -> None:
    old, new = load(row, "old_file"), load(row, "new_file")
    if reverse:
        old, new = new, old
    gains = gained_actions(old, new, {"solver": solver, "timeout": 120.0})
    engine = replayed(old, new, gains)
    actions = None if whole else services(old, new)
    brute = set(brute_gains(old, new, actions))
    assert brute <= engine, sorted(brute - engine)[:5]


@pytest.mark.parametrize("reverse", [False, True], ids=["gained", "lost"])
@pytest.mark.parametrize("row", SAMPLE, ids=label)
def test_a_sample_of_real_pairs_agrees_with_the_brute_force(
    row: dict[str, str], reverse: bool
) -> None:
    assert_against_brute_force(row, reverse)


@pytest.mark.parametrize("row", SAMPLE[:2], ids=label)
def test_cvc5_lists_what_z3_lists_on_real_pairs(row: dict[str, str]) -> None:
    old, new = load(row, "old_file"), load(row, "new_file")
    for a, b in ((old, new), (new, old)):
        z3 = listed(gained_actions(a, b, {"solver": "z3"}))
        assert listed(gained_actions(a, b, {"solver": "cvc5"})) == z3


@pytest.mark.slow
@pytest.mark.parametrize("reverse", [False, True], ids=["gained", "lost"])
@pytest.mark.parametrize("row", rows(FIXTURES), ids=label)
def test_every_fixture_pair_agrees_with_the_brute_force_over_the_whole_catalogue(
    row: dict[str, str], reverse: bool
) -> None:
    assert_against_brute_force(row, reverse, whole=True)


@pytest.mark.slow
@everything
@pytest.mark.parametrize("reverse", [False, True], ids=["gained", "lost"])
@pytest.mark.parametrize("row", rows(SHARED), ids=label)
def test_every_shared_pair_agrees_with_the_brute_force(row: dict[str, str], reverse: bool) -> None:
    assert_against_brute_force(row, reverse)
