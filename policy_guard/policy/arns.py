"""Accounts, ARNs and principals: how IAM reads the strings that name who makes a request.

One place for the facts that the model (Principal entries), the reference evaluator, the
"public"/"external" definitions, the engine and the checks' messages all use.

An ARN is `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, and its partition is never empty
(`aws`, `aws-cn`, `aws-us-gov`, ...: AWS General Reference, "Amazon Resource Names"). So
`arn::iam::123456789012:root` names no account and no principal: a Principal entry written so is
not the account (IAM refuses it), and a request principal written so belongs to no account.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

from policy_guard.policy.globs import Glob, Kind, Wild, compile_pattern

ACCOUNT_ID = re.compile(r"^\d{12}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
ANONYMOUS = "anonymous"
"""How a request (and its JSON) writes the absence of a principal."""

_PARTITION = r"[^:]+"
_ROOT = re.compile(rf"^arn:{_PARTITION}:iam::(\d{{12}}):root$")
_IAM_OR_STS = re.compile(rf"^arn:{_PARTITION}:(?:iam|sts)::(\d{{12}}):")
_IDENTITY_PROVIDER = re.compile(
    rf"^arn:{_PARTITION}:iam::\d{{12}}:(?:saml-provider|oidc-provider)/"
)
_FEDERATED_HOSTS = (
    "cognito-identity.amazonaws.com",
    "www.amazon.com",
    "graph.facebook.com",
    "accounts.google.com",
    "appleid.apple.com",
)
_CANONICAL_USER = re.compile(r"^[0-9a-f]{64}$")


class PrincipalKind(str, Enum):
    """The keys of a Principal element: which kind of principal an entry names."""

    AWS = "AWS"
    SERVICE = "Service"
    FEDERATED = "Federated"
    CANONICAL_USER = "CanonicalUser"


def root_arn(account: str, partition: str = "aws") -> str:
    """The ARN that stands for the whole account in a Principal element (`arn:aws:iam::ID:root`);
    as a principal of a request, the account's root user."""
    return f"arn:{partition}:iam::{account}:root"


def root_account(arn: str) -> str | None:
    """The account whose root ARN `arn` is (any partition), else None."""
    match = _ROOT.match(arn)
    return match.group(1) if match else None


def principal_account(principal: str) -> str | None:
    """The account of an IAM or STS principal ARN (`arn:aws:iam::ID:...`,
    `arn:aws:sts::ID:...`), else None."""
    match = _IAM_OR_STS.match(principal)
    return match.group(1) if match else None


def principal_kind(principal: str) -> PrincipalKind | None:
    """Which kind of Principal entry can name `principal` (None: anonymous).

    ARNs are AWS principals, except SAML/OIDC provider ARNs (Federated); hosts of web identity
    providers are Federated; other `*.amazonaws.com` names (and `*.amazonaws.com.cn`) are
    services; a 64-hex-digit id is a canonical user.
    """
    if principal == ANONYMOUS:
        return None
    if principal.startswith("arn:"):
        if _IDENTITY_PROVIDER.match(principal):
            return PrincipalKind.FEDERATED
        return PrincipalKind.AWS
    if principal in _FEDERATED_HOSTS:
        return PrincipalKind.FEDERATED
    if _CANONICAL_USER.match(principal):
        return PrincipalKind.CANONICAL_USER
    if principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return PrincipalKind.SERVICE
    return PrincipalKind.FEDERATED


# --- the shapes of principal ARNs, as ArnLike patterns ------------------------------------------
# Each of the first five segments is free of `:` and the partition is never empty (`arn:?*:`), so
# the reference evaluator and the encoder read a principal's shape from the same Globs
# (`semantics.principals`: the evaluator matches against them, the encoder adds them to the
# principal's space).

ROOT = "arn:?*:iam::*:root"
USER = "arn:?*:iam::*:user/*"
SESSION = "arn:?*:sts::*:assumed-role/*"
"""A role session: `arn:aws:sts::ID:assumed-role/ROLE/SESSION` (the role's path is dropped)."""
FEDERATED_USER = "arn:?*:sts::*:federated-user/*"
PROVIDERS = ("arn:?*:iam::*:saml-provider/*", "arn:?*:iam::*:oidc-provider/*")
ACCOUNT_IAM = "arn:?*:iam::*:*"
ACCOUNT_STS = "arn:?*:sts::*:*"
"""Any IAM or STS ARN: its account is its fifth segment."""
ANY_ARN = "arn:*"

_ROLE = re.compile(rf"^arn:({_PARTITION}):iam::([^:]*):role/(?:.*/)?([^/]+)$")
_SOME_PARTITION = (*"arn:", Wild.ANY_IN_SEGMENT, Wild.STAR_IN_SEGMENT)


@lru_cache(maxsize=64)
def shape(pattern: str) -> Glob:
    """One of the shapes above, compiled (ARN_LIKE: wildcards stay within a segment)."""
    return compile_pattern(pattern, Kind.ARN_LIKE)


def is_shape(pattern: str, principal: str) -> bool:
    return shape(pattern).matches(principal)


def account_globs(account: str) -> tuple[Glob, ...]:
    """Every IAM and STS principal ARN of `account` (any partition)."""
    return tuple(
        Glob((*_SOME_PARTITION, *f":{service}::{account}:", Wild.STAR), False)
        for service in ("iam", "sts")
    )


def root_glob(account: str) -> Glob:
    """The root ARN of `account` in any partition."""
    return Glob((*_SOME_PARTITION, *f":iam::{account}:root"), False)


def exact_glob(text: str) -> Glob:
    """Exactly `text` (a `*` inside a principal is a literal character)."""
    return Glob(tuple(text), False)


def session_glob(role_arn: str) -> Glob | None:
    """Every session of the role `role_arn` names (`assumed-role/NAME/SESSION`, SESSION not
    empty; the role's path is not part of a session's ARN), or None when it is no role ARN."""
    match = _ROLE.match(role_arn)
    if match is None:
        return None
    partition, account, name = match.groups()
    prefix = f"arn:{partition}:sts::{account}:assumed-role/{name}/"
    return Glob((*prefix, Wild.ANY, Wild.STAR), False)
