"""Terraform's JSON syntax (`*.tf.json`, CDK for Terraform's `cdk.tf.json`): read by writing it
out as the HCL it stands for and reading that with `terraform_hcl`, positions mapped back.

In Terraform's JSON syntax every string where an expression goes is an HCL *template*: a literal
string is exact, `"${EXPR}"` (one interpolation, nothing else) is EXPR itself, and a string
mixing text and `${...}` is that template. So each JSON value becomes the HCL expression it
denotes (a whole-string interpolation is written as its expression: `jsonencode({...})`,
`data.aws_iam_policy_document.app.json`), and the HCL reader applies the same table
(`terraform_resources`), the same `aws_iam_policy_document` conversion and the same unknown-value
rule (`terraform_unknowns`) as for a `.tf` file — one reader of Terraform, two syntaxes. Which
JSON objects are nested *blocks* rather than object values depends on the schema: here, those
the reader looks into (`statement`, `principals`, `not_principals`, `condition`, `dynamic` and
its `content`, `inline_policy`, `moved`, `lifecycle`). The rest are attributes.

Every value written out is anchored to its position in the JSON file, so a finding points at
the JSON line of the statement or element (`MappedLines`). A `.tf.json` file is read on its own
(CDK for Terraform writes each stack as one file): what it refers to outside itself is not known
to be unchanged.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from typing import Any

from policy_guard.document.values import Decoded, LineIndex, Path, Span
from policy_guard.errors import InputError
from policy_guard.sources.base import FoundPolicy

_TOP_LEVEL = frozenset(
    {
        "resource",
        "data",
        "module",
        "variable",
        "locals",
        "output",
        "provider",
        "terraform",
        "moved",
        "import",
        "removed",
        "check",
        "//",
    }
)
_COMMENT = "//"  # Terraform's JSON syntax ignores a property of this name
# The nested blocks the HCL reader looks into, by the block (or resource type) that holds them.
_BLOCKS: Mapping[str, frozenset[str]] = {
    "aws_iam_policy_document": frozenset({"statement"}),
    "statement": frozenset({"principals", "not_principals", "condition"}),
    "aws_iam_role": frozenset({"inline_policy"}),
}
_ANY_BLOCK = frozenset({"dynamic", "lifecycle"})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_terraform_json(value: Any, filename: str) -> bool:
    return (
        filename.lower().endswith(".tf.json")
        and isinstance(value, dict)
        and bool(value)
        and set(value) <= _TOP_LEVEL
    )


class TerraformJsonSource:
    name = "terraform-json"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        if not is_terraform_json(document.value, document.filename):
            return None
        from policy_guard.sources.terraform_hcl import read_terraform

        writer = _Writer(document)
        writer.file()
        text = "".join(writer.parts)
        lines = MappedLines(text, writer.anchors)
        try:
            return read_terraform(text, document.filename, lines=lines)
        except InputError as error:
            line = lines.line_of(error.line) if error.line else None
            raise InputError(error.problem, filename=document.filename, line=line) from None


class MappedLines(LineIndex):
    """Positions in the HCL written out, mapped to the JSON file: each offset takes the
    position of the last anchor at or before it (plus the distance, on the same line)."""

    def __init__(self, text: str, anchors: list[tuple[int, Span]]) -> None:
        super().__init__(text)
        self._text = text
        self._offsets = [offset for offset, _ in anchors]
        self._spans = [span for _, span in anchors]

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._offsets, offset) - 1
        if index < 0:
            return 1, 0
        start, span = self._offsets[index], self._spans[index]
        if "\n" in self._text[start:offset]:
            return span.line, span.column
        return span.line, span.column + offset - start

    def line_of(self, written_line: int) -> int:
        """The JSON line of a line of the HCL written out."""
        offset = 0
        for _ in range(written_line - 1):
            offset = self._text.find("\n", offset) + 1
            if offset == 0:
                break
        return self.position(offset)[0]


class _Writer:
    """Writes a `.tf.json` document out as HCL text, anchoring each value to its position."""

    def __init__(self, document: Decoded) -> None:
        self.document = document
        self.parts: list[str] = []
        self.anchors: list[tuple[int, Span]] = []
        self.length = 0

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def anchor(self, path: Path, *, key: bool = False) -> None:
        span = self.document.key_span_of(path) if key else self.document.span_of(path)
        if self.anchors and self.anchors[-1][0] == self.length:
            self.anchors[-1] = (self.length, span)
        else:
            self.anchors.append((self.length, span))

    # --- blocks --------------------------------------------------------------------------------

    def file(self) -> None:
        value = self.document.value
        for kind in ("resource", "data"):
            for type_name, type_path, blocks in _entries(value.get(kind), (kind,)):
                for name, name_path, bodies in _entries(blocks, type_path):
                    for path, body in _bodies(bodies, name_path):
                        self.block([kind, type_name, name], path, body, type_name)
        for kind in ("module", "output"):
            for name, name_path, bodies in _entries(value.get(kind), (kind,)):
                for path, body in _bodies(bodies, name_path):
                    self.block([kind, name], path, body, kind)
        for name, path, body in _entries(value.get("variable"), ("variable",)):
            self.variable(name, path, body)
        for path, body in _bodies(value.get("locals"), ("locals",)):
            self.block(["locals"], path, body, "locals")
        for path, body in _bodies(value.get("moved"), ("moved",)):
            self.block(["moved"], path, body, "moved")

    def block(self, labels: list[str], path: Path, body: Any, schema: str) -> None:
        self.anchor(path)
        head = labels[0] + "".join(f" {_quoted(label)}" for label in labels[1:])
        self.emit(head + " {\n")
        if isinstance(body, dict):
            for key, value in body.items():
                if key != _COMMENT:
                    self.member(key, (*path, key), value, schema)
        self.emit("}\n")

    def member(self, key: str, path: Path, value: Any, schema: str) -> None:
        if key == "dynamic":
            for label, label_path, inner in _entries(value, path):
                for body_path, body in _bodies(inner, label_path):
                    self.dynamic(label, body_path, body)
        elif key in _BLOCKS.get(schema, frozenset()) or key in _ANY_BLOCK:
            for body_path, body in _bodies(value, path):
                self.block([key], body_path, body, key)
        elif schema == "moved":
            self.anchor(path, key=True)
            self.emit(f"{key} = {value if isinstance(value, str) else 'null'}\n")
        else:
            self.anchor(path, key=True)
            self.emit(f"{key} = ")
            self.expression(value, path)
            self.emit("\n")

    def dynamic(self, label: str, path: Path, body: Any) -> None:
        self.anchor(path)
        self.emit(f"dynamic {_quoted(label)} {{\n")
        if isinstance(body, dict):
            for key, value in body.items():
                if key == "content":
                    for content_path, content in _bodies(value, (*path, key)):
                        self.block(["content"], content_path, content, label)
                elif key != _COMMENT:
                    self.member(key, (*path, key), value, "dynamic")
        self.emit("}\n")

    def variable(self, name: str, path: Path, body: Any) -> None:
        """A variable: its `type` is a type expression, its `default` a literal value (not a
        template: Terraform does not evaluate it)."""
        self.anchor(path)
        self.emit(f"variable {_quoted(name)} {{\n")
        if isinstance(body, dict):
            for key, value in body.items():
                self.anchor((*path, key), key=True)
                if key == "type" and isinstance(value, str):
                    self.emit(f"type = {value}\n")
                elif key in ("default", "description", "nullable", "sensitive"):
                    self.emit(f"{key} = ")
                    self.expression(value, (*path, key), literal=True)
                    self.emit("\n")
        self.emit("}\n")

    # --- expressions ---------------------------------------------------------------------------

    def expression(self, value: Any, path: Path, *, literal: bool = False) -> None:
        self.anchor(path)
        if isinstance(value, str):
            self.emit(_literal(value) if literal else self.template(value, path))
        elif isinstance(value, bool):
            self.emit("true" if value else "false")
        elif value is None:
            self.emit("null")
        elif isinstance(value, (int, float)):
            self.emit(json.dumps(value))
        elif isinstance(value, list):
            self.emit("[")
            for i, item in enumerate(value):
                self.emit(", " if i else "")
                self.expression(item, (*path, i), literal=literal)
            self.emit("]")
        elif isinstance(value, dict):
            self.emit("{\n")
            for key, item in value.items():  # (`//` is a comment in blocks, not here)
                self.anchor((*path, key), key=True)
                self.emit(_literal(key) if literal else self.template(key, path, quoted=True))
                self.emit(" = ")
                self.expression(item, (*path, key), literal=literal)
                self.emit("\n")
            self.emit("}")

    def template(self, text: str, path: Path, *, quoted: bool = False) -> str:
        """A JSON string as the HCL expression it denotes: one whole `${EXPR}` is EXPR (unless
        `quoted`, for an object key); else a quoted template, literal text escaped and each
        interpolation's expression as written."""
        from policy_guard.sources.hcl_values import closing_brace

        pieces, i = ['"'], 0
        while i < len(text):
            if text.startswith(("$${", "%%{"), i):
                pieces.append(text[i : i + 3])
                i += 3
            elif text.startswith(("${", "%{"), i):
                end = closing_brace(text, i + 2)
                if end < 0:
                    line = self.document.span_of(path).line
                    raise InputError(
                        f"a template `{text[i : i + 2]}` is not closed",
                        filename=self.document.filename,
                        line=line,
                    )
                if i == 0 and end == len(text) - 1 and text[0] == "$" and not quoted:
                    return text[2:end]
                pieces.append(text[i : end + 1])
                i = end + 1
            else:
                pieces.append(_ESCAPES.get(text[i], text[i]))
                i += 1
        return "".join(pieces) + '"'


def _literal(text: str) -> str:
    """A string as an HCL literal: escaped, with `${` and `%{` taken as text."""
    escaped = "".join(_ESCAPES.get(char, char) for char in text)
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def _quoted(label: str) -> str:
    return '"' + "".join(_ESCAPES.get(char, char) for char in label) + '"'


def _entries(value: Any, path: Path) -> list[tuple[str, Path, Any]]:
    """A JSON block's labelled entries (an object, or a list of objects as Terraform also
    accepts), with their paths."""
    if isinstance(value, dict):
        return [(k, (*path, k), v) for k, v in value.items() if k != _COMMENT]
    if isinstance(value, list):
        return [
            (k, (*path, i, k), v)
            for i, entry in enumerate(value)
            if isinstance(entry, dict)
            for k, v in entry.items()
            if k != _COMMENT
        ]
    return []


def _bodies(value: Any, path: Path) -> list[tuple[Path, Any]]:
    """A block's bodies: one object, or a list of them (several blocks of one type)."""
    if isinstance(value, list):
        return [((*path, i), body) for i, body in enumerate(value) if isinstance(body, dict)]
    return [(path, value)] if isinstance(value, dict) else []
