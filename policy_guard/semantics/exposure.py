"""Who counts as "the public" and as "external", decided on one concrete request.

These are the definitions the two access checks prove over every request
(`policy_guard.checks_access`); the same definitions, applied here to concrete requests, confirm
every counterexample together with the reference evaluator.

Public (S3's "meaning of public", which IAM Access Analyzer's CheckNoPublicAccess follows) — a
request is *public* for a resource type when:
- its action belongs to the service that the resource type's policy governs (`s3:` for
  `AWS::S3::Bucket`, `sts:` for `AWS::IAM::AssumeRolePolicyDocument`, ...): actions of other
  services cannot be granted by that policy *(choice: the policy is read as the given type's)*;
- its principal is anonymous, or any principal of an account that no Principal/NotPrincipal
  entry of the policy names (service, federated and canonical-user principals are never public:
  a named one is a fixed principal);
- each pinning key (`PINNING_KEYS`) is absent, or has one or more values none of which matches
  a *fixed* value the policy compares that key with (a literal String/Arn value: no wildcard, no
  policy variable) — so `StringEquals aws:SourceVpce vpce-1` pins, `StringLike aws:SourceVpce *`
  does not, and `aws:userid` values like `AROLEID:*` (a wildcard) do not;
- `aws:SourceIp` is absent, or has one or more values all outside every CIDR block the policy
  names on it that is no broader than /8 (IPv4) or /32 (IPv6). A broader block (`0.0.0.0/1`,
  `10.0.0.0/7`) does not pin, even where it covers private addresses. The RFC 1918 ranges
  (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) and every block inside them are /8 or narrower, so
  a policy that names them pins the request to them: private ranges never make a policy public
  *(choice)*. A value that is not an address lies in no block.
A policy grants public access when it allows some public request.

External — a request comes from outside the trusted accounts (and organization) unless:
- its principal is an IAM or STS principal of a trusted account (`arn:PARTITION:iam::ID:...` or
  `arn:PARTITION:sts::ID:...`; that account's SAML/OIDC provider ARNs included: the account
  decides whom its own identity provider vouches for, and the evaluator reads them as its
  principals); or
- a key that AWS sets from the caller, and that no caller can set, vouches for a trusted
  account: `aws:PrincipalAccount`, `aws:SourceAccount` or `aws:SourceOwner` equal to a trusted
  account, `aws:PrincipalArn` or `aws:SourceArn` with a trusted account in its account field,
  or `aws:PrincipalOrgID` equal to the trusted organization (AWS sets one value; of a key given
  several values, one trusted value vouches). For a service principal this is the documented
  pinning by aws:SourceAccount / aws:SourceOwner / aws:SourceArn; for other principals it only
  removes requests that cannot occur (no caller sends aws:SourceAccount of its own) *(choice)*.
A caller key that is present has a value: requests with such a key present and empty are not
requests AWS sends, and are neither public nor external (the same holds for the pinning keys and
aws:SourceIp above).
Anonymous, principals of other accounts, web-identity and other accounts' federated principals,
canonical users and unpinned service principals are external.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.arns import (
    ACCOUNT_ID,
    ANONYMOUS,
    ORGANIZATION_ID,
    PrincipalKind,
    principal_account,
)
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.model import Policy, PrincipalEntry
from policy_guard.policy.operators import Family, IpNetwork, ValueError_, parse_cidr, parse_ip
from policy_guard.policy.resource_types import RESOURCE_TYPES
from policy_guard.policy.variables import compile_fixed
from policy_guard.semantics.principal_facts import account_bearing
from policy_guard.semantics.request import Request

PINNING_KEYS = (
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:userid",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
)
SOURCE_IP = "aws:sourceip"
NARROW_PREFIX = {4: 8, 6: 32}  # a block at least this long pins aws:SourceIp

OUTSIDERS = ("111122223333", "444455556666", "777788889999", "210987654321")

# Keys AWS sets from the caller: (key as written, reads an account id | an ARN | the org id).
ACCOUNT_KEYS = ("aws:PrincipalAccount", "aws:SourceAccount", "aws:SourceOwner")
ARN_KEYS = ("aws:PrincipalArn", "aws:SourceArn")
ORGANIZATION_KEY = "aws:PrincipalOrgID"


def service_prefixes(resource_type: str) -> tuple[str, ...]:
    """The services whose actions a `resource_type` policy grants (InputError: unknown type)."""
    prefixes = RESOURCE_TYPES.get(resource_type)
    if prefixes is None:
        raise InputError(
            f"`{resource_type}` is not a resource type CheckNoPublicAccess knows "
            f"(valid: {', '.join(RESOURCE_TYPES)})"
        )
    return prefixes


def named_accounts(policy: Policy) -> frozenset[str]:
    """Every account that a Principal or NotPrincipal entry names (an account, or an ARN in it),
    or that a condition on a key AWS fills with the caller's account names
    (`pinned_accounts`)."""
    found: set[str] = set(pinned_accounts(policy))
    for entry in principal_entries(policy):
        account = entry.account or principal_account(entry.text)
        if account is not None:
            found.add(account)
    return frozenset(found)


_ACCOUNT_IN = re.compile(r"(?<!\d)\d{12}(?!\d)")


def pinned_accounts(policy: Policy) -> frozenset[str]:
    """Accounts in the values of conditions on keys that describe the caller's account or ARN
    (`semantics.principal_facts`: `kms:CallerAccount`, `aws:PrincipalAccount`, ...). Their
    principals are not "any account": the policy names them. The outsider that stands for
    every other account must be none of them.

    UndecidedError when such a value has a wildcard inside the account (`1111*`): then the
    accounts the policy does not name are not all alike, and one outsider cannot stand for
    them."""
    found: set[str] = set()
    for statement in policy.statements:
        for condition in statement.conditions:
            if not account_bearing(condition.key_lower):
                continue
            for value in condition.values:
                found.update(_ACCOUNT_IN.findall(value.text))
                if _partial_account_wildcard(value.text):
                    raise UndecidedError(
                        f"{policy.filename}:{policy.span_of(value.path).line}: `{value.text}` "
                        f"matches some accounts by a wildcard (`{condition.key}`); "
                        "policy-guard cannot decide public or external access exactly"
                    )
    return frozenset(found)


def _partial_account_wildcard(text: str) -> bool:
    """A value that may match some 12-digit accounts and not others: a wildcard in the account
    (an ARN's fifth segment, else the value) beside nothing but digits (`1111*`; not `*`,
    not `AROAID:*`, which matches no account)."""
    segment = text.split(":")[4] if text.startswith("arn:") and text.count(":") >= 5 else text
    if segment == "*" or not ("*" in segment or "?" in segment):
        return False
    return all(c.isdigit() or c in "*?" for c in segment)


def principal_entries(policy: Policy) -> tuple[PrincipalEntry, ...]:
    """The entries of every Principal and NotPrincipal block, in document order."""
    entries: list[PrincipalEntry] = []
    for statement in policy.statements:
        for block in (statement.principal, statement.not_principal):
            if block is not None:
                entries.extend(block.entries)
    return tuple(entries)


def outsider_account(excluded: Iterable[str]) -> str:
    """A 12-digit account that is none of `excluded` (readable ones first)."""
    taken = set(excluded)
    for account in OUTSIDERS:
        if account not in taken:
            return account
    number = 100_000_000_000
    while f"{number:012d}" in taken:
        number += 1
    return f"{number:012d}"


def account_entry(account: str) -> PrincipalEntry:
    """A Principal entry naming every IAM/STS principal of `account` (for the engine)."""
    return PrincipalEntry(PrincipalKind.AWS, account, ())


def has_empty_key(request: Request, keys: tuple[str, ...]) -> bool:
    """One of `keys` present without a value: no request AWS sends is like that."""
    return any(request.context_values(key) == () for key in keys)


def outside_blocks(address: IPv4Address | IPv6Address, networks: Iterable[IpNetwork]) -> bool:
    """In none of the blocks (an address is never in a block of the other IP version)."""
    return not any(address.version == n.version and address in n for n in networks)


def _address_outside(value: str, networks: tuple[IpNetwork, ...]) -> bool:
    try:
        address = parse_ip(value)
    except ValueError_:
        return True  # not an address: in no block
    return outside_blocks(address, networks)


# --- public -----------------------------------------------------------------------------------


def fixed_values(policy: Policy) -> dict[str, tuple[Glob, ...]]:
    """For each pinning key the policy compares with literal String/Arn values, those values
    (compiled exactly as the engine compiles them: `variables.compile_fixed`)."""
    fixed: dict[str, dict[Glob, None]] = {}
    for statement in policy.statements:
        for condition in statement.conditions:
            spec = condition.operator.spec
            if condition.key_lower not in PINNING_KEYS or spec is None:
                continue
            if not spec.is_string:
                continue
            variables = policy.variables_enabled and spec.allows_variables
            globs = [compile_fixed(v.text, spec.string_kind, variables) for v in condition.values]
            literals = [g for g in globs if g is not None and g.is_literal]
            fixed.setdefault(condition.key_lower, {}).update(dict.fromkeys(literals))
    return {key: tuple(globs) for key, globs in fixed.items() if globs}


def is_narrow(network: IpNetwork) -> bool:
    """No broader than /8 (IPv4) or /32 (IPv6): a block that pins aws:SourceIp."""
    return network.prefixlen >= NARROW_PREFIX[network.version]


def narrow_ranges(policy: Policy) -> tuple[IpNetwork, ...]:
    """The CIDR blocks the policy names on aws:SourceIp that are /8 (IPv6: /32) or narrower."""
    found: dict[IpNetwork, None] = {}
    for statement in policy.statements:
        for condition in statement.conditions:
            spec = condition.operator.spec
            if condition.key_lower != SOURCE_IP or spec is None or spec.family is not Family.IP:
                continue
            for value in condition.values:
                try:
                    network = parse_cidr(value.text)
                except ValueError_:
                    continue  # the engine and the evaluator report it
                if is_narrow(network):
                    found[network] = None
    return tuple(found)


@dataclass(frozen=True)
class PublicAccess:
    """The public requests for one policy read as a `resource_type` policy."""

    resource_type: str
    action_patterns: tuple[str, ...]  # `s3:*`: the governed service's actions
    named: frozenset[str]  # accounts the policy names
    fixed: Mapping[str, tuple[Glob, ...]]  # pinning key (lower case) -> its fixed values
    narrow: tuple[IpNetwork, ...]  # aws:SourceIp blocks that pin
    outsider: str  # an account the policy does not name: its principals are public

    def is_public_principal(self, principal: str | None) -> bool:
        if principal == ANONYMOUS:
            return True
        account = principal_account(principal) if principal is not None else None
        return account is not None and account not in self.named

    def is_public(self, request: Request) -> bool:
        """Is `request` one that the definition calls public (the policy aside)?"""
        actions = [compile_pattern(p, Kind.ACTION) for p in self.action_patterns]
        if not any(g.matches(request.action) for g in actions):
            return False
        if not self.is_public_principal(request.principal):
            return False
        if has_empty_key(request, (*PINNING_KEYS, SOURCE_IP)):
            return False
        for key, globs in self.fixed.items():
            values = request.context_values(key) or ()
            if any(g.matches(v) for g in globs for v in values):
                return False
        addresses = request.context_values(SOURCE_IP) or ()
        return all(_address_outside(a, self.narrow) for a in addresses)


def public_access(policy: Policy, resource_type: str) -> PublicAccess:
    prefixes = service_prefixes(resource_type)
    named = named_accounts(policy)
    return PublicAccess(
        resource_type,
        tuple(f"{p}:*" for p in prefixes),
        named,
        fixed_values(policy),
        narrow_ranges(policy),
        outsider_account(named),
    )


# --- external ---------------------------------------------------------------------------------


def check_trusted(accounts: Iterable[str], organization: str | None) -> tuple[str, ...]:
    """The trusted accounts, checked (InputError for a malformed id or an empty trust)."""
    checked = tuple(dict.fromkeys(accounts))
    for account in checked:
        if not ACCOUNT_ID.match(account):
            raise InputError(f"trusted account `{account}` is not a 12-digit AWS account id")
    if organization is not None and not ORGANIZATION_ID.match(organization):
        raise InputError(
            f"trusted organization `{organization}` is not an organization id like `o-a1b2c3d4e5`"
        )
    if not checked and organization is None:
        raise InputError("name at least one trusted account or a trusted organization")
    return checked


def vouching_values(accounts: tuple[str, ...], organization: str | None) -> dict[str, list[str]]:
    """Per caller key (as written), the values that vouch for a trusted caller (patterns:
    StringEquals for ids, ArnLike for ARNs)."""
    values: dict[str, list[str]] = {key: list(accounts) for key in ACCOUNT_KEYS}
    values.update({key: [f"arn:*:*:*:{a}:*" for a in accounts] for key in ARN_KEYS})
    if organization is not None:
        values[ORGANIZATION_KEY] = [organization]
    return {key: found for key, found in values.items() if found}


def vouching_globs(vouching: Mapping[str, list[str]]) -> dict[str, tuple[Glob, ...]]:
    """The same patterns compiled, by lower-case key."""
    return {
        key.lower(): tuple(
            compile_pattern(v, Kind.ARN_LIKE if key in ARN_KEYS else Kind.STRING_EQUALS)
            for v in found
        )
        for key, found in vouching.items()
    }


@dataclass(frozen=True)
class ExternalAccess:
    """The requests from outside the trusted accounts and organization."""

    trusted: tuple[str, ...]
    organization: str | None
    vouching: Mapping[str, tuple[Glob, ...]]  # caller key (lower case) -> trusted values
    outsider: str  # an account neither trusted nor named by the policy

    def is_trusted_principal(self, principal: str | None) -> bool:
        account = principal_account(principal) if principal is not None else None
        return account is not None and account in self.trusted

    def is_vouched(self, request: Request) -> bool:
        """A caller key with a trusted value."""
        for key, globs in self.vouching.items():
            values = request.context_values(key) or ()
            if any(g.matches(v) for g in globs for v in values):
                return True
        return False

    def is_external(self, request: Request) -> bool:
        if has_empty_key(request, tuple(self.vouching)):
            return False
        return not self.is_trusted_principal(request.principal) and not self.is_vouched(request)


def external_access(
    policy: Policy, trusted: tuple[str, ...], organization: str | None
) -> ExternalAccess:
    vouching = vouching_globs(vouching_values(trusted, organization))
    return ExternalAccess(
        trusted, organization, vouching, outsider_account({*named_accounts(policy), *trusted})
    )
