"""Refinement for the lazy string domain: is a membership vector a string, and if not, why.

The solver picks, for a lazy value, which patterns it matches (a vector). `Realizer.witness`
asks `partition.realize` for a string with exactly those memberships; when there is none it
returns a small `Core` — patterns `inside` and `outside` such that no string matches every
pattern of `inside` and none of `outside` — whose blocking clause (`LazyValue.excludes`) is a
fact about all strings, so adding it keeps every UNSAT answer a proof.

How the core is kept small (one `realize` per step, answers cached within the analysis):
1. Reduce: patterns that match everything drop out of `inside`; an `outside` pattern that
   cannot meet the `inside` intersection (a literal that does not match it, a pattern whose
   prefix or suffix diverges from one of `inside`) cannot be what empties it, and drops out.
2. If the `inside` patterns alone have no common string, shrink them (an empty intersection is
   usually two or three patterns) and stop: the core has no `outside` part.
3. Otherwise keep the `outside` patterns that meet the `inside` intersection, shrink them, then
   shrink `inside` against what is left.
Shrinking is deletion-based: drop a pattern whenever the rest is still empty.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from policy_guard.encode.lazy import is_universal, provably_disjoint, shortest_instance
from policy_guard.encode.partition import PartitionTooLarge, realize
from policy_guard.encode.prefixes import literal_prefix
from policy_guard.encode.vocabulary import StringSpace
from policy_guard.policy.globs import Glob, Wild

REALIZE_STATES = 50_000


Search = Callable[[frozenset[int], frozenset[int]], str | None]


def lazily(
    globs: Sequence[Glob],
    inside: frozenset[int],
    outside: frozenset[int],
    search: Search,
    seed: frozenset[int] = frozenset(),
) -> tuple[str | None, frozenset[int], frozenset[int]]:
    """A string matching every glob of `inside` and none of `outside` (indices into `globs`).

    `search(need, avoid)` (`realize` over the named globs) runs on the globs of `seed` and only
    those others that an earlier candidate got wrong (an automaton over all of them can be as
    large as the partition). Returns the string (None: there is none) and the globs searched
    with last — with None, they alone have no string, a starting point for a core."""
    need, avoid = seed & inside, frozenset[int]()
    while True:
        found = search(need, avoid)
        if found is None:
            return None, need, avoid
        missing = [i for i in inside - need if not globs[i].matches(found)]
        hit = frozenset(o for o in outside - avoid if globs[o].matches(found))
        if not missing and not hit:
            return found, need, avoid
        if missing:  # one at a time, the most specific first: the others often follow
            need |= {max(missing, key=lambda i: (_literal_count(globs[i]), -i))}
        avoid |= hit


def _literal_count(glob: Glob) -> int:
    return sum(1 for token in glob.tokens if not isinstance(token, Wild))


def realize_lazily(
    globs: Sequence[Glob],
    inside: frozenset[int],
    outside: frozenset[int],
    seed: frozenset[int] = frozenset(),
) -> str | None:
    """`partition.realize(globs, inside, outside)`, its globs joining lazily (`lazily`), for
    choosing candidates: None also when the automaton passes REALIZE_STATES (a candidate less,
    never an answer)."""

    def search(need: frozenset[int], avoid: frozenset[int]) -> str | None:
        return realize(globs, need, avoid, max_states=REALIZE_STATES)

    try:
        found, _, _ = lazily(globs, inside, outside, search, seed)
    except PartitionTooLarge:
        return None
    return found


@dataclass(frozen=True)
class Core:
    """No string matches every pattern of `inside` and none of `outside` (indices)."""

    inside: frozenset[int]
    outside: frozenset[int]


@dataclass(frozen=True)
class Unknown:
    """Whether some string has these memberships was not settled: the automaton passed its
    budget. The vector may be set aside to look for another model, but then an UNSAT answer is
    no longer a proof."""

    vector: frozenset[int]


def _instance_witness(space: StringSpace, vector: frozenset[int]) -> str | None:
    """The shortest instance of one of the vector's patterns (`*` empty, `?` one letter)
    whose memberships are exactly `vector`, the shortest such; None when there is none. A
    solver that decides Booleans false first mostly puts a value in one pattern and the ones
    around it, and then this string is a witness without any automaton (SageMakerStudioProject
    UserRolePolicy v62->v63: 55 of 61 witnesses)."""
    texts = {shortest_instance(space.globs[i]) for i in vector}
    found = [text for text in texts if space.vector_of(text) == vector]
    return min(found, key=lambda text: (len(text), text)) if found else None


class Realizer:
    """Witnesses and cores for the lazy spaces of one analysis (its cache lives as long)."""

    def __init__(self, check_time: Callable[[], None], max_states: int = REALIZE_STATES) -> None:
        self._check_time = check_time
        self._max_states = max_states
        self._cache: dict[tuple[int, frozenset[int], frozenset[int]], str | None] = {}
        self._witnesses: dict[tuple[int, frozenset[int]], str | Core | Unknown] = {}
        self.calls = 0  # realize() runs (cache misses), for figures and tests

    def witness(self, space: StringSpace, vector: frozenset[int]) -> str | Core | Unknown:
        """A string whose memberships in `space.globs` are exactly `vector`, a core that proves
        there is none, or Unknown past the automaton budget. The `outside` patterns join the
        search only once a candidate matches them (`lazily`). Answers are kept per vector:
        localisation asks for the same vectors statement after statement."""
        key = (id(space), vector)
        found = self._witnesses.get(key)
        if found is None:
            found = self._witnesses[key] = self._witness(space, vector)
        return found

    def _witness(self, space: StringSpace, vector: frozenset[int]) -> str | Core | Unknown:
        shortcut = _instance_witness(space, vector)
        if shortcut is not None:
            return shortcut
        inside, outside = self._reduce(space, vector)
        try:
            found, needed, avoided = lazily(
                space.globs, inside, outside, lambda i, o: self._realize(space, i, o)
            )
        except PartitionTooLarge:
            return Unknown(vector)
        if found is not None:
            return found
        try:
            return self._core(space, needed, avoided)
        except PartitionTooLarge:  # the search itself proved (needed, avoided) empty
            return Core(needed, avoided)

    def _reduce(
        self, space: StringSpace, vector: frozenset[int]
    ) -> tuple[frozenset[int], frozenset[int]]:
        globs = space.globs
        inside = frozenset(i for i in vector if not is_universal(globs[i]))
        outside = frozenset(
            o
            for o in self._candidates(space, inside)
            if o not in vector and self._may_meet(space, inside, o)
        )
        return inside, outside

    def _candidates(self, space: StringSpace, inside: frozenset[int]) -> Iterable[int]:
        """The patterns `_may_meet` may keep, looked up rather than scanned: against the
        case-sensitive `inside` pattern with the longest literal prefix, the case-sensitive
        patterns whose prefix is comparable with it (any other is disjoint from it or, literal,
        does not match it), and every case-insensitive pattern."""
        globs = space.globs
        sensitive = [i for i in inside if not globs[i].case_insensitive]
        if not sensitive:  # (folded text is compared lowered: scanned, as before)
            return range(len(globs))
        anchor = max(sensitive, key=lambda i: (len(literal_prefix(globs[i])), -i))
        index = space.prefixes
        return itertools.chain(
            index.comparable(literal_prefix(globs[anchor]), folded=False), index.mode(True)
        )

    @staticmethod
    def _may_meet(space: StringSpace, inside: frozenset[int], o: int) -> bool:
        """False when pattern `o` provably shares no string with the `inside` intersection."""
        globs = space.globs
        glob = globs[o]
        if glob.is_literal and (
            not glob.case_insensitive or all(globs[i].case_insensitive for i in inside)
        ):  # one string (or, all folded, one lower-cased string): try it
            return all(globs[i].matches(glob.literal_text) for i in inside)
        return not any(provably_disjoint(glob, globs[i]) for i in inside)

    def _realize(
        self, space: StringSpace, inside: frozenset[int], outside: frozenset[int]
    ) -> str | None:
        key = (id(space), inside, outside)
        if key in self._cache:
            return self._cache[key]
        self._check_time()
        self.calls += 1
        found = realize(space.globs, inside, outside, max_states=self._max_states)
        self._cache[key] = found
        return found

    def _empty(self, space: StringSpace, inside: Iterable[int], outside: Iterable[int]) -> bool:
        return self._realize(space, frozenset(inside), frozenset(outside)) is None

    def _core(self, space: StringSpace, inside: frozenset[int], outside: frozenset[int]) -> Core:
        if self._empty(space, inside, ()):
            return Core(
                self._shrink(inside, lambda part: self._empty(space, part, ())), frozenset()
            )
        meeting = frozenset(o for o in outside if not self._empty(space, inside | {o}, ()))
        kept_out = self._shrink(meeting, lambda part: self._empty(space, inside, part))
        kept_in = self._shrink(inside, lambda part: self._empty(space, part, kept_out))
        return Core(kept_in, kept_out)

    @staticmethod
    def _shrink(
        items: frozenset[int], still_empty: Callable[[frozenset[int]], bool]
    ) -> frozenset[int]:
        kept = set(items)
        for item in sorted(items):
            smaller = frozenset(kept - {item})
            if still_empty(smaller):
                kept.discard(item)
        return frozenset(kept)
