"""The regions that a query's patterns cut the set of all strings into: the exact abstraction.

A string-valued request variable is only ever compared with the patterns of the query, so two
strings with the same membership in every pattern (the same *vector*) are interchangeable. A
`Partition` lists one region per vector that some string has, with a witness string in it; the
encoder lets the variable range over region indices and turns "matches pattern i" into "its region
is one of `members[i]`". Regions are exactly the non-empty classes: pairwise disjoint, covering
every string, and minimal (one region per vector).

How (see `automata` for the lazy subset construction and case folding):
1. Identical globs are merged. When all globs share one case mode, literal globs (no wildcard)
   stay out of the automaton: each distinct literal string is a region of its own (only that
   string matches its literal glob), whose vector is read off the automaton of the wildcard globs.
2. The literal strings, sorted, are a depth-first walk of their trie; each trie node (a prefix
   `p`) is paired with the automaton state `q` reached by `p`. A string leaves the trie at `p` by a
   character `c` that is not a child of `p`; from there on it is not a literal, and every state
   reachable from `step(q, c)` gives a (non-literal) region, found by exploring the automaton.
   Characters only matter through the patterns: the interesting characters of `q` and one
   "other" character (chosen readable and off the trie) stand for all of them. A non-literal
   prefix `p` is itself a string, whose vector is that of `q`.
3. Where `q` is a sink (every extension stays in `q`, e.g. all live patterns sit on a trailing
   `*`), the subtree below `p` needs no walk: its literals have the vector of `q` plus their own
   literal, and its other strings the vector of `q`. Real policies are mostly literals and
   trailing-star prefixes, so the work stays near the size of the trie of the wildcard prefixes.
4. Regions are numbered in the order of that walk, so the members of a prefix pattern such as
   `s3:get*` form one contiguous run.
When case-sensitive and folded globs meet (StringEquals and StringEqualsIgnoreCase on one key),
literals go into the automaton too, which is then explored from the empty string.

Witnesses prefer printable ASCII (`s3:getx` for "in `s3:get*` but none of its literals"); with
only folded globs they are lower case.

Limits: the number of regions can be exponential in the number of patterns with an inner `*`,
and real resource lists hit it: a region or account `*` ends its segment, so it may cross
colons, and `arn:aws:ec2:*:*:vpc/*`, `arn:aws:ec2:*:*:subnet/*`, ... match every combination
(`arn:aws:ec2:r:a:vpc/x:r:a:subnet/y`); so do `/restapis/*/stages` and `/restapis/*/models`.
Budgets (`max_states`, `max_regions`) turn that into PartitionTooLarge. `realize` answers the
question a lazy encoding needs instead (is this one membership vector possible, and by which
string), quickly on the same inputs.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from policy_guard.encode.automata import Alphabet, Dfa, Nfa, PartitionTooLarge
from policy_guard.encode.prefixes import literal_prefix
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob, Wild

__all__ = [
    "Partition",
    "PartitionTooLarge",
    "folded_prefix",
    "glob_key",
    "partition",
    "realize",
    "required_prefixes",
]


@dataclass(frozen=True)
class Partition:
    """Regions of all strings with respect to `globs`: `witnesses[r]` lies in region `r`, and
    `members[i]` is the set of regions inside `globs[i]` (a region is inside a glob or disjoint
    from it)."""

    globs: tuple[Glob, ...]
    witnesses: tuple[str, ...]
    members: tuple[frozenset[int], ...]

    def ranges(self, i: int) -> tuple[tuple[int, int], ...]:
        """`members[i]` as sorted inclusive runs `(lo, hi)`, for a compact encoding."""
        runs: list[tuple[int, int]] = []
        for region in sorted(self.members[i]):
            if runs and runs[-1][1] + 1 == region:
                runs[-1] = (runs[-1][0], region)
            else:
                runs.append((region, region))
        return tuple(runs)

    @cached_property
    def _region_by_vector(self) -> Mapping[frozenset[int], int]:
        inside: list[set[int]] = [set() for _ in self.witnesses]
        for i, regions in enumerate(self.members):
            for region in regions:
                inside[region].add(i)
        return {frozenset(globs): region for region, globs in enumerate(inside)}

    def region_of(self, value: str) -> int:
        """The region that contains `value`, decided by `Glob.matches` itself."""
        seen: dict[Hashable, bool] = {}
        keys = [glob_key(glob) for glob in self.globs]
        for key, glob in zip(keys, self.globs, strict=True):
            if key not in seen:
                seen[key] = glob.matches(value)
        vector = frozenset(i for i, key in enumerate(keys) if seen[key])
        region = self._region_by_vector.get(vector)
        if region is None:
            raise UndecidedError(f"internal error: no region holds `{value}`; not deciding")
        return region


_WILD_VALUES = tuple(w.value for w in Wild)


def glob_key(glob: Glob) -> Hashable:
    """What makes two globs the same pattern (`Glob.key`, computed once per glob)."""
    return glob.key


def _has_wildcard(glob: Glob) -> bool:
    tokens = glob.tokens
    if all(value not in tokens for value in _WILD_VALUES):
        return False  # (a literal token is one character, or two from lower-casing `İ`)
    return any(isinstance(t, Wild) for t in tokens)


def partition(
    globs: Sequence[Glob], *, max_states: int = 200_000, max_regions: int = 50_000
) -> Partition:
    """The regions of all strings cut out by `globs` (duplicates allowed).

    Raises PartitionTooLarge when the automaton needs more than `max_states` states or the
    globs cut more than `max_regions` regions.
    """
    all_globs = tuple(globs)
    ids: dict[Hashable, int] = {}
    distinct: list[Glob] = []
    index: list[int] = []
    for glob in all_globs:
        glob_id = ids.setdefault(glob_key(glob), len(ids))
        index.append(glob_id)
        if glob_id == len(distinct):
            distinct.append(glob)
    modes = {glob.case_insensitive for glob in distinct}
    literals: dict[str, list[int]] = {}
    wildcards: list[tuple[int, Glob]] = []
    if len(modes) > 1:
        alphabet = Alphabet.MIXED
        wildcards = list(enumerate(distinct))
    else:
        alphabet = Alphabet.FOLDED if modes == {True} else Alphabet.SENSITIVE
        for glob_id, glob in enumerate(distinct):
            if _has_wildcard(glob):
                wildcards.append((glob_id, glob))
                continue
            text = "".join(glob.tokens)
            if alphabet is Alphabet.FOLDED and text.lower() != text:
                continue  # compared with a lower-cased string, it matches nothing
            literals.setdefault(text, []).append(glob_id)
    dfa = Dfa(Nfa(wildcards, alphabet), max_states=max_states)
    walk = _Walk(dfa, literals, max_regions)
    walk.run()
    inside: list[set[int]] = [set() for _ in distinct]
    for region, vector in enumerate(walk.vectors):
        for glob_id in vector:
            inside[glob_id].add(region)
    frozen = [frozenset(regions) for regions in inside]
    return Partition(
        globs=all_globs,
        witnesses=tuple(walk.witnesses),
        members=tuple(frozen[glob_id] for glob_id in index),
    )


@lru_cache(maxsize=65536)
def folded_prefix(glob: Glob) -> str:
    """The text every match of `glob` starts with (case-folded)."""
    return literal_prefix(glob).lower()


def required_prefixes(wanted: Iterable[Glob]) -> frozenset[str]:
    """The longest folded prefixes of the globs a string must match: `realize` leaves out the
    excluded globs whose prefix is not comparable with one of them (which one, when several
    have that length, does not matter: they differ, so no string starts with both). A caller
    may leave out the others itself, and then `realize` need not look at every glob."""
    prefixes = {folded_prefix(glob) for glob in wanted}
    longest = max(map(len, prefixes), default=0)
    return frozenset(p for p in prefixes if len(p) == longest)


def _may_meet(glob: Glob, required: Sequence[str]) -> bool:
    """Can `glob` match a string that starts with each of `required` (the literal beginnings
    of the globs it must match)? False only when its literal beginning and one of them differ
    before either ends (a string would have to start with
    both): such a glob cannot accept a wanted string, so leaving it out of the automaton
    changes no answer, and a policy of a thousand ARNs keeps a few instead of all."""
    mine = folded_prefix(glob)
    return all(mine.startswith(theirs) or theirs.startswith(mine) for theirs in required)


def realize(
    globs: Sequence[Glob],
    inside: Iterable[int],
    outside: Iterable[int] = (),
    *,
    max_states: int = 200_000,
) -> str | None:
    """A shortest string that matches every glob of `inside` and none of `outside` (indices into
    `globs`), or None when no string does.

    For the cases `partition` cannot enumerate (its regions can be exponentially many): an
    encoder that gives each glob a Boolean can ask whether a model's memberships are realizable,
    and `realize([a, b], [0], [1]) is None` decides `a` within `b`. Exact: a breadth-first search
    of the automaton of the named globs, cut only where a required glob has no thread left or an
    excluded one accepts every extension. Raises PartitionTooLarge past `max_states` states.
    """
    wanted, unwanted = set(inside), set(outside)
    prefixes = sorted(required_prefixes(globs[w] for w in wanted))[:1]
    unwanted = {i for i in unwanted if _may_meet(globs[i], prefixes)}
    named = sorted(wanted | unwanted)
    ids: dict[Hashable, int] = {}
    distinct: list[Glob] = []
    id_of: dict[int, int] = {}
    for index in named:
        glob = globs[index]
        glob_id = id_of[index] = ids.setdefault(glob_key(glob), len(ids))
        if glob_id == len(distinct):
            distinct.append(glob)
    need = frozenset(id_of[i] for i in wanted)
    avoid = frozenset(id_of[i] for i in unwanted)
    if need & avoid:
        return None
    modes = {glob.case_insensitive for glob in distinct}
    if len(modes) > 1:
        alphabet = Alphabet.MIXED
    else:
        alphabet = Alphabet.FOLDED if modes == {True} else Alphabet.SENSITIVE
    dfa = Dfa(Nfa(list(enumerate(distinct)), alphabet), max_states=max_states)

    def viable(state: int) -> bool:
        return need <= dfa.alive(state) and dfa.settled(state).isdisjoint(avoid)

    if not viable(dfa.start):
        return None
    queue = deque([(dfa.start, "")])
    seen = {dfa.start}
    while queue:
        state, path = queue.popleft()
        accepted = dfa.accepts(state)
        if need <= accepted and accepted.isdisjoint(avoid):
            return path
        for ch in (dfa.other_character(state, lambda _c: True), *dfa.interesting(state)):
            target = dfa.step(state, ch)
            if target not in seen and viable(target):
                seen.add(target)
                queue.append((target, path + ch))
    return None


class _Walk:
    """One depth-first walk of the literal trie and the automaton; collects vectors in order."""

    def __init__(self, dfa: Dfa, literals: Mapping[str, Sequence[int]], max_regions: int) -> None:
        self._dfa = dfa
        self._max_regions = max_regions
        self._literals = literals
        self._texts = sorted(literals)
        self._explored: set[int] = set()
        self._done: set[int] = set()
        self._index: dict[frozenset[int], int] = {}
        self.vectors: list[frozenset[int]] = []
        self.witnesses: list[str] = []

    def _register(self, vector: frozenset[int], witness: str) -> None:
        if vector not in self._index:
            if len(self.vectors) >= self._max_regions:
                raise PartitionTooLarge(f"the patterns cut more than {self._max_regions} regions")
            self._index[vector] = len(self.vectors)
            self.vectors.append(vector)
            self.witnesses.append(witness)

    def _on_trie(self, prefix: str) -> bool:
        """Whether `prefix` is a prefix of some literal."""
        texts = self._texts
        k = bisect.bisect_left(texts, prefix)
        return k < len(texts) and texts[k].startswith(prefix)

    def run(self) -> None:
        dfa = self._dfa
        if not self._texts:
            self._visit("", dfa.start, terminal=False)
            return
        path: list[int] = []
        previous = ""
        done = self._done
        for text in self._texts:
            if not path:
                path.append(dfa.start)
                self._visit("", dfa.start, terminal=text == "")
            else:
                shared = _common_prefix(previous, text)
                del path[shared + 1 :]
            while not dfa.is_sink(path[-1]) and len(path) <= len(text):
                depth = len(path)
                state = dfa.step(path[-1], text[depth - 1])
                path.append(state)
                if state not in done:
                    self._visit(text[:depth], state, terminal=depth == len(text))
            own = frozenset(self._literals[text])
            self._register(dfa.accepts(path[-1]) | own, text)
            previous = text

    def _visit(self, prefix: str, state: int, *, terminal: bool) -> None:
        """A trie node reached for the first time: the strings leaving the trie here. A state
        all of whose exits are explored, and whose vector is known, needs no further visits."""
        dfa, explored = self._dfa, self._explored
        accepts = dfa.accepts(state)
        if dfa.is_sink(state):
            if accepts not in self._index:
                ch = dfa.other_character(state, lambda c: prefix + c not in self._literals)
                self._register(accepts, prefix + ch)
            self._done.add(state)
            return
        pending = False
        if dfa.other(state) not in explored:
            ch = dfa.other_character(state, lambda c: not self._on_trie(prefix + c))
            self._explore(dfa.other(state), prefix + ch)
        for ch in dfa.interesting(state):
            target = dfa.step(state, ch)
            if target not in explored:
                if self._on_trie(prefix + ch):
                    pending = True
                else:
                    self._explore(target, prefix + ch)
        if not terminal:
            self._register(accepts, prefix)
        if not pending and accepts in self._index:
            self._done.add(state)

    def _explore(self, start: int, witness: str) -> None:
        """Every state reachable from `start`, reached by `witness` off the trie."""
        dfa = self._dfa
        if start in self._explored:
            return
        self._explored.add(start)
        stack = [(start, witness)]
        while stack:
            state, path = stack.pop()
            if dfa.is_sink(state):  # `s3:getx` reads better than `s3:get`; `x` than `xx`
                readable = path + dfa.other_character(state, lambda _c: True)
                self._register(
                    dfa.accepts(state), readable if dfa.accepts(state) or not path else path
                )
                continue
            self._register(dfa.accepts(state), path)
            explored = self._explored
            successors: list[tuple[int, str]] = []
            other = dfa.other(state)
            if other not in explored:
                explored.add(other)
                successors.append((other, path + dfa.other_character(state, lambda _c: True)))
            for ch in dfa.interesting(state):
                target = dfa.step(state, ch)
                if target not in explored:
                    explored.add(target)
                    successors.append((target, path + ch))
            stack.extend(reversed(successors))


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
