"""Random small policies and the finite request spaces they are checked over (engine tests).

Shared by tests/encode/test_engine_properties.py (SMT verdicts vs the evaluator) and
tests/encode/test_encode.py (the encoding of each request vs the evaluator). The vocabulary is
small but touches every feature: wildcards, case, NotAction/NotResource/NotPrincipal, principals
and accounts, roles and their sessions (requests under every reading when a policy has
NotPrincipal), keys AWS fills from the principal (each request agrees with its principal:
`semantics.principal_facts`), a public token issuer as Federated principal with its claims
(`semantics.public_rules`), every operator family with negation, IfExists, Null,
ForAllValues/ForAnyValue and multi-valued context, policy variables with and without defaults
(in Resource and in condition values, re-cased keys, beside literals in one list), `${*}`
escapes, Version 2008-10-17.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import strategies as st

from policy_guard.document.read import decode_text
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.possible import impossible
from policy_guard.semantics.principal_facts import consistent, with_facts
from policy_guard.semantics.reading import Reading, every_reading, fold_arn_prefix
from policy_guard.semantics.request import Request

SOLVERS = ["z3", "cvc5"]

ACTION_PATTERNS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "s3:?etObject",
    "S3:PUTOBJECT",
    "ec2:*",
    "*",
    "iam:PassRole",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/x",
    "arn:aws:s3:::*",
    "arn:aws:s3:::?/x",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:s3:::B/x",
    "arn:aws:s3:::b/${*}",
    "arn:AWS:s3:::b/*",
]
VARIABLE_RESOURCES = [
    "arn:aws:s3:::b/${aws:username}",
    "arn:aws:s3:::${aws:username, 'b'}/*",
    "arn:aws:s3:::b/${AWS:UserName}",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::b/${aws:username, 'guest'}/*",
]
GITHUB = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
"""A public token issuer (`semantics.public_rules`): its tokens' claims are condition keys."""
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": "111122223333"},
    {"AWS": "arn:aws:iam::111122223333:user/a"},
    {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:user/a"]},
    {"Service": "s3.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"Federated": GITHUB},
    {"AWS": "arn:aws:iam::111122223333:role/p/r"},
    {"AWS": ["arn:aws:sts::111122223333:assumed-role/r/s", "111122223333"]},
    {"AWS": ["arn:aws:iam::111122223333:role/r", "arn:aws:iam::111122223333:user/a"]},
]
REQUEST_PRINCIPALS = [
    "arn:aws:iam::111122223333:user/a",
    "arn:aws:iam::111122223333:root",
    "arn:aws:sts::111122223333:assumed-role/r/s",
    "arn:aws:sts::111122223333:assumed-role/q/s",
    "arn:aws:sts::111122223333:federated-user/f",
    "arn:aws:iam::444455556666:user/b",
    "s3.amazonaws.com",
    "cognito-identity.amazonaws.com",
    GITHUB,
    "anonymous",
]
REQUEST_LIMIT = 20_000
"""Requests per space at most: past it, a fixed sample of the contexts (several templated keys
multiply their values)."""
FRESH_ACTIONS = ["s3:GetObject", "s3:getobjectacl", "ec2:RunInstances", "sqs:SendMessage"]
FRESH_RESOURCES = ["arn:aws:s3:::c/x", "arn:aws:ec2:us-east-1:111122223333:instance/i-1"]

STRING_OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
]
# key -> (operators, policy values, fresh request values)
KEYS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "aws:username": (STRING_OPERATORS, ["alice", "a*", "ALICE", "b?b"], ["bob", "Alice"]),
    "aws:TagKeys": (STRING_OPERATORS, ["team", "env", "t*", "${aws:username}-x"], ["owner"]),
    # policy variables in condition values: narrowed, defaulted, re-cased, beside literals
    "s3:prefix": (
        STRING_OPERATORS,
        [
            "home/${aws:username}/*",
            "home/${aws:username}/docs/*",
            "home/${aws:username, 'guest'}/*",
            "home/${AWS:UserName}/*",
        ],
        ["home/bob/x", "home/alice/docs/y"],
    ),
    "aws:ResourceTag/owner": (
        STRING_OPERATORS,
        ["${aws:username}", "${AWS:UserName}", "${aws:username, 'guest'}", "zz"],
        ["ALICE", "guest"],
    ),
    "s3:max-keys": (
        [
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
        ["5", "10", "7.5"],
        ["6", "11", "lots"],
    ),
    "aws:CurrentTime": (
        ["DateEquals", "DateNotEquals", "DateLessThan", "DateGreaterThanEquals"],
        ["2024-01-01T00:00:00Z", "2023-06-01", "1700000000"],
        ["2023-01-01T00:00:00Z", "1800000000", "soon"],
    ),
    # Bool strips whitespace and folds case; the String operators read the same key as written
    "aws:SecureTransport": (
        ["Bool", "Bool", "StringEquals", "StringEqualsIgnoreCase", "StringLike"],
        ["true", "false"],
        ["TRUE", "yes", " true", "False "],
    ),
    "aws:SourceIp": (
        ["IpAddress", "NotIpAddress"],
        ["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "192.0.2.1"],
        ["10.1.2.3", "10.2.0.1", "11.0.0.1", "2001:db8::1", "::1", "nowhere"],
    ),
    "aws:SourceArn": (
        ["ArnLike", "ArnEquals", "ArnNotLike", "ArnNotEquals", "StringLike"],
        ["arn:aws:s3:::b*", "arn:aws:s3:::b", "arn:*:s3:::b/*", "arn:aws:S3:::b/x"],
        ["arn:aws:s3:::bucket", "arn:aws:s3:::c", "arn:aws:s3:::b/k:x"],
    ),
    "s3:signature": (["BinaryEquals"], ["QUJD", "eHl6"], ["AAAA", "!!"]),
    # keys AWS fills from the principal (principal facts): requests agree with their principal
    "aws:PrincipalAccount": (
        ["StringEquals", "StringNotEquals", "StringLike"],
        ["111122223333", "4444*"],
        ["999988887777"],
    ),
    "kms:CallerAccount": (
        ["StringEquals", "StringNotEquals"],
        ["111122223333"],
        ["444455556666", "other"],
    ),
    "aws:PrincipalType": (
        ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"],
        ["User", "AssumedRole", "Anonymous", "account"],
        ["Service"],
    ),
    "aws:PrincipalArn": (
        ["ArnLike", "ArnNotLike", "StringEquals"],
        [
            "arn:aws:iam::111122223333:*",
            "arn:aws:iam::111122223333:user/a",
            "arn:aws:iam::*:role/r",
        ],
        ["arn:aws:iam::111122223333:role/r"],
    ),
    "aws:PrincipalIsAWSService": (["Bool"], ["true", "false"], ["TRUE", "no"]),
    # federated principals' claims: a subject pinned, by a repository or with a wildcard
    "token.actions.githubusercontent.com:sub": (
        STRING_OPERATORS,
        ["repo:o/r:*", "repo:o/r:ref:refs/heads/main", "repo:*", "repo:O/r:?*"],
        ["repo:someone-else/any-repo:ref:refs/heads/main", "repo:o/r:pull_request"],
    ),
    "cognito-identity.amazonaws.com:amr": (
        ["StringEquals", "StringLike", "StringNotEquals"],
        ["authenticated", "unauthenticated", "*authenticated"],
        ["graph.facebook.com"],
    ),
}


def listed(draw: st.DrawFn, values: list[Any], most: int = 2) -> Any:
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=most, unique_by=str))
    return chosen[0] if len(chosen) == 1 and draw(st.booleans()) else chosen


@st.composite
def conditions(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(keys))
        operators, values, _ = KEYS[key]
        if draw(st.integers(0, 5)) == 0:
            block.setdefault("Null", {})[key] = draw(st.sampled_from(["true", "false"]))
            continue
        operator = draw(st.sampled_from(operators))
        prefix = draw(st.sampled_from(["", "", "ForAllValues:", "ForAnyValue:"]))
        suffix = draw(st.sampled_from(["", "", "IfExists"]))
        block.setdefault(prefix + operator + suffix, {})[key] = listed(draw, values)
    return block


@st.composite
def statements(draw: st.DrawFn, keys: list[str], resource_policy: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 3)) == 0:
        statement["Sid"] = draw(st.sampled_from(["A", "B"]))
    if resource_policy and draw(st.integers(0, 4)) > 0:
        element = "NotPrincipal" if draw(st.integers(0, 4)) == 0 else "Principal"
        statement[element] = draw(st.sampled_from(PRINCIPALS))
    element = "NotAction" if draw(st.integers(0, 3)) == 0 else "Action"
    statement[element] = listed(draw, ACTION_PATTERNS, 3)
    resources = RESOURCE_PATTERNS + VARIABLE_RESOURCES
    if not resource_policy or draw(st.booleans()):
        element = "NotResource" if draw(st.integers(0, 3)) == 0 else "Resource"
        statement[element] = listed(draw, resources, 2)
    condition = draw(conditions(keys)) if keys else {}
    if condition:
        statement["Condition"] = condition
    return statement


@st.composite
def policy_pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], PolicyType]:
    keys = draw(st.lists(st.sampled_from(sorted(KEYS)), max_size=2, unique=True))
    resource_policy = draw(st.booleans())
    one = statements(keys, resource_policy)
    old = draw(st.lists(one, min_size=1, max_size=3))
    if draw(st.booleans()):
        new = draw(st.lists(one, min_size=1, max_size=3))
    else:  # a small edit of the old policy: the interesting, nearly-equal cases
        new = list(old)
        position = draw(st.integers(0, len(new) - 1))
        edit = draw(st.sampled_from(["replace", "add", "drop", "swap"]))
        if edit == "replace":
            new[position] = draw(one)
        elif edit == "add":
            new.insert(position, draw(one))
        elif edit == "drop" and len(new) > 1:
            del new[position]
        else:
            new.reverse()
    version = draw(st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17"]))
    kind = PolicyType.RESOURCE if resource_policy else PolicyType.IDENTITY
    return (
        {"Version": version, "Statement": old},
        {"Version": "2012-10-17", "Statement": new},
        kind,
    )


# --- the finite request space -----------------------------------------------------------------


def texts(document: Any) -> Iterator[str]:
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from texts(value)
    elif isinstance(document, list):
        for value in document:
            yield from texts(value)


def fill(pattern: str) -> set[str]:
    """Strings a pattern's wildcards and variables can stand for (a few of each)."""
    variants = {pattern}
    with_values = set()
    for text in variants:
        for value in ("alice", "b", "bob", "guest"):
            with_values.add(re.sub(r"\$\{[^}]*\}", value, text))
    result = set()
    for text in with_values:
        result |= {
            text.replace("*", "").replace("?", "x"),
            text.replace("*", "Zz:").replace("?", "y"),
        }
        result.add(text.replace("*", "x", 1).replace("*", "").replace("?", ":"))
    return result


def distinct_by(values: Iterable[str], patterns: list[Any]) -> list[str]:
    """One value per way of matching `patterns`: the others decide nothing new."""
    seen: dict[tuple[bool, ...], str] = {}
    for value in sorted(values):
        seen.setdefault(tuple(p.matches(value) for p in patterns), value)
    return sorted(seen.values())


def request_space(
    old: dict[str, Any], new: dict[str, Any], kind: PolicyType, extra: Iterable[str] = ()
) -> list[Request]:
    documents = [old, new]
    strings = set(texts(documents)) | set(extra)
    action_patterns = [s for s in strings if re.fullmatch(r"[\w*?]+:[\w*?]+", s)] + ["*"]
    resource_patterns = [s for s in strings if s.startswith(("arn:", "*"))]
    actions = distinct_by(
        {a for p in action_patterns for a in fill(p)} | set(FRESH_ACTIONS),
        [compile_pattern(p, Kind.ACTION) for p in action_patterns],
    )
    resources = {r for p in resource_patterns for r in fill(p)} | set(FRESH_RESOURCES)
    if "${" not in json.dumps(documents):  # else a resource's variables tie it to the context
        resources = set(
            distinct_by(resources, [compile_pattern(p, Kind.RESOURCE) for p in resource_patterns])
        )
    principals: list[str | None] = (
        list(REQUEST_PRINCIPALS) if kind is PolicyType.RESOURCE else [None]
    )
    mentioned = json.dumps(documents).lower()  # a variable's key in any case
    keys = sorted({k for k in KEYS if k.lower() in mentioned})
    options: list[list[tuple[str, tuple[str, ...] | None]]] = []
    for key in keys:
        _, values, fresh = KEYS[key]
        pool = sorted({v for value in values for v in fill(value)} | set(fresh) | set(values))
        choices: list[tuple[str, ...] | None] = [None, ()]  # (impossible ones are dropped)
        choices += [(v,) for v in pool]
        choices += [(pool[0], pool[-1]), (pool[1], pool[2]), (pool[0], pool[0])]
        options.append([(key, c) for c in choices])
    combinations = list(itertools.product(*options))
    others = len(actions) * len(resources) * len(principals)
    if len(combinations) * others > REQUEST_LIMIT:  # a fixed sample: bounded test time
        chosen = max(1, REQUEST_LIMIT // others)
        combinations = random.Random(0).sample(combinations, min(chosen, len(combinations)))
    contexts = [{k: v for k, v in combination if v is not None} for combination in combinations]
    not_principal = "NotPrincipal" in json.dumps(documents)
    case = any(fold_arn_prefix(text) != text for text in strings)
    requests: list[Request] = []
    for principal in principals:
        readings = relevant_readings(principal, not_principal, case)
        agreeing: dict[tuple[Any, ...], dict[str, tuple[str, ...]]] = {}
        for context in contexts:  # each context made to agree with the principal, once
            made = with_facts(Request("", "", principal, context), keys)
            if consistent(made, keys):
                agreeing.setdefault(tuple(sorted(made.context.items())), dict(made.context))
        requests += [
            Request(action, resource, principal, context, reading)
            for context in agreeing.values()
            for reading in readings
            for action in actions
            for resource in sorted(resources)
        ]
    return [r for r in requests if impossible(r) is None]  # requests AWS can make


SPACE_LIMIT = 10_000
"""Past this many requests the properties look at a sample of them (fixed seed, so `ci` stays
derandomized): what they find is still checked exactly, and the `ci` profile stays bounded now
that principals, readings and principal facts multiply the space."""


def bounded(space: list[Request]) -> list[Request]:
    if len(space) <= SPACE_LIMIT:
        return space
    return random.Random(len(space)).sample(space, SPACE_LIMIT)


def relevant_readings(
    principal: str | None, not_principal: bool, case: bool
) -> tuple[Reading, ...]:
    """The readings that can change a decision for `principal` (the others repeat one of
    these): with NotPrincipal, the account check for IAM/STS ARNs, a boundary for users and
    sessions, the role choices for sessions; the ARN case when a pattern has upper case in its
    partition, service or region."""
    arn = principal is not None and not_principal and principal.startswith("arn:")
    arn = arn and not (principal or "").endswith(":root")  # a root is its account
    session = arn and ":assumed-role/" in (principal or "")
    boundary = session or (arn and ":user/" in (principal or ""))
    found = {
        dataclasses.replace(
            reading,
            checks_account=reading.checks_account or not arn,
            checks_role=reading.checks_role and session,
            role_names_sessions=reading.role_names_sessions and session,
            permissions_boundary=reading.permissions_boundary and boundary,
            arn_prefix_case_folded=reading.arn_prefix_case_folded and case,
        )
        for reading in every_reading()
    }
    return tuple(sorted(found, key=every_reading().index))


def load(document: dict[str, Any], kind: PolicyType, name: str) -> Policy:
    return load_policy(decode_text(json.dumps(document), name), kind)
