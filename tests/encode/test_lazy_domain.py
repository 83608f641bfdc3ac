"""The lazy string domain (`encode.lazy`, `encode.cores`): its axioms are facts about strings,
they settle what they claim to settle, cores are small and really empty, a hidden inclusion is
proved by refinement, and the CEGAR loop fails closed. Every check here runs with every string
variable forced onto the lazy domain (`max_partition_states=0`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pysmt.fnode import FNode

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome, Relation
from policy_guard.document.read import decode_text
from policy_guard.encode import analysis as analysis_module
from policy_guard.encode.analysis import Analysis, Holds, Violated
from policy_guard.encode.cores import Core, Realizer, Unknown, realize_lazily
from policy_guard.encode.lazy import lazy_value, provably_disjoint
from policy_guard.encode.partition import realize
from policy_guard.encode.solver import Session
from policy_guard.encode.vocabulary import StringSpace, string_space
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate

LAZY = {"z3": EngineOptions("z3", max_partition_states=0)}
LAZY["cvc5"] = EngineOptions("cvc5", max_partition_states=0)

VPC = "arn:aws:ec2:*:*:vpc/*"
SUBNET = "arn:aws:ec2:*:*:subnet/*"
EC2 = "arn:aws:ec2:*"
EC2_ANY_RESOURCE = "arn:aws:ec2:*:*:*"
BUCKETS = "arn:aws:s3:::*"
OBJECT = "arn:aws:s3:::b/x"


def resources(*patterns: str) -> StringSpace:
    space = string_space([compile_pattern(p, Kind.RESOURCE) for p in patterns], 0)
    assert space.lazy
    return space


def policy(*statements: dict[str, Any]) -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document), "p.json"))


def allow(resource: Any, action: Any = "ec2:*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def satisfiable(space: StringSpace, *facts: tuple[str, bool]) -> bool:
    """Are the lazy axioms of `space` consistent with these memberships (pattern, holds)?"""
    with Session("z3") as session:
        m = session.manager
        value, axioms = lazy_value(space, m, "v")
        for axiom in axioms:
            session.add(axiom)
        for pattern, holds in facts:
            atom = value.matches(m, [compile_pattern(pattern, Kind.RESOURCE)])
            session.add(atom if holds else m.Not(atom))
        return session.satisfiable()


# --- the axioms -------------------------------------------------------------------------------

PATTERNS = [VPC, SUBNET, EC2, EC2_ANY_RESOURCE, BUCKETS, OBJECT, "arn:aws:s3:::b/*", "*"]
PATTERNS += ["arn:aws:s3:::?/x", "*/x", "arn:aws:s3:::b/${*}"]
STRINGS = st.text(alphabet="arnws:3ec2b/x*vpcsu", max_size=24) | st.sampled_from(
    ["arn:aws:ec2:r:a:vpc/x:r:a:subnet/y", OBJECT, "arn:aws:s3:::b/*", "arn:aws:ec2:::vpc/"]
)


@given(value=STRINGS, chosen=st.lists(st.sampled_from(PATTERNS), min_size=1, unique=True))
def test_axioms_hold_for_every_string(value: str, chosen: list[str]) -> None:
    """Soundness: the natural assignment of any string satisfies every axiom."""
    space = resources(*chosen)
    with Session("z3") as session:
        m = session.manager
        lazy, axioms = lazy_value(space, m, "v")
        values = lazy.natural(m, value)
        for axiom in axioms:
            assert session.substitute(axiom, values).is_true(), (value, axiom)
        for i, glob in enumerate(space.globs):
            assert values[lazy.atoms[i]].is_true() == glob.matches(value)


def test_a_literal_decides_every_other_pattern() -> None:
    space = resources(OBJECT, "arn:aws:s3:::b/*", BUCKETS, EC2, "arn:aws:s3:::c/x")
    assert not satisfiable(space, (OBJECT, True), ("arn:aws:s3:::b/*", False))
    assert not satisfiable(space, (OBJECT, True), (EC2, True))
    assert not satisfiable(space, (OBJECT, True), ("arn:aws:s3:::c/x", True))  # two literals
    assert satisfiable(space, (OBJECT, True), (BUCKETS, True))
    # the other way round the axioms say nothing: `b/*` without the literal is fine
    assert satisfiable(space, ("arn:aws:s3:::b/*", True), (OBJECT, False))


def test_diverging_prefixes_and_suffixes_are_disjoint() -> None:
    space = resources(BUCKETS, VPC, "*/stages", "*/models", "*")
    assert not satisfiable(space, (BUCKETS, True), (VPC, True))
    assert not satisfiable(space, ("*/stages", True), ("*/models", True))
    assert not satisfiable(space, ("*", False))
    # sharing a prefix is not disjointness: vpc/* and subnet/* really meet
    both = resources(VPC, SUBNET)
    assert satisfiable(both, (VPC, True), (SUBNET, True))
    assert provably_disjoint(*(compile_pattern(p, Kind.RESOURCE) for p in ("*/stages", "*/x")))


def test_a_prefix_star_pattern_is_its_prefix() -> None:
    """`arn:aws:ec2:*` holds exactly when the string starts with `arn:aws:ec2:`, so every
    pattern with that literal prefix implies it, without any search."""
    space = resources(VPC, EC2)
    assert not satisfiable(space, (VPC, True), (EC2, False))


# --- realizability and cores ------------------------------------------------------------------


def test_a_realizable_vector_gets_a_string_with_exactly_its_memberships() -> None:
    space = resources(VPC, SUBNET, EC2, BUCKETS, "*")
    vector = space.positions(compile_pattern(p, Kind.RESOURCE) for p in (VPC, SUBNET, EC2, "*"))
    found = Realizer(lambda: None).witness(space, vector)
    assert isinstance(found, str)
    assert space.vector_of(found) == vector  # e.g. arn:aws:ec2::::vpc/:::subnet/


def test_core_of_an_empty_vector_is_small_and_empty() -> None:
    space = resources(VPC, EC2, BUCKETS, "*", SUBNET, "arn:aws:ec2:us-east-1:*:vpc/*")
    globs = space.globs
    index = {p: space.position(compile_pattern(p, Kind.RESOURCE)) for p in (VPC, EC2, "*")}
    vector = frozenset({index[VPC], index["*"]})  # in vpc/*, not in arn:aws:ec2:*
    realizer = Realizer(lambda: None)
    core = realizer.witness(space, vector)
    assert core == Core(frozenset({index[VPC]}), frozenset({index[EC2]}))
    assert realize(globs, core.inside, core.outside) is None


def test_core_of_disjoint_inside_patterns_is_small() -> None:
    texts = ["arn:aws:iam::*:role/a*", "arn:aws:iam::*:role/*b", "*c", "arn:aws:*"]
    space = resources(*texts)
    a, b, c, _ = (space.position(compile_pattern(t, Kind.RESOURCE)) for t in texts)
    # a meets b (role/ab) and c (role/ac); b and c end differently; and all of them outside
    # arn:aws:* is empty too: a core of two patterns either way
    core = Realizer(lambda: None).witness(space, frozenset({a, b, c}))
    assert isinstance(core, Core)
    assert len(core.inside) + len(core.outside) == 2
    assert realize(space.globs, core.inside, core.outside) is None
    alone = resources(*texts[:3])
    core = Realizer(lambda: None).witness(alone, frozenset({0, 1, 2}))
    assert core == Core(frozenset({1, 2}), frozenset())


def test_lazy_realize_agrees_with_realize() -> None:
    globs = [compile_pattern(p, Kind.RESOURCE) for p in (VPC, SUBNET, EC2, BUCKETS, OBJECT)]
    for inside in ({0}, {0, 1}, {3}, {4}, {0, 3}):
        for outside in (set(), {2}, {1}, {4}, {3, 4}):
            if inside & outside:
                continue
            expected = realize(globs, inside, outside)
            found = realize_lazily(globs, frozenset(inside), frozenset(outside))
            assert (found is None) == (expected is None)
            if found is not None:
                assert all(globs[i].matches(found) for i in inside)
                assert not any(globs[o].matches(found) for o in outside)


# --- CEGAR, end to end ------------------------------------------------------------------------


def gains(old: Policy, new: Policy, solver: str = "z3") -> tuple[Analysis, FNode]:
    analysis = Analysis([old, new], solver=solver, max_partition_states=0)
    m = analysis.session.manager
    return analysis, m.And(analysis.allows(new), m.Not(analysis.allows(old)))


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_hidden_inclusion_needs_a_refinement_to_pass(solver: str) -> None:
    """`arn:aws:ec2:*:*:vpc/*` lies inside `arn:aws:ec2:*:*:*`, which no axiom says: the first
    model (a vpc resource outside it) has no string, its core is blocked, and then UNSAT."""
    old, new = policy(allow(EC2_ANY_RESOURCE)), policy(allow(VPC))
    analysis, violation = gains(old, new, solver)
    with analysis:
        assert isinstance(analysis.prove(violation, lambda _r: True), Holds)
        assert analysis.refinements >= 1
        assert analysis.lemmas
    result = check_no_new_access(old, new, LAZY[solver])
    assert (result.outcome, result.relation) == (Outcome.PASS, Relation.NARROWER)


def test_the_prefix_inclusion_needs_no_refinement() -> None:
    old, new = policy(allow(EC2)), policy(allow(VPC))
    analysis, violation = gains(old, new)
    with analysis:
        assert isinstance(analysis.prove(violation, lambda _r: True), Holds)
        assert analysis.refinements == 0
    assert check_no_new_access(old, new, LAZY["z3"]).outcome is Outcome.PASS


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_combination_region_is_found_and_confirmed(solver: str) -> None:
    """Old allows vpc/* except subnet/*; new allows vpc/*: the new access is exactly the
    strings in both, like `arn:aws:ec2:r:a:vpc/x:r:a:subnet/y` (a trailing segment `*` crosses
    colons)."""
    old = policy(allow(VPC), {"Effect": "Deny", "Action": "ec2:*", "Resource": SUBNET})
    new = policy(allow(VPC))
    result = check_no_new_access(old, new, LAZY[solver])
    assert (result.outcome, result.relation) == (Outcome.FAIL, Relation.WIDER)
    example = result.reasons[0].counterexample
    vpc, subnet = (compile_pattern(p, Kind.RESOURCE) for p in (VPC, SUBNET))
    assert vpc.matches(example.resource) and subnet.matches(example.resource)
    assert evaluate(new, example).allowed and not evaluate(old, example).allowed


def test_access_not_granted_on_the_lazy_domain() -> None:
    granted = policy(allow([VPC, BUCKETS], ["ec2:*", "s3:*"]))
    result = check_access_not_granted(granted, Access(resources=(OBJECT,)), LAZY["z3"])
    assert result.outcome is Outcome.FAIL
    assert result.reasons[0].counterexample.resource == OBJECT
    instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
    elsewhere = Access(actions=("s3:DeleteBucket",), resources=(instance,))
    assert check_access_not_granted(granted, elsewhere, LAZY["z3"]).outcome is Outcome.PASS
    # a subnet ARN can also match vpc/* (`...:subnet/x:vpc/`: a subnet id is free text in
    # the catalogue): granted to an EC2 action on subnets
    crossing = Access(actions=("ec2:*",), resources=(SUBNET,))
    result = check_access_not_granted(granted, crossing, LAZY["z3"])
    assert result.outcome is Outcome.FAIL
    assert compile_pattern(VPC, Kind.RESOURCE).matches(result.reasons[0].counterexample.resource)


def test_running_out_of_refinements_is_undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis_module, "REFINEMENT_LIMIT", 0)
    old, new = policy(allow(EC2_ANY_RESOURCE)), policy(allow(VPC))
    with pytest.raises(UndecidedError, match="refinements"):
        check_no_new_access(old, new, LAZY["z3"])


def test_an_unsettled_vector_is_never_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the automaton budget a membership vector is set aside, not blocked as a fact: the
    UNSAT that follows is "could not decide", never PASS."""
    space = resources(VPC, EC2_ANY_RESOURCE)
    vector = frozenset({0})  # VPC and not EC2_ANY_RESOURCE: no pattern instance has it
    assert isinstance(Realizer(lambda: None, max_states=1).witness(space, vector), Unknown)

    def tiny(check_time: Callable[[], None]) -> Realizer:
        return Realizer(check_time, max_states=1)

    monkeypatch.setattr(analysis_module, "Realizer", tiny)
    old, new = policy(allow(EC2_ANY_RESOURCE)), policy(allow(VPC))
    with pytest.raises(UndecidedError, match="too many to check"):
        check_no_new_access(old, new, LAZY["z3"])


def test_lemmas_carry_over_to_the_next_query() -> None:
    """A blocking clause learnt in one query is a fact: the next query starts with it."""
    old, new = policy(allow(EC2_ANY_RESOURCE)), policy(allow(VPC))
    analysis, violation = gains(old, new)
    with analysis:
        analysis.prove(violation, lambda _r: True)
        learnt = analysis.refinements
        assert isinstance(analysis.prove(violation, lambda _r: True), Holds)
        assert analysis.refinements == learnt


def test_multi_valued_keys_on_the_lazy_domain() -> None:
    """ForAllValues/ForAnyValue over value slots: the same answers as the exact domain."""
    tags = {"ForAnyValue:StringLike": {"aws:TagKeys": ["team*", "env"]}}
    every = {"ForAllValues:StringLike": {"aws:TagKeys": ["team*", "env"]}}
    any_policy = policy({**allow("*"), "Condition": tags})
    all_policy = policy({**allow("*"), "Condition": every})
    result = check_no_new_access(any_policy, all_policy, LAZY["z3"])
    assert result.outcome is Outcome.FAIL  # no tags at all: ForAllValues holds
    reverse = check_no_new_access(all_policy, any_policy, LAZY["z3"])
    assert reverse.outcome is Outcome.FAIL
    values = reverse.reasons[0].counterexample.context["aws:TagKeys"]
    assert any(compile_pattern("team*", Kind.STRING_LIKE).matches(v) or v == "env" for v in values)
    assert not all(
        compile_pattern("team*", Kind.STRING_LIKE).matches(v) or v == "env" for v in values
    )


def test_new_access_beside_a_literal_and_a_wildcard() -> None:
    """Whatever the solver proposes is decoded to strings with exactly its memberships, so a
    Violated answer always replays (here through a literal the patterns cannot both hold)."""
    old = policy(allow(["arn:aws:s3:::b/*"], "s3:*"))
    new = policy(allow([OBJECT, "arn:aws:s3:::b/*", "arn:aws:s3:::c*"], "s3:*"))
    analysis, violation = gains(old, new)
    with analysis:
        verdict = analysis.prove(violation, lambda r: evaluate(new, r).allowed)
        assert isinstance(verdict, Violated)
        assert verdict.request.resource.startswith("arn:aws:s3:::c")
        assert not evaluate(old, verdict.request).allowed


def test_glob_identity_is_by_key() -> None:
    """`${*}` is a literal star: it gets its own atom, not the wildcard's."""
    literal = compile_pattern("arn:aws:s3:::b/x", Kind.RESOURCE)
    star = Glob((*"arn:aws:s3:::b/", "*"), False)
    space = string_space([literal, star, compile_pattern("arn:aws:s3:::b/*", Kind.RESOURCE)], 0)
    assert len(space.globs) == 3
    assert space.vector_of("arn:aws:s3:::b/*") == frozenset({1, 2})
