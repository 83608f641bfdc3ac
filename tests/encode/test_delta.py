"""Pattern-level reduction for no-new-access (`encode.delta`): the reduced pair gains exactly
the requests the original pair gains (checked with the reference evaluator over enumerated
requests, on random pairs), it is small on real versions, and the cases its rules exclude
(an EXISTING Deny that NEW lacks, a NotAction Allow) are left alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_strategies import load, policy_pairs, request_space
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome
from policy_guard.document.read import decode_text, read_document
from policy_guard.encode.delta import AffixIndex, reduced_for_gains
from policy_guard.encode.lazy import provably_disjoint
from policy_guard.encode.vocabulary import action_glob
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate

MANAGED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "managed-policies"


def identity(*statements: dict[str, Any]) -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document), "p.json"), PolicyType.IDENTITY)


def allow(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def actions_of(policy: Policy) -> list[list[str]]:
    return [[v.text for v in s.actions or ()] for s in policy.statements]


@given(pair=policy_pairs())
def test_the_reduced_pair_gains_exactly_what_the_pair_gains(
    pair: tuple[dict[str, Any], dict[str, Any], PolicyType],
) -> None:
    old_document, new_document, kind = pair
    old, new = load(old_document, kind, "old.json"), load(new_document, kind, "new.json")
    reduced_old, reduced_new = reduced_for_gains(old, new)
    for request in request_space(old_document, new_document, kind):
        gained = evaluate(new, request).allowed and not evaluate(old, request).allowed
        if gained:  # every gain survives; where there is none, the reduced pair may allow less
            assert evaluate(reduced_new, request).allowed
            assert not evaluate(reduced_old, request).allowed
        elif evaluate(reduced_new, request).allowed:
            assert evaluate(reduced_old, request).allowed


ACTION_TEXT = st.text(alphabet="aAbs3:*?İΣ", min_size=0, max_size=7)


@given(pattern=ACTION_TEXT, others=st.lists(ACTION_TEXT, min_size=1, max_size=4))
def test_the_affix_index_agrees_with_the_disjointness_test(pattern: str, others: list[str]) -> None:
    expected = any(
        not provably_disjoint(action_glob(pattern), action_glob(other)) for other in others
    )
    assert AffixIndex(others).may_meet(pattern) == expected


def test_shared_patterns_leave_new_and_unrelated_patterns_leave_both() -> None:
    old = identity(allow("s3:GetObject", "ec2:Describe*", "s3:*Object"))
    new = identity(allow("s3:GetObject", "ec2:Describe*", "s3:PutObject"))
    reduced_old, reduced_new = reduced_for_gains(old, new)
    assert actions_of(reduced_new) == [["s3:PutObject"]]
    assert actions_of(reduced_old) == [["s3:*Object"]]  # the only one that may meet s3:PutObject
    assert reduced_new.statements[0].index == new.statements[0].index


def test_a_pattern_within_a_twins_prefix_pattern_leaves_new() -> None:
    old = identity(allow("s3:Get*", "ec2:*"))
    new = identity(allow("s3:GetObject*", "S3:GETBUCKETPOLICY", "ec2:DescribeInstances", "*:Get*"))
    _, reduced_new = reduced_for_gains(old, new)
    assert actions_of(reduced_new) == [["*:Get*"]]  # the one pattern old may not cover


def test_a_narrowed_statement_leaves_new_and_its_untwinned_neighbour_stays() -> None:
    old = identity(allow("s3:Get*", "ec2:Describe*"), allow("iam:Get*", resource="arn:aws:iam::*"))
    new = identity(allow("s3:GetObject*", "ec2:DescribeInstances"), allow("iam:GetRole"))
    assert [s.index for s in reduced_for_gains(old, new)[1].statements] == [1]
    result = check_no_new_access(old, new, EngineOptions("z3"))
    assert result.outcome is Outcome.FAIL  # iam:GetRole on any resource: not a twin
    assert [r.statement_index for r in result.reasons] == [1]


def test_an_existing_deny_that_new_lacks_keeps_every_pattern() -> None:
    deny = {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}
    old, new = identity(allow("s3:*"), deny), identity(allow("s3:*"))
    assert reduced_for_gains(old, new)[1] is new
    result = check_no_new_access(old, new, EngineOptions("z3"))
    assert result.outcome is Outcome.FAIL
    assert result.reasons[0].counterexample.action.lower().startswith("s3:delete")


def test_a_not_action_allow_keeps_every_pattern_of_existing() -> None:
    old = identity(allow("s3:GetObject", "ec2:*"))
    new = identity(
        allow("s3:GetObject"), {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    )
    reduced_old, _ = reduced_for_gains(old, new)
    assert reduced_old is old


@pytest.mark.skipif(not MANAGED.is_dir(), reason="needs ../shared/data")
def test_adjacent_read_only_access_versions_reduce_to_a_few_patterns() -> None:
    folder = MANAGED / "ReadOnlyAccess"
    old = load_policy(read_document(str(folder / "v185.json")))
    new = load_policy(read_document(str(folder / "v186.json")))
    reduced_old, reduced_new = reduced_for_gains(old, new)
    before = sum(len(s) for s in actions_of(old) + actions_of(new))
    after = sum(len(s) for s in actions_of(reduced_old) + actions_of(reduced_new))
    assert before > 5_000 and 0 < after < 200
    assert check_no_new_access(old, new).outcome is Outcome.FAIL
