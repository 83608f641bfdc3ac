"""The engine's shortcuts keep its answers: model Booleans read at once, lazy witnesses from
pattern instances and kept per vector, localisation by neighbours of confirmed requests and
with the violation asserted once, catalogued spellings of actions; and a candidate the slow
SageMaker pairs needed (template variables read from a resource where none is empty). Each
shortcut is checked against the slow way it replaces, on both solvers and on the exact and
forced-lazy domains."""

from __future__ import annotations

from typing import Any

import pytest
from engine_strategies import load
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome
from policy_guard.encode import analysis as analysis_module
from policy_guard.encode.analysis import Analysis, Holds, Violated
from policy_guard.encode.concretize import choose_action, neighbours, new_access_covers
from policy_guard.encode.cores import Core, Realizer
from policy_guard.encode.partition import realize
from policy_guard.encode.solver import Session
from policy_guard.encode.vocabulary import StringSpace, action_glob, string_space
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.model import Effect, Policy, PolicyType
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request

SOLVERS = ("z3", "cvc5")
OPTIONS = [
    pytest.param(EngineOptions(solver, max_partition_states=states), id=f"{solver}-{name}")
    for solver in SOLVERS
    for name, states in (("exact", None), ("lazy", 0))
]

VPC = "arn:aws:ec2:*:*:vpc/*"
SUBNET = "arn:aws:ec2:*:*:subnet/*"
EC2_ANY_RESOURCE = "arn:aws:ec2:*:*:*"
BUCKETS = "arn:aws:s3:::*"
RESOURCE_PATTERNS = [VPC, SUBNET, EC2_ANY_RESOURCE, BUCKETS, "arn:aws:s3:::b/x", "*/x", "*"]
RESOURCE_PATTERNS += ["arn:aws:s3:::?/x", "arn:aws:s3:::b/*", "arn:aws:ec2:*:*:vpc/v-?"]


def resources(*patterns: str) -> StringSpace:
    space = string_space([compile_pattern(p, Kind.RESOURCE) for p in patterns], 0)
    assert space.lazy
    return space


def policy(*statements: dict[str, Any]) -> Policy:
    return load({"Version": "2012-10-17", "Statement": list(statements)}, PolicyType.IDENTITY, "p")


# --- model Booleans read at once -------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_bool_values_agree_with_reading_one_at_a_time(solver: str) -> None:
    with Session(solver) as session:
        m = session.manager
        a, b, c, free = (m.Symbol(name) for name in ("a", "b", "c", "free"))
        session.add(m.And(a, m.Not(b), m.Or(b, c)))
        assert session.satisfiable()
        symbols = [a, b, c, free, a]
        assert session.bool_values(symbols) == [session.bool_value(s) for s in symbols]
        assert session.bool_values(symbols)[:3] == [True, False, True]
        assert session.bool_values([]) == []


@pytest.mark.parametrize("solver", SOLVERS)
def test_bool_values_follow_each_new_model(solver: str) -> None:
    with Session(solver) as session:
        m = session.manager
        a, b = m.Symbol("a"), m.Symbol("b")
        session.add(m.Or(a, b))
        seen = []
        for _ in range(3):
            if not session.satisfiable():
                break
            values = session.bool_values([a, b])
            assert values == [session.bool_value(a), session.bool_value(b)]
            seen.append(tuple(values))
            session.add(m.Not(m.And(a if values[0] else m.Not(a), b if values[1] else m.Not(b))))
        assert sorted(seen) == [(False, True), (True, False), (True, True)]


# --- lazy witnesses ---------------------------------------------------------------------------


def test_a_pattern_instance_is_a_witness_without_any_automaton() -> None:
    space = resources(VPC, EC2_ANY_RESOURCE, BUCKETS)
    realizer = Realizer(lambda: None)
    for vector in (frozenset({0, 1}), frozenset({1}), frozenset({2})):
        found = realizer.witness(space, vector)
        assert isinstance(found, str)
        assert space.vector_of(found) == vector
    assert realizer.calls == 0


def test_a_vector_no_instance_has_still_gets_its_witness_and_is_kept() -> None:
    space = resources(VPC, SUBNET)  # a string in both: no instance of either is
    realizer = Realizer(lambda: None)
    both = frozenset({0, 1})
    found = realizer.witness(space, both)
    assert isinstance(found, str) and space.vector_of(found) == both
    calls = realizer.calls
    assert calls > 0
    assert realizer.witness(space, both) == found
    assert realizer.calls == calls  # asked again: kept


@given(chosen=st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=5, unique=True))
def test_every_witness_or_core_is_right(chosen: list[str]) -> None:
    """Shortcut or automaton, a witness has exactly the vector and a core is really empty; a
    vector has a witness exactly when `partition.realize` finds a string."""
    space = resources(*chosen)
    realizer = Realizer(lambda: None)
    everything = frozenset(range(len(space.globs)))
    for bits in range(2 ** len(space.globs)):
        vector = frozenset(i for i in everything if bits >> i & 1)
        found = realizer.witness(space, vector)
        exists = realize(space.globs, vector, everything - vector) is not None
        if isinstance(found, str):
            assert space.vector_of(found) == vector
        else:
            assert isinstance(found, Core) and not exists
            assert realize(space.globs, found.inside, found.outside) is None


# --- localisation -----------------------------------------------------------------------------

SAME_TEAM = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}


def teams_policy() -> Policy:
    """Statements that test the same tags: a confirmed request for one, with another action
    and resource, is one for the next."""
    return policy(
        {"Sid": "Get", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/*"},
        {
            "Sid": "Put",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:PutObjectTagging"],
            "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
            "Condition": SAME_TEAM,
        },
        {
            "Sid": "Send",
            "Effect": "Allow",
            "Action": "sqs:Send*",
            "Resource": "arn:aws:sqs:*:*:q-*",
            "Condition": SAME_TEAM,
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": "logs:PutLogEvents",
            "Resource": "*",
            "Condition": SAME_TEAM,
        },
        {
            "Sid": "NotEc2",
            "Effect": "Allow",
            "NotAction": "ec2:*",
            "Resource": "arn:aws:kms:*:*:key/*",
            "Condition": SAME_TEAM,
        },
        {
            "Sid": "Never",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::a/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
    )


EXISTING = policy(
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a/old"},
    {
        "Effect": "Deny",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    },
)


def _counting_searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    search = Analysis._search

    def counted(self: Analysis, *args: Any) -> Any:
        calls[0] += 1
        return search(self, *args)

    monkeypatch.setattr(Analysis, "_search", counted)
    return calls


@pytest.mark.parametrize("options", OPTIONS)
def test_neighbours_find_the_same_statements_with_fewer_searches(
    options: EngineOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = teams_policy()
    calls = _counting_searches(monkeypatch)
    fast = check_no_new_access(EXISTING, new, options)
    with_neighbours = calls[0]
    monkeypatch.setattr(analysis_module, "_neighbour", lambda *_args: None)
    calls[0] = 0
    slow = check_no_new_access(EXISTING, new, options)
    assert fast.outcome is slow.outcome is Outcome.FAIL
    indices = [r.statement_index for r in fast.reasons]
    assert indices == [r.statement_index for r in slow.reasons]
    # "Never" is what EXISTING denies: still new access (new allows it, EXISTING does not)
    assert indices == [0, 1, 2, 3, 4, 5]
    assert with_neighbours < calls[0]
    for reason in fast.reasons:  # each request confirmed by the evaluator, its statement in it
        after = evaluate(new, reason.counterexample)
        assert after.allowed and not evaluate(EXISTING, reason.counterexample).allowed
        matched = {m.statement_index for m in after.matched_statements}
        assert reason.statement_index in matched


def test_a_neighbour_takes_the_statement_action_and_resource_and_keeps_the_context() -> None:
    new = teams_policy()
    near = Request(
        "s3:GetObject",
        "arn:aws:s3:::a/x",
        None,
        {"aws:PrincipalTag/team": ("red",), "aws:ResourceTag/team": ("red",)},
    )
    with Analysis([new]) as analysis:
        put, send, not_ec2 = new.statements[1], new.statements[2], new.statements[4]
        made = list(neighbours(put, analysis.vocabulary.compiled(new, put), near))
        assert [(r.action, r.resource) for r in made] == [
            ("s3:PutObject", "arn:aws:s3:::b/red/example-object"),
            ("s3:PutObjectTagging", "arn:aws:s3:::b/red/example-object"),
        ]
        assert all(r.context == near.context and r.principal is None for r in made)
        (sent,) = neighbours(send, analysis.vocabulary.compiled(new, send), near)
        assert sent.action.startswith("sqs:Send") and sent.resource == "arn:aws:sqs:::q-"
        assert list(neighbours(not_ec2, analysis.vocabulary.compiled(new, not_ec2), near)) == []


@pytest.mark.parametrize("solver", SOLVERS)
def test_lemmas_learnt_while_localising_serve_later_queries(solver: str) -> None:
    """Localisation asserts its violation in a scope of its own; the lemmas learnt there are
    facts, asserted at the base level once it closes (no refinement has to be redone)."""
    old = policy({"Effect": "Allow", "Action": "ec2:*", "Resource": EC2_ANY_RESOURCE})
    new = policy(  # two statements: the second is searched with what the first taught
        {"Effect": "Allow", "Action": "ec2:*", "Resource": VPC},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": SUBNET},
    )
    with Analysis([old, new], solver=solver, max_partition_states=0) as analysis:
        m = analysis.session.manager
        violation = m.And(analysis.allows(new), m.Not(analysis.allows(old)))
        statements = [(new, s) for s in new.statements if s.effect is Effect.ALLOW]
        covers = new_access_covers(old, new)
        assert analysis.localise(violation, statements, covers) == {}
        learnt = analysis.refinements
        assert learnt > 0
        assert isinstance(analysis.prove(violation, lambda r: bool(covers(r))), Holds)
        assert analysis.refinements == learnt


# --- candidates for templated resources -------------------------------------------------------


@pytest.mark.parametrize("options", OPTIONS)
def test_variables_guarded_against_empty_values_are_read_from_another_resource(
    options: EngineOptions,
) -> None:
    """A resource cell inside `arn:aws:s3::://*` (the template with both keys empty) whose
    keys must not be empty: its shortest witness reads both variables as empty, yet `b=/` fits.
    Before, no candidate was confirmed and the check was undecided."""
    new = policy(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::${aws:PrincipalTag/b}/${aws:PrincipalTag/d}/*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/b": "", "aws:PrincipalTag/d": ""}},
        }
    )
    old = policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})
    covers = new_access_covers(old, new)
    with Analysis([old, new], **options.analysis_options()) as analysis:
        m = analysis.session.manager
        inside = analysis.resource_in(["arn:aws:s3::://*"])
        violation = m.And(analysis.allows(new), m.Not(analysis.allows(old)), inside)
        verdict = analysis.prove(violation, lambda r: bool(covers(r)))
    assert isinstance(verdict, Violated)
    request = verdict.request
    assert request.resource.startswith("arn:aws:s3::://") and covers(request) == {0}
    assert all(request.context_values(f"aws:PrincipalTag/{k}") != ("",) for k in "bd")


# --- readable actions -------------------------------------------------------------------------


def test_the_catalogued_spelling_of_a_literal_action_is_chosen_first() -> None:
    space = string_space([action_glob("s3:getobject"), action_glob("s3:Get*")])
    cells = [space.cell(r) for r in range(len(space.exact.witnesses))]
    chosen = {cell.vector: choose_action(space, cell) for cell in cells}
    assert chosen[frozenset({0, 1})] == "s3:GetObject"
    other = chosen[frozenset({1})]
    assert other.startswith("s3:Get") and space.vector_of(other) == frozenset({1})
