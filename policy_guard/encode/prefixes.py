"""The patterns of one space by their literal beginning, for questions a scan of every pattern
would answer once per statement of a large policy.

A string matched by a pattern starts with the pattern's literal prefix (the text before its
first wildcard; for a case-insensitive pattern, the lowered string does). So:
- the patterns a string can match are those whose prefix is a prefix of it (`vector_of`);
- the patterns that can share a string with a pattern of prefix `p` are those whose prefix is a
  prefix of `p` or extends it (`lazy.provably_disjoint`, on its prefix half; `partition.realize`
  on lowered prefixes).
Both are looked up instead of scanned: the prefixes of a text by the lengths that occur, the
extensions as a range of the sorted prefixes. A policy of 5,000 statements each on its own ARN
asked these of every pattern for every statement, which made localising it quadratic.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator

from policy_guard.policy.globs import Glob, Wild


def literal_prefix(glob: Glob) -> str:
    """The literal text before the first wildcard (the whole text of a literal)."""
    text: list[str] = []
    for token in glob.tokens:
        if isinstance(token, Wild):
            break
        text.append(token)
    return "".join(text)


class PrefixTable:
    """Indices by a prefix text each."""

    def __init__(self, entries: Iterable[tuple[str, int]]) -> None:
        self._by_prefix: dict[str, list[int]] = {}
        for prefix, i in entries:
            self._by_prefix.setdefault(prefix, []).append(i)
        self._sorted = sorted(self._by_prefix)
        self._lengths = sorted({len(prefix) for prefix in self._by_prefix})

    def starting(self, text: str) -> Iterator[int]:
        """The indices whose prefix is a prefix of `text`."""
        table = self._by_prefix
        for length in self._lengths:
            if length > len(text):
                break
            yield from table.get(text[:length], ())

    def comparable(self, prefix: str) -> Iterator[int]:
        """The indices whose prefix is a prefix of `prefix` or extends it (each once)."""
        table = self._by_prefix
        for length in self._lengths:  # the shorter ones that `prefix` extends
            if length >= len(prefix):
                break
            yield from table.get(prefix[:length], ())
        keys = self._sorted
        for other in itertools.islice(keys, bisect.bisect_left(keys, prefix), None):
            if not other.startswith(prefix):  # `prefix` itself, then its extensions
                break
            yield from table[other]

    def every(self) -> Iterator[int]:
        for indices in self._by_prefix.values():
            yield from indices


class PrefixIndex:
    """Pattern indices (given with their patterns) by literal prefix, each case mode apart: a
    case-insensitive pattern's prefix is lower case and is compared with lowered text."""

    def __init__(self, globs: Iterable[tuple[int, Glob]]) -> None:
        entries: tuple[list[tuple[str, int]], list[tuple[str, int]]] = ([], [])
        for i, glob in globs:
            entries[glob.case_insensitive].append((literal_prefix(glob), i))
        self._tables = (PrefixTable(entries[False]), PrefixTable(entries[True]))

    def starting(self, text: str, *, folded: bool) -> Iterator[int]:
        """The patterns of one case mode (`folded`: the case-insensitive ones, whose prefixes
        are then compared with `text` lowered) whose prefix is a prefix of `text`."""
        return self._tables[folded].starting(text.lower() if folded else text)

    def comparable(self, prefix: str, *, folded: bool) -> Iterator[int]:
        """The patterns of one case mode whose prefix is a prefix of `prefix` or extends it:
        every pattern of that mode that `provably_disjoint` does not rule out against a pattern
        of that mode with this prefix."""
        return self._tables[folded].comparable(prefix)

    def mode(self, folded: bool) -> Iterator[int]:
        """Every pattern of one case mode."""
        return self._tables[folded].every()
