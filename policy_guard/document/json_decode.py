"""JSON text -> plain Python values with positions: a small recursive-descent parser on top of the
standard library's string and number scanners, so that keys keep positions and duplicate keys are
seen (Python's `json` keeps the last silently)."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from typing import Any

from policy_guard.document.values import MAX_DEPTH, Decoded, LineIndex, OffsetSpans, Path
from policy_guard.errors import InputError

_WHITESPACE = " \t\n\r"
_SPACES = re.compile(r"[ \t\n\r]*")
_scanstring: Any = getattr(json.decoder, "scanstring")  # noqa: B009  (untyped in typeshed)
_CONSTANTS = {"true": True, "false": False, "null": None}
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DIGITS = 1000  # Python refuses to convert more than 4,300; no policy needs a tenth of that


class _JsonParser:
    """Strict JSON (RFC 8259) with positions. Errors carry the line of the problem."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = LineIndex(text)
        self.spans = OffsetSpans(self.lines)
        self.key_spans = OffsetSpans(self.lines)
        self.duplicates: list[Path] = []
        self.number = json.scanner.NUMBER_RE

    def fail(self, offset: int, message: str) -> InputError:
        line, column = self.lines.position(min(offset, len(self.text)))
        return InputError(
            f"invalid JSON: {message}", filename=self.filename, line=line, column=column + 1
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
        except json.JSONDecodeError as error:
            raise self.fail(error.pos, error.msg) from None
        lone = _SURROGATE.search(text)
        if lone is not None:  # `\ud800` alone encodes no character: nothing can print it
            code = f"\\u{ord(lone.group()):04x}"
            raise self.fail(i, f"`{code}` is half of a UTF-16 pair, not a character")
        return str(text), int(end)

    def value(self, i: int, path: Path) -> tuple[Any, int]:
        if i >= len(self.text):
            raise self.fail(i, "unexpected end of file, a value was expected")
        ch = self.text[i]
        start = i
        if ch in "{[" and len(path) >= MAX_DEPTH:
            raise self.fail(i, f"the document nests more than {MAX_DEPTH} levels deep")
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
                elif len(integer) > MAX_DIGITS:
                    raise self.fail(i, f"a number of {len(integer):,} digits is too long")
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


def dumps_compact(value: Any) -> str:
    """A value as one line of JSON, for messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
