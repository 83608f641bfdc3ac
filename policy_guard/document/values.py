"""A decoded document: plain Python values and where each element was written.

Checks speak in logical paths (`("Statement", 1, "Action", 0)`); this module is the one place
that knows where a path is in the file (cfn-lint's decode, then `path -> span`)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 100
"""How deeply a document may nest (IAM policies nest 6 deep, CloudFormation templates about 15):
a deeper one is refused with its position, before any recursion can exhaust the stack."""
MAX_ALIAS_NODES = 10_000
"""How many values YAML aliases may add to a document beyond what it writes out: a "billion
laughs" file of a few hundred bytes expands to billions of values."""

PathElement = str | int
Path = tuple[PathElement, ...]


@dataclass(frozen=True, order=True)
class Span:
    """Where an element is: line from 1, column from 0 (as ValidatePolicy reports them)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Decoded:
    """A decoded document: the plain value and where each part of it was written."""

    value: Any
    filename: str
    spans: Mapping[Path, Span] = field(default_factory=dict)
    key_spans: Mapping[Path, Span] = field(default_factory=dict)
    duplicate_keys: tuple[Path, ...] = ()

    def span_of(self, path: Path) -> Span:
        """The span of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.spans.get(path[:end])
            if found is not None:
                return found
        return Span(1, 0, 1, 0)

    def key_span_of(self, path: Path) -> Span:
        """The span of the key that introduces `path` (falls back to the value's span)."""
        return self.key_spans.get(path) or self.span_of(path)

    def sub(self, path: Path) -> Decoded:
        """The element at `path` as a document of its own, keeping absolute positions."""
        value: Any = self.value
        for element in path:
            value = value[element]
        n = len(path)
        return Decoded(
            value=value,
            filename=self.filename,
            spans={p[n:]: s for p, s in self.spans.items() if p[:n] == path},
            key_spans={p[n:]: s for p, s in self.key_spans.items() if p[:n] == path and p != path},
            duplicate_keys=tuple(p[n:] for p in self.duplicate_keys if p[:n] == path),
        )


class LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0]
        found = text.find("\n")
        while found >= 0:
            self._starts.append(found + 1)
            found = text.find("\n", found + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1]

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return Span(line, column, end_line, end_column)


class OffsetSpans(Mapping[Path, Span]):
    """Spans kept as offsets, turned into lines and columns when one is asked for: a policy
    of thousands of actions has thousands of elements, and a report names a few."""

    def __init__(self, lines: LineIndex) -> None:
        self.lines = lines
        self.offsets: dict[Path, tuple[int, int]] = {}

    def __getitem__(self, path: Path) -> Span:
        start, end = self.offsets[path]
        return self.lines.span(start, end)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)
