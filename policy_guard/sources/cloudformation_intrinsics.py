"""CloudFormation's intrinsic functions, evaluated as far as a template alone fixes them.

What the template fixes (literals, `Fn::Join` of literals, `Fn::FindInMap` with literal keys,
`Fn::Sub` of those) becomes text; what it leaves open (a parameter's value, another resource's
name or ARN, a pseudo parameter, an imported value) becomes an `Unknown` written as
`${unknown/LABEL}` (see `sources.template_unknowns`). `Fn::If` is not decided: evaluation stops with
`NeedChoice`, and the caller evaluates both branches (`branches`), each under the condition's
own Boolean. What cannot be evaluated at all (`Fn::Base64`, a `Fn::Transform`, a condition
function in a property) raises `CannotEvaluate` with the path, so the policy is undecided.
The values keep the template's positions: `Evaluated.spans` maps each output path to the span
of the template element it came from.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policy_guard.document.values import Decoded, Path, Span
from policy_guard.sources.base import Unknown, has_unknown, label_of

PSEUDO_SHAPES = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": None,
    "AWS::StackId": None,
    "AWS::NotificationARNs": None,
}
NO_VALUE = "AWS::NoValue"
# A sample ARN of the right form for principals that are another resource's ARN.
_ARN_SHAPES = {
    "AWS::IAM::Role": "arn:aws:iam::123456789012:role/{name}",
    "AWS::IAM::User": "arn:aws:iam::123456789012:user/{name}",
}
_SUB = re.compile(r"\$\{([^}]*)\}")
# Parameter types whose values are identifiers (no `*` or `?` possible).
_IDENTIFIER_TYPES = re.compile(
    r"^(Number|List<Number>|AWS::EC2::.*|AWS::Route53::.*|AWS::SSM::Parameter::Name)$"
)


class NeedChoice(Exception):
    """Evaluation met `Fn::If` on a condition that has no value yet."""

    def __init__(self, condition: str) -> None:
        super().__init__(condition)
        self.condition = condition


class CannotEvaluate(Exception):
    """An intrinsic that no reading of the template can evaluate."""

    def __init__(self, reason: str, path: Path) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


class _Removed:
    """`Ref: AWS::NoValue`: the element is left out."""


REMOVED = _Removed()


@dataclass(frozen=True)
class UnknownList:
    """A list whose elements are not known (a list parameter, `Fn::GetAZs`, a split unknown)."""

    unknown: Unknown


@dataclass
class Evaluated:
    """An evaluated value with the template positions of its parts."""

    value: Any
    spans: dict[Path, Span] = field(default_factory=dict)
    key_spans: dict[Path, Span] = field(default_factory=dict)

    def decoded(self, filename: str) -> Decoded:
        return Decoded(self.value, filename, self.spans, self.key_spans)


class Evaluator:
    """Evaluates values of one template (see the module docstring)."""

    def __init__(self, template: Decoded) -> None:
        self.template = template
        value = template.value
        self.parameters = _mapping(value.get("Parameters"))
        self.resources = _mapping(value.get("Resources"))
        self.mappings = _mapping(value.get("Mappings"))
        self.conditions = _mapping(value.get("Conditions"))
        self.unknowns: dict[str, Unknown] = {}

    # --- unknowns ----------------------------------------------------------------------------

    def unknown(
        self, name: str, fingerprint: str, may_be_pattern: bool, shape: str | None = None
    ) -> str:
        found = Unknown(name, fingerprint, may_be_pattern, shape)
        self.unknowns[found.label] = found
        return found.placeholder

    def unknown_list(self, name: str, fingerprint: str, may_be_pattern: bool) -> UnknownList:
        self.unknown(name, fingerprint, may_be_pattern)
        return UnknownList(self.unknowns[label_of(name)])

    def condition_unknown(self, name: str) -> Unknown:
        definition = self.conditions.get(name)
        referenced = sorted(set(_refs(definition)))
        fingerprint = _fingerprint(
            [definition, {r: self.parameters.get(r) for r in referenced if r in self.parameters}]
        )
        found = Unknown(f"Condition/{name}", fingerprint)
        self.unknowns[found.label] = found
        return found

    def resource_fingerprint(self, logical_id: str) -> str:
        """What a resource's name and ARN depend on: its type and its naming properties
        (CloudFormation replaces a resource, with a new name, when one of them changes)."""
        resource = self.resources.get(logical_id)
        properties = _mapping(resource.get("Properties")) if isinstance(resource, dict) else {}
        naming = {
            k: v for k, v in properties.items() if k.endswith("Name") or k in ("Path", "Name")
        }
        return _fingerprint(
            [logical_id, resource.get("Type") if isinstance(resource, dict) else None, naming]
        )

    def ref(self, name: Any, path: Path) -> Any:
        if not isinstance(name, str):
            raise CannotEvaluate("`Ref` needs the name of a parameter or resource", path)
        if name == NO_VALUE:
            return REMOVED
        if name in PSEUDO_SHAPES:
            placeholder = self.unknown(name, name, False, PSEUDO_SHAPES[name])
            return (
                UnknownList(self.unknowns[label_of(name)])
                if name == "AWS::NotificationARNs"
                else placeholder
            )
        if name in self.parameters:
            definition = self.parameters[name]
            kind = str(definition.get("Type", "String")) if isinstance(definition, dict) else ""
            placeholder = self.unknown(
                name, _fingerprint(definition), _may_be_pattern(definition), None
            )
            if kind.startswith("List<") or kind == "CommaDelimitedList":
                return UnknownList(self.unknowns[label_of(name)])
            return placeholder
        if name in self.resources:
            return self.unknown(name, self.resource_fingerprint(name), False)
        raise CannotEvaluate(f"`Ref` to `{name}`, which the template does not define", path)

    def get_att(self, argument: Any, path: Path, choices: dict[str, bool]) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise CannotEvaluate("`Fn::GetAtt` needs [resource, attribute]", path)
        resource, attribute = argument
        attribute = self.text(attribute, (*path, 1), choices)
        if not isinstance(resource, str) or resource not in self.resources:
            raise CannotEvaluate(
                f"`Fn::GetAtt` of `{resource}`, which the template does not define", path
            )
        definition = self.resources[resource]
        kind = definition.get("Type") if isinstance(definition, dict) else None
        shape = None
        if attribute == "Arn" and isinstance(kind, str) and kind in _ARN_SHAPES:
            shape = _ARN_SHAPES[kind].format(name=resource.lower())
        fingerprint = self.resource_fingerprint(resource)
        return self.unknown(f"{resource}.{attribute}", fingerprint, False, shape)

    # --- evaluation --------------------------------------------------------------------------

    def text(self, value: Any, path: Path, choices: dict[str, bool]) -> str:
        result = self.evaluate(value, path, choices).value
        if isinstance(result, bool):
            return "true" if result else "false"
        if isinstance(result, (int, float)):
            return str(result)
        if isinstance(result, UnknownList):
            return result.unknown.placeholder
        if not isinstance(result, str):
            raise CannotEvaluate("a string was expected here", path)
        return result

    def evaluate(
        self, value: Any, path: Path, choices: dict[str, bool], final: bool = True
    ) -> Evaluated:
        """`value` (at template path `path`) with its intrinsics evaluated. In a `final`
        value an unknown list (a list parameter) is a list of one unknown element."""
        out = Evaluated(None)

        def walk(item: Any, source: Path, target: Path) -> Any:
            out.spans[target] = self.template.span_of(source)
            if isinstance(item, dict) and len(item) == 1:
                ((name, argument),) = item.items()
                if name == "Ref" or name.startswith("Fn::"):
                    return self.intrinsic(name, argument, (*source, name), choices, walk, target)
            if isinstance(item, dict):
                mapping: dict[str, Any] = {}
                for key, member in item.items():
                    member_target: Path = (*target, key)
                    key_span = self.template.key_spans.get((*source, key))
                    if key_span is not None:
                        out.key_spans[member_target] = key_span
                    evaluated = walk(member, (*source, key), (*target, key))
                    if evaluated is not REMOVED:
                        mapping[key] = evaluated
                return mapping
            if isinstance(item, list):
                items: list[Any] = []
                for index, member in enumerate(item):
                    evaluated = walk(member, (*source, index), (*target, len(items)))
                    if evaluated is not REMOVED:
                        items.append(evaluated)
                return items
            return item

        out.value = walk(value, path, ())
        if final:
            out.value = _lists_written(out.value)
        return out

    def intrinsic(
        self,
        name: str,
        argument: Any,
        path: Path,
        choices: dict[str, bool],
        walk: Callable[[Any, Path, Path], Any],
        target: Path,
    ) -> Any:
        if name == "Ref":
            return self.ref(argument, path)
        if name == "Fn::GetAtt":
            return self.get_att(argument, path, choices)
        if name == "Fn::If":
            if (
                not isinstance(argument, list)
                or len(argument) != 3
                or not isinstance(argument[0], str)
            ):
                raise CannotEvaluate(
                    "`Fn::If` needs [condition, value if true, value if false]", path
                )
            condition = argument[0]
            if condition not in self.conditions:
                raise CannotEvaluate(
                    f"`Fn::If` on `{condition}`, which the template does not define", path
                )
            if condition not in choices:
                raise NeedChoice(condition)
            branch = 1 if choices[condition] else 2
            return walk(argument[branch], (*path, branch), target)
        if name == "Fn::Sub":
            return self.sub(argument, path, choices)
        if name == "Fn::Join":
            if not isinstance(argument, list) or len(argument) != 2:
                raise CannotEvaluate("`Fn::Join` needs [delimiter, list]", path)
            delimiter = self.text(argument[0], (*path, 0), choices)
            items = self.evaluate(argument[1], (*path, 1), choices, final=False).value
            if isinstance(items, UnknownList):
                return items.unknown.placeholder
            if not isinstance(items, list):
                raise CannotEvaluate("`Fn::Join` needs a list to join", path)
            return delimiter.join(self._joinable(i, path) for i in items)
        if name == "Fn::Select":
            if not isinstance(argument, list) or len(argument) != 2:
                raise CannotEvaluate("`Fn::Select` needs [index, list]", path)
            index = self.text(argument[0], (*path, 0), choices)
            items = self.evaluate(argument[1], (*path, 1), choices, final=False).value
            if isinstance(items, UnknownList):
                inner = items.unknown
                return self.unknown(
                    f"{inner.name}[{index}]", inner.fingerprint, inner.may_be_pattern
                )
            if not isinstance(items, list) or not index.isdigit() or int(index) >= len(items):
                raise CannotEvaluate("`Fn::Select` index out of the list", path)
            return items[int(index)]
        if name == "Fn::Split":
            if not isinstance(argument, list) or len(argument) != 2:
                raise CannotEvaluate("`Fn::Split` needs [delimiter, string]", path)
            delimiter = self.text(argument[0], (*path, 0), choices)
            text = self.text(argument[1], (*path, 1), choices)
            if has_unknown(text):
                return self.unknown_list(f"Split({_plain(text)})", text, True)
            return text.split(delimiter)
        if name == "Fn::FindInMap":
            return self.find_in_map(argument, path, choices)
        if name == "Fn::ImportValue":
            exported = self.text(argument, path, choices)
            return self.unknown(f"ImportValue({_plain(exported)})", exported, True)
        if name == "Fn::GetAZs":
            region = self.text(argument, path, choices) if argument != "" else ""
            return self.unknown_list(f"GetAZs({_plain(region)})", region, False)
        if name == "Fn::ToJsonString":
            inner = self.evaluate(argument, path, choices).value
            return json.dumps(inner, separators=(",", ":"))
        raise CannotEvaluate(f"`{name}` cannot be evaluated before deployment", path)

    def _joinable(self, item: Any, path: Path) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return str(item)
        if isinstance(item, UnknownList):
            return item.unknown.placeholder
        raise CannotEvaluate("`Fn::Join` of something that is not a string", path)

    def sub(self, argument: Any, path: Path, choices: dict[str, bool]) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            template, names = argument
            for key, expression in names.items():
                variables[key] = self.text(expression, (*path, 1, key), choices)
            template_path: Path = (*path, 0)
        else:
            template, template_path = argument, path
        if not isinstance(template, str):
            raise CannotEvaluate("`Fn::Sub` needs a string", template_path)

        def replace(match: re.Match[str]) -> str:
            body = match.group(1)
            if body.startswith("!"):
                return "${" + body[1:] + "}"
            body = body.strip()
            if body in variables:
                return str(variables[body])
            if "." in body and body.split(".", 1)[0] in self.resources:
                return str(self.get_att(body, template_path, choices))
            value = self.ref(body, template_path)
            if isinstance(value, UnknownList):
                return value.unknown.placeholder
            if not isinstance(value, str):
                raise CannotEvaluate(f"`${{{body}}}` is not a string", template_path)
            return value

        return _SUB.sub(replace, template)

    def find_in_map(self, argument: Any, path: Path, choices: dict[str, bool]) -> Any:
        if not isinstance(argument, list) or len(argument) < 3:
            raise CannotEvaluate("`Fn::FindInMap` needs [map, key, key]", path)
        names = [self.text(a, (*path, i), choices) for i, a in enumerate(argument[:3])]
        if has_unknown(names[0]):
            raise CannotEvaluate("`Fn::FindInMap` of a map the template does not name", path)
        mapping = self.mappings.get(names[0])
        if not isinstance(mapping, dict):
            raise CannotEvaluate(f"`Fn::FindInMap` of `{names[0]}`, which is not in Mappings", path)
        if any(has_unknown(n) for n in names[1:]):
            values = [v for top in mapping.values() if isinstance(top, dict) for v in top.values()]
            pattern = any(isinstance(v, str) and ("*" in v or "?" in v) for v in values)
            label = ".".join(_plain(n) for n in names)
            return self.unknown(f"FindInMap({label})", _fingerprint([mapping, names]), pattern)
        top = mapping.get(names[1])
        if not isinstance(top, dict) or names[2] not in top:
            raise CannotEvaluate(f"`{names[1]}.{names[2]}` is not in the map `{names[0]}`", path)
        return top[names[2]]


def branches(
    evaluate: Callable[[dict[str, bool]], Evaluated], choices: dict[str, bool] | None = None
) -> list[tuple[Evaluated, dict[str, bool]]]:
    """Every evaluation over the `Fn::If` conditions it meets: (result, the choices made)."""
    pending = [dict(choices or {})]
    done: list[tuple[Evaluated, dict[str, bool]]] = []
    while pending:
        current = pending.pop(0)
        try:
            done.append((evaluate(current), current))
        except NeedChoice as need:
            if len(pending) + len(done) > 64:
                raise CannotEvaluate(
                    "more than 64 combinations of `Fn::If` conditions", ()
                ) from None
            pending.append({**current, need.condition: True})
            pending.append({**current, need.condition: False})
    return done


def _lists_written(value: Any) -> Any:
    if isinstance(value, UnknownList):
        return [value.unknown.placeholder]
    if isinstance(value, dict):
        return {k: _lists_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lists_written(v) for v in value]
    return value


def _plain(text: str) -> str:
    """`text` with each unknown written as its label (for the name of a derived unknown)."""
    return re.sub(r"\$\{unknown/([^}]*)\}", r"\1", text)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["Ref"]] if isinstance(value.get("Ref"), str) else []
        return found + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def _may_be_pattern(definition: Any) -> bool:
    """May a deployer give this parameter a value with `*` or `?` in it?"""
    if not isinstance(definition, dict):
        return True
    kind = str(definition.get("Type", "String"))
    if _IDENTIFIER_TYPES.match(kind):
        return False
    allowed = definition.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        return any("*" in str(v) or "?" in str(v) for v in allowed)
    pattern = definition.get("AllowedPattern")
    if isinstance(pattern, str):
        return _pattern_admits_wildcard(pattern)
    return True


def _pattern_admits_wildcard(pattern: str) -> bool:
    """Can a string the regular expression matches (all of it) hold `*` or `?`? Decided on
    the parsed expression: only literals, ranges and word/digit/space classes are known not
    to; anything else (`.`, a negated class, an unparsable pattern) may."""
    parser: Any
    if sys.version_info >= (3, 11):
        import re._parser as parser  # type: ignore[import-not-found,unused-ignore]
    else:  # pragma: no cover
        import sre_parse as parser
    try:
        parsed = parser.parse(pattern)
    except re.error:
        return True
    safe_categories = {"CATEGORY_DIGIT", "CATEGORY_WORD", "CATEGORY_SPACE"}

    def admits(items: Any) -> bool:
        for op, argument in items:
            name = str(op)
            if name == "LITERAL":
                if argument in (ord("*"), ord("?")):
                    return True
            elif name in ("ANY", "NOT_LITERAL"):
                return True
            elif name == "IN":
                for sub_op, sub_argument in argument:
                    sub = str(sub_op)
                    if sub == "NEGATE":
                        return True
                    if sub == "LITERAL" and sub_argument in (ord("*"), ord("?")):
                        return True
                    if sub == "RANGE" and (
                        sub_argument[0] <= ord("*") <= sub_argument[1]
                        or sub_argument[0] <= ord("?") <= sub_argument[1]
                    ):
                        return True
                    if sub == "CATEGORY" and str(sub_argument) not in safe_categories:
                        return True
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                if admits(argument[2]):
                    return True
            elif name == "SUBPATTERN":
                if admits(argument[-1]):
                    return True
            elif name == "BRANCH":
                if any(admits(branch) for branch in argument[1]):
                    return True
            elif name in ("AT", "ASSERT", "ASSERT_NOT"):
                continue
            elif name == "CATEGORY":
                if str(argument) not in safe_categories:
                    return True
            else:
                return True
        return False

    return admits(parsed)
