"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}` and friends.

A pattern from a Resource or a String/Arn condition value is split into parts: text (where `*`
and `?` are wildcards), escaped characters (`${*}` is a literal `*`, not a wildcard) and
variables (replaced by the request's value of the key; with no value and no default, the
pattern matches nothing). Only under Version 2012-10-17; otherwise the text is taken as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from policy_guard.policy.globs import Chunk, Glob, Kind, compile_chunks, compile_pattern

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,]+?)\s*,\s*'([^']*)'\s*$")


@dataclass(frozen=True)
class Text:
    """Literal text in which `*` and `?` are wildcards (where the context allows them)."""

    text: str


@dataclass(frozen=True)
class Escaped:
    """A character written as `${*}`, `${?}` or `${$}`: always literal."""

    char: str


@dataclass(frozen=True)
class Variable:
    key: str
    default: str | None = None

    @property
    def key_lower(self) -> str:
        return self.key.lower()


Part = Text | Escaped | Variable


def split_variables(text: str) -> tuple[Part, ...]:
    """Split `text` into Text, Escaped and Variable parts (adjacent text is merged)."""
    parts: list[Part] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > position:
            parts.append(Text(text[position : match.start()]))
        body = match.group(1)
        if body in ("*", "?", "$"):
            parts.append(Escaped(body))
        else:
            default = _DEFAULT.match(body)
            if default:
                parts.append(Variable(default.group(1), default.group(2)))
            else:
                parts.append(Variable(body.strip()))
        position = match.end()
    if position < len(text):
        parts.append(Text(text[position:]))
    return tuple(parts)


def has_variables(text: str) -> bool:
    """True when `text` holds `${...}` (escapes included)."""
    return _VARIABLE.search(text) is not None


def fill(
    parts: Sequence[Part], value_of: Callable[[Variable], str | None]
) -> tuple[Chunk, ...] | None:
    """The pattern with each variable replaced by `value_of(variable)`, as chunks for
    `globs.compile_chunks`: written text keeps its wildcards, escapes and variable values are
    literal. None when some variable has no value: the pattern then matches nothing
    (docs/semantics.md, "Policy variables")."""
    chunks: list[Chunk] = []
    for part in parts:
        if isinstance(part, Text):
            chunks.append((part.text, True))
        elif isinstance(part, Escaped):
            chunks.append((part.char, False))
        else:
            value = value_of(part)
            if value is None:
                return None
            chunks.append((value, False))
    return tuple(chunks)


def compile_fixed(text: str, kind: Kind, variables: bool) -> Glob | None:
    """The pattern `text` as one Glob when it holds no policy variable; None when it holds one
    (the strings it matches then depend on the request).

    With `variables` off (Version 2008-10-17, or an element that takes none) the text is read
    as written; with it on, `${*}`, `${?}` and `${$}` are literal characters.
    """
    if not variables:
        return compile_pattern(text, kind)
    chunks = fill(split_variables(text), lambda _variable: None)
    return None if chunks is None else compile_chunks(chunks, kind)
