"""The reference evaluator: its API, the choices docs/semantics.md makes, and properties that
must hold for every policy and request (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.document.read import decode_text, read_document
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Effect, Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import (
    Decision,
    Evaluation,
    MatchedStatement,
    evaluate,
    evaluate_policies,
    statement_matches,
)
from policy_guard.semantics.request import Request

ALLOW, IMPLICIT, EXPLICIT = Decision.ALLOW, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY


def policy_of(
    *statements: dict[str, Any],
    version: str = "2012-10-17",
    policy_type: PolicyType | None = None,
    name: str = "p.json",
) -> Policy:
    document = {"Version": version, "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document, indent=2), name), policy_type)


def stmt(effect: str = "Allow", **elements: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Effect": effect}
    body.update(elements)
    if "Action" not in body and "NotAction" not in body:
        body["Action"] = "*"
    if "Resource" not in body and "NotResource" not in body and "Principal" not in body:
        body["Resource"] = "*"
    return body


def req(
    action: str,
    resource: str = "*",
    principal: str | None = None,
    context: dict[str, list[str]] | None = None,
) -> Request:
    return Request(action, resource, principal, {k: tuple(v) for k, v in (context or {}).items()})


# --- API ------------------------------------------------------------------------------------


def test_json_shape_lists_every_matching_statement_in_order() -> None:
    policy = policy_of(
        stmt(Sid="Read", Action="s3:Get*"),
        stmt(Action="ec2:*"),
        stmt("Deny", Sid="NoSecrets", Action="s3:GetObject", Resource="arn:aws:s3:::secret/*"),
    )
    result = evaluate(policy, req("s3:GetObject", "arn:aws:s3:::secret/k"))
    assert result.to_json() == {
        "decision": "explicitDeny",
        "matchedStatements": [
            {"source": "identity", "statementIndex": 0, "statementId": "Read", "effect": "Allow"},
            {
                "source": "identity",
                "statementIndex": 2,
                "statementId": "NoSecrets",
                "effect": "Deny",
            },
        ],
    }
    assert not result.allowed


def test_statement_without_sid_has_no_statement_id_in_json() -> None:
    matched = MatchedStatement("identity", 3, None, Effect.ALLOW)
    assert matched.to_json() == {"source": "identity", "statementIndex": 3, "effect": "Allow"}


def test_implicit_deny_has_no_matched_statements() -> None:
    result = evaluate(policy_of(stmt(Action="s3:GetObject")), req("s3:PutObject"))
    assert result == Evaluation(IMPLICIT, ())


def test_resource_policy_source_is_resource() -> None:
    policy = policy_of(stmt(Principal="*", Action="s3:GetObject"))
    assert policy.policy_type is PolicyType.RESOURCE
    result = evaluate(policy, req("s3:GetObject", "arn:aws:s3:::b/k", "anonymous"))
    assert [m.source for m in result.matched_statements] == ["resource"]


def test_evaluate_policies_same_account_rule() -> None:
    identity = policy_of(stmt(Action="s3:*"))
    resource = policy_of(
        stmt("Deny", Principal="*", Action="s3:DeleteObject"),
        stmt(Principal={"AWS": "123456789012"}, Action="s3:GetObject"),
    )
    user = "arn:aws:iam::123456789012:user/alice"
    outsider = "arn:aws:iam::999999999999:user/eve"
    both = evaluate_policies(req("s3:DeleteObject", "b", user), identity, resource)
    assert both.decision is EXPLICIT
    assert [(m.source, m.effect) for m in both.matched_statements] == [
        ("identity", Effect.ALLOW),
        ("resource", Effect.DENY),
    ]
    assert evaluate_policies(req("s3:PutObject", "b", user), identity, resource).allowed
    # Either policy's Allow is enough (same account): the resource policy alone grants GetObject.
    assert (
        evaluate_policies(req("s3:GetObject", "b", outsider), None, resource).decision is IMPLICIT
    )
    assert evaluate_policies(req("s3:GetObject", "b", user), None, resource).allowed
    assert evaluate_policies(req("ec2:RunInstances", "b", user), identity, resource).decision is (
        IMPLICIT
    )
    assert evaluate_policies(req("s3:GetObject")) == Evaluation(IMPLICIT, ())


def test_statement_matches_each_part() -> None:
    policy = policy_of(
        stmt(Action="s3:GetObject", Resource="arn:aws:s3:::b/*"),
        stmt(Action="s3:GetObject", Condition={"StringEquals": {"aws:username": "x"}}),
    )
    first, second = policy.statements
    request = req("s3:getobject", "arn:aws:s3:::b/k")
    assert statement_matches(policy, first, request)
    assert not statement_matches(policy, second, request)
    assert statement_matches(
        policy, second, req("s3:GetObject", "r", context={"AWS:UserName": ["x"]})
    )


def test_statement_matches_a_statement_from_an_equal_policy() -> None:
    """A statement from another (equal) policy object is decided the same way."""
    one = policy_of(stmt(Action="s3:Get*"))
    other = policy_of(stmt(Action="s3:Get*"))
    assert statement_matches(one, other.statements[0], req("s3:GetObject"))


def test_many_policies_beyond_the_cache_size_stay_correct() -> None:
    policies = [policy_of(stmt(Action=f"svc:Action{i}")) for i in range(80)]
    for i, policy in enumerate(policies):
        assert evaluate(policy, req(f"svc:action{i}")).allowed
        assert not evaluate(policy, req(f"svc:action{i + 1}")).allowed


# --- errors ---------------------------------------------------------------------------------


def test_condition_value_that_does_not_parse_is_input_error_with_line() -> None:
    policy = policy_of(
        stmt(Action="s3:GetObject"),
        stmt(Action="ec2:*", Condition={"NumericLessThan": {"s3:max-keys": "ten"}}),
        name="bad.json",
    )
    with pytest.raises(InputError) as raised:
        evaluate(policy, req("s3:GetObject"))
    assert raised.value.filename == "bad.json"
    assert (
        raised.value.line == policy.span_of(policy.statements[1].conditions[0].values[0].path).line
    )
    assert "ten" in str(raised.value)


def test_variables_are_not_substituted_in_numeric_values() -> None:
    """semantics.md: variables only in String/Arn values; elsewhere the text is literal."""
    policy = policy_of(stmt(Condition={"NumericEquals": {"s3:max-keys": "${aws:username}"}}))
    with pytest.raises(InputError):
        evaluate(
            policy, req("s3:ListBucket", context={"s3:max-keys": ["1"], "aws:username": ["1"]})
        )


def test_set_operator_on_null_is_undecided() -> None:
    policy = policy_of(stmt(Condition={"ForAllValues:Null": {"aws:TagKeys": "true"}}))
    with pytest.raises(UndecidedError, match="ForAllValues:Null"):
        evaluate(policy, req("s3:GetObject"))


# --- choices of docs/semantics.md -----------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        # Plain operator, several request values: holds when SOME value passes the per-value test.
        ("StringEquals", ["a", "z"], True),
        ("StringEquals", ["y", "z"], False),
        ("StringNotEquals", ["a", "z"], True),  # `z` matches no policy value
        ("StringNotEquals", ["a", "b"], False),
        # Present with no values: no value passes, for positive and negated operators alike.
        ("StringEquals", [], False),
        ("StringNotEquals", [], False),
        ("StringEqualsIfExists", [], False),
    ],
)
def test_plain_operator_on_multi_valued_key(
    operator: str, values: list[str], expected: bool
) -> None:
    policy = policy_of(stmt(Condition={operator: {"k": ["a", "b"]}}))
    assert evaluate(policy, req("s3:GetObject", context={"k": values})).allowed is expected


def test_variable_default_applies_only_to_an_absent_key() -> None:
    policy = policy_of(stmt(Resource="arn:aws:s3:::b/${aws:username, 'guest'}/*"))
    assert evaluate(policy, req("s3:GetObject", "arn:aws:s3:::b/guest/x")).allowed
    multi = req("s3:GetObject", "arn:aws:s3:::b/guest/x", context={"aws:username": ["a", "b"]})
    assert not evaluate(policy, multi).allowed


def test_not_resource_with_unresolved_variable_matches_every_resource() -> None:
    """A pattern with no value matches nothing, so NotResource of it excludes nothing."""
    policy = policy_of(stmt("Deny", Action="s3:*", NotResource="arn:aws:s3:::${aws:username}/*"))
    assert evaluate(policy, req("s3:GetObject", "arn:aws:s3:::alice/k")).decision is EXPLICIT
    named = req("s3:GetObject", "arn:aws:s3:::alice/k", context={"aws:username": ["alice"]})
    assert evaluate(policy, named).decision is IMPLICIT


def test_principal_entry_kinds_do_not_cross() -> None:
    """An AWS entry naming a service's text does not match the service principal."""
    policy = policy_of(stmt(Principal={"AWS": "s3.amazonaws.com"}, Action="s3:*"))
    assert not evaluate(policy, req("s3:GetObject", "b", "s3.amazonaws.com")).allowed


def test_variables_in_condition_of_arn_operator() -> None:
    policy = policy_of(
        stmt(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:PrincipalAccount}:*"}})
    )
    ok = req(
        "s3:GetObject",
        context={
            "aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:t"],
            "aws:PrincipalAccount": ["111122223333"],
        },
    )
    other = req(
        "s3:GetObject",
        context={
            "aws:SourceArn": ["arn:aws:sns:us-east-1:444455556666:t"],
            "aws:PrincipalAccount": ["111122223333"],
        },
    )
    assert evaluate(policy, ok).allowed
    assert not evaluate(policy, other).allowed


# --- properties -----------------------------------------------------------------------------

SERVICES = st.sampled_from(["s3", "ec2", "S3", "Ec2"])
ACTIONS = st.builds(lambda s, n: f"{s}:{n}", SERVICES, st.text(alphabet="aAbB", max_size=4))
ACTION_PATTERNS = st.one_of(
    st.just("*"),
    st.builds(
        lambda s, n: f"{s}:{n}",
        st.sampled_from(["s3", "ec2", "s?", "*", "S3"]),
        st.text(alphabet="aAbB*?", max_size=4),
    ),
)
RESOURCES = st.builds(
    lambda b, k: f"arn:aws:s3:::{b}/{k}", st.sampled_from(["b1", "b2"]), st.text("xy", max_size=3)
)
RESOURCE_PATTERNS = st.one_of(
    st.just("*"),
    st.builds(
        lambda b, k: f"arn:aws:s3:::{b}/{k}",
        st.sampled_from(["b1", "b2", "b*", "b?"]),
        st.text(alphabet="xy*?", max_size=3),
    ),
)
KEYS = st.sampled_from(["aws:username", "s3:prefix"])
VALUES = st.lists(st.sampled_from(["v1", "v2", "V1"]), min_size=1, max_size=2)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "StringNotLikeIfExists",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringNotEquals",
    ]
)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A statement body without Effect: Action or NotAction, Resource or NotResource, and
    perhaps one condition."""
    body: dict[str, Any] = {
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(ACTION_PATTERNS, min_size=1, max_size=3)
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.lists(RESOURCE_PATTERNS, min_size=1, max_size=2)
        ),
    }
    if draw(st.booleans()):
        body["Condition"] = {draw(OPERATORS): {draw(KEYS): draw(VALUES)}}
    return body


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context = draw(
        st.dictionaries(
            KEYS, st.lists(st.sampled_from(["v1", "v2", "V1"]), max_size=2).map(tuple), max_size=2
        )
    )
    return Request(draw(ACTIONS), draw(RESOURCES), None, context)


@given(st.lists(ACTION_PATTERNS, min_size=1, max_size=3), requests())
def test_action_and_not_action_are_complements(patterns: list[str], request: Request) -> None:
    with_action = policy_of(stmt(Action=patterns))
    with_not_action = policy_of(stmt(NotAction=patterns))
    assert evaluate(with_action, request).allowed != evaluate(with_not_action, request).allowed


@given(st.lists(RESOURCE_PATTERNS, min_size=1, max_size=3), requests())
def test_resource_and_not_resource_are_complements(patterns: list[str], request: Request) -> None:
    with_resource = policy_of(stmt(Action="*", Resource=patterns))
    with_not_resource = policy_of(stmt(Action="*", NotResource=patterns))
    assert evaluate(with_resource, request).allowed != evaluate(with_not_resource, request).allowed


@given(bodies(), requests())
def test_deny_wins_over_allow_with_the_same_body(body: dict[str, Any], request: Request) -> None:
    allowed = evaluate(policy_of({"Effect": "Allow", **body}), request)
    both = evaluate(policy_of({"Effect": "Allow", **body}, {"Effect": "Deny", **body}), request)
    assert both.decision is (EXPLICIT if allowed.allowed else IMPLICIT)


def _swap_case(text: str, mask: list[bool]) -> str:
    return "".join(
        c.swapcase() if flip else c
        for c, flip in zip(text, mask + [False] * len(text), strict=False)
    )


@given(bodies(), requests(), st.lists(st.booleans(), max_size=12))
def test_invariant_under_case_of_action_and_key_names(
    body: dict[str, Any], request: Request, mask: list[bool]
) -> None:
    policy = policy_of({"Effect": "Allow", **body})
    recased = Request(
        _swap_case(request.action, mask),
        request.resource,
        request.principal,
        {_swap_case(k, mask): v for k, v in request.context.items()},
    )
    assert evaluate(policy, request).decision is evaluate(policy, recased).decision


@given(st.lists(bodies(), min_size=1, max_size=3), bodies(), st.booleans(), requests())
def test_adding_a_statement_only_denies_through_deny(
    bodies_: list[dict[str, Any]], extra: dict[str, Any], deny: bool, request: Request
) -> None:
    statements = [{"Effect": "Allow", **b} for b in bodies_]
    before = evaluate(policy_of(*statements), request)
    added = {"Effect": "Deny" if deny else "Allow", **extra}
    after = evaluate(policy_of(*statements, added), request)
    if before.allowed and not deny:
        assert after.allowed
    if after.decision is not before.decision and not after.allowed:
        assert deny and after.decision is EXPLICIT


@given(KEYS, VALUES, requests())
def test_negated_operator_complements_positive_for_single_values(
    key: str, values: list[str], request: Request
) -> None:
    """semantics.md: a negated operator holds for a value when the positive one does not; with
    the key absent the positive is false and the negated true."""
    present = request.context_values(key)
    if present is not None and len(present) != 1:
        return
    positive = policy_of(stmt(Condition={"StringLike": {key: values}}))
    negated = policy_of(stmt(Condition={"StringNotLike": {key: values}}))
    assert evaluate(positive, request).allowed != evaluate(negated, request).allowed


# --- real data ------------------------------------------------------------------------------

MANAGED = Path(__file__).resolve().parents[1] / "fixtures" / "evaluate" / "managed"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def managed(name: str) -> Policy:
    return load_policy(read_document(str(MANAGED / name)))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("sts:AssumeRole", ALLOW),  # through the NotAction statement
        ("iam:CreateServiceLinkedRole", ALLOW),  # listed explicitly
        ("IAM:createservicelinkedrole", ALLOW),
        ("iam:CreateAccessKey", IMPLICIT),  # `iam:*` is in NotAction and not listed
        ("organizations:DescribeOrganization", ALLOW),
        ("organizations:LeaveOrganization", IMPLICIT),
        ("ec2:TerminateInstances", ALLOW),
    ],
)
def test_power_user_access(action: str, expected: Decision) -> None:
    """The shared data README's fixed expectations for PowerUserAccess."""
    policy = managed("PowerUserAccess-v12.json")
    assert evaluate(
        policy, req(action, "arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    ).decision is (expected)


@pytest.mark.parametrize("action", ["iam:CreateAccessKey", "s3:GetObject", "x:y", "*"])
def test_administrator_access_and_deny_all(action: str) -> None:
    assert evaluate(managed("AdministratorAccess-v1.json"), req(action, "anything")).allowed
    denied = evaluate(managed("AWSDenyAll-v2.json"), req(action, "anything"))
    assert denied.decision is EXPLICIT
    assert denied.matched_statements[0].statement_id == "DenyAll"


def test_fixtures_are_unchanged_copies() -> None:
    source = SHARED / "managed-policies"
    if not source.is_dir():
        pytest.skip("shared data not present")
    for path in MANAGED.glob("*.json"):
        name, version = path.stem.rsplit("-", 1)
        assert path.read_bytes() == (source / name / f"{version}.json").read_bytes()


def test_every_listed_action_of_read_only_access_is_allowed() -> None:
    """In a policy without Deny, every literal action that an unconditional `Resource: "*"`
    Allow statement lists is allowed on any resource, whatever its case."""
    path = SHARED / "managed-policies" / "ReadOnlyAccess" / "v186.json"
    if not path.is_file():
        pytest.skip("shared data not present")
    policy = load_policy(read_document(str(path)))
    assert all(s.effect is Effect.ALLOW for s in policy.statements)
    listed = {
        v.text
        for s in policy.statements
        if s.actions and s.resources and [r.text for r in s.resources] == ["*"]
        if not s.conditions
        for v in s.actions
        if "*" not in v.text and "?" not in v.text
    }
    assert len(listed) > 1000
    for action in sorted(listed):
        assert evaluate(policy, req(action.swapcase(), "arn:aws:s3:::b/k")).allowed, action
    assert not evaluate(policy, req("s3:PutObject", "arn:aws:s3:::b/k")).allowed
    assert not evaluate(policy, req("iam:CreateAccessKey", "arn:aws:s3:::b/k")).allowed


def test_user_guide_examples_evaluate_or_refuse_cleanly() -> None:
    """Every User Guide example the parser accepts is decided, or refused with our errors."""
    source = SHARED / "user-guide-examples"
    if not source.is_dir():
        pytest.skip("shared data not present")
    decided = 0
    for path in sorted(source.glob("*.json")):
        try:
            policy = load_policy(read_document(str(path)))
        except InputError:
            continue
        request = req(
            "s3:GetObject",
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k",
            "anonymous",
            {"aws:username": ["u"], "aws:SourceIp": ["203.0.113.1"]},
        )
        try:
            evaluate(policy, request)
        except (InputError, UndecidedError):
            continue
        decided += 1
    assert decided > 200
