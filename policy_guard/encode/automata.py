"""A lazy subset construction over wildcard globs, for `partition`.

Every glob becomes a chain of NFA positions, one per token (a literal character or one of the four
wildcards) and a final accepting position. A DFA state is the set of positions reachable after
reading a string (closed under skipping `*`), interned as an int. Transitions are computed on
demand and remembered.

Characters are not enumerated: in a state, only the characters that some live position names
("interesting" characters, plus `:` when a segment wildcard is live) behave differently from each
other; every other character behaves like a fresh "other" character. So a state has at most
`len(interesting) + 1` distinct successors.

A glob with a thread on its trailing `*` accepts every extension: its other threads are
forgotten (`Nfa.normalize`), so states that differ only there are one state, and a state whose
threads are all such is a sink.

Case: a case-sensitive glob reads the string, a case-insensitive one reads `str.lower()` of it.
- All globs of one case mode (`Alphabet.SENSITIVE`, `Alphabet.FOLDED`): every position reads the
  same character. For folded globs the automaton reads strings of characters fixed by `lower()`
  (`c.lower() == c`): `lower()` is idempotent, so the vectors of all strings are the vectors of
  such strings, and a literal token that is not lower case can never match (it is dead).
- Both modes at once (`Alphabet.MIXED`): a character steps the sensitive positions with itself and
  the folded positions with each character of its `lower()` (`İ` lowers to two characters), and
  upper-case pre-images of a folded literal are interesting. `str.lower()` is context-free except
  for the capital sigma (U+03A3 lowers to the final sigma U+03C2 at the end of a word, to U+03C3
  elsewhere): when a small sigma is a folded literal, the capital sigma is left out of the
  alphabet, which is exact as long as no sensitive literal is any of the three sigmas (replacing
  each capital sigma by its lower case then keeps every membership); otherwise the call is
  undecided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum
from functools import cache
from types import MappingProxyType

from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob, Wild

_LIT, _STAR, _STAR_SEG, _ANY, _ANY_SEG, _ACCEPT, _DEAD = range(7)
_WILD_KIND = {
    Wild.STAR: _STAR,
    Wild.STAR_IN_SEGMENT: _STAR_SEG,
    Wild.ANY: _ANY,
    Wild.ANY_IN_SEGMENT: _ANY_SEG,
}
_SEGMENT_KINDS = (_STAR_SEG, _ANY_SEG)
_CAPITAL_SIGMA = "\u03a3"
_SMALL_SIGMAS = frozenset("\u03c3\u03c2")
# Characters tried, in order, when a witness needs a character no pattern names here: readable
# first, then CJK ideographs (caseless, so fixed by lower()), of which there are plenty.
_READABLE = "xyzqjkvwabcdefghilmnoprstu0123456789-_."
_FALLBACK_START = 0x4E00


class PartitionTooLarge(UndecidedError):
    """A budget (automaton states, or their positions) was exceeded: the engine reports
    "could not decide"."""


MAX_POSITIONS = 4_000_000
"""NFA positions the states of one automaton may hold in all: its memory (about 60 bytes a
position), where the state budget alone is not a bound (a 100,000-character pattern with 33,000
wildcards gives states of thousands of positions each, 4 GB within 30 s). The largest measured
on real policies (every consecutive pair of the shared data's 666 managed policies, and the
access diff's brute-force comparisons) held 1,264,000; the 5,000-statement document 86,000."""


class Alphabet(Enum):
    SENSITIVE = "sensitive"
    FOLDED = "folded"
    MIXED = "mixed"


@cache
def lowercase_preimages() -> tuple[Mapping[str, tuple[str, ...]], frozenset[str]]:
    """Pre-images under `lower()` of single characters (except the character itself), and the
    characters whose lower case is longer than one character. Computed once (about 0.1 s), only
    for calls that mix case modes."""
    preimages: dict[str, list[str]] = {}
    longer: set[str] = set()
    for code in range(0x110000):
        char = chr(code)
        lowered = char.lower()
        if lowered == char:
            continue
        if len(lowered) == 1:
            preimages.setdefault(lowered, []).append(char)
        else:
            longer.add(char)
    frozen = {key: tuple(chars) for key, chars in preimages.items()}
    return MappingProxyType(frozen), frozenset(longer)


def candidate_characters() -> Iterator[str]:
    """Characters to try for "any other character", readable ones first; all fixed by lower()."""
    yield from _READABLE
    code = _FALLBACK_START
    while True:
        yield chr(code)
        code += 1


class Nfa:
    """The positions of a set of globs. Glob `k` of `globs` accepts at `accept[k]`; `owner` maps
    an accepting position back to the caller's glob id."""

    def __init__(self, globs: Sequence[tuple[int, Glob]], alphabet: Alphabet) -> None:
        kind: list[int] = []
        char: list[str] = []
        owner: list[int] = []
        fold: list[bool] = []
        starts: list[int] = []
        for glob_id, glob in globs:
            starts.append(len(kind))
            for token in glob.tokens:
                if isinstance(token, Wild):
                    kind.append(_WILD_KIND[token])
                    char.append("")
                    owner.append(glob_id)
                    fold.append(glob.case_insensitive)
                    continue
                for c in token:
                    dead = glob.case_insensitive and c.lower() != c
                    kind.append(_DEAD if dead else _LIT)
                    char.append(c)
                    owner.append(glob_id)
                    fold.append(glob.case_insensitive)
            kind.append(_ACCEPT)
            char.append("")
            owner.append(glob_id)
            fold.append(glob.case_insensitive)
        closure: list[frozenset[int]] = [frozenset()] * len(kind)
        universal = [False] * len(kind)
        for p in range(len(kind) - 1, -1, -1):
            if kind[p] == _ACCEPT:
                closure[p] = frozenset((p,))
            elif kind[p] in (_STAR, _STAR_SEG):
                closure[p] = closure[p + 1] | {p}
                universal[p] = kind[p] == _STAR and (kind[p + 1] == _ACCEPT or universal[p + 1])
            else:
                closure[p] = frozenset((p,))
        self.kind = tuple(kind)
        self.char = tuple(char)
        self.owner = tuple(owner)
        self.fold = tuple(fold)
        self.closure = tuple(closure)
        self.universal = tuple(universal)
        by_glob: dict[int, set[int]] = {}
        for p, glob_id in enumerate(owner):
            by_glob.setdefault(glob_id, set()).add(p)
        # On a trailing `*` (closed sets then hold every later position of the glob): the glob's
        # earlier positions, forgotten by `normalize`.
        self._forget = {
            p: frozenset(q for q in by_glob[owner[p]] if q < p)
            for p in range(len(kind))
            if universal[p]
        }
        self.universal_positions = frozenset(self._forget)
        self.dead_positions = frozenset(p for p, k in enumerate(kind) if k == _DEAD)
        self.literal_positions = frozenset(p for p, k in enumerate(kind) if k == _LIT)
        self.segment_positions = frozenset(p for p, k in enumerate(kind) if k in _SEGMENT_KINDS)
        self.start = self.normalize(frozenset().union(*(closure[s] for s in starts)))
        self.alphabet = alphabet

    def normalize(self, positions: frozenset[int]) -> frozenset[int]:
        """Once a glob has a thread on its trailing `*`, it accepts every extension: its other
        threads are forgotten, so states that differ only there are one state."""
        hit = positions & self.universal_positions
        if not hit:
            return positions
        forget = frozenset().union(*map(self._forget.__getitem__, hit))
        return positions if positions.isdisjoint(forget) else positions - forget

    def advance(self, positions: frozenset[int], ch: str) -> frozenset[int]:
        """The closed set of positions after reading one character."""
        kind, closure = self.kind, self.closure
        out: set[int] = set()
        for p in positions:
            k = kind[p]
            if k == _LIT:
                if self.char[p] == ch:
                    out |= closure[p + 1]
            elif k == _STAR or (k == _STAR_SEG and ch != ":"):
                out |= closure[p]
            elif k == _ANY or (k == _ANY_SEG and ch != ":"):
                out |= closure[p + 1]
        return frozenset(out)


class Dfa:
    """The lazy subset construction: states are ints; transitions, acceptance and the set of
    interesting characters are computed once per state."""

    def __init__(self, nfa: Nfa, *, max_states: int, max_positions: int = MAX_POSITIONS) -> None:
        self._nfa = nfa
        self._max_states = max_states
        self._positions_left = max_positions
        self._ids: dict[frozenset[int], int] = {}
        self._sets: list[frozenset[int]] = []
        self._moves: list[dict[str, int]] = []
        self._other: list[int] = []
        self._interesting: list[tuple[str, ...] | None] = []
        self._accepts: list[frozenset[int] | None] = []
        self._sinks: dict[int, bool] = {}
        self._mixed = _MixedCase(nfa) if nfa.alphabet is Alphabet.MIXED else None
        self.start = self._intern(nfa.start)

    def _intern(self, positions: frozenset[int]) -> int:
        state = self._ids.get(positions)
        if state is None:
            if len(self._sets) >= self._max_states:
                raise PartitionTooLarge(
                    f"the wildcard patterns need more than {self._max_states} automaton states"
                )
            self._positions_left -= len(positions)
            if self._positions_left < 0:
                raise PartitionTooLarge(
                    "the wildcard patterns need an automaton larger than its memory budget"
                )
            state = len(self._sets)
            self._ids[positions] = state
            self._sets.append(positions)
            self._moves.append({})
            self._other.append(-1)
            self._interesting.append(None)
            self._accepts.append(None)
        return state

    def step(self, state: int, ch: str) -> int:
        moves = self._moves[state]
        target = moves.get(ch)
        if target is None:
            if ch not in self.interesting(state):
                target = self.other(state)
            elif self._mixed is not None:
                target = self._intern(
                    self._nfa.normalize(self._mixed.advance(self._sets[state], ch))
                )
            else:
                target = self._intern(self._nfa.normalize(self._nfa.advance(self._sets[state], ch)))
            moves[ch] = target
        return target

    def other(self, state: int) -> int:
        """The successor on any character that is not interesting in `state`."""
        target = self._other[state]
        if target < 0:
            ch = self.other_character(state, lambda _c: True)
            positions = self._sets[state]
            if self._mixed is not None:
                target = self._intern(self._nfa.normalize(self._mixed.advance(positions, ch)))
            else:
                target = self._intern(self._nfa.normalize(self._nfa.advance(positions, ch)))
            self._other[state] = target
        return target

    def other_character(self, state: int, allowed: Callable[[str], bool]) -> str:
        """A readable character that is not interesting in `state` and that `allowed` accepts."""
        interesting = self.interesting(state)
        for ch in candidate_characters():
            if ch not in interesting and allowed(ch):
                return ch
        raise AssertionError("unreachable: candidate_characters is infinite")

    def interesting(self, state: int) -> tuple[str, ...]:
        found = self._interesting[state]
        if found is None:
            positions = self._sets[state]
            if self._mixed is not None:
                chars = self._mixed.interesting(positions)
            else:
                nfa = self._nfa
                chars = set(map(nfa.char.__getitem__, positions & nfa.literal_positions))
                if not positions.isdisjoint(nfa.segment_positions):
                    chars.add(":")
            found = tuple(sorted(chars))
            self._interesting[state] = found
        return found

    def accepts(self, state: int) -> frozenset[int]:
        """The ids of the globs that accept every string reaching `state`."""
        found = self._accepts[state]
        if found is None:
            kind, owner = self._nfa.kind, self._nfa.owner
            found = frozenset(owner[p] for p in self._sets[state] if kind[p] == _ACCEPT)
            self._accepts[state] = found
        return found

    def alive(self, state: int) -> frozenset[int]:
        """The ids of the globs that still have a thread (they may accept some extension)."""
        owner, dead = self._nfa.owner, self._nfa.dead_positions
        return frozenset(owner[p] for p in self._sets[state] - dead)

    def settled(self, state: int) -> frozenset[int]:
        """The ids of the globs that accept every extension (a thread on a trailing `*`)."""
        owner = self._nfa.owner
        return frozenset(owner[p] for p in self._sets[state] & self._nfa.universal_positions)

    def is_sink(self, state: int) -> bool:
        """Every extension of a string reaching `state` reaches `state` again."""
        sink = self._sinks.get(state)
        if sink is None:
            sink = not self.interesting(state) and self.other(state) == state
            self._sinks[state] = sink
        return sink

    @property
    def size(self) -> int:
        return len(self._sets)


class _MixedCase:
    """Stepping and interesting characters when case-sensitive and folded globs meet."""

    def __init__(self, nfa: Nfa) -> None:
        self._nfa = nfa
        literal = [p for p, k in enumerate(nfa.kind) if k == _LIT]
        sensitive = {nfa.char[p] for p in literal if not nfa.fold[p]}
        folded = {nfa.char[p] for p in literal if nfa.fold[p]}
        preimages, longer = lowercase_preimages()
        self._preimages = preimages
        self._longer = tuple(sorted(longer))
        self._excluded: frozenset[str] = frozenset()
        if folded & _SMALL_SIGMAS:
            if sensitive & (_SMALL_SIGMAS | {_CAPITAL_SIGMA}):
                raise UndecidedError(
                    "patterns compare the Greek sigma both with and without case folding; "
                    "its lower case depends on context, which is not supported"
                )
            self._excluded = frozenset(_CAPITAL_SIGMA)

    def advance(self, positions: frozenset[int], ch: str) -> frozenset[int]:
        fold = self._nfa.fold
        sensitive = frozenset(p for p in positions if not fold[p])
        folded = frozenset(p for p in positions if fold[p])
        out = self._nfa.advance(sensitive, ch)
        for lowered in ch.lower():
            folded = self._nfa.advance(folded, lowered)
        return out | folded

    def interesting(self, positions: frozenset[int]) -> set[str]:
        nfa = self._nfa
        chars: set[str] = set()
        length_matters = False
        for p in positions:
            k = nfa.kind[p]
            if k in (_ACCEPT, _DEAD):
                continue
            if k in _SEGMENT_KINDS:
                chars.add(":")
            if k == _LIT:
                c = nfa.char[p]
                chars.add(c)
                if nfa.fold[p]:
                    chars.update(self._preimages.get(c, ()))
            if nfa.fold[p] and not nfa.universal[p]:
                length_matters = True
        if length_matters:
            chars.update(self._longer)
        return chars - self._excluded
