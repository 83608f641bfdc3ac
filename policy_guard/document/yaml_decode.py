"""YAML text -> plain Python values with positions, through PyYAML's *safe* composer.

Nothing in a file is ever executed: only the composer runs (no Python tags), and scalars are
built with SafeLoader's constructors. CloudFormation's short-form tags (`!Ref x`, `!Sub ...`)
are read as their long form (`{"Ref": "x"}`), dates are kept as written, duplicate keys are
recorded. Imported only when a YAML file is read (`decode.decode_yaml`).
"""

from __future__ import annotations

from typing import Any

import yaml

from policy_guard.document.values import MAX_ALIAS_NODES, MAX_DEPTH, Decoded, Path, Span
from policy_guard.errors import InputError


class _SafeTaggedLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short-form tags (`!Ref x`) as their long form,
    and refuses nesting deeper than `MAX_DEPTH` while composing (PyYAML's composer recurses once
    per level: a few thousand `[` would otherwise exhaust the stack, slowly)."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    problem=f"the document nests more than {MAX_DEPTH} levels deep",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _yaml_span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column, end.line + 1, end.column)


def _short_tag_name(tag: str) -> str:
    name = tag[1:]
    return name if name in ("Ref", "Condition") else f"Fn::{name}"


class _YamlConverter:
    def __init__(self, loader: _SafeTaggedLoader, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.spans: dict[Path, Span] = {}
        self.key_spans: dict[Path, Span] = {}
        self.duplicates: list[Path] = []
        self.seen: set[int] = set()  # nodes converted once: meeting one again is an alias
        self.alias_nodes = 0

    def convert(self, node: yaml.Node, path: Path) -> Any:
        if len(path) > MAX_DEPTH:
            raise InputError(
                f"invalid YAML: the document nests more than {MAX_DEPTH} levels deep",
                filename=self.filename,
                line=node.start_mark.line + 1,
            )
        if id(node) in self.seen:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise InputError(
                    f"invalid YAML: aliases expand to more than {MAX_ALIAS_NODES:,} values "
                    "(a YAML bomb?)",
                    filename=self.filename,
                    line=node.start_mark.line + 1,
                )
        else:
            self.seen.add(id(node))
        self.spans[path] = _yaml_span(node)
        tag = node.tag or ""
        if tag.startswith("!") and not tag.startswith("!!"):
            name = _short_tag_name(tag)
            inner: Any
            if isinstance(node, yaml.ScalarNode):
                inner = str(node.value)
                if name == "Fn::GetAtt" and "." in inner:
                    inner = inner.split(".", 1)
            else:
                inner = self.convert_plain(node, (*path, name))
            return {name: inner}
        return self.convert_plain(node, path)

    def convert_plain(self, node: yaml.Node, path: Path) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    line = key_node.start_mark.line + 1
                    raise InputError(
                        "invalid YAML: a mapping key must be a scalar",
                        filename=self.filename,
                        line=line,
                    )
                key = str(key) if not isinstance(key, str) else key
                member: Path = (*path, key)
                if key in result:
                    self.duplicates.append(member)
                self.key_spans[member] = _yaml_span(key_node)
                result[key] = self.convert(value_node, member)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if value is not None and not isinstance(value, (str, int, float, bool)):
            return str(node.value)  # dates, `!!binary`: kept as written; IAM compares text
        return value


def decode_yaml(text: str, filename: str) -> Decoded:
    """Decode one YAML document safely; raise InputError naming the file and line."""
    loader: _SafeTaggedLoader
    try:
        loader = _SafeTaggedLoader(text)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow (checked first)
        raise InputError(
            f"invalid YAML: the character U+{error.character:04X} is not allowed in YAML",
            filename=filename,
            line=text.count("\n", 0, error.position) + 1,
            column=error.position - text.rfind("\n", 0, error.position),
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError("the file is empty", filename=filename, line=1)
        converter = _YamlConverter(loader, filename)
        value = converter.convert(node, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = error.problem or error.context or "syntax error"
        raise InputError(
            f"invalid YAML: {problem}", filename=filename, line=line, column=column
        ) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", filename=filename) from None

    finally:
        loader.dispose()
    return Decoded(
        value, filename, converter.spans, converter.key_spans, tuple(converter.duplicates)
    )
