"""Shared by the public/external access tests: policy builders, random resource policies, a
finite request space, and the two definitions written again, plainly, as test oracles.

The oracles restate `policy_guard.semantics.exposure` from its docstring, on the JSON documents the
tests build (not on the package's model), so a test compares the engine with an independent
reading of the definition and with the reference evaluator.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

from policy_guard.checks.results import CheckResult
from policy_guard.document.read import decode_text
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.possible import impossible
from policy_guard.semantics.principal_facts import consistent
from policy_guard.semantics.request import Request

V = "2012-10-17"
ME, PARTNER, STRANGER = "123456789012", "444455556666", "555566667777"
ORG = "o-abcdefghij"

PINNING = {
    key.lower()
    for key in (
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
    )
}
ACCOUNT_CALLER_KEYS = {
    "aws:principalaccount",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalarn",
    "aws:sourcearn",
}
NO_WILDCARDS = (
    "stringequals",
    "stringnotequals",
    "stringequalsignorecase",
    "stringnotequalsignorecase",
)


def load(statements: list[dict[str, Any]] | dict[str, Any], name: str = "p.json") -> Policy:
    """A resource policy (the type forced, so statements need not name principals)."""
    document = {"Version": V, "Statement": statements}
    return load_policy(decode_text(json.dumps(document), name), PolicyType.RESOURCE)


def grant(principal: Any = "*", action: Any = "s3:GetObject", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **more}


def document_of(policy: Policy) -> dict[str, Any]:
    value: dict[str, Any] = policy.document.value
    return value


def statements_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def conditions_on(document: dict[str, Any], key: str) -> Iterator[tuple[str, str]]:
    """(operator in lower case, value) for every condition value on `key`."""
    for statement in statements_of(document):
        for operator, block in statement.get("Condition", {}).items():
            for name, values in block.items():
                if name.lower() == key.lower():
                    for value in listed(values):
                        yield operator.lower(), str(value)


# --- the definitions, restated ----------------------------------------------------------------


def accounts_named(document: dict[str, Any]) -> set[str]:
    blocks = [s.get(e) for s in statements_of(document) for e in ("Principal", "NotPrincipal")]
    return set(re.findall(r"(?<!\d)\d{12}(?!\d)", json.dumps([b for b in blocks if b])))


def account_of(principal: str | None) -> str | None:
    match = re.match(r"^arn:[^:]*:(?:iam|sts)::(\d{12}):", principal or "")
    return match.group(1) if match else None


def _base(operator: str) -> str:
    return operator.split(":")[-1].removesuffix("ifexists")


def _pinned_value(document: dict[str, Any], key: str, value: str) -> bool:
    for operator, fixed in conditions_on(document, key):
        base = _base(operator)
        if not base.startswith(("string", "arn")) or "${" in fixed:
            continue
        if base not in NO_WILDCARDS and ("*" in fixed or "?" in fixed):
            continue
        if value == fixed or (base.endswith("ignorecase") and value.lower() == fixed.lower()):
            return True
    return False


def _narrow_blocks(document: dict[str, Any]) -> list[Any]:
    blocks = []
    for operator, text in conditions_on(document, "aws:SourceIp"):
        if _base(operator) in ("ipaddress", "notipaddress"):
            block = ipaddress.ip_network(text, strict=False)
            if block.prefixlen >= (8 if block.version == 4 else 32):
                blocks.append(block)
    return blocks


def _in_block(value: str, blocks: list[Any]) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(address.version == b.version and address in b for b in blocks)


DYNAMODB_PINNING = {
    key.lower()
    for key in (
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:UserId",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalIsAWSService",
        "aws:Ec2InstanceSourceVpc",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
    )
}
EFS_PINNING = PINNING - {
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
}
# Public token issuers as a trust policy names them: host -> (subject claim, the start a
# StringLike pattern must fix to pin it, else None), and the guest claim (Cognito).
ISSUERS = {
    "token.actions.githubusercontent.com": ("sub", r"repo:[^/:]+/[^:]+:"),
    "gitlab.com": ("sub", r"project_path:[^:]+/[^:]+:"),
    "accounts.google.com": ("sub", None),
    "graph.facebook.com": ("id", None),
    "www.amazon.com": ("user_id", None),
    "cognito-identity.amazonaws.com": ("sub", None),
}
GUEST = {"cognito-identity.amazonaws.com": ("amr", "unauthenticated")}
OTHER_GITHUB_CLAIMS = ("repository", "repository_id", "repository_owner", "repository_owner_id")


def issuer_host(principal: str | None) -> str | None:
    host = (principal or "").split("oidc-provider/", 1)[-1]
    return host if host in ISSUERS else None


class PublicReading:
    """S3's meaning of public for one document (see policy_guard.semantics.exposure), or the
    service's own where it has one (`prefix` dynamodb, elasticfilesystem); a public issuer the
    document names as Federated principal is public unless its subject claim is pinned."""

    def __init__(self, document: dict[str, Any], prefix: str) -> None:
        self.document = document
        self.prefix = prefix
        self.named = accounts_named(document)
        self.pinning = {"dynamodb": DYNAMODB_PINNING, "elasticfilesystem": EFS_PINNING}.get(
            prefix, PINNING
        )
        self.blocks = [] if prefix == "dynamodb" else _narrow_blocks(document)
        self.federated = federated_named(document)
        self.claims = {
            f"{issuer_host(p)}:{n}".lower(): issuer_host(p)
            for p in self.federated
            for n in (
                ISSUERS[issuer_host(p) or ""][0],
                *(
                    OTHER_GITHUB_CLAIMS
                    if issuer_host(p) == "token.actions.githubusercontent.com"
                    else ()
                ),
            )
        }

    def _federated_public(self, request: Request) -> bool:
        host = issuer_host(request.principal)
        if request.principal not in self.federated or host is None:
            return False
        guest = GUEST.get(host)
        if guest is not None and any(
            k.lower() == f"{host}:{guest[0]}"
            for s in statements_of(self.document)
            for b in s.get("Condition", {}).values()
            for k in b
        ):
            values = request.context_values(f"{host}:{guest[0]}") or ()
            if not values or any(v != guest[1] for v in values):
                return False
        return True

    def __call__(self, request: Request) -> bool:
        if not request.action.lower().startswith(self.prefix + ":"):
            return False
        account = account_of(request.principal)
        public = request.principal == "anonymous" or (
            account is not None and account not in self.named
        )
        if not (public or self._federated_public(request)):
            return False
        for key, values in request.context.items():
            lowered = key.lower()
            if lowered in (*self.pinning, "aws:sourceip") and not values:
                return False
            if lowered in self.claims and not values and _claim_pins(self.document, key):
                return False
            if lowered in self.pinning and any(
                _pinned_value(self.document, key, v) for v in values
            ):
                return False
            if lowered in self.claims and any(_claim_pinned(self.document, key, v) for v in values):
                return False
            true_key = {
                "elasticfilesystem": "elasticfilesystem:accessedviamounttarget",
                "dynamodb": "aws:principalisawsservice",
            }.get(self.prefix)
            if lowered == true_key and any(v.strip().lower() == "true" for v in values):
                return False
        addresses = request.context_values("aws:SourceIp") or ()
        return not any(_in_block(a, self.blocks) for a in addresses)


def federated_named(document: dict[str, Any]) -> set[str]:
    """Federated principals of public issuers the document's Principal blocks name."""
    found = set()
    for statement in statements_of(document):
        for element in ("Principal", "NotPrincipal"):
            block = statement.get(element)
            if isinstance(block, dict):
                for value in listed(block.get("Federated", [])):
                    if issuer_host(str(value)) is not None:
                        found.add(str(value))
    return found


def _claim_pins(document: dict[str, Any], key: str) -> list[tuple[str, str]]:
    """(operator, value) of the String conditions on a subject claim whose value pins it: one
    without wildcard, or (StringLike) one whose start before the first wildcard fixes the
    subject (`ISSUERS`)."""
    host, name = key.lower().rsplit(":", 1)
    subject, start = ISSUERS.get(host, ("", None))
    found = []
    for operator, fixed in conditions_on(document, key):
        base = _base(operator)
        if not base.startswith("string") or "${" in fixed:
            continue
        if base in NO_WILDCARDS or not ("*" in fixed or "?" in fixed):
            found.append((base, fixed))
        elif base.endswith("like") and name == subject and start is not None:
            head = re.split(r"[*?]", fixed, maxsplit=1)[0]
            if re.match(start, head):
                found.append((base, fixed))
    return found


def _claim_pinned(document: dict[str, Any], key: str, value: str) -> bool:
    for base, fixed in _claim_pins(document, key):
        if base.endswith("like"):
            pattern = "".join(
                ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in fixed
            )
            if re.fullmatch(pattern, value, re.DOTALL):
                return True
        elif value == fixed or (base.endswith("ignorecase") and value.lower() == fixed.lower()):
            return True
    return False


def federated_outsider(document: dict[str, Any], request: Request) -> bool:
    """A public issuer the document names, with a token anyone can obtain: the guest claim
    value (alone) where the issuer has one and the document reads it, and no subject claim
    pinned."""
    reading = PublicReading(document, "s3")
    if not reading._federated_public(request):
        return False
    return not any(
        key.lower() in reading.claims and any(_claim_pinned(document, key, v) for v in values)
        for key, values in request.context.items()
    )


def _vouches(key: str, value: str, trusted: tuple[str, ...], organization: str | None) -> bool:
    key = key.lower()
    if key in ("aws:principalaccount", "aws:sourceaccount", "aws:sourceowner"):
        return value in trusted
    if key in ("aws:principalarn", "aws:sourcearn"):
        parts = value.split(":", 5)
        return len(parts) == 6 and parts[0] == "arn" and parts[4] in trusted
    return key == "aws:principalorgid" and value == organization


def is_external(
    request: Request,
    trusted: tuple[str, ...],
    organization: str | None,
    document: dict[str, Any] | None = None,
) -> bool:
    """Outside the trusted accounts and organization (see policy_guard.semantics.exposure); a
    public issuer's token anyone can obtain is outside whichever account registered it."""
    if document is not None:
        for key, values in request.context.items():
            claims = PublicReading(document, "s3").claims
            if key.lower() in claims and not values and _claim_pins(document, key):
                return False
    federated = document is not None and federated_outsider(document, request)
    if account_of(request.principal) in trusted and not federated:
        return False
    callers = (ACCOUNT_CALLER_KEYS if trusted else set()) | (
        {"aws:principalorgid"} if organization else set()
    )
    for key, values in request.context.items():
        if key.lower() in callers and not values:
            return False
        if any(_vouches(key, v, trusted, organization) for v in values):
            return False
    return True


def assert_confirmed(policy: Policy, result: CheckResult, wanted: Any) -> None:
    """Every reason replays: allowed, its statement matching, and `wanted` by the definition."""
    assert result.reasons
    for reason in result.reasons:
        evaluation = evaluate(policy, reason.counterexample)
        assert evaluation.allowed, reason
        assert reason.statement_index in {m.statement_index for m in evaluation.matched_statements}
        assert wanted(reason.counterexample), reason


# --- random resource policies and a finite request space --------------------------------------

GITHUB = f"arn:aws:iam::{ME}:oidc-provider/token.actions.githubusercontent.com"
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": ME},
    {"Federated": GITHUB},
    {"Federated": "graph.facebook.com"},
    {"AWS": f"arn:aws:iam::{ME}:role/r"},
    {"AWS": f"arn:aws:iam::{PARTNER}:root"},
    {"Service": "s3.amazonaws.com"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"AWS": ["*", PARTNER]},
]
ACTIONS = ["s3:GetObject", "s3:*", "s3:Put*", "*", "sqs:SendMessage", "sts:AssumeRole"]
RESOURCES = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b"]
STRING = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike"]
# key -> (operators, policy values, other request values)
KEYS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "aws:SourceVpce": (
        [*STRING, "StringEqualsIgnoreCase", "ForAnyValue:StringEquals"],
        ["vpce-1", "vpce-2", "vpce-*", "*", "VPCE-1"],
        ["vpce-3", "other"],
    ),
    "aws:PrincipalOrgID": (STRING, [ORG, "o-*", "o-zzzzzzzzzz"], ["o-other00000"]),
    "aws:SourceAccount": (STRING, [ME, PARTNER, "1234*"], ["123400000000", STRANGER]),
    "aws:SourceArn": (
        ["ArnLike", "ArnEquals", "ArnNotLike", "StringLike"],
        [f"arn:aws:sqs:us-east-1:{ME}:q", f"arn:aws:sqs:*:{PARTNER}:*", "arn:aws:s3:::b"],
        [f"arn:aws:sqs:us-east-1:{ME}:other", f"arn:aws:sqs:eu-west-1:{PARTNER}:x"],
    ),
    "aws:SourceIp": (
        ["IpAddress", "NotIpAddress"],
        ["10.0.0.0/8", "10.0.0.0/7", "192.0.2.0/24", "0.0.0.0/0", "2001:db8::/32", "2001:db8::/31"],
        ["10.1.2.3", "11.1.1.1", "12.0.0.1", "192.0.2.5", "2001:db8::1", "2001:db9::1", "::1"],
    ),
    "aws:userid": (["StringLike", "StringEquals"], ["AROAEXAMPLE:*", "AIDAEXAMPLE"], ["AIDAX"]),
    "aws:PrincipalAccount": (["StringEquals", "StringNotEquals"], [ME, PARTNER], [STRANGER]),
    # the claims of public token issuers: the subject pins, the audience does not
    "token.actions.githubusercontent.com:sub": (
        [*STRING, "ForAllValues:StringLike"],
        ["repo:o/r:*", "repo:o/r:ref:refs/heads/main", "repo:*", "repo:o/*"],
        ["repo:someone-else/any-repo:ref:refs/heads/main", "repo:o/x:pull_request"],
    ),
    "token.actions.githubusercontent.com:aud": (["StringEquals"], ["sts.amazonaws.com"], ["x"]),
    "cognito-identity.amazonaws.com:amr": (
        ["ForAnyValue:StringLike", "StringEquals", "StringNotEquals"],
        ["authenticated", "unauthenticated"],
        ["graph.facebook.com"],
    ),
    "graph.facebook.com:id": (STRING, ["1234", "12*"], ["999"]),
}
REQUEST_PRINCIPALS = [
    "anonymous",
    f"arn:aws:iam::{STRANGER}:user/u",
    f"arn:aws:iam::{ME}:root",
    f"arn:aws:iam::{ME}:role/r",
    f"arn:aws:sts::{PARTNER}:assumed-role/r/s",
    "s3.amazonaws.com",
    "cognito-identity.amazonaws.com",
    GITHUB,
    "graph.facebook.com",
]
REQUEST_ACTIONS = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage", "sts:AssumeRole"]
REQUEST_RESOURCES = [
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b",
    f"arn:aws:sqs:us-east-1:{ME}:q",  # (each action has a resource of its own type)
    f"arn:aws:iam::{ME}:role/r",
]


def _one_or_two(draw: st.DrawFn, values: list[Any]) -> Any:
    chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique_by=str))
    return chosen[0] if len(chosen) == 1 else chosen


@st.composite
def statements(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 2)) == 0:
        statement["Sid"] = draw(st.sampled_from(["A", "B"]))
    if draw(st.integers(0, 7)) > 0:
        element = "NotPrincipal" if draw(st.integers(0, 5)) == 0 else "Principal"
        statement[element] = draw(st.sampled_from(PRINCIPALS))
    element = "NotAction" if draw(st.integers(0, 5)) == 0 else "Action"
    statement[element] = _one_or_two(draw, ACTIONS)
    if draw(st.booleans()):
        statement["Resource"] = _one_or_two(draw, RESOURCES)
    block: dict[str, dict[str, Any]] = {}
    for key in keys:
        if draw(st.booleans()):
            continue
        operators, values, _ = KEYS[key]
        if draw(st.integers(0, 6)) == 0:
            block.setdefault("Null", {})[key] = draw(st.sampled_from(["true", "false"]))
            continue
        operator = draw(st.sampled_from(operators))
        if "Like" not in operator and not operator.startswith("Arn"):
            values = [v for v in values if "*" not in v]  # `*` only where it is a wildcard
        operator += draw(st.sampled_from(["", "", "IfExists"]))
        block.setdefault(operator, {})[key] = _one_or_two(draw, values)
    if block:
        statement["Condition"] = block
    return statement


@st.composite
def resource_policies(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(KEYS)), max_size=2, unique=True))
    return {"Version": V, "Statement": draw(st.lists(statements(keys), min_size=1, max_size=3))}


def request_space(document: dict[str, Any]) -> Iterator[Request]:
    """Every combination of the listed principals, actions, resources and, for each key the
    document uses, absent or one of its values (the policy's own and others), that AWS can
    make (`semantics.possible`) with keys that agree with the principal
    (`semantics.principal_facts`: an anonymous caller has no organization)."""
    text = json.dumps(document)
    choices: list[list[tuple[str, str | None]]] = []
    for key, (_, values, others) in KEYS.items():
        if key in text:
            pool = sorted({*values, *others})
            choices.append([(key, None), *((key, v) for v in pool)])
    keys = [key.lower() for key in KEYS if key in text]
    for combination in itertools.product(*choices):
        context = {k: (v,) for k, v in combination if v is not None}
        for principal in REQUEST_PRINCIPALS:
            for action in REQUEST_ACTIONS:
                for resource in REQUEST_RESOURCES:
                    request = Request(action, resource, principal, context)
                    if impossible(request) is None and consistent(request, keys):
                        yield request
