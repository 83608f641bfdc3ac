"""Patterns with policy variables (`arn:aws:s3:::bucket/${aws:username}/*`), for the encoder.

A templated pattern cannot be one set of strings: it depends on the request's variable values.
The encoder gives each distinct template one Boolean atom (the same atom in the old and the new
policy, so an unchanged template cancels exactly) and constrains it by what is certain: it can
hold only when every variable has a value, and only for strings of its `shape` (every variable
any text, every wildcard its widest reading). That over-approximates; the counterexample is then
rebuilt with real variable values (`instantiate`) and confirmed by the reference evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from policy_guard.globs import Chunk, Glob, Kind, Token, Wild, compile_chunks, compile_pattern
from policy_guard.variables import Escaped, Part, Text, Variable, split_variables


@dataclass(frozen=True)
class Template:
    """A pattern that holds at least one `${key}` variable (escapes are kept as `Escaped`)."""

    parts: tuple[Part, ...]
    kind: Kind

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

    def shape(self) -> Glob:
        """Every string the template can match under some variable values (a superset)."""
        fold = self.kind.case_insensitive
        tokens: list[Token] = []
        for part in self.parts:
            if isinstance(part, Variable):
                tokens.append(Wild.STAR)
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
        chunks: list[Chunk] = []
        for part in self.parts:
            if isinstance(part, Text):
                chunks.append((part.text, True))
            elif isinstance(part, Escaped):
                chunks.append((part.char, False))
            else:
                value = values.get(part.key_lower, part.default)
                if value is None:
                    return None
                chunks.append((value, False))
        return compile_chunks(chunks, self.kind)

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
    """A pattern as the policy states it: a Glob, or a Template when it holds a variable.

    With `variables` off (Version 2008-10-17, or an element that takes none) the text is read
    as written; with it on, `${*}`, `${?}` and `${$}` are literal characters.
    """
    if not variables:
        return compile_pattern(text, kind)
    parts = split_variables(text)
    if any(isinstance(p, Variable) for p in parts):
        return Template(parts, kind)
    chunks: list[Chunk] = [
        (p.text, True) if isinstance(p, Text) else (p.char, False)
        for p in parts
        if not isinstance(p, Variable)
    ]
    return compile_chunks(chunks, kind)
