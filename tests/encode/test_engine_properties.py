"""The SMT engine agrees with the reference evaluator on random small policies (both solvers).

For each random pair, every request of a finite space — built from the policies' own constants
(wildcards filled in, variables given values) plus fresh values — is decided by the evaluator.
If some request is allowed by NEW and not by OLD, the engine must FAIL; whatever it FAILs with
must replay; and the relation must fit both directions. The same for access-not-granted.
Each runs on both solvers, with the exact partition and with every string variable forced onto
the lazy domain (`max_partition_states=0`).
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_strategies import (
    ACTION_PATTERNS,
    RESOURCE_PATTERNS,
    SOLVERS,
    bounded,
    load,
    policy_pairs,
    request_space,
)
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome, Relation
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.model import PolicyType
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request

DOMAINS = {"exact": None, "lazy": 0}
OPTIONS = [
    pytest.param(EngineOptions(s, max_partition_states=states), id=f"{s}-{domain}")
    for s in SOLVERS
    for domain, states in DOMAINS.items()
]


# --- the properties ---------------------------------------------------------------------------


@pytest.mark.parametrize("options", OPTIONS)
@given(pair=policy_pairs())
def test_no_new_access_agrees_with_the_evaluator(
    options: EngineOptions, pair: tuple[dict[str, Any], dict[str, Any], PolicyType]
) -> None:
    old_document, new_document, kind = pair
    old, new = load(old_document, kind, "old.json"), load(new_document, kind, "new.json")
    result = check_no_new_access(old, new, options)
    gained = lost = False
    for request in bounded(request_space(old_document, new_document, kind)):
        before, after = evaluate(old, request).allowed, evaluate(new, request).allowed
        gained = gained or (after and not before)
        lost = lost or (before and not after)
        if gained and lost:
            break
    if gained:
        assert result.outcome is Outcome.FAIL
    if lost:
        assert result.relation in (Relation.NARROWER, Relation.INCOMPARABLE)
    assert (result.outcome is Outcome.PASS) == (
        result.relation in (Relation.EQUIVALENT, Relation.NARROWER)
    )
    for reason in result.reasons:
        after_eval = evaluate(new, reason.counterexample)
        assert after_eval.allowed and not evaluate(old, reason.counterexample).allowed
        assert reason.statement_index in {m.statement_index for m in after_eval.matched_statements}
    if result.outcome is Outcome.FAIL:
        assert result.reasons


@st.composite
def access_cases(draw: st.DrawFn) -> tuple[dict[str, Any], PolicyType, Access]:
    old, _, kind = draw(policy_pairs())
    actions = draw(st.lists(st.sampled_from([*ACTION_PATTERNS, "s3:Delete*"]), max_size=2))
    resources = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), max_size=2))
    if not actions and not resources:
        actions = ["s3:GetObject"]
    return old, kind, Access(tuple(actions), tuple(resources))


@pytest.mark.parametrize("options", OPTIONS)
@given(case=access_cases())
def test_access_not_granted_agrees_with_the_evaluator(
    options: EngineOptions, case: tuple[dict[str, Any], PolicyType, Access]
) -> None:
    document, kind, access = case
    policy = load(document, kind, "p.json")
    result = check_access_not_granted(policy, access, options)
    actions = [compile_pattern(a, Kind.ACTION) for a in access.actions]
    resources = [compile_pattern(r, Kind.RESOURCE) for r in access.resources]

    def listed_access(request: Request) -> bool:
        return (not actions or any(g.matches(request.action) for g in actions)) and (
            not resources or any(g.matches(request.resource) for g in resources)
        )

    extra = [*access.actions, *access.resources]
    space = bounded(request_space(document, document, kind, extra))
    if any(listed_access(r) and evaluate(policy, r).allowed for r in space):
        assert result.outcome is Outcome.FAIL
    for reason in result.reasons:
        assert listed_access(reason.counterexample)
        evaluation = evaluate(policy, reason.counterexample)
        assert evaluation.allowed
        assert reason.statement_index in {m.statement_index for m in evaluation.matched_statements}
    assert (result.outcome is Outcome.FAIL) == bool(result.reasons)
