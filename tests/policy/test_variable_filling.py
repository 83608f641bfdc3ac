"""One template filler for policy variables, used by the evaluator and by the engine."""

from __future__ import annotations

import json

import pytest

from policy_guard.document.read import decode_text
from policy_guard.encode.templates import Template, compile_value
from policy_guard.policy.globs import Kind, compile_chunks, compile_pattern
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.policy.variables import Variable, compile_fixed, fill, split_variables
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request

TEXT = "arn:aws:s3:::b/${aws:username}/${aws:PrincipalTag/team, 'none'}/${*}*"


def test_fill_keeps_wildcards_of_the_text_only() -> None:
    values = {"aws:username": "a*b", "aws:principaltag/team": None}
    chunks = fill(split_variables(TEXT), lambda v: values.get(v.key_lower, v.default))
    assert chunks is None  # team is present without one value: no default, no value
    values = {"aws:username": "a*b"}
    chunks = fill(split_variables(TEXT), lambda v: values.get(v.key_lower, v.default))
    assert chunks == (
        ("arn:aws:s3:::b/", True),
        ("a*b", False),
        ("/", True),
        ("none", False),
        ("/", True),
        ("*", False),
        ("*", True),
    )
    glob = compile_chunks(chunks, Kind.RESOURCE)
    assert glob.matches("arn:aws:s3:::b/a*b/none/*anything")
    assert not glob.matches("arn:aws:s3:::b/aXb/none/*")
    assert not glob.matches("arn:aws:s3:::b/a*b/none/x")


def test_fill_asks_each_variable() -> None:
    asked: list[Variable] = []

    def value_of(variable: Variable) -> str:
        asked.append(variable)
        return "v"

    assert fill(split_variables("${a}-${b, 'x'}"), value_of) == (
        ("v", False),
        ("-", True),
        ("v", False),
    )
    assert asked == [Variable("a"), Variable("b", "x")]


@pytest.mark.parametrize(
    ("text", "variables", "literal"),
    [
        ("vpce-1", True, "vpce-1"),
        ("vpce-${*}", True, "vpce-*"),  # an escape is a literal `*`
        ("vpce-${*}", False, None),  # read as written under 2008-10-17: `$`, `{`, a wildcard...
        ("vpce-*", True, None),
        ("vpce-${aws:username}", False, "vpce-${aws:username}"),
    ],
)
def test_compile_fixed(text: str, variables: bool, literal: str | None) -> None:
    glob = compile_fixed(text, Kind.STRING_LIKE, variables)
    assert glob is not None
    assert (glob.literal_text if glob.is_literal else None) == literal
    if not variables:
        assert glob == compile_pattern(text, Kind.STRING_LIKE)


def test_a_variable_is_not_fixed() -> None:
    assert compile_fixed("vpce-${aws:username}", Kind.STRING_LIKE, True) is None
    assert isinstance(compile_value("vpce-${aws:username}", Kind.STRING_LIKE, True), Template)


RESOURCES = [
    "arn:aws:s3:::b/bob/none/*",
    "arn:aws:s3:::b/bob/red/*x",
    "arn:aws:s3:::b/a/none/*",
    "arn:aws:s3:::b/bob/none/x",
]


def _policy() -> Policy:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": TEXT}],
    }
    return load_policy(decode_text(json.dumps(document), "p.json"))


@pytest.mark.parametrize(
    "context",
    [
        {"aws:username": ("bob",)},
        {"aws:username": ("bob",), "aws:PrincipalTag/team": ("red",)},
        {"aws:username": ("a", "b")},
        {},
    ],
)
def test_evaluator_and_engine_fill_alike(context: dict[str, tuple[str, ...]]) -> None:
    """The evaluator reads a request's values, the engine a mapping of chosen values; both
    fill the same template the same way (one value: it; absent: the default; else none)."""
    values = {k.lower(): (v[0] if len(v) == 1 else None) for k, v in context.items()}
    template = compile_value(TEXT, Kind.RESOURCE, True)
    assert isinstance(template, Template)
    glob = template.instantiate(values)
    for resource in RESOURCES:
        request = Request("s3:GetObject", resource, None, context)
        engine = glob is not None and glob.matches(resource)
        assert evaluate(_policy(), request).allowed is engine
