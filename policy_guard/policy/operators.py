"""The condition operators IAM knows, and how a value is read for each family.

One table shared by the validator (unknown operators, values that do not parse), the reference
evaluator and the encoder, so the three never disagree on what an operator *is*. How an operator
*decides* is implemented separately in the evaluator and in the encoder, on purpose.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum


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


def check_policy_value(spec: OperatorSpec, text: str) -> None:
    """Raise ValueError_ when `text` cannot be a value of `spec` in a policy."""
    if spec.family is Family.NUMERIC:
        parse_number(text)
    elif spec.family is Family.DATE:
        parse_date(text)
    elif spec.family in (Family.BOOL, Family.NULL):
        parse_bool(text)
    elif spec.family is Family.IP:
        parse_cidr(text)
    elif spec.family is Family.BINARY:
        parse_binary(text)
