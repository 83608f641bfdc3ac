"""Principal facts: the context keys that describe the caller take their values from it.

AWS fills these keys from the principal; no caller sets them (IAM User Guide, "AWS global
condition context keys", the principal properties, and "IAM policy elements: Variables and
tags", the table of principal key values). So a request whose principal is anonymous has no
`aws:PrincipalAccount`, and a principal of account A has `kms:CallerAccount` A. A *fact* says,
for one principal shape (`semantics.principals`), what one key holds:
- `absent`: the key is not in the request;
- `constant`: exactly the given value (`aws:PrincipalType` `User`);
- `account`: exactly the principal's account (its ARN's fifth segment);
- `itself`: exactly the principal's ARN;
- `present`: one value AWS does not show in the ARN (a user's unique id, the role ARN of a
  session, whose path the session drops): present, its value left free *(choice)*.
A key of a shape not listed (services, providers, canonical users), and a key an organization
decides (`aws:PrincipalOrgID` of a non-anonymous principal), is free. The evaluator's requests
(and the engine's counterexamples) are consistent with these facts (`consistent`); the encoder
states them as axioms (`policy_guard.encode.principal_facts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from policy_guard.policy.arns import (
    ACCOUNT_IAM,
    ACCOUNT_STS,
    ANONYMOUS,
    FEDERATED_USER,
    ROOT,
    SESSION,
    USER,
    exact_glob,
    shape,
)
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Policy
from policy_guard.semantics.principals import is_caller
from policy_guard.semantics.request import Request


@dataclass(frozen=True)
class Fact:
    kind: str  # "absent" | "constant" | "account" | "itself" | "present"
    text: str = ""

    @property
    def determined(self) -> bool:
        """The fact gives the key's value (or its absence) from the principal alone."""
        return self.kind != "present"


ABSENT = Fact("absent")
ACCOUNT = Fact("account")
ITSELF = Fact("itself")
PRESENT = Fact("present")

SHAPES = (ANONYMOUS, ROOT, USER, SESSION, FEDERATED_USER)
"""The principal shapes facts are known for (`anonymous` is a literal, the others patterns)."""
_AWS = (ROOT, USER, SESSION, FEDERATED_USER)
_ACCOUNT = (ACCOUNT_IAM, ACCOUNT_STS)
"""Every IAM or STS principal ARN: its account is known whatever its shape. (One key's shapes
never overlap: a principal has at most one fact per key.)"""


def _each(fact: Fact, shapes: Iterable[str] = _AWS) -> dict[str, Fact]:
    return dict.fromkeys(shapes, fact)


FACTS: Mapping[str, Mapping[str, Fact]] = {
    "aws:principalaccount": {ANONYMOUS: ABSENT, **_each(ACCOUNT, _ACCOUNT)},
    "kms:calleraccount": {ANONYMOUS: ABSENT, **_each(ACCOUNT, _ACCOUNT)},
    "aws:principalarn": {
        ANONYMOUS: ABSENT,
        **_each(ITSELF, (ROOT, USER, FEDERATED_USER)),
        SESSION: PRESENT,
    },
    "aws:principaltype": {
        ANONYMOUS: Fact("constant", "Anonymous"),
        ROOT: Fact("constant", "Account"),
        USER: Fact("constant", "User"),
        SESSION: Fact("constant", "AssumedRole"),
        FEDERATED_USER: Fact("constant", "FederatedUser"),
    },
    "aws:userid": {
        ANONYMOUS: Fact("constant", "anonymous"),
        ROOT: ACCOUNT,
        **_each(PRESENT, (USER, SESSION, FEDERATED_USER)),
    },
    "aws:username": {**_each(ABSENT, (ANONYMOUS, ROOT, SESSION, FEDERATED_USER)), USER: PRESENT},
    "aws:principalisawsservice": {ANONYMOUS: ABSENT, **_each(Fact("constant", "false"))},
    "aws:principalservicename": _each(ABSENT, SHAPES),
    "aws:principalorgid": {ANONYMOUS: ABSENT},
    "aws:principalorgpaths": {ANONYMOUS: ABSENT},
}
TAG_PREFIX = "aws:principaltag/"
"""`aws:PrincipalTag/...`: absent for anonymous; free otherwise."""


def shape_glob(name: str) -> Glob:
    return exact_glob(ANONYMOUS) if name == ANONYMOUS else shape(name)


def fact_for(key: str, principal: str) -> Fact | None:
    """The fact of a (lower-case) key for `principal` (None: free)."""
    for name, fact in facts_of(key).items():
        if shape_glob(name).matches(principal):
            return fact
    return None


def facts_of(key: str) -> Mapping[str, Fact]:
    """The facts of a (lower-case) key by shape; empty for a key that is no principal fact."""
    found = FACTS.get(key)
    if found is not None:
        return found
    if key.startswith(TAG_PREFIX):
        return {ANONYMOUS: ABSENT}
    return {}


def account_of(principal: str) -> str:
    """The fifth segment of an ARN (the account of an IAM or STS principal)."""
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 else ""


def fact_value(fact: Fact, principal: str) -> str | None:
    """The one value a determined fact gives (None: absent; or not determined)."""
    if fact.kind == "constant":
        return fact.text
    if fact.kind == "account":
        return account_of(principal)
    if fact.kind == "itself":
        return principal
    return None


def with_facts(request: Request, keys: Iterable[str]) -> Request:
    """`request` with each of `keys` (any case) made to agree with its principal: a key the
    facts say is absent removed, a determined key given its value (under the name it has in
    the request, else as written in `keys`); other keys as they were."""
    principal = request.principal
    if principal is None:
        return request
    context = dict(request.context)
    changed = False
    for key in keys:
        fact = fact_for(key.lower(), principal)
        if fact is None or fact.kind == "present":
            continue
        present = [k for k in context if k.lower() == key.lower()]
        if fact.kind == "absent":
            for k in present:
                del context[k]
                changed = True
            continue
        value = (fact_value(fact, principal) or "",)
        written = present[0] if present else key
        if context.get(written) != value:
            for k in present:
                del context[k]
            context[written] = value
            changed = True
    if not changed:
        return request
    return Request(request.action, request.resource, principal, context, request.reading)


def consistent(request: Request, keys: Iterable[str]) -> bool:
    """Is the request's principal one that calls, and do `keys` (the keys the policies test)
    agree with it?"""
    principal = request.principal
    if principal is None:
        return True
    if not is_caller(principal):
        return False
    for key in keys:
        fact = fact_for(key.lower(), principal)
        if fact is None:
            continue
        values = request.context_values(key)
        if fact.kind == "absent":
            if values is not None:
                return False
        elif fact.kind == "present":
            if not values:
                return False
        elif values != (fact_value(fact, principal),):
            return False
    return True


def condition_keys(policies: Iterable[Policy]) -> tuple[str, ...]:
    """The condition keys `policies` test (lower case), whose facts a request must agree with."""
    found: dict[str, None] = {}
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                found[condition.key_lower] = None
    return tuple(found)


def account_bearing(key: str) -> bool:
    """A (lower-case) key whose value some principal's account or ARN decides."""
    return any(f.kind in ("account", "itself") for f in facts_of(key).values())
