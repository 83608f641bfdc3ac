"""HCL expressions (python-hcl2's parse tree) -> plain values with positions.

python-hcl2's dictionaries keep `jsonencode(...)` and every interpolation as `${...}` text and
give positions per block only, so this module reads its *parse tree* instead, where every token
has an offset: a policy's element is found at its own line. What a file fixes becomes a value
(strings, numbers, lists, objects; `jsonencode(x)` is `x`); what it does not (`var.bucket`,
`aws_s3_bucket.b.arn`, a conditional, a `for` expression) becomes an unknown marker
(`terraform_unknowns.marker`) listed with its shape. `$${aws:username}` is IAM's own variable,
literal text.
Template directives (`%{if}`) cannot be read: `Unreadable`, with the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from policy_guard.document.values import Path
from policy_guard.sources.terraform_unknowns import MARK, Shape, marker

_ESCAPES = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_DIRECTIVES = frozenset(
    {
        "template_if_start",
        "template_else",
        "template_endif",
        "template_for_start",
        "template_endfor",
    }
)
_UNSAFE_NAME = re.compile(r"[{}\s,']+")
# References whose value is one literal string of a known form.
_SHAPED = (
    (re.compile(r"data\.aws_caller_identity\.[\w-]+\.account_id"), Shape.ACCOUNT),
    (re.compile(r"data\.aws_partition\.[\w-]+\.partition"), Shape.PARTITION),
    (re.compile(r"data\.aws_region\.[\w-]+\.(name|region|id)"), Shape.REGION),
)
_DOCUMENT_REFERENCE = re.compile(r"data\.aws_iam_policy_document\.([\w-]+)\.(json|minified_json)")


class Unreadable(Exception):
    """A construct that cannot be read; `offset` says where."""

    def __init__(self, problem: str, offset: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.offset = offset


@dataclass(frozen=True)
class DocumentReference:
    """`data.aws_iam_policy_document.NAME.json`: the document of that data source."""

    name: str
    offset: int


@dataclass(frozen=True)
class Found:
    """An unknown met while evaluating: its name, shape and offset."""

    name: str
    shape: Shape
    offset: int


def children(node: Tree[Token]) -> list[Tree[Token] | Token]:
    """The node's children without comments and newlines."""
    return [
        c for c in node.children if not (isinstance(c, Tree) and c.data == "new_line_or_comment")
    ]


def subtrees(node: Tree[Token]) -> list[Tree[Token]]:
    return [c for c in children(node) if isinstance(c, Tree)]


def start_of(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    return int(getattr(node.meta, "start_pos", 0) or 0)


def end_of(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.end_pos or 0
    return int(getattr(node.meta, "end_pos", 0) or 0)


def unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if body[0] in "uU" and len(body) > 1:
            return chr(int(body[1:], 16))
        return _SIMPLE_ESCAPES.get(body, "\\" + body)

    return _ESCAPES.sub(one, text) if "\\" in text else text


def unknown_name(expression: str) -> str:
    """An unknown's name as it appears in messages and variable keys: the expression's text
    with whitespace and the characters a `${...}` cannot hold squeezed out."""
    return _UNSAFE_NAME.sub("_", " ".join(expression.split())).strip("_") or "value"


def shape_of(name: str) -> Shape:
    for pattern, shape in _SHAPED:
        if pattern.fullmatch(name):
            return shape
    return Shape.TEXT


class Evaluator:
    """Evaluates expressions of one file's text; records positions into `offsets` (by path,
    the caller's current policy) and the unknowns met into `found`."""

    def __init__(self, text: str, *, ampersand_variables: bool = False) -> None:
        self.text = text
        self.offsets: dict[Path, tuple[int, int]] = {}
        self.found: list[Found] = []
        self.ampersand_variables = ampersand_variables  # aws_iam_policy_document's `&{...}`

    def source(self, node: Tree[Token] | Token) -> str:
        return self.text[start_of(node) : end_of(node)]

    def unknown(self, node: Tree[Token] | Token, shape: Shape | None = None) -> str:
        name = unknown_name(self.source(node))
        found_shape = shape or shape_of(name)
        self.found.append(Found(name, found_shape, start_of(node)))
        return marker(name)

    def evaluate(self, node: Tree[Token] | Token, path: Path) -> Any:
        """The value of an expression node (a marker string where it is not known)."""
        self.offsets[path] = (start_of(node), end_of(node))
        if isinstance(node, Token):
            return self.token(node)
        kind = node.data
        parts = children(node)
        if kind == "expr_term":
            if len(parts) == 3 and isinstance(parts[0], Token) and parts[0].type == "LPAR":
                return self.evaluate(parts[1], path)
            return self.evaluate(parts[0], path)
        if kind == "string":
            return self.string(node)
        if kind in ("int_lit", "float_lit", "literal_value", "identifier"):
            token = parts[0]
            assert isinstance(token, Token)
            if kind == "identifier":
                return self.unknown(node)
            return self.token(token)
        if kind == "tuple":
            items = [p for p in parts if isinstance(p, Tree)]
            return [self.evaluate(item, (*path, i)) for i, item in enumerate(items)]
        if kind == "object":
            return self.object(node, path)
        if kind in ("heredoc_template", "heredoc_template_trim"):
            token = parts[0]
            assert isinstance(token, Token)
            return self.heredoc(token, trim=kind == "heredoc_template_trim")
        if kind == "function_call":
            return self.function_call(node, path)
        if kind == "get_attr_expr_term":
            reference = _DOCUMENT_REFERENCE.fullmatch(unknown_name(self.source(node)))
            if reference is not None:
                return DocumentReference(reference.group(1), start_of(node))
        if kind in ("for_tuple_expr", "for_object_expr"):
            return self.unknown(node, Shape.STRUCTURE)
        return self.unknown(node)  # references, conditionals, operators, splats, ...

    def token(self, token: Token) -> Any:
        if token.type == "INT_LITERAL":
            return int(token)
        if token.type == "FLOAT_LITERAL":
            return float(token)
        return {"TRUE": True, "FALSE": False, "NULL": None}.get(token.type, str(token))

    def string(self, node: Tree[Token]) -> str:
        pieces: list[str] = []
        for part in children(node):
            if isinstance(part, Token):
                continue  # the quotes
            inner = part.children[0]
            if isinstance(inner, Token):
                if inner.type == "ESCAPED_INTERPOLATION" or inner.type == "ESCAPED_DIRECTIVE":
                    pieces.append(str(inner)[1:])
                else:
                    pieces.append(self.literal(unescape(str(inner))))
            elif inner.data == "interpolation":
                pieces.append(self.interpolation(inner))
            elif inner.data in _DIRECTIVES:
                raise Unreadable(
                    "a template directive (`%{...}`) in a string cannot be read", start_of(inner)
                )
            else:
                pieces.append(self.unknown(inner))
        return "".join(pieces)

    def literal(self, text: str) -> str:
        if self.ampersand_variables and "&{" in text:
            return text.replace("&{", "${")
        return text

    def interpolation(self, node: Tree[Token]) -> str:
        expression = subtrees(node)[0]
        value = self.evaluate(expression, ("<interpolation>",))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            return value
        return self.unknown(expression)

    def object(self, node: Tree[Token], path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for element in subtrees(node):
            key_node, value_node = subtrees(element)
            key_expression = subtrees(key_node)[0] if subtrees(key_node) else key_node
            key = self.object_key(key_expression)
            member: Path = (*path, key)
            result[key] = self.evaluate(value_node, member)
        return result

    def object_key(self, node: Tree[Token]) -> str:
        """An object's key: a bare name, or a string; an expression key cannot be read."""
        parts = children(node)
        if node.data == "expr_term" and len(parts) == 1 and isinstance(parts[0], Tree):
            inner = parts[0]
            if inner.data == "identifier":
                return str(inner.children[0])
            if inner.data == "string":
                text = self.string(inner)
                if MARK not in text:
                    return text
        if node.data == "keyword":
            return str(node.children[0])
        raise Unreadable(
            f"an object key that is an expression (`{self.source(node)}`) cannot be read",
            start_of(node),
        )

    def function_call(self, node: Tree[Token], path: Path) -> Any:
        parts = subtrees(node)
        name = str(parts[0].children[0])
        arguments = subtrees(parts[-1]) if len(parts) > 1 and parts[-1].data == "arguments" else []
        if name == "jsonencode" and len(arguments) == 1:
            return self.evaluate(arguments[0], path)
        return self.unknown(node)

    def heredoc(self, token: Token, *, trim: bool) -> str:
        """A heredoc's text with `${...}` as markers and `$${` as `${`; a directive is
        Unreadable."""
        raw = str(token)
        first_newline = raw.index("\n")
        body = raw[first_newline + 1 :].rstrip("\r\n")
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""
        offset = (token.start_pos or 0) + first_newline + 1
        if trim:
            body = _trim_indent(body)
        return self.template_text(body, offset)

    def template_text(self, body: str, offset: int) -> str:
        pieces: list[str] = []
        i = 0
        while i < len(body):
            if body.startswith("$${", i) or body.startswith("%%{", i):
                pieces.append(body[i + 1 : i + 3])
                i += 3
            elif body.startswith("${", i):
                end = closing_brace(body, i + 2)
                if end < 0:
                    raise Unreadable("an interpolation `${` is not closed", offset + i)
                name = unknown_name(body[i + 2 : end])
                self.found.append(Found(name, shape_of(name), offset + i))
                pieces.append(marker(name))
                i = end + 1
            elif body.startswith("%{", i):
                raise Unreadable(
                    "a template directive (`%{...}`) in a heredoc cannot be read", offset + i
                )
            else:
                pieces.append(body[i])
                i += 1
        return "".join(pieces)


def closing_brace(text: str, start: int) -> int:
    depth = 1
    quoted = False
    for i in range(start, len(text)):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _trim_indent(body: str) -> str:
    lines = body.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)


def attributes(body: Tree[Token]) -> Iterator[tuple[str, Tree[Token], Tree[Token]]]:
    """(name, the attribute node, its expression) for each attribute of a block body."""
    for item in subtrees(body):
        if item.data == "attribute":
            parts = subtrees(item)
            yield str(parts[0].children[0]), item, parts[-1]


def blocks(body: Tree[Token]) -> Iterator[tuple[list[str], Tree[Token], Tree[Token]]]:
    """(type and labels, the block node, its body) for each block of a body."""
    for item in subtrees(body):
        if item.data == "block":
            parts = subtrees(item)
            labels = []
            for part in parts[:-1]:
                if part.data == "string":
                    labels.append("".join(str(t) for t in part.scan_values(_is_chars)))
                else:
                    labels.append(str(part.children[0]))
            yield labels, item, parts[-1]


def _is_chars(value: object) -> bool:
    return isinstance(value, Token) and value.type == "STRING_CHARS"
