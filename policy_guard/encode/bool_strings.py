"""A condition key read by Bool and by String operators (`aws:SecureTransport` under `Bool` and
under `StringEquals`): one exact domain for both readings.

A String operator sees the value as written; Bool reads `value.strip().lower()` and compares it
with `true` or `false` (a value that reads as neither matches no Bool value). Stripping takes any
run of whitespace, which no wildcard pattern states, so the key's regions are the non-empty pairs
(membership vector of the key's string patterns, Bool reading: true, false or neither), found by a
breadth-first search of the product of two automata:
- the lazy DFA of the key's string patterns (`automata.Dfa`), and
- a small automaton for the Bool reading: leading whitespace, then the letters of `true` or
  `false` in any case (every character whose `lower()` is that letter), then trailing
  whitespace; anything else is "neither" for good.
Exact: in a product state, characters that the DFA does not single out and that play the same
part in the Bool reading (whitespace, the same letter of `true`/`false`, anything else) lead to
the same product state, so one of each (the DFA's interesting characters, every pre-image of
the letters, one whitespace character and one other character the DFA does not single out)
stands for all. Every reachable product state is some string's; each pair found has that
string as its witness, and no other pair is possible.

The regions are numbered as a `Partition` (members per pattern), with a classifier that reads
both the vector and the Bool reading, so String conditions use the members and Bool conditions
the parsed reading (`Domain.parsed`: True, False or None), as for any other key.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

from policy_guard.encode.automata import Alphabet, Dfa, Nfa, lowercase_preimages
from policy_guard.encode.domains import Domain
from policy_guard.encode.partition import Partition, glob_key
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob
from policy_guard.policy.operators import ValueError_, parse_bool

WORDS = ("true", "false")


@cache
def whitespace() -> tuple[str, ...]:
    """Every character `str.strip()` removes (computed once, when a key needs it)."""
    return tuple(chr(c) for c in range(0x110000) if chr(c).isspace())


# Bool-reading states: ("lead",), ("word", word, read), ("trail", word), ("junk",)
_State = tuple[object, ...]
_LEAD: _State = ("lead",)
_JUNK: _State = ("junk",)


def _reading(value: str) -> bool | None:
    try:
        return parse_bool(value)
    except ValueError_:
        return None


def _step(state: _State, ch: str) -> _State:
    space = ch.isspace()
    lowered = ch.lower()
    if state == _LEAD:
        if space:
            return _LEAD
        for word in WORDS:
            if lowered == word[0]:
                return ("word", word, 1)
        return _JUNK
    if state[0] == "word":
        word, read = str(state[1]), int(str(state[2]))
        if read == len(word):
            return ("trail", word) if space else _JUNK
        return ("word", word, read + 1) if lowered == word[read] else _JUNK
    if state[0] == "trail":
        return state if space else _JUNK
    return _JUNK


def _verdict(state: _State) -> bool | None:
    if state[0] == "trail" or (state[0] == "word" and state[2] == len(str(state[1]))):
        return state[1] == "true"
    return None


@dataclass(frozen=True)
class BoolPartition(Partition):
    """A `Partition` whose regions also tell the Bool reading apart: `readings[r]`."""

    readings: tuple[bool | None, ...] = ()

    @cached_property
    def _by_pair(self) -> dict[tuple[frozenset[int], bool | None], int]:
        inside: list[set[int]] = [set() for _ in self.witnesses]
        for i, regions in enumerate(self.members):
            for region in regions:
                inside[region].add(i)
        return {(frozenset(v), self.readings[r]): r for r, v in enumerate(inside)}

    def region_of(self, value: str) -> int:
        vector = frozenset(i for i, glob in enumerate(self.globs) if glob.matches(value))
        region = self._by_pair.get((vector, _reading(value)))
        if region is None:
            raise UndecidedError(f"internal error: no region holds `{value}`; not deciding")
        return region


def bool_string_partition(globs: Sequence[Glob], max_states: int) -> BoolPartition:
    """The regions of (vector of `globs`, Bool reading), each with a shortest witness."""
    ids: dict[Hashable, int] = {}
    distinct: list[Glob] = []
    index: list[int] = []
    for glob in globs:
        glob_id = ids.setdefault(glob_key(glob), len(ids))
        index.append(glob_id)
        if glob_id == len(distinct):
            distinct.append(glob)
    modes = {g.case_insensitive for g in distinct}
    alphabet = (
        Alphabet.MIXED
        if len(modes) > 1
        else (Alphabet.FOLDED if modes == {True} else Alphabet.SENSITIVE)
    )
    dfa = Dfa(Nfa(list(enumerate(distinct)), alphabet), max_states=max_states)
    preimages, _ = lowercase_preimages()
    letters = sorted(
        {c for w in WORDS for c in w} | {p for w in WORDS for c in w for p in preimages.get(c, ())}
    )
    found: dict[tuple[frozenset[int], bool | None], str] = {}
    start = (dfa.start, _LEAD)
    queue = deque([(start, "")])
    seen = {start}
    while queue:
        (state, reading), path = queue.popleft()
        found.setdefault((dfa.accepts(state), _verdict(reading)), path)
        interesting = dfa.interesting(state)
        spaces = [c for c in whitespace() if c not in interesting][:1]
        other = dfa.other_character(
            state, lambda c: not c.isspace() and c.lower() not in "truefals" and c not in letters
        )
        for ch in (*interesting, *letters, *spaces, other):
            following = (dfa.step(state, ch), _step(reading, ch))
            if following not in seen:
                seen.add(following)
                queue.append((following, path + ch))
    pairs = sorted(found, key=lambda p: found[p])
    inside: list[set[int]] = [set() for _ in distinct]
    for region, (vector, _) in enumerate(pairs):
        for glob_id in vector:
            inside[glob_id].add(region)
    return BoolPartition(
        globs=tuple(globs),
        witnesses=tuple(found[p] for p in pairs),
        members=tuple(frozenset(inside[glob_id]) for glob_id in index),
        readings=tuple(p[1] for p in pairs),
    )


def bool_string_domain(part: BoolPartition) -> Domain:
    return Domain(part.witnesses, part.readings, part.region_of)
