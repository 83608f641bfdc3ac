"""The typed policy model: what a policy says, normalised the way IAM reads it.

Everything is frozen. Every element keeps its logical path inside the document (e.g.
`("Statement", 1, "Action", 0)`); `Policy.document.span_of(path)` turns a path into line and
column, in one place. Values keep the text the user wrote; normalised forms (lower-cased action
names and condition keys, `arn:aws:iam::ID:root` for an account id) are derived properties, so
messages can always quote the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from policy_guard.document.values import Decoded, Path, Span
from policy_guard.policy.arns import ACCOUNT_ID, PrincipalKind, root_account, root_arn
from policy_guard.policy.operators import ConditionOperator

VARIABLES_VERSION = "2012-10-17"
KNOWN_VERSIONS = ("2012-10-17", "2008-10-17")


class Effect(str, Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyType(str, Enum):
    """Named as AWS Access Analyzer names them (`--policy-type`). `PERMISSIONS_BOUNDARY` is
    policy-guard's own: AWS validates a boundary as an identity policy (docs/semantics.md)."""

    IDENTITY = "IDENTITY_POLICY"
    RESOURCE = "RESOURCE_POLICY"
    SERVICE_CONTROL = "SERVICE_CONTROL_POLICY"
    RESOURCE_CONTROL = "RESOURCE_CONTROL_POLICY"
    PERMISSIONS_BOUNDARY = "PERMISSIONS_BOUNDARY"

    @property
    def is_guardrail(self) -> bool:
        """SCPs, RCPs and boundaries grant nothing: they say what a request may pass."""
        return self not in (PolicyType.IDENTITY, PolicyType.RESOURCE)

    @property
    def evaluated_as(self) -> PolicyType:
        """The type whose statements read the same way: an RCP names its principal (`*`) as a
        resource policy does; an SCP and a boundary speak for the caller as an identity
        policy does (`policy.guardrails`)."""
        if self in (PolicyType.RESOURCE, PolicyType.RESOURCE_CONTROL):
            return PolicyType.RESOURCE
        return PolicyType.IDENTITY


@dataclass(frozen=True)
class Value:
    """One string as written in the policy (numbers and booleans as IAM reads them: `5`, `true`)."""

    text: str
    path: Path


@dataclass(frozen=True)
class PrincipalEntry:
    kind: PrincipalKind
    text: str
    path: Path

    @property
    def is_everyone(self) -> bool:
        """`"*"` and `{"AWS": "*"}`: every principal, anonymous included."""
        return self.kind is PrincipalKind.AWS and self.text == "*"

    @property
    def normalized(self) -> str:
        """An account id is the same as `arn:aws:iam::ID:root` (every principal of the account)."""
        if self.kind is PrincipalKind.AWS and ACCOUNT_ID.match(self.text):
            return root_arn(self.text)
        return self.text

    @property
    def account(self) -> str | None:
        """The account that an account principal (`ID` or `arn:...:iam::ID:root`) stands for."""
        if self.kind is not PrincipalKind.AWS:
            return None
        return root_account(self.normalized)


@dataclass(frozen=True)
class PrincipalBlock:
    """A Principal or NotPrincipal element. `"*"` is read as `{"AWS": "*"}`."""

    entries: tuple[PrincipalEntry, ...]
    path: Path

    @property
    def has_everyone(self) -> bool:
        return any(entry.is_everyone for entry in self.entries)


@dataclass(frozen=True)
class Condition:
    """One operator/key pair: `"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}`."""

    operator: ConditionOperator
    key: str
    values: tuple[Value, ...]
    path: Path

    @property
    def key_lower(self) -> str:
        """Condition key names are case-insensitive."""
        return self.key.lower()


@dataclass(frozen=True)
class Statement:
    index: int
    path: Path
    sid: str | None
    effect: Effect
    principal: PrincipalBlock | None = None
    not_principal: PrincipalBlock | None = None
    actions: tuple[Value, ...] | None = None
    not_actions: tuple[Value, ...] | None = None
    resources: tuple[Value, ...] | None = None
    not_resources: tuple[Value, ...] | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the statement: `1 (`AllowWrite`)` or `1`."""
        return f"{self.index} (`{self.sid}`)" if self.sid else str(self.index)


@dataclass(frozen=True)
class Policy:
    """A whole policy document. `document` keeps positions; it takes no part in equality."""

    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    policy_type: PolicyType
    document: Decoded = field(compare=False, repr=False)

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are substituted only under Version 2012-10-17."""
        return self.version == VARIABLES_VERSION

    @property
    def filename(self) -> str:
        return self.document.filename

    def span_of(self, path: Path) -> Span:
        return self.document.span_of(path)
