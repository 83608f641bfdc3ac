"""The lazy string domain: one Boolean per pattern, for a variable whose partition explodes.

When `partition` would need too many automaton states (real resource lists: a region or account
`*` at the end of its segment may cross colons, so `arn:aws:ec2:*:*:vpc/*`, `...:subnet/*`, ...
cut exponentially many regions), a string value is described by one Boolean per distinct
pattern of its space ("the value matches pattern i"; identical patterns are one pattern, by
`partition.glob_key`). Most assignments of those Booleans are strings; the others are ruled out
by cheap axioms here, and the rest by `encode.cores`, which asks `partition.realize` whether the
solver's membership vector has a string and, when it has none, blocks a small core of it.

Every axiom below is a fact about every string, so the natural assignment of any concrete value
(`LazyValue.natural`) satisfies it: the axioms never exclude a real request, and an UNSAT answer
over them (and over blocking clauses, which are facts too) is a proof.

- A pattern that matches everything (`*`) holds.
- Literals (patterns without a wildcard). A case-sensitive literal is one string: at most one
  holds, and one that holds decides every other pattern (`m_lit -> (m_g <-> g.matches(lit))`).
  A folded literal (IgnoreCase, actions) is one lower-cased string: at most one holds, and it
  decides every folded pattern. Encoded compactly: `m_lit -> m_g` for the pairs that match, and
  `m_g -> (no literal of the group) or (one of the literals g matches)`.
- Prefixes. `s` matches a pattern only if `s` (lower-cased, for a folded pattern) starts with the
  pattern's literal prefix (up to its first wildcard). Over the wildcard patterns of one case
  mode, a Boolean per distinct prefix `p` ("`s` starts with `p`") forms a trie: a pattern implies
  its prefix, a prefix its longest proper prefix among them, and the children of one node
  diverge, so at most one of them holds — patterns whose prefixes diverge are disjoint. A
  pattern `p*` (a prefix and a trailing `*`) is exactly its prefix, so `arn:aws:ec2:*:*:vpc/*`
  implies `arn:aws:ec2:*` without any search.
- Suffixes: the same with the literal text after the last wildcard, read backwards.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pysmt.fnode import FNode
from pysmt.formula import FormulaManager

from policy_guard.encode.prefixes import literal_prefix
from policy_guard.encode.vocabulary import StringSpace
from policy_guard.policy.globs import Glob, Wild

PAIRWISE_LIMIT = 6  # at most this many: pairwise exclusions; more: a sequential (ladder) encoding

Meaning = Callable[[str], bool]


@dataclass(frozen=True)
class LazyValue:
    """One string value over a lazy space: `atoms[i]` is "the value matches `space.globs[i]`";
    `auxiliaries` are the other symbols of its axioms, each with its meaning on a string."""

    space: StringSpace
    atoms: tuple[FNode, ...]
    auxiliaries: tuple[tuple[FNode, Meaning], ...]

    def matches(self, manager: FormulaManager, globs: Iterable[Glob]) -> FNode:
        """The value matches one of `globs` (each one of the space's)."""
        positions = sorted(self.space.positions(globs))
        return manager.Or([self.atoms[i] for i in positions])

    def is_vector(self, manager: FormulaManager, vector: frozenset[int]) -> FNode:
        """The value has exactly the memberships `vector`."""
        return manager.And(
            [atom if i in vector else manager.Not(atom) for i, atom in enumerate(self.atoms)]
        )

    def excludes(
        self, manager: FormulaManager, inside: Iterable[int], outside: Iterable[int]
    ) -> FNode:
        """The blocking clause of an empty combination: not all of `inside` and none of
        `outside` (pattern indices)."""
        return manager.Or(
            [manager.Not(self.atoms[i]) for i in sorted(inside)]
            + [self.atoms[o] for o in sorted(outside)]
        )

    def natural(self, manager: FormulaManager, value: str) -> dict[FNode, FNode]:
        """The value of every symbol for the concrete string `value` (the abstraction)."""
        vector = self.space.vector_of(value)
        result = {atom: manager.Bool(i in vector) for i, atom in enumerate(self.atoms)}
        result.update(
            (symbol, manager.Bool(meaning(value))) for symbol, meaning in self.auxiliaries
        )
        return result


def literal_suffix(glob: Glob) -> str:
    """The literal text after the last wildcard (the whole text of a literal)."""
    text: list[str] = []
    for token in reversed(glob.tokens):
        if isinstance(token, Wild):
            break
        text.append(token)
    return "".join(reversed(text))


def shortest_instance(glob: Glob) -> str:
    """A shortest string the pattern matches: `*` empty, `?` one letter."""
    return "".join(
        ("" if token in (Wild.STAR, Wild.STAR_IN_SEGMENT) else "x")
        if isinstance(token, Wild)
        else token
        for token in glob.tokens
    )


def provably_disjoint(a: Glob, b: Glob) -> bool:
    """A cheap sufficient test: two patterns of one case mode whose literal prefixes or
    suffixes diverge (neither extends the other) share no string."""
    if a.case_insensitive != b.case_insensitive:
        return False
    pa, pb = literal_prefix(a), literal_prefix(b)
    if not (pa.startswith(pb) or pb.startswith(pa)):
        return True
    sa, sb = literal_suffix(a), literal_suffix(b)
    return not (sa.endswith(sb) or sb.endswith(sa))


def is_universal(glob: Glob) -> bool:
    return glob.tokens == (Wild.STAR,)


class _Builder:
    """Collects the atoms, auxiliaries and axioms of one lazy value."""

    def __init__(self, space: StringSpace, manager: FormulaManager, name: str) -> None:
        self.space = space
        self.m = manager
        self.name = name
        self.atoms = tuple(manager.Symbol(f"{name}_m{i}") for i in range(len(space.globs)))
        self.auxiliaries: list[tuple[FNode, Meaning]] = []
        self.axioms: list[FNode] = []

    def fresh(self, tag: str, meaning: Meaning) -> FNode:
        symbol = self.m.Symbol(f"{self.name}_{tag}{len(self.auxiliaries)}")
        self.auxiliaries.append((symbol, meaning))
        return symbol

    def implies(self, a: FNode, b: FNode) -> None:
        self.axioms.append(self.m.Implies(a, b))

    def at_most_one(self, items: Sequence[tuple[FNode, Meaning]]) -> None:
        """At most one of `items` holds: pairwise when few, else a ladder whose step `k` means
        "one of the first k holds" (so its meaning is a fact about the string too)."""
        m = self.m
        if len(items) <= PAIRWISE_LIMIT:
            for i, (a, _) in enumerate(items):
                for b, _ in items[i + 1 :]:
                    self.axioms.append(m.Or(m.Not(a), m.Not(b)))
            return
        meanings = [meaning for _, meaning in items]
        previous: FNode | None = None
        for k, (item, _) in enumerate(items[:-1]):
            step = self.fresh("amo", _any_of(meanings[: k + 1]))
            self.implies(item, step)
            if previous is not None:
                self.implies(previous, step)
                self.implies(previous, m.Not(item))
            previous = step
        assert previous is not None
        self.implies(previous, m.Not(items[-1][0]))


def _any_of(meanings: Sequence[Meaning]) -> Meaning:
    return lambda value: any(meaning(value) for meaning in meanings)


def _matcher(glob: Glob) -> Meaning:
    return glob.matches


def lazy_value(
    space: StringSpace, manager: FormulaManager, name: str
) -> tuple[LazyValue, list[FNode]]:
    """The atoms of one value over `space` (symbols named after `name`) and their axioms."""
    builder = _Builder(space, manager, name)
    globs = space.globs
    atoms = builder.atoms
    for i, glob in enumerate(globs):
        if is_universal(glob):
            builder.axioms.append(atoms[i])
        elif (
            glob.case_insensitive
            and glob.is_literal
            and glob.literal_text.lower() != glob.literal_text
        ):
            builder.axioms.append(manager.Not(atoms[i]))  # compared with a lower case string
    _literal_axioms(builder, case_insensitive=False)
    _literal_axioms(builder, case_insensitive=True)
    for folded in (False, True):
        wildcards = [
            i for i, g in enumerate(globs) if not g.is_literal and g.case_insensitive == folded
        ]
        _trie_axioms(builder, wildcards, folded, backwards=False)
        _trie_axioms(builder, wildcards, folded, backwards=True)
    value = LazyValue(space, atoms, tuple(builder.auxiliaries))
    return value, builder.axioms


def _literal_axioms(builder: _Builder, *, case_insensitive: bool) -> None:
    """A literal of the group holds for exactly its string: at most one holds, and one that
    holds decides the patterns it can decide (all of them for case-sensitive literals, the
    folded ones for folded literals)."""
    globs, atoms, m = builder.space.globs, builder.atoms, builder.m
    group = [
        i
        for i, g in enumerate(globs)
        if g.is_literal
        and g.case_insensitive == case_insensitive
        and (not case_insensitive or g.literal_text.lower() == g.literal_text)
    ]
    if not group:
        return
    texts = {i: globs[i].literal_text for i in group}
    builder.at_most_one([(atoms[i], _matcher(globs[i])) for i in group])
    members = frozenset(group)
    any_literal: FNode | None = None
    by_text = sorted((texts[i], i) for i in group)
    keys = [text for text, _ in by_text]
    lowered = sorted((texts[i].lower(), i) for i in group)
    lowered_keys = [text for text, _ in lowered]
    for g_index, glob in enumerate(globs):
        if g_index in members or is_universal(glob):
            continue
        if case_insensitive and not glob.case_insensitive:
            continue  # a folded literal leaves the case of the string open
        prefix = literal_prefix(glob)
        table, table_keys = (lowered, lowered_keys) if glob.case_insensitive else (by_text, keys)
        start = bisect.bisect_left(table_keys, prefix)
        matched: list[int] = []
        for text, i in table[start:]:
            if not text.startswith(prefix):
                break
            if glob.matches(texts[i]):
                matched.append(i)
        for i in matched:
            builder.implies(atoms[i], atoms[g_index])
        if any_literal is None:
            any_literal = builder.fresh("lit", _any_of([_matcher(globs[i]) for i in group]))
            for i in group:
                builder.implies(atoms[i], any_literal)
        builder.implies(atoms[g_index], m.Or(m.Not(any_literal), *(atoms[i] for i in matched)))


def _trie_axioms(
    builder: _Builder, indices: Sequence[int], folded: bool, *, backwards: bool
) -> None:
    """Prefix (or, `backwards`, suffix) nodes of the wildcard patterns `indices` of one case
    mode: a pattern implies its node, a node its parent, siblings exclude each other, and a
    pattern that is its node followed by `*` (or `*` followed by it) is implied by it."""
    globs, atoms = builder.space.globs, builder.atoms
    affix = literal_suffix if backwards else literal_prefix
    keyed = {i: affix(globs[i])[::-1] if backwards else affix(globs[i]) for i in indices}
    texts = sorted({t for t in keyed.values() if t})
    if not texts:
        return

    def meaning(text: str) -> Meaning:
        wanted = text[::-1] if backwards else text
        if backwards:
            return lambda value: (value.lower() if folded else value).endswith(wanted)
        return lambda value: (value.lower() if folded else value).startswith(wanted)

    nodes = {text: builder.fresh("sfx" if backwards else "pfx", meaning(text)) for text in texts}
    children: dict[str, list[str]] = {}
    stack: list[str] = []
    for text in texts:  # sorted: each text's nearest ancestor is on the stack
        while stack and not text.startswith(stack[-1]):
            stack.pop()
        parent = stack[-1] if stack else ""
        children.setdefault(parent, []).append(text)
        if parent:
            builder.implies(nodes[text], nodes[parent])
        stack.append(text)
    for siblings in children.values():
        if len(siblings) > 1:
            builder.at_most_one([(nodes[t], meaning(t)) for t in siblings])
    for i, text in keyed.items():
        if not text:
            continue
        builder.implies(atoms[i], nodes[text])
        tokens = globs[i].tokens
        exact_star = tokens[-1] is Wild.STAR and len(tokens) == len(text) + 1
        if backwards:
            exact_star = tokens[0] is Wild.STAR and len(tokens) == len(text) + 1
        if exact_star:
            builder.implies(nodes[text], atoms[i])
