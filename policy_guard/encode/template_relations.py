"""Containment between patterns with policy variables, for every value of the variables.

`home/${aws:username}/docs/*` lies within `home/${aws:username}/*` whatever the user name; a
list `["${aws:username}"]` within `["${aws:username}", "zz"]`; `StringEquals ${v}` within
`StringEqualsIgnoreCase ${v}`; `${aws:username}` within `${aws:username, 'guest'}`. The encoder
gives each templated pattern (list) an atom of its own, so without these facts a model may say a
value matches the narrower one and not the wider, which no request does, and blocking such a
model proves nothing. `relations` states, for two patterns, in which states of their variables'
keys the first lies within the second; the encoder turns that into axioms between the atoms.

Each key is in one of three states: ONE (exactly one value: every `${key}` is that value),
ABSENT (each `${key, 'd'}` is its default `d`, and `${key}` gives no value), MANY (present
without one value: no `${key}` has a value). A pattern with a variable without a value matches
nothing (docs/semantics.md, "Policy variables").

Soundness of `within` (a sufficient test, never a wrong True). Under a state, a key in ABSENT or
MANY makes its variables literal text or "nothing" (then the pattern is empty and lies within
anything), so only ONE keys remain symbolic. Each ONE key k stands for one fresh letter `v_k`
(a character no pattern uses). Let `w` match `a` with k's value `u_k`; replacing each stretch
that a variable of `a` took by its `v_k` gives `w'`, which `a` matches symbolically (its own
wildcards took only ordinary characters). If `b` matches `w'` in the restricted sense below,
putting `u_k` back for each `v_k` gives a match of `w` by `b` under the same values:
- `b`'s `${k}` takes exactly `v_k`, that is `u_k`;
- `b`'s `*` (Wild.STAR, any text, colons included) may take `v_k`: it takes any `u_k`;
- `b`'s `?`, and wildcards that stop at a colon, never take a `v_k` (`u_k` may have any
  length and may hold colons), and never a letter of `a`'s that `b` would see differently.
The compiled form of a pattern must not depend on the value either: in Resource and ArnLike
patterns a colon inside a value would shift the ARN segments of what follows, so a variable
there is allowed only after the fifth colon (the resource part, where nothing depends on the
segment count). Letters: the test runs on the characters the two patterns name (each with its
case variants where a side folds case), the colon, and one character none of them names, which
stands for every other character (they are all treated alike by both patterns). Case: a
case-insensitive side lowers the letter it reads (`v_k` has no case, as `u_k` is lowered in
both or in neither; when only `b` folds, `b(u)` holds every string that lowers to `u`'s lower
case, `u` among them; when only `a` folds, its marker stands for every case variant of `u`,
which `b`'s `${k}` does not take: only `b`'s `*` may).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from pysmt.fnode import FNode

from policy_guard.encode.automata import lowercase_preimages
from policy_guard.encode.templates import Pattern, Template
from policy_guard.policy.globs import Glob, Kind, Token, Wild, compile_chunks
from policy_guard.policy.variables import Escaped, Text, Variable

if TYPE_CHECKING:
    from policy_guard.encode.request_terms import SymbolicRequest
    from policy_guard.encode.vocabulary import ConditionValues

MARKER = 0xF0000  # fresh letters (Supplementary Private Use Area-A): no policy names them
OTHER = "\U000f00ff"
STATE_LIMIT = 27  # state combinations tried (three keys)
STEP_LIMIT = 20_000  # product states explored per containment test


class State(Enum):
    ONE = "one"
    ABSENT = "absent"
    MANY = "many"


@dataclass(frozen=True)
class Symbolic:
    """A pattern read under one state: tokens where a ONE key's variable is its marker letter
    (None: the pattern matches nothing), and whether it folds case."""

    tokens: tuple[Token, ...] | None
    fold: bool


def _keys(pattern: Pattern) -> list[str]:
    if isinstance(pattern, Glob):
        return []
    return list(dict.fromkeys(v.key_lower for v in pattern.variables))


def _independent(template: Template) -> bool:
    """Is the compiled form the same whatever the values? (See the module docstring.)"""
    if template.kind not in (Kind.RESOURCE, Kind.ARN_LIKE):
        return True
    colons = 0
    for part in template.parts:
        if isinstance(part, Variable):
            return colons >= 5
        text = part.text if isinstance(part, Text) else part.char
        colons += text.count(":")
    return True


def read(pattern: Pattern, states: dict[str, State], markers: dict[str, str]) -> Symbolic | None:
    """`pattern` under `states` (None: not worked out)."""
    if isinstance(pattern, Glob):
        return Symbolic(pattern.tokens, pattern.case_insensitive)
    if not _independent(pattern):
        return None
    fold = pattern.kind.case_insensitive
    chunks: list[tuple[str, bool]] = []
    for part in pattern.parts:
        if isinstance(part, Text):
            chunks.append((part.text, True))
        elif isinstance(part, Escaped):
            chunks.append((part.char, False))
        else:
            state = states[part.key_lower]
            if state is State.ONE:
                chunks.append((markers[part.key_lower], False))
            elif state is State.ABSENT and part.default is not None:
                chunks.append((part.default, False))
            else:
                return Symbolic(None, fold)
    return Symbolic(compile_chunks(chunks, pattern.kind).tokens, fold)


def _letters(a: Symbolic, b: Symbolic, markers: Iterable[str]) -> list[str]:
    named = {t for t in (*(a.tokens or ()), *(b.tokens or ())) if not isinstance(t, Wild)}
    named |= {":", OTHER}
    if a.fold or b.fold:
        preimages, _ = lowercase_preimages()
        for char in list(named):
            named |= set(preimages.get(char.lower(), ()))
            named.add(char.lower())
    return sorted(named - set(markers))


def _a_letters(token: Token, fold: bool, letters: Sequence[str]) -> list[str]:
    """The letters `a`'s token reads (a marker reads itself)."""
    if token is Wild.STAR or token is Wild.ANY:
        return list(letters)
    if token is Wild.STAR_IN_SEGMENT or token is Wild.ANY_IN_SEGMENT:
        return [c for c in letters if c != ":"]
    assert isinstance(token, str)
    if ord(token[0]) >= MARKER and token != OTHER:
        return [token]
    return [c for c in letters if c.lower() == token] if fold else [token]


def _b_steps(
    tokens: tuple[Token, ...], fold: bool, position: int, letter: str, *, loose: bool
) -> set[int]:
    """Positions `b` can reach from `position` by reading `letter` (before closing over stars).
    `loose`: a marker stands for any case variant of the value (`a` folds case, `b` does not),
    which only `b`'s `*` takes."""
    if position >= len(tokens):
        return set()
    token = tokens[position]
    marker = ord(letter[0]) >= MARKER and letter != OTHER
    if token is Wild.STAR:
        return {position}
    if token is Wild.STAR_IN_SEGMENT:
        return set() if marker or letter == ":" else {position}
    if token is Wild.ANY:
        return set() if marker else {position + 1}
    if token is Wild.ANY_IN_SEGMENT:
        return set() if marker or letter == ":" else {position + 1}
    if marker and loose:
        return set()
    seen = letter.lower() if fold and not marker else letter
    return {position + 1} if seen == token else set()


def _is_star(token: Token) -> bool:
    """A `*` wildcard (by identity: `Wild` is a `str`, and a literal `*` from `${*}` or from
    StringEquals text equals `Wild.STAR`)."""
    return token is Wild.STAR or token is Wild.STAR_IN_SEGMENT


def _closure(tokens: tuple[Token, ...], positions: Iterable[int]) -> frozenset[int]:
    """Positions plus those reached by letting stars take nothing."""
    result: set[int] = set()
    for position in positions:
        while True:
            result.add(position)
            if position < len(tokens) and _is_star(tokens[position]):
                position += 1
            else:
                break
    return frozenset(result)


def _a_closure(tokens: tuple[Token, ...], position: int) -> list[int]:
    return sorted(_closure(tokens, [position]))


def contained(a: Symbolic, b: Symbolic, markers: Iterable[str]) -> bool | None:
    """Does every word of `a` lie in `b` (markers read as above)? None: not settled."""
    if a.tokens is None:
        return True
    if b.tokens is None:
        return False
    a_tokens, b_tokens = a.tokens, b.tokens
    letters = _letters(a, b, markers)
    loose = a.fold and not b.fold
    start = (0, _closure(b_tokens, [0]))
    seen = {start}
    stack = [start]
    while stack:
        if len(seen) > STEP_LIMIT:
            return None
        position, b_set = stack.pop()
        for here in _a_closure(a_tokens, position):
            if here == len(a_tokens):
                if len(b_tokens) not in b_set:
                    return False
                continue
            token = a_tokens[here]
            advance = here if _is_star(token) else here + 1
            for letter in _a_letters(token, a.fold, letters):
                reached = set()
                for b_position in b_set:
                    reached |= _b_steps(b_tokens, b.fold, b_position, letter, loose=loose)
                following = (advance, _closure(b_tokens, reached))
                if following not in seen:
                    seen.add(following)
                    stack.append(following)
    return True


def within(a: Sequence[Pattern], b: Sequence[Pattern]) -> tuple[tuple[tuple[str, State], ...], ...]:
    """The states (each key with its state) under which every pattern of `a` lies within some
    pattern of `b` (each pattern alone: a sufficient test); every combination of the keys'
    states when the answer does not depend on them."""
    keys = list(dict.fromkeys(k for p in (*a, *b) for k in _keys(p)))
    markers = {k: chr(MARKER + i) for i, k in enumerate(keys)}
    combinations = list(itertools.islice(itertools.product(State, repeat=len(keys)), STATE_LIMIT))
    if len(keys) and len(combinations) < 3 ** len(keys):
        return ()
    holding = []
    for combination in combinations:
        states = dict(zip(keys, combination, strict=True))
        read_a = [read(p, states, markers) for p in a]
        read_b = [read(p, states, markers) for p in b]
        if any(r is None for r in (*read_a, *read_b)):
            return ()
        if all(
            any(contained(x, y, markers.values()) for y in read_b if y is not None)
            for x in read_a
            if x is not None
        ):
            holding.append(tuple(states.items()))
    return tuple(holding)


def state_terms(request: SymbolicRequest, states: tuple[tuple[str, State], ...]) -> FNode:
    """The keys in these states (ONE: `one`; ABSENT: not present; MANY: present, not one)."""
    m = request.manager
    terms = []
    for key, state in states:
        key_terms = request.keys[key]
        assert key_terms.one is not None
        if state is State.ONE:
            terms.append(key_terms.one)
        elif state is State.ABSENT:
            terms.append(m.Not(key_terms.present))
        else:
            terms.append(m.And(key_terms.present, m.Not(key_terms.one)))
    return m.And(terms)


def implication(
    request: SymbolicRequest,
    a: Sequence[Pattern],
    b: Sequence[Pattern],
    pairs: Sequence[tuple[FNode, FNode]],
) -> FNode | None:
    """ "Where `a` lies within `b`, each term of `a` implies its partner of `b`" as one axiom
    (None when `a` lies within `b` in no state)."""
    holding = within(a, b)
    if not holding:
        return None
    m = request.manager
    implied = m.And([m.Implies(x, y) for x, y in pairs])
    if len(holding) == 3 ** len({k for s in holding for k, _ in s}) or holding == ((),):
        return implied
    return m.Implies(m.Or([state_terms(request, s) for s in holding]), implied)


def relate_lists(
    request: SymbolicRequest, key: str, values: ConditionValues, terms: tuple[FNode, FNode]
) -> None:
    """Axioms between a condition's value list on `key` and the lists already encoded for it
    (one of the two templated): where one lies within the other, its `some` implies the
    other's `some` and its `every` the other's `every` (a value that matches a pattern of the
    first matches one of the second)."""
    known = request.condition_lists.setdefault(key, {})
    if values in known:
        return
    for other, other_terms in known.items():
        if not values.templates and not other.templates:
            continue
        for a, b, x, y in (
            (values, other, terms, other_terms),
            (other, values, other_terms, terms),
        ):
            axiom = implication(request, a.patterns, b.patterns, tuple(zip(x, y, strict=True)))
            if axiom is not None:
                request.axioms.append(axiom)
        apart = _apart(values.patterns, other.patterns)
        if apart is not None:
            # no value matches both lists: they cannot both hold of every value, if there is one
            m = request.manager
            both = m.And(terms[1], other_terms[1], request.nonempty(key))
            request.axioms.append(m.Implies(one_value(request, apart), m.Not(both)))
    known[values] = terms


def _apart(a: Sequence[Pattern], b: Sequence[Pattern]) -> tuple[str, ...] | None:
    """Keys whose one value each makes every pattern of `a` disjoint from every one of `b`."""
    keys: dict[str, None] = {}
    for x in a:
        for y in b:
            found = disjoint_lengths(x, y)
            if found is None:
                return None
            keys.update(dict.fromkeys(found))
    return tuple(keys) if a and b else None


def _length_range(template: Template) -> tuple[int, int | None, tuple[tuple[str, int], ...]]:
    """The length of what a template's text (not its variables) takes: at least, at most (None:
    any), and how many times each key's variable occurs."""
    low, high = 0, 0
    counts: dict[str, int] = {}
    wild = template.kind.has_wildcards
    for part in template.parts:
        if isinstance(part, Variable):
            counts[part.key_lower] = counts.get(part.key_lower, 0) + 1
        elif isinstance(part, Escaped):
            low, high = low + 1, high + 1
        else:
            for char in part.text:
                if wild and char == "*":
                    high = -1
                    continue
                low += 1
                high = high + 1 if high >= 0 else -1
    return low, (None if high < 0 else high), tuple(sorted(counts.items()))


def disjoint_lengths(a: Pattern, b: Pattern) -> tuple[str, ...] | None:
    """The keys that, each with one value, make no string match both `a` and `b`; None when
    that is not shown. Sound: a string `w` matching a case-sensitive template is as long as the
    template's text takes plus each variable's value as often as it occurs; two templates with
    the same occurrences of the same keys then need the same text length, which ranges that do
    not meet cannot give. (Case-insensitive templates are left out: `lower()` may change a
    string's length.)"""
    if not isinstance(a, Template) or not isinstance(b, Template):
        return None
    if a.kind.case_insensitive or b.kind.case_insensitive:
        return None
    low_a, high_a, counts_a = _length_range(a)
    low_b, high_b, counts_b = _length_range(b)
    if counts_a != counts_b:
        return None
    if (high_a is not None and high_a < low_b) or (high_b is not None and high_b < low_a):
        return tuple(key for key, _ in counts_a)
    return None


def one_value(request: SymbolicRequest, keys: Sequence[str]) -> FNode:
    """Each of `keys` has exactly one value."""
    m = request.manager
    terms = []
    for key in keys:
        one = request.keys[key].one
        assert one is not None
        terms.append(one)
    return m.And(terms)
