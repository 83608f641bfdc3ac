"""The encoding, piece by piece: domains, templates, the vocabulary, and — the central property —
every concrete request, abstracted, satisfies the axioms and gets the evaluator's decision."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from engine_strategies import load, policy_pairs, request_space
from hypothesis import given
from hypothesis import strategies as st
from pysmt.fnode import FNode

from policy_guard.document.read import decode_text
from policy_guard.encode.analysis import Analysis
from policy_guard.encode.domains import (
    NOT_A_DATE,
    NOT_A_NUMBER,
    binary_domain,
    bool_domain,
    date_domain,
    ip_domain,
    number_domain,
)
from policy_guard.encode.slicing import (
    covers,
    may_meet,
    sliced_for_access,
    sliced_for_new_access,
)
from policy_guard.encode.templates import Template, compile_value
from policy_guard.encode.vocabulary import (
    DEFAULT_PARTITION_STATES,
    Vocabulary,
    action_glob,
    build_vocabulary,
    principal_globs,
)
from policy_guard.errors import UndecidedError
from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import PolicyType, PrincipalEntry
from policy_guard.policy.operators import parse_cidr, parse_date, parse_number
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate, statement_matches

SAMPLE = 150


# --- domains ----------------------------------------------------------------------------------


def test_numbers_split_into_points_and_intervals() -> None:
    domain = number_domain(["10", "5", "7.5", "5.0"])
    # (-inf,5) 5 (5,7.5) 7.5 (7.5,10) 10 (10,inf) and "does not parse"
    assert len(domain) == 8
    assert domain.witnesses[-1] == NOT_A_NUMBER
    for region, witness in enumerate(domain.witnesses):
        assert domain.region_of(witness) == region
    assert domain.region_of("5.00") == domain.region_of("5")
    assert domain.region_of("6") == domain.region_of("7") != domain.region_of("8")
    assert (
        parse_number(domain.witnesses[0]) < 5 < parse_number(domain.witnesses[2]) < Decimal("7.5")
    )


def test_dates_keep_only_representable_intervals() -> None:
    domain = date_domain(["2024-01-01T00:00:00Z", "1704067200", "2024-01-01T00:00:00.000001Z"])
    # the first two are the same instant; nothing lies strictly between it and the third
    instants = [parse_date(w) for w in domain.witnesses if w != NOT_A_DATE]
    assert instants == sorted(instants)
    assert len(domain) == 5  # below, the instant, the next microsecond, above, unparsed
    for region, witness in enumerate(domain.witnesses):
        assert domain.region_of(witness) == region


def test_ip_blocks_cut_both_address_families() -> None:
    networks = [parse_cidr(t) for t in ("10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32")]
    domain = ip_domain(networks)
    assert domain.region_of("10.1.2.3") != domain.region_of("10.2.0.1")
    assert domain.region_of("10.2.0.1") == domain.region_of("10.200.0.1")
    assert domain.region_of("9.0.0.1") == 0 != domain.region_of("11.0.0.1")
    assert domain.region_of("2001:db8::1") != domain.region_of("::1")
    assert domain.region_of("nowhere") == len(domain) - 1
    for region, witness in enumerate(domain.witnesses):
        assert domain.region_of(witness) == region


def test_binary_and_bool_domains() -> None:
    binary = binary_domain([b"ABC", b"ABC", b"xyz"])
    assert len(binary) == 4
    assert binary.region_of("QUJD") == binary.region_of(" QUJD ") == 0
    assert binary.region_of("!!") == 3
    boolean = bool_domain()
    assert [boolean.region_of(v) for v in ("TRUE", " false", "yes")] == [0, 1, 2]


# --- templates --------------------------------------------------------------------------------


def test_templates_shape_instantiate_and_solve() -> None:
    template = compile_value("arn:aws:s3:::b/${aws:username}/*", Kind.RESOURCE, True)
    assert isinstance(template, Template)
    assert template.shape().matches("arn:aws:s3:::b/any:thing/x")
    assert template.instantiate({}) is None
    alice = template.instantiate({"aws:username": "al*ce"})
    assert alice is not None
    assert alice.matches("arn:aws:s3:::b/al*ce/x") and not alice.matches("arn:aws:s3:::b/alice/x")
    assert template.solutions("arn:aws:s3:::b/a/b/c") == ["a", "a/b"]
    defaulted = compile_value("${aws:username, 'x'}", Kind.STRING_EQUALS, True)
    assert isinstance(defaulted, Template)
    assert defaulted.solutions("x") == [None, "x"]
    assert compile_value("${aws:username}", Kind.RESOURCE, False) == Glob(
        tuple("${aws:username}"), False
    )
    escaped = compile_value("a${*}", Kind.RESOURCE, True)
    assert isinstance(escaped, Glob) and escaped.is_literal


def resource_template(text: str) -> Template:
    template = compile_value(text, Kind.RESOURCE, True)
    assert isinstance(template, Template)
    return template


@pytest.mark.parametrize(
    ("narrow", "wide", "within"),
    [
        (
            "arn:aws:logs:*:*:log-group:${aws:a}/output:log-stream:*",
            "arn:aws:logs:*:*:log-group:${aws:a}/*",
            True,
        ),
        ("arn:aws:s3:::${aws:a}", "arn:aws:s3:::${aws:a}*", True),
        ("arn:aws:s3:::${aws:a}/x", "arn:aws:s3:::${aws:b}/*", False),  # another variable
        ("arn:aws:s3:::${aws:a}/x", "arn:aws:s3:::${aws:a}/x", False),  # not a `P*`
        ("arn:aws:s3:::*${aws:a}", "arn:aws:s3:::*${aws:a}*", False),  # `P` ends in `*`
    ],
)
def test_template_inclusion_for_every_value(narrow: str, wide: str, within: bool) -> None:
    first, second = resource_template(narrow), resource_template(wide)
    assert first.within(second) is within
    if within:  # spot-check the claim on values with separators
        for value in ("", "a", "a/b", "a:b", "*"):
            narrow_glob = first.instantiate({"aws:a": value, "aws:b": value})
            wide_glob = second.instantiate({"aws:a": value, "aws:b": value})
            assert narrow_glob is not None and wide_glob is not None
            for suffix in ("", "output:log-stream:x", "/output:log-stream:y"):
                text = "arn:aws:logs:r:1:log-group:" + value + suffix
                text2 = "arn:aws:s3:::" + value + suffix
                for candidate in (text, text2):
                    if narrow_glob.matches(candidate):
                        assert wide_glob.matches(candidate)


@pytest.mark.parametrize(
    ("a", "b", "disjoint"),
    [
        ("arn:aws:s3:::${aws:b}", "arn:aws:s3:::${aws:b}/${aws:d}/*", True),
        ("arn:aws:s3:::${aws:b}/x/*", "arn:aws:s3:::${aws:b}/y/*", True),
        ("arn:aws:s3:::${aws:b}", "arn:aws:s3:::${aws:b}*", False),  # `*` may be empty
        ("arn:aws:s3:::${aws:b}", "arn:aws:s3:::${aws:c}/x", False),  # other variables
        ("arn:aws:s3:::*${aws:b}", "arn:aws:s3:::*${aws:b}/x", False),  # a wildcard first
    ],
)
def test_template_disjointness_for_every_value(a: str, b: str, disjoint: bool) -> None:
    first, second = resource_template(a), resource_template(b)
    assert first.disjoint_from(second) is disjoint
    assert second.disjoint_from(first) is disjoint
    if disjoint:
        for value in ("", "x", "x/y", "a:b"):
            values = {"aws:b": value, "aws:c": value, "aws:d": value}
            one, two = first.instantiate(values), second.instantiate(values)
            assert one is not None and two is not None
            for rest in ("", "/", "/x/", "/y/z", "//"):
                text = "arn:aws:s3:::" + value + rest
                assert not (one.matches(text) and two.matches(text)), text


def test_every_reading_of_a_multi_variable_template() -> None:
    template = compile_value("${aws:a}/${aws:b}/*", Kind.STRING_LIKE, True)
    assert isinstance(template, Template)
    assert template.assignments("/") == []
    readings = template.assignments("x/y/z")
    assert readings == [(("aws:a", "x"), ("aws:b", "y"))]
    assert template.assignments("x/y/z/w") == [
        (("aws:a", "x"), ("aws:b", "y")),
        (("aws:a", "x"), ("aws:b", "y/z")),
        (("aws:a", "x/y"), ("aws:b", "z")),
    ]
    defaulted = compile_value("${aws:a, 'q'}-${aws:b}", Kind.STRING_LIKE, True)
    assert isinstance(defaulted, Template)
    assert set(defaulted.assignments("q-r") or ()) == {
        (("aws:a", "q"), ("aws:b", "r")),
        (("aws:a", None), ("aws:b", "r")),
    }
    folded = compile_value("${aws:a}-${aws:b}", Kind.STRING_EQUALS_IGNORE_CASE, True)
    assert isinstance(folded, Template) and folded.assignments("a-b") is None


# --- vocabulary -------------------------------------------------------------------------------


def entry(kind: PrincipalKind, text: str) -> PrincipalEntry:
    return PrincipalEntry(kind, text, ())


def test_principal_entries_as_patterns() -> None:
    assert principal_globs(entry(PrincipalKind.AWS, "*")) is None
    account = principal_globs(entry(PrincipalKind.AWS, "111122223333"))
    assert account is not None
    assert any(g.matches("arn:aws-cn:sts::111122223333:assumed-role/r/s") for g in account)
    assert not any(g.matches("arn:aws:iam::111122223333") for g in account)
    assert principal_globs(entry(PrincipalKind.SERVICE, "s3.amazonaws.com")) == (
        Glob(tuple("s3.amazonaws.com"), False),
    )
    assert principal_globs(entry(PrincipalKind.SERVICE, "arn:aws:iam::1:user/x")) == ()


def vocabulary_of(condition: dict[str, Any]) -> Vocabulary:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    policy = load_policy(decode_text(json.dumps(document), "v.json"))
    return build_vocabulary([policy], principal_in_request=False)


def test_families_and_shared_string_space() -> None:
    vocabulary = vocabulary_of(
        {
            "ArnLike": {"aws:SourceArn": "arn:aws:s3:::b*"},
            "StringEquals": {"aws:SourceArn": "arn:aws:s3:::b"},
            "Null": {"aws:TokenIssueTime": "false"},
        }
    )
    assert vocabulary.keys["aws:sourcearn"].family == "string"
    assert vocabulary.keys["aws:sourcearn"].name == "aws:SourceArn"
    assert vocabulary.keys["aws:tokenissuetime"].family == "presence"
    # Bool and String on one key: one string domain that also tells the Bool reading apart
    both = vocabulary_of(
        {"Bool": {"aws:SecureTransport": "true"}, "StringLike": {"aws:securetransport": "t*"}}
    )
    domain = both.keys["aws:securetransport"].domain
    assert both.keys["aws:securetransport"].family == "string"
    assert {domain.parsed[domain.region_of(v)] for v in (" TRUE", "tx", "false")} == {
        True,
        None,
        False,
    }
    with pytest.raises(UndecidedError, match="s3:max-keys"):  # other families are still refused
        vocabulary_of({"NumericEquals": {"s3:max-keys": "5"}, "StringLike": {"s3:max-keys": "5*"}})


def test_statement_with_thousands_of_actions_is_a_few_ranges() -> None:
    actions = [f"svc:Action{i:04d}" for i in range(2000)]
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    policy = load_policy(decode_text(json.dumps(document), "big.json"))
    analysis = Analysis([policy])
    formula = analysis.allows(policy)
    assert len(formula.get_atoms()) <= 4


# --- query slicing ----------------------------------------------------------------------------


def statements_policy(*statements: dict[str, Any]) -> Any:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document), "s.json"))


def kept(policy: Any) -> list[int]:
    return [s.index for s in policy.statements]


def test_new_access_is_sliced_by_the_actions_new_statements_can_allow() -> None:
    s3 = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
    ec2 = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
    deny_iam = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    new_s3 = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    old = statements_policy(s3, ec2, deny_iam)
    new = statements_policy(ec2, deny_iam, s3, new_s3)
    wider, narrower = sliced_for_new_access(old, new)
    # only the new s3 statement can allow new access: ec2 and iam statements drop out
    assert [kept(p) for p in wider.policies] == [[0], [2, 3]]
    # every old Allow is in the new policy: nothing can be lost, everything drops out
    assert [kept(p) for p in narrower.policies] == [[], []]
    # a Deny that the new policy no longer has makes its actions interesting again
    without_deny = statements_policy(ec2, s3)
    wider, _ = sliced_for_new_access(old, without_deny)
    assert [kept(p) for p in wider.policies] == [[2], []]


def test_access_is_sliced_by_actions_and_pinned_resources() -> None:
    policy = statements_policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:Pass*", "Resource": "arn:aws:iam::*:role/x"},
        {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::b/*"},
    )
    (sliced,) = sliced_for_access(policy, ["iam:PassRole"], []).policies
    assert kept(sliced) == [2, 3]
    (sliced,) = sliced_for_access(policy, ["s3:DeleteBucket"], ["arn:aws:s3:::c"]).policies
    assert kept(sliced) == [1, 3]  # s3:* is only on b/*; NotResource is not decided here
    (sliced,) = sliced_for_access(policy, [], ["arn:aws:iam::1:role/x"]).policies
    assert kept(sliced) == [1, 2, 3]


def test_pattern_by_pattern_tests() -> None:
    action = [compile_pattern(a, Kind.ACTION) for a in ("iam:*", "s3:Get*", "S3:PutObject")]
    assert covers(action, compile_pattern("IAM:PassRole", Kind.ACTION))
    assert covers(action, compile_pattern("s3:GetObj*", Kind.ACTION))
    assert not covers(action, compile_pattern("s3:*", Kind.ACTION))
    assert covers(action, compile_pattern("s3:putobject", Kind.ACTION))
    vpc, bucket = (compile_pattern(r, Kind.RESOURCE) for r in ("arn:aws:ec2:*:*:vpc/*", "*/x"))
    assert may_meet(vpc, bucket)  # arn:aws:ec2:::vpc/x
    assert not may_meet(vpc, compile_pattern("arn:aws:s3:::*", Kind.RESOURCE))
    assert not may_meet(compile_pattern("arn:aws:s3:::b", Kind.RESOURCE), bucket)


# --- the abstraction, request by request ------------------------------------------------------


def decide(analysis: Analysis, formula: FNode, values: dict[FNode, FNode]) -> bool:
    result = analysis.session.substitute(formula, values)
    assert result.is_constant(), f"not decided by the request: {result}"
    return bool(result.is_true())


@pytest.mark.parametrize("states", [None, 0], ids=["exact", "lazy"])
@given(pair=policy_pairs())
def test_every_request_is_encoded_as_the_evaluator_decides(
    states: int | None, pair: tuple[dict[str, Any], dict[str, Any], PolicyType]
) -> None:
    """Also with every string variable on the lazy domain (`states` 0): there the natural
    assignment of each request must satisfy the lazy axioms too (they are facts)."""
    old_document, new_document, kind = pair
    policies = [load(old_document, kind, "old.json"), load(new_document, kind, "new.json")]
    analysis = Analysis(
        policies,
        principal_in_request=kind is PolicyType.RESOURCE,
        max_partition_states=DEFAULT_PARTITION_STATES if states is None else states,
    )
    allows = [analysis.allows(p) for p in policies]
    matches = [(p, s, analysis.matches(p, s)) for p in policies for s in p.statements]
    axioms = analysis.session.manager.And(analysis.request.axioms)
    space = request_space(old_document, new_document, kind)
    for request in space[:: max(1, len(space) // SAMPLE)]:
        values = analysis.request.assignment(request)
        if not decide(analysis, axioms, values):
            broken = [a for a in analysis.request.axioms if not decide(analysis, a, values)]
            raise AssertionError(f"{request} violates the axioms {broken}")
        for policy, formula in zip(policies, allows, strict=True):
            assert decide(analysis, formula, values) == evaluate(policy, request).allowed, request
        for policy, statement, formula in matches:
            expected = statement_matches(policy, statement, request)
            assert decide(analysis, formula, values) == expected, (statement.index, request)


@given(text=st.text(alphabet="sS3:GgeEt\u0130\u0131*?x", max_size=12))
def test_action_shortcut_is_the_general_compiler(text: str) -> None:
    assert action_glob(text) == compile_pattern(text, Kind.ACTION)
