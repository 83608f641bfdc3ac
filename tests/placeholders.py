"""Counting placeholder values in counterexamples (issue 9, point 5).

A counterexample value is a *placeholder* when it is not of its documented shape and a
realistic value would do: replacing it with one keeps the request a confirmed counterexample.
- an action that is not catalogued, when a catalogued action confirms in its place;
- a resource that is not an ARN of one of the action's resource types (or `*` for an action
  that takes only `*`), when `*` or such an ARN confirms in its place;
- a principal that is not of a real shape (an account's root, a user, a role, a role session,
  a federated user, a service, a web identity provider, anonymous), when one confirms;
- a context value that is not of its key's documented type (a domain's own class name such as
  `not-an-address`, a one-letter `x`), when a value of the type confirms.
Kept apart from the engine's own choices (`encode.readable`): the candidates here are the
test's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator

from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import resource_fits, well_formed_head
from policy_guard.policy.arns import ANONYMOUS
from policy_guard.semantics.request import Request

Confirms = Callable[[Request], bool]

ACCOUNTS = ("111122223333", "444455556666")
REAL_PRINCIPAL = re.compile(
    r"arn:aws(?:-[a-z]+)*:(?:iam::\d{12}:(?:root|user/.+|role/.+)"
    r"|sts::\d{12}:(?:assumed-role/[^/]+/.+|federated-user/.+))"
)
OTHER_PRINCIPALS = (
    "s3.amazonaws.com",
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    ANONYMOUS,
)
TYPED_VALUES = {
    "Bool": ("true", "false"),
    "Date": ("2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    "Numeric": ("1", "6", "11", "100"),
    "IPAddress": ("203.0.113.7", "10.1.2.3", "10.2.0.1", "2001:db8::1", "::1"),
    "ARN": (
        "arn:aws:s3:::example-bucket",
        "arn:aws:iam::111122223333:role/example-role",
        "arn:aws:iam::111122223333:root",
        "arn:aws:iam::111122223333:user/example-user",
    ),
    "String": ("example-value", "team", "alice", "bob"),
}
DOMAIN_NAMES = {"value", "neither", "not-an-address", "not-a-number", "not-a-date", "x", ""}


def placeholders(request: Request, confirms: Confirms, names: list[str]) -> list[str]:
    """The placeholder parts of a confirmed counterexample (empty: none). `names`: services
    whose actions to try in place of an action that is not catalogued."""
    found = []
    if not catalogue.action_exists(request.action):
        actions = (a for s in dict.fromkeys(names) for a in catalogue.actions_for_service(s))
        if _any_confirms(confirms, (dataclasses.replace(request, action=a) for a in actions)):
            found.append(f"action {request.action}")
    elif not _real_resource(request.action, request.resource):
        resources = (dataclasses.replace(request, resource=r) for r in _examples(request.action))
        if _any_confirms(confirms, resources):
            found.append(f"resource {request.resource}")
    principal = request.principal
    if principal is not None and not _real_principal(principal):
        shapes = [
            f"arn:aws:iam::{a}:{rest}" for a in ACCOUNTS for rest in ("root", "user/u", "role/r")
        ]
        candidates = (
            dataclasses.replace(request, principal=p) for p in (*shapes, *OTHER_PRINCIPALS)
        )
        if _any_confirms(confirms, candidates):
            found.append(f"principal {principal}")
    for key, values in request.context.items():
        for value in values:
            if _real_value(key, value):
                continue
            if _any_confirms(confirms, _with_value(request, key, value)):
                found.append(f"{key}={value}")
    return found


def _any_confirms(confirms: Confirms, requests: Iterator[Request]) -> bool:
    return any(confirms(r) for r in requests)


def _real_resource(action: str, resource: str) -> bool:
    if catalogue.action_resource_formats(action):
        return resource_fits(action, resource)
    return resource == "*"


def _examples(action: str) -> list[str]:
    """`*`, and each ARN format of the action filled with example values."""
    head = {"Partition": "aws", "Region": "us-east-1", "Account": ACCOUNTS[0]}
    filled = [
        re.sub(r"\$\{([^}]*)\}", lambda m: head.get(m.group(1), "example"), arn_format)
        for _, arn_format in catalogue.action_resource_formats(action)
    ]
    return ["*", *filled]


def _real_principal(principal: str) -> bool:
    return (
        bool(REAL_PRINCIPAL.fullmatch(principal))
        or principal in OTHER_PRINCIPALS
        or (principal.endswith(".amazonaws.com"))
    )


def _types(key: str) -> set[str]:
    return {
        k.removeprefix(catalogue.MULTIVALUED_PREFIX) for k in catalogue.condition_key_types(key)
    }


def _real_value(key: str, value: str) -> bool:
    if value in DOMAIN_NAMES:
        return False
    types = _types(key)
    if "ARN" in types:  # an ARN, its partition, region and account of their shapes
        return value.startswith("arn:") and well_formed_head(value)
    return True


def _with_value(request: Request, key: str, value: str) -> Iterator[Request]:
    types = _types(key) or {"String"}
    for kind in sorted(types):
        for candidate in TYPED_VALUES.get(kind, ()):
            context = dict(request.context)
            context[key] = tuple(candidate if v == value else v for v in context[key])
            yield dataclasses.replace(request, context=context)
