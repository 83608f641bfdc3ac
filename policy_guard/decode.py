"""Text (JSON or YAML) -> plain Python values, keeping the position of every element.

Checks speak in logical paths (`("Statement", 1, "Action", 0)`); this module is the one place
that knows where a path is in the file (cfn-lint's decode, then `path -> span`). JSON is read by
a small recursive-descent parser on top of the standard library's string and number scanners, so
that keys keep positions and duplicate keys are seen (Python's `json` keeps the last silently).
YAML is read with PyYAML's *safe* composer (`decode_yaml`); nothing in a file is ever executed.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from policy_guard.errors import InputError

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


class _LineIndex:
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


class _Spans(Mapping[Path, Span]):
    """Spans kept as offsets, turned into lines and columns when one is asked for: a policy
    of thousands of actions has thousands of elements, and a report names a few."""

    def __init__(self, lines: _LineIndex) -> None:
        self.lines = lines
        self.offsets: dict[Path, tuple[int, int]] = {}

    def __getitem__(self, path: Path) -> Span:
        start, end = self.offsets[path]
        return self.lines.span(start, end)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets)


_WHITESPACE = " \t\n\r"
_SPACES = re.compile(r"[ \t\n\r]*")
_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009  (untyped in typeshed)
_CONSTANTS = {"true": True, "false": False, "null": None}


class _JsonParser:
    """Strict JSON (RFC 8259) with positions. Errors carry the line of the problem."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = _LineIndex(text)
        self.spans = _Spans(self.lines)
        self.key_spans = _Spans(self.lines)
        self.duplicates: list[Path] = []
        self.number = json.scanner.NUMBER_RE

    def fail(self, offset: int, message: str) -> InputError:
        line, column = self.lines.position(min(offset, len(self.text)))
        return InputError(
            f"invalid JSON: {message} (column {column + 1})", filename=self.filename, line=line
        )

    def skip(self, i: int) -> int:
        if i < len(self.text) and self.text[i] in _WHITESPACE:
            spaces = _SPACES.match(self.text, i)
            assert spaces is not None  # `*`: it always matches
            return spaces.end()
        return i

    def parse(self) -> Any:
        i = self.skip(0)
        if i == len(self.text):
            raise self.fail(i, "the file is empty")
        value, i = self.value(i, ())
        i = self.skip(i)
        if i != len(self.text):
            raise self.fail(i, "extra data after the document")
        return value

    def string(self, i: int) -> tuple[str, int]:
        try:
            text, end = _scanstring(self.text, i + 1, True)
            return str(text), int(end)
        except json.JSONDecodeError as error:
            raise self.fail(error.pos, error.msg) from None

    def value(self, i: int, path: Path) -> tuple[Any, int]:
        if i >= len(self.text):
            raise self.fail(i, "unexpected end of file, a value was expected")
        ch = self.text[i]
        start = i
        if ch == "{":
            result: Any
            result, i = self.object(i, path)
        elif ch == "[":
            result, i = self.array(i, path)
        elif ch == '"':
            result, i = self.string(i)
        else:
            match = self.number.match(self.text, i)
            if match is not None and match.group(0):
                integer, fraction, exponent = match.groups()
                if fraction or exponent:
                    result = float(integer + (fraction or "") + (exponent or ""))
                else:
                    result = int(integer)
                i = match.end()
            else:
                for word, constant in _CONSTANTS.items():
                    if self.text.startswith(word, i):
                        result, i = constant, i + len(word)
                        break
                else:
                    raise self.fail(i, f"unexpected character {ch!r}, a value was expected")
        self.spans.offsets[path] = (start, i)
        return result, i

    def object(self, i: int, path: Path) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        i = self.skip(i + 1)
        if i < len(self.text) and self.text[i] == "}":
            return result, i + 1
        while True:
            if i >= len(self.text) or self.text[i] != '"':
                raise self.fail(i, "a key in double quotes was expected")
            key_start = i
            key, i = self.string(i)
            member: Path = (*path, key)
            if key in result:
                self.duplicates.append(member)
            self.key_spans.offsets[member] = (key_start, i)
            i = self.skip(i)
            if i >= len(self.text) or self.text[i] != ":":
                raise self.fail(i, "':' was expected after the key")
            i = self.skip(i + 1)
            result[key], i = self.value(i, member)
            i = self.skip(i)
            if i < len(self.text) and self.text[i] == ",":
                i = self.skip(i + 1)
                continue
            if i < len(self.text) and self.text[i] == "}":
                return result, i + 1
            raise self.fail(i, "',' or '}' was expected")

    def array(self, i: int, path: Path) -> tuple[list[Any], int]:
        result: list[Any] = []
        i = self.skip(i + 1)
        if i < len(self.text) and self.text[i] == "]":
            return result, i + 1
        while True:
            item, i = self.value(i, (*path, len(result)))
            result.append(item)
            i = self.skip(i)
            if i < len(self.text) and self.text[i] == ",":
                i = self.skip(i + 1)
                continue
            if i < len(self.text) and self.text[i] == "]":
                return result, i + 1
            raise self.fail(i, "',' or ']' was expected")


def decode_json(text: str, filename: str) -> Decoded:
    """Decode JSON text; raise InputError naming the file and line on a syntax error."""
    parser = _JsonParser(text.removeprefix("\ufeff"), filename)
    value = parser.parse()
    return Decoded(value, filename, parser.spans, parser.key_spans, tuple(parser.duplicates))


def decode_yaml(text: str, filename: str) -> Decoded:
    """Decode one YAML document safely; raise InputError naming the file and line. (PyYAML
    is loaded only when a YAML file is read: a hook that sees only JSON never pays for it.)"""
    from policy_guard.decode_yaml import decode_yaml as decode

    return decode(text, filename)


def looks_like_json(text: str, filename: str) -> bool:
    """JSON by extension, or by content when the extension says nothing."""
    lower = filename.lower()
    if lower.endswith((".yaml", ".yml")):
        return False
    if lower.endswith(".json"):
        return True
    return text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


def decode_text(text: str, filename: str) -> Decoded:
    """Decode a document written in JSON or YAML (chosen by extension, then by content)."""
    if looks_like_json(text, filename):
        return decode_json(text, filename)
    return decode_yaml(text, filename)


def read_document(path: str, display_name: str | None = None) -> Decoded:
    """Read and decode a file; every failure is an InputError that names the file."""
    name = display_name or path
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", filename=name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"the file is not UTF-8 text (byte {error.start})", filename=name
        ) from None
    return decode_text(text, name)


def dumps_compact(value: Any) -> str:
    """A value as one line of JSON, for messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
