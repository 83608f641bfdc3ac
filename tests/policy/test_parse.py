"""The parser: structural errors at exact positions, normalisation, and round trips."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.document.json_decode import decode_json
from policy_guard.document.read import decode_yaml
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError
from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import (
    Effect,
    Policy,
    PolicyType,
    PrincipalBlock,
    Statement,
    Value,
)
from policy_guard.policy.operators import ConditionOperator
from policy_guard.policy.parse import load_policy, parse_policy

BROKEN = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"},
    {"Action": "s3:GetObject", "Resource": "*"},
    {"Effect": "Maybe", "Action": [], "Resource": 5},
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Resources": "*"}
  ]
}
"""


def parse(document: Any, policy_type: PolicyType | None = None) -> Policy:
    parsed = parse_policy(decode_json(json.dumps(document), "p.json"), policy_type)
    assert parsed.findings == ()
    assert parsed.policy is not None
    return parsed.policy


def codes(
    document: Any, policy_type: PolicyType | None = None
) -> list[tuple[str, tuple[Any, ...]]]:
    parsed = parse_policy(decode_json(json.dumps(document), "p.json"), policy_type)
    return [(f.issue_code, f.path) for f in parsed.findings]


# --- structural errors at exact positions ---------------------------------------------------


def test_structural_errors_and_their_positions() -> None:
    document = decode_json(BROKEN, "broken.json")
    parsed = parse_policy(document)
    found = {
        (f.issue_code, f.path, document.span_of(f.path).line, document.span_of(f.path).column)
        for f in parsed.findings
    }
    assert found == {
        ("MUTUALLY_EXCLUSIVE_ELEMENTS", ("Statement", 0, "NotAction"), 4, 63),
        ("MISSING_EFFECT", ("Statement", 1), 5, 4),
        ("INVALID_EFFECT", ("Statement", 2, "Effect"), 6, 15),
        ("EMPTY_ELEMENT", ("Statement", 2, "Action"), 6, 34),
        ("INVALID_ELEMENT_TYPE", ("Statement", 2, "Resource"), 6, 50),
        ("UNKNOWN_ELEMENT", ("Statement", 3, "Resources"), 7, 80),
    }
    assert document.key_span_of(("Statement", 3, "Resources")).column == 67
    assert all(f.is_error for f in parsed.findings)
    assert parsed.policy is not None
    assert parsed.policy.statements == ()  # every statement has a structural error


def test_load_policy_refuses_the_first_error_with_file_and_line() -> None:
    with pytest.raises(InputError) as raised:
        load_policy(decode_json(BROKEN, "broken.json"))
    assert (raised.value.filename, raised.value.line) == ("broken.json", 4)
    assert str(raised.value).startswith("broken.json:4: ")


def test_duplicate_keys_point_at_the_second_key() -> None:
    text = (
        '{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Effect": "Deny",\n'
        ' "Action": "*", "Resource": "*"}}'
    )
    document = decode_json(text, "dup.json")
    parsed = parse_policy(document)
    assert [(f.issue_code, f.path) for f in parsed.findings] == [
        ("DUPLICATE_KEY", ("Statement", "Effect"))
    ]
    span = document.key_span_of(("Statement", "Effect"))
    assert (span.line, span.column) == (2, 34)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], [("INVALID_POLICY", ())]),
        ({"Version": "2012-10-17"}, [("MISSING_STATEMENT", ())]),
        ({"Statement": []}, [("MISSING_STATEMENT", ("Statement",))]),
        ({"Statement": ["x"]}, [("INVALID_STATEMENT", ("Statement", 0))]),
        (
            {"Version": 2012, "Statement": []},
            [("INVALID_ELEMENT_TYPE", ("Version",)), ("MISSING_STATEMENT", ("Statement",))],
        ),
        (
            {"Statement": [], "Extra": 1},
            [("UNKNOWN_ELEMENT", ("Extra",)), ("MISSING_STATEMENT", ("Statement",))],
        ),
    ],
)
def test_policy_level_errors(document: Any, expected: list[tuple[str, tuple[Any, ...]]]) -> None:
    assert codes(document) == expected


def allow(**elements: Any) -> dict[str, Any]:
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **elements}
    return {"Statement": [{k: v for k, v in body.items() if v is not None}]}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (allow(Action=None), [("MISSING_ACTION", ("Statement", 0))]),
        (allow(Resource=None), [("MISSING_RESOURCE", ("Statement", 0))]),
        (allow(Resource=["*", 7]), [("INVALID_ELEMENT_TYPE", ("Statement", 0, "Resource", 1))]),
        (allow(Sid=1), [("INVALID_ELEMENT_TYPE", ("Statement", 0, "Sid"))]),
        (allow(Principal="me"), [("INVALID_PRINCIPAL", ("Statement", 0, "Principal"))]),
        (allow(Principal={}), [("INVALID_PRINCIPAL", ("Statement", 0, "Principal"))]),
        (
            allow(Principal={"User": "x"}),
            [("INVALID_PRINCIPAL", ("Statement", 0, "Principal", "User"))],
        ),
        (
            allow(Principal="*", NotPrincipal="*"),
            [("MUTUALLY_EXCLUSIVE_ELEMENTS", ("Statement", 0, "NotPrincipal"))],
        ),
        (allow(Condition=[]), [("INVALID_CONDITION", ("Statement", 0, "Condition"))]),
        (
            allow(Condition={"StringEquals": "x"}),
            [("INVALID_CONDITION", ("Statement", 0, "Condition", "StringEquals"))],
        ),
        (
            allow(Condition={"StringEquals": {"aws:SourceVpc": [{"a": 1}]}}),
            [
                (
                    "INVALID_ELEMENT_TYPE",
                    ("Statement", 0, "Condition", "StringEquals", "aws:SourceVpc", 0),
                )
            ],
        ),
    ],
)
def test_statement_level_errors(document: Any, expected: list[tuple[str, tuple[Any, ...]]]) -> None:
    assert codes(document) == expected


def test_resource_is_optional_where_a_principal_says_who() -> None:
    assert codes(allow(Resource=None, Principal="*")) == []
    assert codes(allow(Resource=None), PolicyType.RESOURCE) == []
    assert codes(allow(Resource=None), PolicyType.IDENTITY) == [
        ("MISSING_RESOURCE", ("Statement", 0))
    ]


# --- what the model says ------------------------------------------------------------------


def test_a_single_statement_object_is_statement_zero() -> None:
    policy = parse(
        {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
    )
    [statement] = policy.statements
    assert (statement.index, statement.path, statement.effect) == (0, ("Statement",), Effect.DENY)
    assert statement.actions == (Value("*", ("Statement", "Action")),)


def test_policy_type_is_inferred_from_principals() -> None:
    assert parse(allow()).policy_type is PolicyType.IDENTITY
    assert parse(allow(Principal="*")).policy_type is PolicyType.RESOURCE
    assert parse(allow(), PolicyType.RESOURCE).policy_type is PolicyType.RESOURCE


def test_condition_scalars_are_read_as_iam_reads_them() -> None:
    policy = parse(
        allow(
            Condition={
                "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                "Bool": {"aws:SecureTransport": [True]},
            }
        )
    )
    values = [tuple(v.text for v in c.values) for c in policy.statements[0].conditions]
    assert values == [("3600",), ("true",)]


def test_star_principal_is_aws_star() -> None:
    star = parse(allow(Principal="*")).statements[0].principal
    aws_star = parse(allow(Principal={"AWS": "*"})).statements[0].principal
    assert star is not None and aws_star is not None
    assert [(e.kind, e.text, e.is_everyone) for e in star.entries] == [
        (PrincipalKind.AWS, "*", True)
    ]
    assert normal_principals(star) == normal_principals(aws_star)


@pytest.mark.parametrize(
    ("text", "operator", "set_operator", "if_exists"),
    [
        ("StringEquals", "StringEquals", None, False),
        ("stringequals", "StringEquals", None, False),
        ("ForAnyValue:StringLikeIfExists", "StringLike", "ForAnyValue", True),
        ("forallvalues:ArnLike", "ArnLike", "ForAllValues", False),
        ("Null", "Null", None, False),
        ("NullIfExists", None, None, False),
        ("Foo:StringEquals", None, None, False),
        ("StringEqualz", None, None, False),
    ],
)
def test_condition_operators(
    text: str, operator: str | None, set_operator: str | None, if_exists: bool
) -> None:
    parsed = ConditionOperator.parse(text)
    assert (parsed.spec.name if parsed.spec else None) == operator
    assert parsed.known is (operator is not None)
    if operator is not None:
        assert (parsed.set_operator, parsed.if_exists) == (set_operator, if_exists)


# --- normalisation and round trips (properties) -------------------------------------------


def normal_principals(block: PrincipalBlock | None) -> tuple[tuple[PrincipalKind, str], ...] | None:
    if block is None:
        return None
    return tuple((e.kind, e.normalized) for e in block.entries)


def normal_actions(values: tuple[Value, ...] | None) -> tuple[Glob, ...] | None:
    return None if values is None else tuple(compile_pattern(v.text, Kind.ACTION) for v in values)


def texts(values: tuple[Value, ...] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(v.text for v in values)


def normal_statement(s: Statement) -> tuple[Any, ...]:
    """A statement without positions, in the forms the model normalises to."""
    conditions = tuple(
        (
            c.operator.spec,
            c.operator.set_operator,
            c.operator.if_exists,
            c.key_lower,
            texts(c.values),
        )
        for c in s.conditions
    )
    return (
        s.index,
        s.sid,
        s.effect,
        normal_principals(s.principal),
        normal_principals(s.not_principal),
        normal_actions(s.actions),
        normal_actions(s.not_actions),
        texts(s.resources),
        texts(s.not_resources),
        conditions,
    )


def normal_form(policy: Policy) -> tuple[Any, ...]:
    return (
        policy.version,
        policy.policy_type,
        tuple(normal_statement(s) for s in policy.statements),
    )


def one_or_many(items: st.SearchStrategy[str]) -> st.SearchStrategy[str | list[str]]:
    return st.one_of(items, st.lists(items, min_size=1, max_size=3))


ACTIONS = st.sampled_from(
    [
        "s3:GetObject",
        "s3:Get*",
        "ec2:DescribeInstances",
        "iam:PassRole",
        "*",
        "sqs:Send?essage",
        "kms:*",
    ]
)
RESOURCES = st.sampled_from(
    [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:iam::111122223333:role/app",
        "arn:aws:s3:::home/${aws:username}/*",
    ]
)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "ForAnyValue:StringLike",
        "ForAllValues:StringEquals",
        "NumericLessThan",
        "Bool",
        "IpAddress",
        "ArnLike",
        "StringNotEqualsIfExists",
        "Null",
        "DateGreaterThan",
    ]
)
KEYS = st.sampled_from(
    [
        "aws:SourceVpc",
        "aws:PrincipalTag/team",
        "s3:prefix",
        "aws:MultiFactorAuthAge",
        "aws:TagKeys",
        "aws:SourceIp",
    ]
)
VALUES = st.text(alphabet=string.ascii_letters + string.digits + "-/*?.:", min_size=1, max_size=10)
ACCOUNTS = st.from_regex(r"[0-9]{12}", fullmatch=True)
PRINCIPALS = st.one_of(
    st.just("*"),
    st.fixed_dictionaries(
        {
            "AWS": one_or_many(
                st.sampled_from(
                    [
                        "*",
                        "111122223333",
                        "arn:aws:iam::444455556666:root",
                        "arn:aws:iam::111122223333:user/ana",
                    ]
                )
            )
        }
    ),
    st.fixed_dictionaries(
        {"Service": one_or_many(st.sampled_from(["s3.amazonaws.com", "lambda.amazonaws.com"]))}
    ),
)


@st.composite
def statements(draw: st.DrawFn, with_principal: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        body["Sid"] = draw(st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True))
    if with_principal:
        body[draw(st.sampled_from(["Principal", "NotPrincipal"]))] = draw(PRINCIPALS)
    body[draw(st.sampled_from(["Action", "NotAction"]))] = draw(one_or_many(ACTIONS))
    body[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(one_or_many(RESOURCES))
    if draw(st.booleans()):
        body["Condition"] = draw(
            st.dictionaries(
                OPERATORS,
                st.dictionaries(KEYS, one_or_many(VALUES), min_size=1, max_size=2),
                min_size=1,
                max_size=2,
            )
        )
    return body


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    with_principal = draw(st.booleans())
    body = draw(st.lists(statements(with_principal), min_size=1, max_size=3))
    return {"Version": draw(st.sampled_from(["2012-10-17", "2008-10-17"])), "Statement": body}


def parse_text(document: Decoded) -> Policy:
    parsed = parse_policy(document)
    assert parsed.findings == (), parsed.findings
    assert parsed.policy is not None
    return parsed.policy


@given(policies())
def test_json_and_yaml_of_the_same_policy_parse_to_equal_models(document: dict[str, Any]) -> None:
    from_json = parse_text(decode_json(json.dumps(document, indent=1), "p.json"))
    from_yaml = parse_text(decode_yaml(yaml.safe_dump(document, sort_keys=False), "p.yaml"))
    assert from_json == from_yaml
    assert len(from_json.statements) == len(document["Statement"])


def collapse(value: Any) -> Any:
    """Every one-element list written as its element (Statement included)."""
    if isinstance(value, list):
        items = [collapse(item) for item in value]
        return items[0] if len(items) == 1 else items
    if isinstance(value, dict):
        return {k: collapse(v) for k, v in value.items()}
    return value


@given(policies())
def test_a_single_value_and_a_one_element_list_are_the_same(document: dict[str, Any]) -> None:
    as_lists = parse(document)
    as_scalars = parse(collapse(document))
    # statement paths differ (`Statement` vs `Statement[0]`) but nothing a check reads does
    assert normal_form(as_lists) == normal_form(as_scalars)


@given(ACCOUNTS, st.sampled_from(["aws", "aws-cn", "aws-us-gov"]))
def test_an_account_id_is_the_accounts_root(account: str, partition: str) -> None:
    by_id = parse(allow(Principal={"AWS": account})).statements[0].principal
    by_arn = (
        parse(allow(Principal={"AWS": f"arn:{partition}:iam::{account}:root"}))
        .statements[0]
        .principal
    )
    assert by_id is not None and by_arn is not None
    [id_entry], [arn_entry] = by_id.entries, by_arn.entries
    assert id_entry.account == arn_entry.account == account
    if partition == "aws":
        assert normal_principals(by_id) == normal_principals(by_arn)
    assert not id_entry.is_everyone


def recase(text: str, flips: list[bool]) -> str:
    padded = (flips + [False] * len(text))[: len(text)]
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, padded, strict=True))


@given(policies(), st.lists(st.booleans(), max_size=40))
def test_case_of_actions_and_condition_keys_does_not_change_the_normal_form(
    document: dict[str, Any], flips: list[bool]
) -> None:
    recased = json.loads(json.dumps(document))
    for body in recased["Statement"]:
        for element in ("Action", "NotAction"):
            if element in body:
                value = body[element]
                body[element] = (
                    [recase(a, flips) for a in value]
                    if isinstance(value, list)
                    else recase(value, flips)
                )
        for operator, block in body.get("Condition", {}).items():
            body["Condition"][operator] = {recase(k, flips): v for k, v in block.items()}
    assert normal_form(parse(recased)) == normal_form(parse(document))
