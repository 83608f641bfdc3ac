"""Finite value domains: every value a condition key can take, split into regions.

A region is a set of values that every condition of the query treats alike, so one Boolean
per region ("the request has a value in this region") describes a multi-valued key exactly.
Each domain gives one witness value per region (a string the reference evaluator reads back
into that region) and `region_of` for any value.

- Strings (String, Arn operators): the regions of `policy_guard.encode.partition` over the query's
  patterns (built in `vocabulary`; wrapped here). Past the partition budget a string key has
  no regions: its values are slots of pattern Booleans (`request_terms`, `encode.lazy`).
- Numbers and dates: the query's constants split the line into points and open intervals,
  plus a region of values that do not parse. Dates exist only from year 1 to the largest
  12-digit epoch; an interval without a representable instant (narrower than a microsecond) is
  empty and is left out.
- IP addresses: the CIDR blocks split the IPv4 and the IPv6 address spaces into intervals, plus
  "not an address".
- Binary: each distinct decoded constant, "any other bytes", and "not base-64".
- Bool: true, false, and "neither".
- Presence only (a key used with `Null` alone): one region, any value.

On every region the comparisons with the query's constants are constant (the constants are the
region boundaries), so deciding a comparison on the witness decides it for the whole region.
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from typing import Any

from policy_guard.policy.operators import (
    IpNetwork,
    ValueError_,
    parse_binary,
    parse_bool,
    parse_date,
    parse_ip,
    parse_number,
)

NOT_A_NUMBER = "not-a-number"
NOT_A_DATE = "not-a-date"
NOT_AN_ADDRESS = "not-an-address"
NOT_BASE64 = "not base-64!"
NOT_A_BOOL = "neither"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = Decimal("0.000001")
_LARGEST_EPOCH_TEXT = Decimal(999_999_999_999)


@dataclass(frozen=True)
class Domain:
    """Regions of one key's values: a witness per region, its parsed form, and a classifier.

    `parsed[i]` is the witness read by the family's parser (None: the region's values do not
    parse), which is what comparisons are decided on.
    """

    witnesses: tuple[str, ...]
    parsed: tuple[Any, ...]
    classify: Callable[[str], int]

    def region_of(self, value: str) -> int:
        return self.classify(value)

    def __len__(self) -> int:
        return len(self.witnesses)


def presence_domain() -> Domain:
    """A key tested only for presence (`Null`): all values alike."""
    return Domain(("value",), (None,), lambda _value: 0)


def bool_domain() -> Domain:
    def classify(value: str) -> int:
        try:
            return 0 if parse_bool(value) else 1
        except ValueError_:
            return 2

    return Domain(("true", "false", NOT_A_BOOL), (True, False, None), classify)


# --- numbers and dates ------------------------------------------------------------------------


def _number_text(value: Decimal) -> str | None:
    return str(value)


def _date_text(value: Decimal) -> str | None:
    """A string `parse_date` reads as `value` epoch seconds (None: not representable)."""
    if value == value.to_integral_value() and 0 <= value <= _LARGEST_EPOCH_TEXT:
        return str(int(value))
    microseconds = value / _MICROSECOND
    if microseconds != microseconds.to_integral_value():
        return None
    try:
        moment = _EPOCH + timedelta(microseconds=int(microseconds))
    except OverflowError:
        return None
    return moment.isoformat()


def _between(low: Decimal | None, high: Decimal | None) -> list[Decimal]:
    """Candidate values strictly between `low` and `high` (None: unbounded)."""
    with localcontext() as context:
        context.prec = 200
        if low is None and high is None:
            return [Decimal(0)]
        if low is None:
            assert high is not None
            return [high.to_integral_value(rounding="ROUND_CEILING") - 1, high - _MICROSECOND]
        if high is None:
            return [low.to_integral_value(rounding="ROUND_FLOOR") + 1, low + _MICROSECOND]
        middle = (low + high) / 2
        return [
            low.to_integral_value(rounding="ROUND_FLOOR") + 1,
            middle,
            middle.quantize(_MICROSECOND),
            (low + _MICROSECOND).quantize(_MICROSECOND, rounding="ROUND_CEILING"),
        ]


def _line_domain(
    points: Sequence[tuple[Decimal, str]],
    reader: Callable[[str], Decimal],
    text_of: Callable[[Decimal], str | None],
    unparsed: str,
) -> Domain:
    """Points (value, a text that reads as it) and the open intervals around them."""
    constants = sorted({value: text for value, text in reversed(points)}.items())
    values = [value for value, _ in constants]
    witnesses: list[str] = []
    parsed: list[Any] = []
    slot_region: dict[int, int] = {}  # slot 2*i: interval below constant i; 2*i+1: constant i

    def interval(slot: int, low: Decimal | None, high: Decimal | None) -> None:
        for candidate in _between(low, high):
            text = text_of(candidate)
            if text is None:
                continue
            try:
                value = reader(text)
            except ValueError_:
                continue
            if (low is None or value > low) and (high is None or value < high):
                slot_region[slot] = len(witnesses)
                witnesses.append(text)
                parsed.append(value)
                return

    previous: Decimal | None = None
    for index, (value, text) in enumerate(constants):
        interval(2 * index, previous, value)
        slot_region[2 * index + 1] = len(witnesses)
        witnesses.append(text)
        parsed.append(value)
        previous = value
    interval(2 * len(constants), previous, None)
    unparsed_region = len(witnesses)
    witnesses.append(unparsed)
    parsed.append(None)

    def classify(text: str) -> int:
        try:
            value = reader(text)
        except ValueError_:
            return unparsed_region
        position = bisect.bisect_left(values, value)
        if position < len(values) and values[position] == value:
            return slot_region[2 * position + 1]
        return slot_region[2 * position]

    return Domain(tuple(witnesses), tuple(parsed), classify)


def number_domain(texts: Iterable[str]) -> Domain:
    """Numeric operators' constants (policy texts that parse; the caller checked them)."""
    return _line_domain(
        [(parse_number(t), t) for t in texts], parse_number, _number_text, NOT_A_NUMBER
    )


def date_domain(texts: Iterable[str]) -> Domain:
    return _line_domain([(parse_date(t), t) for t in texts], parse_date, _date_text, NOT_A_DATE)


# --- IP addresses -----------------------------------------------------------------------------


def ip_domain(networks: Iterable[IpNetwork]) -> Domain:
    """Address intervals cut by the blocks' first and one-past-last addresses, per version."""
    cuts: dict[int, set[int]] = {4: {0}, 6: {0}}
    for network in networks:
        cuts[network.version].add(int(network.network_address))
        cuts[network.version].add(int(network.broadcast_address) + 1)
    witnesses: list[str] = []
    parsed: list[Any] = []
    starts: dict[int, list[int]] = {}
    first_region: dict[int, int] = {}
    for version, size in ((4, 2**32), (6, 2**128)):
        points = sorted(c for c in cuts[version] if c < size)
        starts[version] = points
        first_region[version] = len(witnesses)
        for start in points:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = (
                ipaddress.IPv4Address(start) if version == 4 else ipaddress.IPv6Address(start)
            )
            witnesses.append(str(address))
            parsed.append(address)
    unparsed_region = len(witnesses)
    witnesses.append(NOT_AN_ADDRESS)
    parsed.append(None)

    def classify(text: str) -> int:
        try:
            address = parse_ip(text)
        except ValueError_:
            return unparsed_region
        points = starts[address.version]
        return first_region[address.version] + bisect.bisect_right(points, int(address)) - 1

    return Domain(tuple(witnesses), tuple(parsed), classify)


# --- binary -----------------------------------------------------------------------------------


def binary_domain(constants: Iterable[bytes]) -> Domain:
    distinct = sorted(set(constants))
    other = next(
        candidate
        for candidate in (b"policy-guard", b"policy-guard-2", b"\x00\x01\x02")
        if candidate not in distinct
    )
    values = [*distinct, other]
    witnesses = [base64.b64encode(v).decode("ascii") for v in values] + [NOT_BASE64]
    index = {v: i for i, v in enumerate(distinct)}
    other_region, unparsed_region = len(distinct), len(distinct) + 1

    def classify(text: str) -> int:
        try:
            decoded = parse_binary(text)
        except ValueError_:
            return unparsed_region
        return index.get(decoded, other_region)

    return Domain(tuple(witnesses), (*values, None), classify)
