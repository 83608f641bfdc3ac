"""The condition operators IAM knows, and the facts of the language about each.

One place shared by the validator (unknown operators, values that do not parse), the reference
evaluator and the encoder, so the three never disagree on what an operator *is*: its family, how
a String/Arn operator reads its values (`string_kind`), how a value of each family is read, which
operators are refused (`ConditionOperator.decided_spec`) and what each comparison means
(`compare`). How a condition *decides* over a request (set operators, IfExists, negation, the
request's values) is implemented separately in the evaluator and in the encoder, on purpose.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, Any

from policy_guard.errors import UndecidedError

if TYPE_CHECKING:  # imported where used: the hook's quick look needs no pattern compiler
    from policy_guard.policy.globs import Kind


class Family(str, Enum):
    STRING = "String"
    NUMERIC = "Numeric"
    DATE = "Date"
    BOOL = "Bool"
    BINARY = "Binary"
    IP = "IpAddress"
    ARN = "Arn"
    NULL = "Null"


class Comparison(str, Enum):
    EQUALS = "equals"
    EQUALS_IGNORE_CASE = "equals-ignore-case"
    LIKE = "like"
    LESS = "less"
    LESS_EQUALS = "less-equals"
    GREATER = "greater"
    GREATER_EQUALS = "greater-equals"
    IN_RANGE = "in-range"  # IpAddress: the value is in one of the CIDR blocks
    IS_NULL = "is-null"  # Null: `true` means the key is absent


@dataclass(frozen=True)
class OperatorSpec:
    """What a base operator (no set prefix, no IfExists) means."""

    name: str
    family: Family
    comparison: Comparison
    negated: bool = False

    @property
    def allows_variables(self) -> bool:
        """Policy variables are substituted only in String* and Arn* condition values."""
        return self.family in (Family.STRING, Family.ARN)

    @property
    def allows_wildcards(self) -> bool:
        return self.comparison is Comparison.LIKE

    @property
    def is_string(self) -> bool:
        """String and Arn operators: their policy values are patterns (`string_kind`); the
        other families' values are parsed (`read_policy_value`)."""
        return self.family in (Family.STRING, Family.ARN)

    @property
    def string_kind(self) -> Kind:
        """How a String/Arn operator reads its policy values (what `*`, `?` and case mean)."""
        from policy_guard.policy.globs import Kind

        if self.family is Family.ARN:
            return Kind.ARN_LIKE  # ArnEquals and ArnLike alike: segment by segment, wildcards
        if self.comparison is Comparison.LIKE:
            return Kind.STRING_LIKE
        if self.comparison is Comparison.EQUALS_IGNORE_CASE:
            return Kind.STRING_EQUALS_IGNORE_CASE
        return Kind.STRING_EQUALS


def _family(family: Family, names: dict[str, tuple[Comparison, bool]]) -> list[OperatorSpec]:
    return [
        OperatorSpec(name, family, comparison, negated)
        for name, (comparison, negated) in names.items()
    ]


C = Comparison
OPERATORS: tuple[OperatorSpec, ...] = tuple(
    _family(
        Family.STRING,
        {
            "StringEquals": (C.EQUALS, False),
            "StringNotEquals": (C.EQUALS, True),
            "StringEqualsIgnoreCase": (C.EQUALS_IGNORE_CASE, False),
            "StringNotEqualsIgnoreCase": (C.EQUALS_IGNORE_CASE, True),
            "StringLike": (C.LIKE, False),
            "StringNotLike": (C.LIKE, True),
        },
    )
    + _family(
        Family.NUMERIC,
        {
            "NumericEquals": (C.EQUALS, False),
            "NumericNotEquals": (C.EQUALS, True),
            "NumericLessThan": (C.LESS, False),
            "NumericLessThanEquals": (C.LESS_EQUALS, False),
            "NumericGreaterThan": (C.GREATER, False),
            "NumericGreaterThanEquals": (C.GREATER_EQUALS, False),
        },
    )
    + _family(
        Family.DATE,
        {
            "DateEquals": (C.EQUALS, False),
            "DateNotEquals": (C.EQUALS, True),
            "DateLessThan": (C.LESS, False),
            "DateLessThanEquals": (C.LESS_EQUALS, False),
            "DateGreaterThan": (C.GREATER, False),
            "DateGreaterThanEquals": (C.GREATER_EQUALS, False),
        },
    )
    + _family(Family.BOOL, {"Bool": (C.EQUALS, False)})
    + _family(Family.BINARY, {"BinaryEquals": (C.EQUALS, False)})
    + _family(Family.IP, {"IpAddress": (C.IN_RANGE, False), "NotIpAddress": (C.IN_RANGE, True)})
    + _family(
        Family.ARN,
        {
            "ArnEquals": (C.LIKE, False),
            "ArnLike": (C.LIKE, False),
            "ArnNotEquals": (C.LIKE, True),
            "ArnNotLike": (C.LIKE, True),
        },
    )
    + _family(Family.NULL, {"Null": (C.IS_NULL, False)})
)
# ArnEquals behaves as ArnLike: the IAM reference says both match segment by segment, wildcards
# included.

_BY_LOWER_NAME = {spec.name.lower(): spec for spec in OPERATORS}


def lookup_operator(name: str) -> OperatorSpec | None:
    """The base operator named `name` (case-insensitive), or None."""
    return _BY_LOWER_NAME.get(name.lower())


class ValueError_(ValueError):
    """A condition or context value that does not parse for its operator's family."""


def parse_number(text: str) -> Decimal:
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text.strip()):
        raise ValueError_(f"`{text}` is not a number")
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError_(f"`{text}` is not a number") from None


_EPOCH = re.compile(r"^\d{1,12}$")


def parse_date(text: str) -> Decimal:
    """A date as epoch seconds: ISO 8601 (`2024-01-31`, `2024-01-31T12:00:00Z`) or epoch seconds."""
    stripped = text.strip()
    if _EPOCH.match(stripped):
        return Decimal(stripped)
    candidate = stripped.replace("z", "Z")
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError_(f"`{text}` is not a date (ISO 8601 or epoch seconds)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return Decimal(str(moment.timestamp()))


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError_(f"`{text}` is not `true` or `false`")


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str) -> IpNetwork:
    """A CIDR block (or a single address, read as /32 or /128); host bits are ignored."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError_(f"`{text}` is not an IP address or CIDR block") from None


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError_(f"`{text}` is not an IP address") from None


def parse_binary(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError_(f"`{text}` is not base-64") from None


_POLICY_READERS: dict[Family, Callable[[str], Any]] = {
    Family.NUMERIC: parse_number,
    Family.DATE: parse_date,
    Family.BOOL: parse_bool,
    Family.NULL: parse_bool,
    Family.IP: parse_cidr,
    Family.BINARY: parse_binary,
}
_REQUEST_READERS: dict[Family, Callable[[str], Any]] = {**_POLICY_READERS, Family.IP: parse_ip}


def read_policy_value(family: Family, text: str) -> Any:
    """A policy value of a non-string family, parsed (an IpAddress value is a CIDR block).
    Raises ValueError_; String/Arn values are patterns, not read here (KeyError)."""
    return _POLICY_READERS[family](text)


def read_request_value(family: Family, text: str) -> Any:
    """A request's value for a non-string family, read as policy values are (an IpAddress
    request value is one address). Raises ValueError_."""
    return _REQUEST_READERS[family](text)


def check_policy_value(spec: OperatorSpec, text: str) -> None:
    """Raise ValueError_ when `text` cannot be a value of `spec` in a policy."""
    if not spec.is_string:
        read_policy_value(spec.family, text)


def compare(comparison: Comparison, request_value: Any, policy_value: Any) -> bool:
    """Does a request value, read by `read_request_value`, stand in `comparison` to a policy
    value read by `read_policy_value`? (`IS_NULL` is about presence, not values: not here.)"""
    if comparison is Comparison.IN_RANGE:  # an address is never in a block of the other version
        return bool(request_value.version == policy_value.version and request_value in policy_value)
    if comparison is Comparison.LESS:
        return bool(request_value < policy_value)
    if comparison is Comparison.LESS_EQUALS:
        return bool(request_value <= policy_value)
    if comparison is Comparison.GREATER:
        return bool(request_value > policy_value)
    if comparison is Comparison.GREATER_EQUALS:
        return bool(request_value >= policy_value)
    return bool(request_value == policy_value)


@dataclass(frozen=True)
class ConditionOperator:
    """A condition operator as written (`ForAnyValue:StringLikeIfExists`) and what it means."""

    text: str
    spec: OperatorSpec | None  # None: not an operator IAM knows
    set_operator: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool

    @property
    def known(self) -> bool:
        return self.spec is not None

    @property
    def refusal(self) -> str | None:
        """Why no request can be decided under this operator (None: it can be).

        An operator IAM does not know, and `Null` under a set operator, have no documented
        meaning: the evaluator and the engine both refuse them rather than guess."""
        if self.spec is None:
            return f"the condition operator `{self.text}` is not one IAM knows"
        if self.spec.family is Family.NULL and self.set_operator is not None:
            return f"`{self.text}` (a set operator on `Null`) has no defined meaning"
        return None

    def decided_spec(self, where: str, consequence: str) -> OperatorSpec:
        """The base operator; UndecidedError `{where}: {refusal}; {consequence}` when refused."""
        refusal = self.refusal
        if refusal is not None or self.spec is None:
            raise UndecidedError(f"{where}: {refusal}; {consequence}")
        return self.spec

    @staticmethod
    def parse(text: str) -> ConditionOperator:
        set_operator = None
        base = text
        prefix, sep, rest = text.partition(":")
        if sep:
            for candidate in ("ForAllValues", "ForAnyValue"):
                if prefix.lower() == candidate.lower():
                    set_operator, base = candidate, rest
        if_exists = False
        spec = lookup_operator(base)
        if spec is None and base.lower().endswith("ifexists"):
            spec = lookup_operator(base[: -len("IfExists")])
            if_exists = spec is not None and spec.name != "Null"
            if spec is not None and spec.name == "Null":
                spec = None
        if sep and set_operator is None:
            spec = None
        return ConditionOperator(text, spec, set_operator, if_exists)
