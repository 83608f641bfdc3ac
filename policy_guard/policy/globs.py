"""Wildcard patterns: what `*` and `?` mean in each place of a policy, decided in one place.

A pattern is compiled into a `Glob`: a sequence of tokens (literal characters and four kinds of
wildcard) plus a case rule. The reference evaluator matches a Glob with `Glob.matches` (in time
linear in the pattern times the string: no backtracking); the encoder builds automata from the
same tokens. Keeping the *meaning* here, and the two *mechanisms* apart, lets each be tested
against the other.

The semantics (IAM User Guide, "IAM JSON policy elements: Action / Resource" and the ARN
condition operators):
- Action: `*` and `?` anywhere; case-insensitive.
- Resource: case-sensitive (a documented choice: the guide says the resource part is; we treat
  the whole ARN so). A bare `*` matches everything. In the first five segments (`arn`,
  partition, service, region, account) `*` and `?` stay within the segment, except that "if the
  `*` is the last character of a segment it can expand to match beyond colon boundaries". In the
  resource part (after the fifth colon) they match anything, colons included.
- ArnLike/ArnEquals (and their negations): each of the six colon-delimited components is matched
  separately: in the first five, `*` and `?` never match a colon; case-sensitive.
- StringLike/StringNotLike: `*` and `?` anywhere; case-sensitive.
- StringEquals (and negation): no wildcards; StringEqualsIgnoreCase: no wildcards, case folded.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property


class Wild(str, Enum):
    STAR = "*"  # any string, colons included
    STAR_IN_SEGMENT = "*:"  # any string without a colon
    ANY = "?"  # any one character
    ANY_IN_SEGMENT = "?:"  # any one character but a colon


Token = str | Wild  # a str token is exactly one literal character


class Kind(str, Enum):
    """Where a pattern stands decides what its wildcards mean."""

    ACTION = "action"
    RESOURCE = "resource"
    ARN_LIKE = "arn-like"
    STRING_LIKE = "string-like"
    STRING_EQUALS = "string-equals"
    STRING_EQUALS_IGNORE_CASE = "string-equals-ignore-case"

    @property
    def case_insensitive(self) -> bool:
        return self in (Kind.ACTION, Kind.STRING_EQUALS_IGNORE_CASE)

    @property
    def has_wildcards(self) -> bool:
        return self not in (Kind.STRING_EQUALS, Kind.STRING_EQUALS_IGNORE_CASE)


@dataclass(frozen=True)
class Glob:
    """A compiled pattern. With `case_insensitive`, literal tokens are lower case and a string
    is lower-cased before it is matched."""

    tokens: tuple[Token, ...]
    case_insensitive: bool

    @cached_property  # asked of every pattern of every list, often several times
    def is_literal(self) -> bool:
        return not any(isinstance(t, Wild) for t in self.tokens)

    @cached_property
    def literal_text(self) -> str:
        """The one string a literal Glob matches (lower case when case-insensitive)."""
        return "".join(t for t in self.tokens if not isinstance(t, Wild))

    @cached_property
    def key(self) -> Hashable:
        """What makes two globs the same pattern. `__eq__` is not it: `Wild` is a `str`, so
        the wildcard `*` equals a literal `*` (from `${*}`). The glob itself for the usual
        glob with neither character, else a tuple that tells wildcards from literals."""
        tokens = self.tokens
        if "*" not in tokens and "?" not in tokens:
            return self
        return self.case_insensitive, tuple((isinstance(t, Wild), str.__str__(t)) for t in tokens)

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher(self.tokens)

    def matches(self, value: str) -> bool:
        if self.case_insensitive:
            value = value.lower()
        if self.is_literal:
            return value == self.literal_text
        return self._matcher.matches(value)


class _Matcher:
    """Matches a string against a token sequence in O(len(tokens) x len(string)), never by
    backtracking (a regular expression takes exponential time on `*-*-*-...-prod` against a
    long string that does not match).

    The common shape, literal text between `*`s that match anything, is matched greedily: the
    first piece is a prefix, the last a suffix, and each piece between goes at its leftmost
    place after the previous one (a piece placed further right never leaves the rest more
    room), found by `str.find`. Any other shape runs the pattern as a nondeterministic
    automaton whose state set is one integer, bit i meaning "the first i tokens have matched"
    (shift-and): one step per character, each a few operations on that integer.
    """

    def __init__(self, tokens: tuple[Token, ...]) -> None:
        tokens = _collapse_stars(tokens)
        self.pieces = _star_pieces(tokens)
        self.accept = 1 << len(tokens)
        self.literal: dict[str, int] = {}
        self.any_char = self.any_but_colon = self.star = self.star_but_colon = 0
        for i, token in enumerate(tokens):
            bit = 1 << i
            if token is Wild.STAR:
                self.star |= bit
            elif token is Wild.STAR_IN_SEGMENT:
                self.star_but_colon |= bit
            elif token is Wild.ANY:
                self.any_char |= bit
            elif token is Wild.ANY_IN_SEGMENT:
                self.any_but_colon |= bit
            else:
                self.literal[token] = self.literal.get(token, 0) | bit
        self.stars = self.star | self.star_but_colon

    def matches(self, value: str) -> bool:
        if self.pieces is not None:
            return _match_pieces(self.pieces, value)
        stars, star, literal = self.stars, self.star, self.literal
        any_char, any_char_but_colon = self.any_char, self.any_char | self.any_but_colon
        states = 1 | ((1 & stars) << 1)
        for char in value:
            if char == ":":
                step, stay = literal.get(char, 0) | any_char, star
            else:
                step, stay = literal.get(char, 0) | any_char_but_colon, stars
            states = ((states & step) << 1) | (states & stay)
            if not states:
                return False
            states |= (states & stars) << 1  # a star may match nothing (no two stars adjoin)
        return bool(states & self.accept)


def _is_star(token: Token) -> bool:
    return token is Wild.STAR or token is Wild.STAR_IN_SEGMENT


def _collapse_stars(tokens: tuple[Token, ...]) -> tuple[Token, ...]:
    """Adjoining stars as one: a `*` among them makes the run `*`, else it stays within a
    segment. (Then one step past a star reaches the next token that is not one.)"""
    out: list[Token] = []
    for token in tokens:
        if _is_star(token) and out and _is_star(out[-1]):
            wide = out[-1] is Wild.STAR or token is Wild.STAR
            out[-1] = Wild.STAR if wide else Wild.STAR_IN_SEGMENT
        else:
            out.append(token)
    return tuple(out)


def _star_pieces(tokens: tuple[Token, ...]) -> tuple[str, ...] | None:
    """The literal text between `*`s (which match anything) when that is all the pattern has,
    e.g. `a*b*` -> ("a", "b", ""); None for any other wildcard."""
    pieces: list[str] = []
    current: list[str] = []
    for token in tokens:
        if token is Wild.STAR:
            pieces.append("".join(current))
            current = []
        elif isinstance(token, Wild):
            return None
        else:
            current.append(token)
    pieces.append("".join(current))
    return tuple(pieces) if len(pieces) > 1 else None


def _match_pieces(pieces: tuple[str, ...], value: str) -> bool:
    """`pieces` joined by `*`s (at least one) against `value`, greedily (see `_Matcher`)."""
    first, last = pieces[0], pieces[-1]
    if len(value) < len(first) + len(last):
        return False
    if not (value.startswith(first) and value.endswith(last)):
        return False
    position, end = len(first), len(value) - len(last)
    for piece in pieces[1:-1]:
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


Chunk = tuple[str, bool]
"""A run of pattern text and whether `*`/`?` in it are wildcards (False for the text of
`${*}`-style escapes and for substituted variable values)."""


def compile_chunks(chunks: Sequence[Chunk], kind: Kind) -> Glob:
    """Compile pattern text (split into wildcard-active and literal chunks) for `kind`."""
    chars: list[tuple[str, bool]] = [
        (c, active and kind.has_wildcards) for text, active in chunks for c in text
    ]
    fold = kind.case_insensitive
    segment_of: list[int] = []
    colons = 0
    for c, _ in chars:
        segment_of.append(colons)
        if c == ":":
            colons += 1
    tokens: list[Token] = []
    for i, (c, wildcard) in enumerate(chars):
        if not wildcard or c not in "*?":
            tokens.append(c.lower() if fold else c)
            continue
        in_arn_head = kind in (Kind.RESOURCE, Kind.ARN_LIKE) and segment_of[i] < 5
        if c == "?":
            tokens.append(Wild.ANY_IN_SEGMENT if in_arn_head else Wild.ANY)
            continue
        ends_segment = i + 1 == len(chars) or chars[i + 1][0] == ":"
        star = (
            Wild.STAR_IN_SEGMENT
            if in_arn_head and not (kind is Kind.RESOURCE and ends_segment)
            else Wild.STAR
        )
        if not (tokens and tokens[-1] is star):  # `**` matches what `*` does: one token
            tokens.append(star)
    return Glob(tuple(tokens), fold)


def compile_pattern(text: str, kind: Kind) -> Glob:
    """Compile pattern text in which every `*` and `?` is a wildcard (where `kind` has any)."""
    return compile_chunks([(text, True)], kind)


def matches_any(globs: Iterable[Glob], value: str) -> bool:
    return any(g.matches(value) for g in globs)


def _accepts(token: Token, char: str) -> bool:
    """Can `token` consume `char` (a literal of the other glob)?"""
    if not isinstance(token, Wild):
        return token == char
    return char != ":" or token in (Wild.STAR, Wild.ANY)


def overlap(first: Glob, second: Glob) -> bool:
    """Is there a string both globs match? (The product of the two token automata, searched in
    O(len x len) states.) Literal characters are compared case-insensitively when either glob
    is, and wildcards always share some character that is not a colon."""
    fold = first.case_insensitive or second.case_insensitive
    a = tuple(t.lower() if fold and not isinstance(t, Wild) else t for t in first.tokens)
    b = tuple(t.lower() if fold and not isinstance(t, Wild) else t for t in second.tokens)
    stars = (Wild.STAR, Wild.STAR_IN_SEGMENT)
    seen = {(0, 0)}
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if i == len(a) and j == len(b):
            return True
        moves = []
        if i < len(a) and a[i] in stars:
            moves.append((i + 1, j))
        if j < len(b) and b[j] in stars:
            moves.append((i, j + 1))
        if i < len(a) and j < len(b):
            x, y = a[i], b[j]
            if isinstance(x, Wild) and isinstance(y, Wild):
                shared = True  # any character but a colon suits both
            elif isinstance(x, Wild):
                shared = _accepts(x, str.__str__(y))
            else:
                shared = _accepts(y, str.__str__(x))
            if shared:
                moves.append((i if x in stars else i + 1, j if y in stars else j + 1))
        for move in moves:
            if move not in seen:
                seen.add(move)
                todo.append(move)
    return False
