"""Query slicing: drop, before anything is encoded, the statements that cannot change an answer.

A dropped statement's patterns never reach a domain, so a query about `s3:DeleteBucket` does not
pay for the resource list of a policy's EC2 statements. Each rule is exact (proofs below); a
sliced policy keeps its statements' indices, paths and Sids, so reasons still point at the
original statements, and every counterexample is still confirmed against the original policies.
Action sets are read off the exact partition of the policies' action patterns (cheap: literals
mostly); when even that is too large, nothing is sliced.

Notation: acts(S) is the set of actions statement S can match (its Action patterns; for
NotAction the complement of them). A statement's meaning is what it says, not where it stands
(`meaning`): two statements with the same meaning match the same requests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from policy_guard.encode.arn_case import folded_resources
from policy_guard.encode.lazy import provably_disjoint
from policy_guard.encode.partition import PartitionTooLarge, realize
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import (
    ACTION_STATES_FACTOR,
    DEFAULT_PARTITION_STATES,
    StringSpace,
    action_globs,
    check_conditions,
    resource_patterns,
    string_space,
)
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import Effect, Policy, PrincipalBlock, Statement, Value

SLICE_STATES = DEFAULT_PARTITION_STATES * ACTION_STATES_FACTOR  # the analysis's action budget
COVER_STATES = 2_000  # one pattern against a statement's list, when the action space is lazy

Regions = frozenset[int]


@dataclass(frozen=True)
class Slice:
    """The policies of a query with only the statements that can matter (same order), and the
    action space of all their actions at the analysis's action budget (exact, or lazy: then
    nothing was sliced), which the analysis may reuse rather than build again (None: build)."""

    policies: tuple[Policy, ...]
    actions: StringSpace | None


class ActionSets:
    """acts(S) of the statements of some policies, as regions of the exact partition of their
    action patterns (and `extra`), each computed once. `space` is lazy when that partition is
    too large, or not `partitioned` (a few listed actions against each statement are cheaper
    pattern by pattern): then no-new-access is not sliced, and access-not-granted pattern by
    pattern."""

    def __init__(
        self, policies: Sequence[Policy], extra: Sequence[str] = (), *, partitioned: bool = True
    ) -> None:
        self._globs: dict[int, tuple[Glob, ...]] = {}
        self._regions: dict[int, Regions] = {}
        globs = [compile_pattern(a, Kind.ACTION) for a in extra]
        for policy in policies:
            for statement in policy.statements:
                own = self._globs[id(statement)] = action_globs(statement)
                globs.extend(own)
        self.space = string_space(globs, SLICE_STATES if partitioned else 0)

    def of(self, statement: Statement) -> Regions:
        """acts(S): the regions of its Action patterns, or their complement for NotAction."""
        found = self._regions.get(id(statement))
        if found is None:
            globs = self._globs.get(id(statement))
            space = self.space
            regions = space.regions(action_globs(statement) if globs is None else globs)
            found = regions if statement.actions is not None else space.everything - regions
            self._regions[id(statement)] = found
        return found

    def meets(self, statement: Statement, listed: Sequence[Glob]) -> bool:
        """Does acts(S) meet the actions of `listed`? Exact on an exact space; on a lazy one
        pattern by pattern (`may_meet`, `covers`), True when that cannot tell."""
        if not self.space.lazy:
            return not self.of(statement).isdisjoint(self.space.regions(listed))
        globs = self._globs.get(id(statement))
        own = action_globs(statement) if globs is None else globs
        if statement.actions is not None:
            return any(may_meet(g, a) for g in own for a in listed)
        return any(not covers(own, a) for a in listed)


def covers(globs: Sequence[Glob], glob: Glob) -> bool:
    """False unless every string of `glob` matches one of `globs` (a literal is tried; else
    `partition.realize` looks for a string of `glob` outside them, within a small budget)."""
    if glob.is_literal:
        return any(g.matches(glob.literal_text) for g in globs)
    try:
        return (
            realize((glob, *globs), {0}, range(1, len(globs) + 1), max_states=COVER_STATES) is None
        )
    except PartitionTooLarge:
        return False


def meaning(policy: Policy, statement: Statement) -> Hashable:
    """What a statement says, without its index, position or Sid: two statements with the same
    meaning match the same requests (used only to recognise statements both policies have)."""

    def texts(values: tuple[Value, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else tuple(v.text for v in values)

    def block(element: PrincipalBlock | None) -> tuple[tuple[str, str], ...] | None:
        return None if element is None else tuple((e.kind.value, e.text) for e in element.entries)

    conditions = tuple(
        (c.operator.text, c.key_lower, tuple(v.text for v in c.values))
        for c in statement.conditions
    )
    return (
        policy.variables_enabled,
        statement.effect,
        block(statement.principal),
        block(statement.not_principal),
        texts(statement.actions),
        texts(statement.not_actions),
        texts(statement.resources),
        texts(statement.not_resources),
        conditions,
    )


def _kept(policy: Policy, keep: Callable[[Statement], bool]) -> Policy:
    statements = tuple(s for s in policy.statements if keep(s))
    if len(statements) == len(policy.statements):
        return policy
    return dataclasses.replace(policy, statements=statements)


def slice_new_access(existing: Policy, new: Policy, sets: ActionSets) -> Slice:
    """The statements that matter to "allowed by NEW and not by EXISTING".

    U = acts(NEW Allows with no same-meaning Allow in EXISTING) | acts(EXISTING Denies with no
    same-meaning Deny in NEW). Every statement S (of either policy) with acts(S) disjoint from
    U is dropped.

    Proof. (a) Every violating request R has its action in U: some NEW Allow A matches R and no
    NEW Deny does; and either no EXISTING Allow matches R — then A has no counterpart in
    EXISTING (its counterpart would match), so the action is in acts(A) within U — or some
    EXISTING Deny matches R, which has no counterpart in NEW (that would deny R in NEW), so the
    action is in U again. A dropped statement matches no request with its action in U, so R
    still violates the sliced pair. (b) A request R violating the sliced pair violates the
    original: if its action is in U, no dropped statement matches it. If not, the kept NEW
    Allow that matches R is not in U's first part, so it has a counterpart in EXISTING, kept as
    well (the test reads only the meaning): R is then allowed by sliced EXISTING unless a kept
    EXISTING Deny matches R; that Deny is not in U's second part (the action is not in U), so
    its counterpart in NEW is kept and denies R in sliced NEW — a contradiction.
    """
    allows = {meaning(existing, s) for s in existing.statements if s.effect is Effect.ALLOW}
    denies = {meaning(new, s) for s in new.statements if s.effect is Effect.DENY}
    wanted: set[int] = set()
    for statement in new.statements:
        if statement.effect is Effect.ALLOW and meaning(new, statement) not in allows:
            wanted |= sets.of(statement)
    for statement in existing.statements:
        if statement.effect is Effect.DENY and meaning(existing, statement) not in denies:
            wanted |= sets.of(statement)

    def keep(statement: Statement) -> bool:
        return not sets.of(statement).isdisjoint(wanted)

    return Slice((_kept(existing, keep), _kept(new, keep)), sets.space)


def slice_access(
    policy: Policy, actions: Sequence[str], resources: Sequence[str], sets: ActionSets
) -> Slice:
    """The statements that matter to "allowed by POLICY, with a listed action (if any are
    listed) on a listed resource (if any are listed)".

    Dropped: a statement whose acts(S) is disjoint from the listed actions (`ActionSets.meets`),
    or whose Resource patterns all provably miss every listed resource (`may_meet`; a template
    by its shape) under every reading: the ARN-case reading matches a pattern's folded form
    (`arn_case.folded_resources`), so that form must miss them too.
    Proof: the query's formula itself requires a listed action and a listed resource, and a
    dropped statement matches no such request under any reading, so on every request the query
    considers the sliced policy allows exactly what the policy allows.
    """
    wanted = [compile_pattern(a, Kind.ACTION) for a in actions]
    listed = [compile_pattern(r, Kind.RESOURCE) for r in resources]

    def keep(statement: Statement) -> bool:
        if wanted and not sets.meets(statement, wanted):
            return False
        if not listed or statement.resources is None:
            return True  # NotResource, or no Resource element: not decided here
        folded = folded_resources(policy, statement) or ()
        patterns = (*resource_patterns(policy, statement), *folded)
        globs = [p.shape() if isinstance(p, Template) else p for p in patterns]
        return any(may_meet(g, r) for g in globs for r in listed)

    return Slice((_kept(policy, keep),), sets.space)


def may_meet(a: Glob, b: Glob) -> bool:
    """False only when the two patterns share no string (a cheap test: a literal is tried
    against the other pattern — a folded one only against a folded pattern —; otherwise literal
    prefixes or suffixes that diverge)."""
    for one, other in ((a, b), (b, a)):
        if one.is_literal and (not one.case_insensitive or other.case_insensitive):
            return other.matches(one.literal_text)
    return not provably_disjoint(a, b)


def sliced_for_new_access(existing: Policy, new: Policy) -> tuple[Slice, Slice]:
    """The slices of the two directions of no-new-access (wider: NEW over EXISTING; narrower:
    EXISTING over NEW), decided on one action space; unsliced when it is too large."""
    check_conditions([existing, new])
    sets = ActionSets([existing, new])
    if sets.space.lazy:
        return Slice((existing, new), sets.space), Slice((new, existing), sets.space)
    return slice_new_access(existing, new, sets), slice_new_access(new, existing, sets)


def sliced_for_pairs(
    wider: tuple[Policy, Policy], narrower: tuple[Policy, Policy]
) -> tuple[Slice, Slice]:
    """The slices of the two directions of no-new-access when each direction has a pair of its
    own (`encode.delta`): (EXISTING, NEW) and (NEW, EXISTING) reduced; one action space for
    both (the partition of all their patterns: finer than either needs, so exact for both)."""
    check_conditions([*wider, *narrower])
    sets = ActionSets([*wider, *narrower])
    if sets.space.lazy:
        return Slice(wider, sets.space), Slice(narrower, sets.space)
    return slice_new_access(*wider, sets), slice_new_access(*narrower, sets)


def sliced_for_access(policy: Policy, actions: Sequence[str], resources: Sequence[str]) -> Slice:
    """The slice of access-not-granted."""
    check_conditions([policy])
    sliced = slice_access(policy, actions, resources, ActionSets([policy], partitioned=False))
    return Slice(sliced.policies, None)  # the analysis partitions what is left
