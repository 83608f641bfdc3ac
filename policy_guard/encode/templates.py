"""Patterns with policy variables (`arn:aws:s3:::bucket/${aws:username}/*`), for the encoder.

A templated pattern cannot be one set of strings: it depends on the request's variable values.
The encoder gives each distinct template one Boolean atom (the same atom in the old and the new
policy, so an unchanged template cancels exactly) and constrains it by what is certain: it can
hold only when every variable has a value, and only for strings of its `shape` (every variable
any text, every wildcard its widest reading). That over-approximates; the counterexample is then
rebuilt with real variable values (`instantiate`) and confirmed by the reference evaluator.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from policy_guard.policy.globs import (
    Glob,
    Kind,
    Token,
    Wild,
    compile_chunks,
)
from policy_guard.policy.variables import (
    Escaped,
    Part,
    Text,
    Variable,
    compile_fixed,
    fill,
    split_variables,
)


@dataclass(frozen=True, eq=False)
class Template:
    """A pattern that holds at least one `${key}` variable (escapes are kept as `Escaped`).

    Two templates are the same when they differ only in the case of a variable's key
    (`${AWS:UserName}` is `${aws:username}`: context keys are case-insensitive), so they share
    one atom and an unchanged template cancels exactly however its keys are spelt."""

    parts: tuple[Part, ...]
    kind: Kind

    @cached_property
    def _identity(self) -> tuple[Kind, tuple[Part, ...]]:
        canonical = tuple(
            Variable(p.key_lower, p.default) if isinstance(p, Variable) else p for p in self.parts
        )
        return self.kind, canonical

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and self._identity == other._identity

    def __hash__(self) -> int:
        return hash(self._identity)

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(p for p in self.parts if isinstance(p, Variable))

    @property
    def text(self) -> str:
        """The pattern as written (for messages)."""
        pieces = []
        for part in self.parts:
            if isinstance(part, Text):
                pieces.append(part.text)
            elif isinstance(part, Escaped):
                pieces.append("${" + part.char + "}")
            else:
                default = f", '{part.default}'" if part.default is not None else ""
                pieces.append("${" + part.key + default + "}")
        return "".join(pieces)

    def shape(self, filled: bool = False) -> Glob:
        """Every string the template can match under some variable values (a superset);
        `filled`: under values that are none of them empty."""
        fold = self.kind.case_insensitive
        tokens: list[Token] = []
        for part in self.parts:
            if isinstance(part, Variable):
                tokens += [Wild.ANY, Wild.STAR] if filled else [Wild.STAR]
            elif isinstance(part, Escaped):
                tokens.append(part.char.lower() if fold else part.char)
            else:
                for char in part.text:
                    if self.kind.has_wildcards and char == "*":
                        tokens.append(Wild.STAR)
                    elif self.kind.has_wildcards and char == "?":
                        tokens.append(Wild.ANY)
                    else:
                        tokens.append(char.lower() if fold else char)
        return Glob(tuple(tokens), fold)

    def instantiate(self, values: Mapping[str, str | None]) -> Glob | None:
        """The pattern with each variable replaced by `values[key_lower]` (literal text).

        A key missing from `values` is absent from the request: its variables take their
        defaults. A key mapped to None is present without one value (several, or none): no
        value. A variable left without a value makes the pattern match nothing: None
        (docs/semantics.md, "Policy variables").
        """
        chunks = fill(self.parts, lambda variable: values.get(variable.key_lower, variable.default))
        return None if chunks is None else compile_chunks(chunks, self.kind)

    def solutions(self, value: str) -> list[str | None] | None:
        """The values of the one variable key that make the template match `value`; None in a
        list stands for "the key absent, the defaults apply". None: not worked out (several
        keys, or a case-insensitive template, whose solutions are case variants).
        """
        keys = {v.key_lower for v in self.variables}
        if len(keys) != 1 or self.kind.case_insensitive:
            return None
        (key,) = keys
        found: list[str | None] = []
        default = self.instantiate({})
        if default is not None and default.matches(value):
            found.append(None)
        prefix, suffix = self._around_first_variable()
        starts = [i for i in range(len(value) + 1) if prefix.fullmatch(value[:i])]
        ends = [j for j in range(len(value) + 1) if suffix.fullmatch(value[j:])]
        for start in starts:
            for end in ends:
                candidate = value[start:end] if end >= start else None
                if candidate is None or candidate in found:
                    continue
                glob = self.instantiate({key: candidate})
                if glob is not None and glob.matches(value):
                    found.append(candidate)
        return found

    def within(self, other: Template) -> bool:
        """A sufficient test that, for every value of the variables, every string `self`
        matches `other` matches too: `other` is a Resource template `P*` (its text up to a
        final `*`) and `self` starts with the same `P` (text, escapes and variables alike).
        Under any values both read `P` alike (the compiled form of a character depends only
        on the text before it and on whether a `*` ends its segment; `P` may not end in a
        `*`), and `other`'s final `*` matches any rest (a Resource `*` that ends its segment
        crosses colons)."""
        if self.kind is not Kind.RESOURCE or other.kind is not Kind.RESOURCE:
            return False
        mine, theirs = self._units(), other._units()
        if not theirs or theirs[-1] != ("*", "", None):
            return False
        prefix = theirs[:-1]
        literal = [u for u in prefix if u[0] != "var"]
        if literal and literal[-1] == ("*", "", None):
            return False
        return mine[: len(prefix)] == prefix

    def disjoint_from(self, other: Template) -> bool:
        """A sufficient test that, for every value of the variables, no string matches both:
        after a common beginning without wildcards (text, escapes and variables alike, so the
        same string under any values) one template ends where the other still needs a
        character (a literal or `?`), or both go on with different literal characters."""
        if self.kind is not other.kind or self.kind.case_insensitive:
            return False
        mine, theirs = self._units(), other._units()
        common = 0
        while common < min(len(mine), len(theirs)) and mine[common] == theirs[common]:
            common += 1
        if any(u[0] in "*?" for u in mine[:common]):
            return False
        rest_mine, rest_theirs = mine[common:], theirs[common:]
        if not rest_mine or not rest_theirs:
            longer = rest_mine or rest_theirs
            return any(u[0] in ("lit", "?") for u in longer)
        return rest_mine[0][0] == "lit" and rest_theirs[0][0] == "lit"

    def _units(self) -> list[tuple[str, str, str | None]]:
        """The template as a flat sequence: ("*", "", None) or ("?", "", None) for an active
        wildcard, ("lit", char, None), ("var", key, default)."""
        units: list[tuple[str, str, str | None]] = []
        for part in self.parts:
            if isinstance(part, Variable):
                units.append(("var", part.key_lower, part.default))
            elif isinstance(part, Escaped):
                units.append(("lit", part.char, None))
            else:
                for char in part.text:
                    wild = self.kind.has_wildcards and char in "*?"
                    units.append((char, "", None) if wild else ("lit", char, None))
        return units

    def assignments(self, value: str) -> list[tuple[tuple[str, str | None], ...]] | None:
        """Every state of the template's keys under which it matches `value`: for each key (in
        order of first use) its one value, or None (absent: the defaults apply). None: not
        worked out (a case-insensitive template, or more than ASSIGNMENT_LIMIT states or
        SEARCH_STEPS steps)."""
        if self.kind.case_insensitive:
            return None
        keys = list(dict.fromkeys(v.key_lower for v in self.variables))
        if len(keys) == 1:
            single = self.solutions(value)
            return None if single is None else [((keys[0], v),) for v in single]
        optional = [
            k
            for k in keys
            if all(v.default is not None for v in self.variables if v.key_lower == k)
        ]
        found: dict[tuple[tuple[str, str | None], ...], None] = {}
        try:
            for n in range(len(optional) + 1):
                for absent in itertools.combinations(optional, n):
                    for binding in _splits(self._tokens(frozenset(absent)), value):
                        states = tuple((k, None if k in absent else binding[k]) for k in keys)
                        present = {k: v for k, v in states if v is not None}
                        glob = self.instantiate(present)
                        if glob is not None and glob.matches(value):
                            found[states] = None
                            if len(found) > ASSIGNMENT_LIMIT:
                                return None
        except _TooMany:
            return None
        return list(found)

    def _tokens(self, absent: frozenset[str]) -> list[tuple[str, str]]:
        """The template as loose tokens: ("lit", char), ("any", ""), ("star", "") — wider than
        the real wildcards — and ("var", key); an absent key's variables are their defaults."""
        tokens: list[tuple[str, str]] = []
        for part in self.parts:
            if isinstance(part, Variable):
                if part.key_lower in absent:
                    tokens += [("lit", c) for c in part.default or ""]
                else:
                    tokens.append(("var", part.key_lower))
            elif isinstance(part, Escaped):
                tokens.append(("lit", part.char))
            else:
                for char in part.text:
                    if self.kind.has_wildcards and char in "*?":
                        tokens.append(("star" if char == "*" else "any", ""))
                    else:
                        tokens.append(("lit", char))
        return tokens

    def _around_first_variable(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """Regular expressions wider than the text before and after the first variable (a
        later occurrence of a variable may be anything)."""
        before: list[str] = []
        after: list[str] = []
        target = before
        for part in self.parts:
            if isinstance(part, Variable):
                if target is before:
                    target = after
                    continue
                target.append(".*")
            elif isinstance(part, Escaped):
                target.append(re.escape(part.char))
            else:
                for char in part.text:
                    if self.kind.has_wildcards and char in "*?":
                        target.append(".*" if char == "*" else ".")
                    else:
                        target.append(re.escape(char))
        return re.compile("".join(before), re.DOTALL), re.compile("".join(after), re.DOTALL)


Pattern = Glob | Template


def compile_value(text: str, kind: Kind, variables: bool) -> Pattern:
    """A pattern as the policy states it: a Glob, or a Template when it holds a variable
    (`variables`: see `variables.compile_fixed`)."""
    glob = compile_fixed(text, kind, variables)
    return glob if glob is not None else Template(split_variables(text), kind)


ASSIGNMENT_LIMIT = 64
SEARCH_STEPS = 20_000


class _TooMany(Exception):
    """The split search ran over its budget."""


def _splits(tokens: list[tuple[str, str]], value: str) -> Iterator[dict[str, str]]:
    """Every binding of the "var" tokens (one value per key) under which `tokens` match all of
    `value` (a backtracking search, at most SEARCH_STEPS steps)."""
    steps = 0
    n = len(value)

    def walk(i: int, pos: int, binding: dict[str, str]) -> Iterator[dict[str, str]]:
        nonlocal steps
        steps += 1
        if steps > SEARCH_STEPS:
            raise _TooMany
        if i == len(tokens):
            if pos == n:
                yield binding
            return
        kind, text = tokens[i]
        if kind == "lit":
            if value.startswith(text, pos):
                yield from walk(i + 1, pos + 1, binding)
        elif kind == "any":
            if pos < n:
                yield from walk(i + 1, pos + 1, binding)
        elif kind == "star":
            for end in range(pos, n + 1):
                yield from walk(i + 1, end, binding)
        elif text in binding:
            if value.startswith(binding[text], pos):
                yield from walk(i + 1, pos + len(binding[text]), binding)
        else:
            for end in range(pos, n + 1):
                yield from walk(i + 1, end, {**binding, text: value[pos:end]})

    yield from walk(0, 0, {})
