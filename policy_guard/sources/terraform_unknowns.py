"""Values a file does not fix (`var.bucket`, `aws_s3_bucket.b.arn`, a plan's `after_unknown`),
and the one rule by which a policy holding them is decided exactly or not at all.

A source writes an unknown into a policy's strings as a marker (`MARK` + `{name}`: the
same length as `${name}`, so positions stay put) and lists it with its `Shape` and a
`fingerprint` of everything it depends on. Before any check, `encode` replaces each marker by a
policy variable of its own key (`${terraform:var.bucket}`): the engine treats a variable as one
arbitrary *literal* string per request, shared by old and new — and every answer then holds for
every value. That is exact for an unknown that is one literal string (an account id, a
partition, a region) and, for an unknown that may be any text *including wildcards*, only where
the policy is a union over the unknown's readings (docs/semantics.md, "Unknown values"):
- in the policy compared against (the base), the unknown appears only where a wider reading can
  only grant more: in a Resource or a positive string/ARN condition of an Allow statement;
- in the policy checked (the new side), besides, each statement holds it in one element at most,
  once per string (a product of two readings is not a union of single readings).
Anywhere else — Action, Principal, NotResource, a Deny, a negated operator, Version 2008 — the
check is undecided, naming the unknown: never a guess. An unknown whose fingerprint differs at
the base (the variable's default changed, the resource's arguments changed) or cannot be
computed is two unknowns: one key for the base, another for the new side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from policy_guard.policy.model import VARIABLES_VERSION

MARK = "\ue000"  # stands for the `$` of `${name}`: a private-use character no policy holds
KEY_PREFIX = "terraform:"
BASE_SUFFIX = "@base"
_MARKER = re.compile(MARK + r"\{([^}]*)\}")

# Operators under which a wider reading of a value can only match more (or, Equals, the same
# literal): an unknown there is a union of its literal readings.
_POSITIVE_OPERATORS = frozenset(
    {
        "stringequals",
        "stringequalsignorecase",
        "stringlike",
        "arnequals",
        "arnlike",
        "stringequalsifexists",
        "stringequalsignorecaseifexists",
        "stringlikeifexists",
        "arnequalsifexists",
        "arnlikeifexists",
    }
)


class Shape(str, Enum):
    """What an unknown can be: TEXT any string, wildcards included; the others one literal
    string of a known form; STRUCTURE a part of the policy's structure (a `dynamic` block, a
    `for` expression) that no value stands for."""

    TEXT = "text"
    ACCOUNT = "account"
    PARTITION = "partition"
    REGION = "region"
    STRUCTURE = "structure"

    @property
    def literal(self) -> bool:
        return self in (Shape.ACCOUNT, Shape.PARTITION, Shape.REGION)


@dataclass(frozen=True)
class Unknown:
    """One unknown value of a policy: its name as written (`var.bucket`), what it can be, and a
    digest of what it depends on (None: not known here, so never assumed unchanged)."""

    name: str
    shape: Shape
    fingerprint: str | None
    line: int = 1


def marker(name: str) -> str:
    """The text that stands for unknown `name` inside a policy's strings."""
    return MARK + "{" + name + "}"


def marked_names(text: str) -> list[str]:
    return _MARKER.findall(text) if MARK in text else []


def display(text: str) -> str:
    """`text` with each marker written as `${name}` (for messages)."""
    return text.replace(MARK, "$") if MARK in text else text


class Undecidable(Exception):
    """The policy's unknowns cannot be decided exactly; the message says which and why."""


def key_of(name: str, *, base: bool = False) -> str:
    return KEY_PREFIX + name + (BASE_SUFFIX if base else "")


def name_of_key(key: str) -> str | None:
    """The unknown a context key stands for (for counterexamples), or None."""
    if not key.lower().startswith(KEY_PREFIX):
        return None
    return key[len(KEY_PREFIX) :].removesuffix(BASE_SUFFIX)


def shared(new: Mapping[str, Unknown], old: Mapping[str, Unknown]) -> frozenset[str]:
    """The unknowns that are one value in both versions: the same name and fingerprint."""
    return frozenset(
        name
        for name, unknown in new.items()
        if unknown.fingerprint is not None
        and name in old
        and old[name].fingerprint == unknown.fingerprint
    )


def encode(value: Any, unknowns: Mapping[str, Unknown], *, base: bool, same: frozenset[str]) -> Any:
    """The policy with each marker replaced by its variable; Undecidable when the policy is not
    a union over an unknown's readings (see the module docstring). `base`: the policy compared
    against (monotone suffices); `same`: the unknowns shared with the other version."""
    names = _names_in(value)
    if not names:
        return value
    for name in sorted(names):
        unknown = unknowns.get(name) or Unknown(name, Shape.TEXT, None)
        _check_occurrences(value, unknown, base=base)
    if not isinstance(value, dict) or value.get("Version") != VARIABLES_VERSION:
        raise Undecidable(
            f"`{display(marker(sorted(names)[0]))}` is not known until Terraform runs, and a "
            f'policy without "Version": "{VARIABLES_VERSION}" cannot hold it as a variable'
        )
    return _replace(value, lambda name: "${" + key_of(name, base=base and name not in same) + "}")


def _names_in(value: Any) -> set[str]:
    found: set[str] = set()
    for text in _strings(value):
        found.update(marked_names(text))
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _replace(value: Any, variable: Any) -> Any:
    if isinstance(value, str):
        return _MARKER.sub(lambda m: str(variable(m.group(1))), value) if MARK in value else value
    if isinstance(value, dict):
        return {_replace(k, variable): _replace(v, variable) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(item, variable) for item in value]
    return value


def _check_occurrences(policy: Any, unknown: Unknown, *, base: bool) -> None:
    """Undecidable unless every occurrence of `unknown` is where the rule allows it."""
    shown = f"`${{{unknown.name}}}`"
    if unknown.shape is Shape.STRUCTURE:
        raise Undecidable(f"{shown} (line {unknown.line}) is known only when Terraform runs")
    if not isinstance(policy, dict):
        raise Undecidable(f"{shown}: the whole policy is not known until Terraform runs")
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise Undecidable(f"{shown}: the policy's statements are not known until Terraform runs")
    outside = [k for k, v in policy.items() if k != "Statement" and _holds(v, unknown.name)]
    if outside:
        raise Undecidable(f"{shown} in `{outside[0]}`: not known until Terraform runs")
    for index, statement in enumerate(statements):
        elements = _elements_holding(statement, unknown.name)
        if not elements:
            continue
        where = f"{shown} in statement {index}"
        if not isinstance(statement, dict):
            raise Undecidable(f"{where}: the statement is not known until Terraform runs")
        for element, texts in elements:
            if element[0] not in ("Resource", "NotResource", "Condition"):
                raise Undecidable(
                    f"{where}, `{element[0]}`: IAM takes no variable there, and any value "
                    "(`*` among them) would change the answer"
                )
            if unknown.shape.literal:
                continue  # one literal string: a variable exactly
            if element[0] == "NotResource":
                raise Undecidable(
                    f"{where}, `NotResource`: a wider value matches less there, so the answer "
                    "depends on the value (it may be `*`)"
                )
            if statement.get("Effect") != "Allow":
                raise Undecidable(
                    f"{where}: in a Deny a wider value denies more, so the answer depends on "
                    "the value (it may be `*`)"
                )
            if element[0] == "Condition" and element[1].lower() not in _POSITIVE_OPERATORS:
                raise Undecidable(
                    f"{where}, operator `{element[1]}`: a wider value does not only match more "
                    "(it may be `*`)"
                )
            if not base and any(marked_names(t).count(unknown.name) > 1 for t in texts):
                raise Undecidable(f"{where}: written twice in one value (it may be `*`)")
        if not base and not unknown.shape.literal and len(elements) > 1:
            raise Undecidable(
                f"{where}: in two elements of one statement, its readings combine (it may be `*`)"
            )


def _holds(value: Any, name: str) -> bool:
    return any(name in marked_names(text) for text in _strings(value))


def _elements_holding(statement: Any, name: str) -> list[tuple[tuple[str, str], list[str]]]:
    """(element, texts) for each element of the statement that holds unknown `name`: an element
    is a top-level key, or a condition's (operator, key)."""
    if not isinstance(statement, dict):
        return [(("Statement", ""), [])] if _holds(statement, name) else []
    found: list[tuple[tuple[str, str], list[str]]] = []
    for key, item in statement.items():
        if key == "Condition" and isinstance(item, dict):
            for operator, block in item.items():
                if name in marked_names(str(operator)):
                    found.append((("Condition-operator", str(operator)), []))
                    continue
                if not isinstance(block, dict):
                    if _holds(block, name):
                        found.append((("Condition-operator", str(operator)), []))
                    continue
                for condition_key, values in block.items():
                    if name in marked_names(str(condition_key)):
                        found.append((("Condition key", str(condition_key)), []))
                    texts = [t for t in _strings(values) if name in marked_names(t)]
                    if texts:
                        found.append((("Condition", str(operator)), texts))
        elif _holds(key, name) or _holds(item, name):
            texts = [t for t in _strings(item) if name in marked_names(t)]
            found.append(((str(key), ""), texts))
    return found


_SHAPES = {
    Shape.ACCOUNT: re.compile(r"\d{12}"),
    Shape.PARTITION: re.compile(r"aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?"),
    Shape.REGION: re.compile(r"[a-z]{2}(-[a-z]+)+-\d"),
}


def shape_problem(
    context: Mapping[str, tuple[str, ...]], unknowns: Mapping[str, Unknown]
) -> str | None:
    """Why a counterexample cannot happen: it gives a literal-shaped unknown (an account id,
    a partition, a region) a value of another form. None when it can."""
    for key, values in context.items():
        name = name_of_key(key)
        unknown = unknowns.get(name) if name is not None else None
        if unknown is None or not unknown.shape.literal:
            continue
        pattern = _SHAPES[unknown.shape]
        for value in values:
            if not pattern.fullmatch(value):
                return (
                    f"the only counterexample found gives `${{{name}}}` the value `{value}`, "
                    f"which is not a {unknown.shape.value}"
                )
    return None


# --- account and partition unknowns as concrete readings ---------------------------------------

# Every partition AWS has: a partition unknown takes each in turn (exact by enumeration).
PARTITIONS = (
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
)
_FRESH_ACCOUNTS = ("123456789012", "210987654321", "999988887777", "444455556666")
_ACCOUNT_TOKEN = re.compile(r"(?<!\d)\d{12}(?!\d)")
_DIGIT_BY_WILDCARD = re.compile(r"\d[*?]|[*?]\d|\d\$\{|\}\d")


def readings(values: list[Any], unknowns: Mapping[str, Unknown]) -> list[dict[str, str]] | None:
    """Concrete values for the account and partition unknowns of `values` (the policy and its
    base) that together give every answer any real value could give; None when there is none to
    read so (then they stay variables, where IAM takes them).

    A partition takes each of AWS's partitions. An account id takes each 12-digit account the
    policies name, and one they do not: two accounts neither policy names are told apart by no
    element — provided no digit stands next to a wildcard or a variable (`1*` could match one
    and not the other) and no Numeric or Date operator compares them — so one stands for all."""
    names = {n for value in values for n in _names_in(value)}
    accounts = sorted(n for n in names if unknowns.get(n, _TEXT).shape is Shape.ACCOUNT)
    partitions = sorted(n for n in names if unknowns.get(n, _TEXT).shape is Shape.PARTITION)
    if len(accounts) > 1 or len(partitions) > 1 or not (accounts or partitions):
        return None
    choices: list[list[tuple[str, str]]] = []
    if partitions:
        choices.append([(partitions[0], p) for p in PARTITIONS])
    if accounts:
        texts = [t for value in values for t in _strings(value)]
        if any(_DIGIT_BY_WILDCARD.search(_MARKER.sub("x", t)) for t in texts) or any(
            _compares_numbers(value) for value in values
        ):
            return None
        named = sorted({m for t in texts for m in _ACCOUNT_TOKEN.findall(t)})
        fresh = next(a for a in _FRESH_ACCOUNTS if a not in named)
        choices.append([(accounts[0], a) for a in (fresh, *named)])
    result: list[dict[str, str]] = [{}]
    for options in choices:
        result = [{**reading, name: value} for reading in result for name, value in options]
    return result


_TEXT = Unknown("", Shape.TEXT, None)


def substitute(value: Any, reading: Mapping[str, str]) -> Any:
    """`value` with the markers of `reading`'s unknowns replaced by their values."""
    if not reading:
        return value
    return _replace_some(value, reading)


def _replace_some(value: Any, reading: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if MARK not in value:
            return value
        return _MARKER.sub(lambda m: reading.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {_replace_some(k, reading): _replace_some(v, reading) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_some(item, reading) for item in value]
    return value


def _compares_numbers(value: Any) -> bool:
    statements = value.get("Statement") if isinstance(value, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        conditions = statement.get("Condition") if isinstance(statement, dict) else None
        if isinstance(conditions, dict) and any(
            str(op)
            .lower()
            .removeprefix("forallvalues:")
            .removeprefix("foranyvalue:")
            .startswith(("numeric", "date"))
            for op in conditions
        ):
            return True
    return False
