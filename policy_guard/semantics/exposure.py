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
Per resource type, the pinning keys, whether aws:SourceIp counts and the keys that restrict when
true are AWS's documented lists (`public_rules.TYPE_RULES`: DynamoDB's, EFS's, S3's; S3's where a
type has none). A Federated principal of a public token issuer the policy names
(`public_rules.PUBLIC_ISSUERS`) is public, and external, unless its subject claim is pinned
(docs/semantics.md, "Public and external, per resource type and per identity provider").

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

import dataclasses
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
from policy_guard.policy.operators import (
    Family,
    IpNetwork,
    ValueError_,
    parse_bool,
    parse_cidr,
    parse_ip,
)
from policy_guard.policy.resource_types import RESOURCE_TYPES
from policy_guard.policy.variables import compile_fixed
from policy_guard.semantics.principal_facts import account_bearing
from policy_guard.semantics.public_rules import (
    S3_KEYS,
    TYPE_RULES,
    Issuer,
    TypeRule,
    claim_keys,
    issuer_of,
    pins_access_point,
)
from policy_guard.semantics.request import Request

PINNING_KEYS = S3_KEYS  # the conservative rule; each type's own: `public_rules.TYPE_RULES`
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


def fixed_values(policy: Policy, rule: TypeRule | None = None) -> dict[str, tuple[Glob, ...]]:
    """For each pinning key of `rule` (default: S3's) the policy compares with String/Arn values
    that pin, those values (compiled exactly as the engine compiles them: `variables.
    compile_fixed`): a literal pins; on an access point key, an access point ARN with a fixed
    account pins too. The subject claims of the public issuers the policy names
    (`federated_claims`) are pinning keys too, with their issuer's rule."""
    chosen = rule or TYPE_RULES["AWS::S3::Bucket"]
    claims = federated_claims(policy)
    fixed: dict[str, dict[Glob, None]] = {}
    for statement in policy.statements:
        for condition in statement.conditions:
            spec = condition.operator.spec
            key = condition.key_lower
            if spec is None or not spec.is_string:
                continue
            if key not in chosen.pinning and key not in claims:
                continue
            variables = policy.variables_enabled and spec.allows_variables
            for value in condition.values:
                glob = compile_fixed(value.text, spec.string_kind, variables)
                if glob is None:
                    continue
                if key in claims:
                    issuer, name = claims[key]
                    pins = issuer.pins(name, value.text, glob.is_literal)
                else:
                    pins = glob.is_literal or (
                        key in chosen.access_point_keys and pins_access_point(value.text)
                    )
                if pins:
                    fixed.setdefault(key, {})[glob] = None
    return {key: tuple(globs) for key, globs in fixed.items() if globs}


def federated_entries(policy: Policy) -> dict[str, Issuer]:
    """The Federated principals of public token issuers the policy's Principal blocks name
    (text -> issuer), in document order."""
    found: dict[str, Issuer] = {}
    for entry in principal_entries(policy):
        if entry.kind is PrincipalKind.FEDERATED:
            issuer = issuer_of(entry.text)
            if issuer is not None:
                found[entry.text] = issuer
    return found


def federated_claims(policy: Policy) -> dict[str, tuple[Issuer, str]]:
    """The subject claim keys (lower case) of the public issuers the policy names: key ->
    (issuer, claim name)."""
    claims: dict[str, tuple[Issuer, str]] = {}
    for text, issuer in federated_entries(policy).items():
        for name, key in claim_keys(issuer, text).items():
            claims[key] = (issuer, name)
    return claims


def guest_claims(policy: Policy) -> dict[str, tuple[str, Glob]]:
    """For each public issuer principal the policy names whose every public token carries a
    claim value (Cognito: `amr` holds `unauthenticated`), and whose claim the policy reads:
    principal -> (claim key, the value as a literal pattern)."""
    used = {c.key_lower for s in policy.statements for c in s.conditions}
    found: dict[str, tuple[str, Glob]] = {}
    for text, issuer in federated_entries(policy).items():
        if issuer.guest is None:
            continue
        name, value = issuer.guest
        key = f"{issuer.prefix}{name}".lower()
        if key in used:
            found[text] = (key, compile_pattern(value, Kind.STRING_EQUALS))
    return found


def _some_match(request: Request, key: str, globs: Iterable[Glob]) -> bool:
    values = request.context_values(key) or ()
    return any(g.matches(v) for g in globs for v in values)


def federated_exposed(
    request: Request,
    federated: Mapping[str, Issuer],
    guests: Mapping[str, tuple[str, Glob]],
    claim_pins: Mapping[str, tuple[Glob, ...]],
) -> bool:
    """Is the request's principal a public issuer the policy names, with a token anyone can
    obtain: each subject claim absent or outside its pinning values, and the guest claim value
    (the claim's only value) where the issuer has one and the policy reads it?"""
    principal = request.principal
    if principal is None or principal not in federated:
        return False
    guest = guests.get(principal)
    if guest is not None:
        values = request.context_values(guest[0]) or ()
        if not values or not all(guest[1].matches(v) for v in values):
            return False
    keys = claim_keys(federated[principal], principal).values()
    return not any(_some_match(request, k, claim_pins.get(k, ())) for k in keys)


def is_narrow(network: IpNetwork) -> bool:
    """No broader than /8 (IPv4) or /32 (IPv6): a block that pins aws:SourceIp."""
    return network.prefixlen >= NARROW_PREFIX[network.version]


def narrow_ranges(policy: Policy, rule: TypeRule | None = None) -> tuple[IpNetwork, ...]:
    """The CIDR blocks the policy names on aws:SourceIp that are /8 (IPv6: /32) or narrower
    (none where the type's rule does not count aws:SourceIp: DynamoDB)."""
    found: dict[IpNetwork, None] = {}
    if rule is not None and not rule.source_ip:
        return ()
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
    fixed: Mapping[str, tuple[Glob, ...]]  # pinning key (lower case) -> its pinning values
    narrow: tuple[IpNetwork, ...]  # aws:SourceIp blocks that pin
    outsider: str  # an account the policy does not name: its principals are public
    rule: TypeRule = TYPE_RULES["AWS::S3::Bucket"]
    federated: Mapping[str, Issuer] = dataclasses.field(default_factory=dict)
    guests: Mapping[str, tuple[str, Glob]] = dataclasses.field(default_factory=dict)

    @property
    def valued_keys(self) -> tuple[str, ...]:
        """The keys a public request has with some value when present."""
        return (*self.rule.pinning, *self.fixed, SOURCE_IP, *self.rule.true_keys)

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
        federated = federated_exposed(request, self.federated, self.guests, {})
        if not (self.is_public_principal(request.principal) or federated):
            return False
        if has_empty_key(request, self.valued_keys):
            return False
        for key, globs in self.fixed.items():
            if _some_match(request, key, globs):
                return False
        for key in self.rule.true_keys:
            if any(_reads_true(v) for v in request.context_values(key) or ()):
                return False
        addresses = request.context_values(SOURCE_IP) or ()
        if not self.rule.source_ip:
            return True
        return all(_address_outside(a, self.narrow) for a in addresses)


def _reads_true(value: str) -> bool:
    try:
        return parse_bool(value)
    except ValueError_:
        return False


def public_access(policy: Policy, resource_type: str) -> PublicAccess:
    prefixes = service_prefixes(resource_type)
    rule = TYPE_RULES[resource_type]
    named = named_accounts(policy)
    return PublicAccess(
        resource_type,
        tuple(f"{p}:*" for p in prefixes),
        named,
        fixed_values(policy, rule),
        narrow_ranges(policy, rule),
        outsider_account(named),
        rule,
        federated_entries(policy),
        guest_claims(policy),
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
    federated: Mapping[str, Issuer] = dataclasses.field(default_factory=dict)
    guests: Mapping[str, tuple[str, Glob]] = dataclasses.field(default_factory=dict)
    claim_pins: Mapping[str, tuple[Glob, ...]] = dataclasses.field(default_factory=dict)

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
        """Outside: neither a trusted principal nor vouched for; a public issuer's token that
        anyone can obtain is outside whichever account registered the provider."""
        if has_empty_key(request, (*self.vouching, *self.claim_pins)):
            return False
        if federated_exposed(request, self.federated, self.guests, self.claim_pins):
            return not self.is_vouched(request)
        return not self.is_trusted_principal(request.principal) and not self.is_vouched(request)


def external_access(
    policy: Policy, trusted: tuple[str, ...], organization: str | None
) -> ExternalAccess:
    vouching = vouching_globs(vouching_values(trusted, organization))
    claims = federated_claims(policy)
    claim_pins = {k: g for k, g in fixed_values(policy).items() if k in claims}
    return ExternalAccess(
        trusted,
        organization,
        vouching,
        outsider_account({*named_accounts(policy), *trusted}),
        federated_entries(policy),
        guest_claims(policy),
        claim_pins,
    )
