"""Unknown values in policies, decided exactly over every value they may take.

A source writes an unknown value (a template parameter, another resource's ARN, a Terraform
value known after apply) into the policy as the policy variable `${unknown/LABEL}`. Where IAM
matches patterns (Resource, NotResource, condition values) the engine reads a variable as one
arbitrary string, the same in the old and the new policy of one request: for a value that
cannot hold wildcards that is exact, since "some value, some request" is "some request with
some value of the key". Two things need more (docs/semantics.md, "Unknown values"):

- **Equality positions** (Principal, NotPrincipal, Action, NotAction) take no variables. An
  unknown there is replaced by concrete values: one of the right shape that equals no other
  principal in either version, and each value that makes the element equal to one that is
  written out (`${AccountId}` = 111122223333 when `arn:aws:iam::111122223333:root` is in the
  policy), and `*` when the value may be a pattern. A check holds when it holds for each.
- **Values that may be patterns** (`*` typed as a parameter): the variable reading is then one
  value among many, so a FAIL under it is real, but a PASS is not a proof. A second reading,
  `abstract_patterns`, replaces each element holding such a value by a fresh variable of its
  own (one per element text and position): whether that element matches is then free in every
  request, which over-approximates every pattern the value can be. A PASS there is a proof; a
  FAIL there (after a PASS under the first reading) is undecided.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from policy_guard.document.values import Decoded, Path
from policy_guard.sources.base import CONDITION_PREFIX, UNKNOWN_PREFIX, FoundPolicy, Unknown

MAX_ASSIGNMENTS = 32  # readings of the equality positions before the answer is undecided
BASE_SUFFIX = "@base"
TRUE_BRANCH, FALSE_BRANCH = "StringEquals", "StringNotEqualsIfExists"  # Fn::If markers
_PLACEHOLDER = re.compile(r"\$\{" + re.escape(UNKNOWN_PREFIX) + r"([^}]*)\}")
_EQUALITY = ("Principal", "NotPrincipal", "Action", "NotAction")
_PATTERN = ("Resource", "NotResource", "Condition")

Transform = Callable[[str, str], str]  # (position, text) -> text


def placeholders_in(text: str) -> list[str]:
    """The labels of the unknowns written in `text`."""
    return _PLACEHOLDER.findall(text)


def map_policy_strings(document: Decoded, transform: Transform) -> Decoded:
    """`document` with each string `transform(position, text)`: position is the statement
    element (`Action`, `Resource`, `Principal`, `Condition/<operator>/<key>`) or `Other`."""

    def walk(value: Any, position: str) -> Any:
        if isinstance(value, str):
            return transform(position, value)
        if isinstance(value, list):
            return [walk(item, position) for item in value]
        if isinstance(value, dict):
            return {key: walk(item, position) for key, item in value.items()}
        return value

    def statement(value: Any) -> Any:
        if not isinstance(value, dict):
            return walk(value, "Other")
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key in ("Principal", "NotPrincipal") and isinstance(item, dict):
                result[key] = {kind: walk(v, f"{key}/{kind}") for kind, v in item.items()}
                continue
            if key == "Condition" and isinstance(item, dict):
                result[key] = {
                    operator: {
                        name: walk(values, f"Condition/{operator}/{name}")
                        for name, values in keys.items()
                    }
                    if isinstance(keys, dict)
                    else walk(keys, "Other")
                    for operator, keys in item.items()
                }
            else:
                kind = key if key in _EQUALITY or key in _PATTERN else "Other"
                result[key] = walk(item, kind)
        return result

    value = document.value
    if isinstance(value, dict):
        new_value = {}
        for key, item in value.items():
            if key == "Statement":
                items = item if isinstance(item, list) else [item]
                mapped = [statement(s) for s in items]
                new_value[key] = mapped if isinstance(item, list) else mapped[0]
            else:
                new_value[key] = walk(item, "Other")
        value = new_value
    return Decoded(
        value, document.filename, document.spans, document.key_spans, document.duplicate_keys
    )


def misplaced_unknown(found: FoundPolicy) -> tuple[str, Path] | None:
    """An unknown where no reading can place it (Effect, Version, a condition key): the name
    and the path of the first, or None."""

    def walk(value: Any, path: Path, allowed: bool) -> tuple[str, Path] | None:
        if isinstance(value, str):
            names = placeholders_in(value)
            return (names[0], path) if names and not allowed else None
        items = (
            value.items()
            if isinstance(value, dict)
            else enumerate(value)
            if isinstance(value, list)
            else ()
        )
        for key, item in items:
            if isinstance(key, str) and placeholders_in(key):
                return placeholders_in(key)[0], (*path, key)
            found_here = walk(item, (*path, key), allowed)
            if found_here:
                return found_here
        return None

    statements = (
        found.document.value.get("Statement") if isinstance(found.document.value, dict) else None
    )
    for index, item in enumerate(statements if isinstance(statements, list) else [statements]):
        prefix: Path = ("Statement", index) if isinstance(statements, list) else ("Statement",)
        if isinstance(item, dict):
            for key, element in item.items():
                allowed = key in (*_EQUALITY, *_PATTERN)
                hit = walk(element, (*prefix, key), allowed)
                if hit:
                    return hit
    for key in ("Version",):
        text = found.document.value.get(key) if isinstance(found.document.value, dict) else None
        if isinstance(text, str) and placeholders_in(text):
            return placeholders_in(text)[0], (key,)
    return None


def rename_changed(old: FoundPolicy, new: FoundPolicy) -> FoundPolicy:
    """The base version with each unknown whose expression (or what it depends on) changed
    renamed `NAME@base`: the two are then unrelated values."""
    same = {(u.label, u.fingerprint) for u in new.unknowns}
    renamed = {u.label for u in old.unknowns if (u.label, u.fingerprint) not in same}
    if not renamed:
        return old

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        return (
            "${" + UNKNOWN_PREFIX + name + BASE_SUFFIX + "}" if name in renamed else match.group(0)
        )

    document = map_policy_strings(old.document, lambda _, text: _PLACEHOLDER.sub(rename, text))
    document = _rename_condition_keys(document, renamed)
    unknowns = tuple(
        Unknown(u.name + BASE_SUFFIX, u.fingerprint, u.may_be_pattern, u.shape)
        if u.label in renamed
        else u
        for u in old.unknowns
    )
    return FoundPolicy(
        old.policy_id,
        document,
        old.policy_type,
        old.resource_type,
        unknowns,
        old.problem,
        old.problem_path,
    )


def condition_key(unknown: Unknown) -> str:
    """The condition key of an unknown Boolean (a template condition): `unknown:LABEL`."""
    return CONDITION_PREFIX + unknown.label


def _rename_condition_keys(document: Decoded, renamed: set[str]) -> Decoded:
    value = document.value
    statements = value.get("Statement") if isinstance(value, dict) else None
    if not isinstance(statements, list):
        return document

    def rename_keys(keys: Any) -> Any:
        if not isinstance(keys, dict):
            return keys
        return {
            key + BASE_SUFFIX if key.removeprefix(CONDITION_PREFIX) in renamed else key: chosen
            for key, chosen in keys.items()
        }

    def rename(statement: Any) -> Any:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        if not isinstance(condition, dict):
            return statement
        renamed_condition = {op: rename_keys(keys) for op, keys in condition.items()}
        return {**statement, "Condition": renamed_condition}

    return Decoded(
        {**value, "Statement": [rename(s) for s in statements]},
        document.filename,
        document.spans,
        document.key_spans,
        document.duplicate_keys,
    )


@dataclass(frozen=True)
class Reading:
    """One way to read the unknowns: the documents to check, and whether a FAIL under it is
    real (`exact`) or only means undecided (the abstract reading of pattern values)."""

    documents: tuple[Decoded, ...]
    exact: bool
    assignment: tuple[tuple[str, str], ...] = ()


def readings(documents: tuple[Decoded, ...], unknowns: tuple[Unknown, ...]) -> list[Reading] | str:
    """The readings a check must hold under, exact ones first; or why there is no finite set
    of them (too many combinations, or a value that may be a pattern in an action)."""
    by_name = {u.label: u for u in unknowns}
    templates: list[tuple[str, str]] = []  # (position, text)
    constants: list[tuple[str, str]] = []
    pattern_names: set[str] = set()

    def collect(position: str, text: str) -> str:
        names = placeholders_in(text)
        if _is_equality(position):
            (templates if names else constants).append((position, text))
        elif names and position != "Other":
            pattern_names.update(n for n in names if by_name.get(n, Unknown(n, "")).may_be_pattern)
        return text

    for document in documents:
        map_policy_strings(document, collect)
    equalities = _assignments(templates, constants, by_name)
    if isinstance(equalities, str):
        return equalities
    conditions = sorted({c for d in documents for c in _branch_conditions(d)})
    total = len(equalities) * 2 ** len(conditions)
    if total > MAX_ASSIGNMENTS:
        return f"the unknown values and template conditions have {total} readings"
    result, abstract = [], []
    for equality, chosen in itertools.product(
        equalities, itertools.product((True, False), repeat=len(conditions))
    ):
        branches = dict(zip(conditions, chosen, strict=True))
        assignment = {**equality, **{c: str(v).lower() for c, v in branches.items()}}
        fixed = tuple(_in_branches(_instantiate(d, equality), branches) for d in documents)
        result.append(Reading(fixed, True, tuple(sorted(assignment.items()))))
        if pattern_names:
            abstract.append(
                Reading(
                    tuple(abstract_patterns(d, pattern_names) for d in fixed),
                    False,
                    tuple(sorted(assignment.items())),
                )
            )
    return result + abstract


def paired_readings(new: FoundPolicy, old: FoundPolicy | None = None) -> list[Reading] | str:
    """The readings `new` (compared with `old`, when given) must hold under, exact ones first,
    each with the documents `(new,)` or `(new, old)`; or why there is no finite set of them.
    `old`'s unknowns whose definition differs from `new`'s are renamed `@base` first (unrelated
    values). The one way both the workflow and the single commands read a template's policy:
    a FAIL under an exact reading is real; a FAIL only under an abstract one is undecided
    (`pattern_undecided`); a PASS under every reading is a proof."""
    if old is not None:
        old = rename_changed(old, new)
    documents = (new.document,) if old is None else (new.document, old.document)
    return readings(documents, new.unknowns + (old.unknowns if old is not None else ()))


def where(way: Reading) -> str:
    """The values a reading gives (`(where `Bucket` = `*`)`), said beside a finding; "" when
    it gives none."""
    values = ", ".join(f"`{name}` = `{value}`" for name, value in way.assignment)
    return f" (where {values})" if values else ""


def pattern_undecided(check: str, unknowns: tuple[Unknown, ...]) -> str:
    """Why a check that holds under every exact reading but not the abstract one is
    undecided."""
    names = ", ".join(dict.fromkeys(f"`{u.name}`" for u in unknowns if u.may_be_pattern))
    return (
        f"`{check}` could not be decided: it holds for every value of {names} without "
        "wildcards, but a value with `*` or `?` (read as a wildcard) may change the answer"
    )


def _is_equality(position: str) -> bool:
    return position.split("/", 1)[0] in _EQUALITY


def _assignments(
    templates: list[tuple[str, str]],
    constants: list[tuple[str, str]],
    by_name: dict[str, Unknown],
) -> list[dict[str, str]] | str:
    """Every combination of values that can make an element with unknowns equal to another
    element (written out, or another unknown's), plus one where each is distinct."""
    names = sorted({n for _, t in templates for n in placeholders_in(t)})
    if not names:
        return [{}]
    fresh: dict[str, str] = {}
    for index, name in enumerate(names):
        whole = [p for p, t in templates if t == "${" + UNKNOWN_PREFIX + name + "}"]
        fresh[name] = _fresh(
            by_name.get(name), name, index, bool(whole) and all(p.endswith("/AWS") for p in whole)
        )
        unknown = by_name.get(name)
        pattern = unknown is None or unknown.may_be_pattern
        places = [p for p, t in templates if name in placeholders_in(t)]
        in_action = any(p.startswith(("Action", "NotAction")) for p in places)
        if pattern and in_action:
            return f"`{_display(name)}` may be a pattern and stands in an action"
    candidates: dict[str, set[str]] = {n: {fresh[n]} for n in names}
    others = constants + [
        (p, _PLACEHOLDER.sub(lambda m: fresh.get(m.group(1), m.group(0)), t)) for p, t in templates
    ]
    for position, template in set(templates):
        parts = _PLACEHOLDER.split(template)  # text, name, text, name, ...
        order = parts[1::2]
        regex = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
        for other_position, constant in set(others):
            match = re.fullmatch(regex, constant) if other_position == position else None
            if match:
                for name, value in zip(order, match.groups(), strict=True):
                    unknown = by_name.get(name)
                    wildcard = "*" in value or "?" in value
                    if not wildcard or unknown is None or unknown.may_be_pattern:
                        candidates[name].add(value)
        if len(order) == 1 and template == "${" + UNKNOWN_PREFIX + order[0] + "}":
            unknown = by_name.get(order[0])
            if unknown is None or unknown.may_be_pattern:
                candidates[order[0]].add("*")
    total = 1
    for values in candidates.values():
        total *= len(values)
    if total > MAX_ASSIGNMENTS:
        return (
            f"the unknown values in principals or actions have {total} readings "
            f"(more than {MAX_ASSIGNMENTS})"
        )
    return [
        dict(zip(names, combination, strict=True))
        for combination in itertools.product(*(sorted(candidates[n]) for n in names))
    ]


def _display(label: str) -> str:
    return label.removesuffix(BASE_SUFFIX)


def _fresh(unknown: Unknown | None, name: str, index: int, account: bool) -> str:
    """A value of the unknown's shape that no written-out element is expected to hold: its
    sample shape, a made-up account id where it is a whole AWS principal, else its name."""
    if unknown is not None and unknown.shape is not None:
        return unknown.shape
    if account:
        return f"{index + 1:012d}"
    return re.sub(r"[^A-Za-z0-9-]", "-", name.removesuffix(BASE_SUFFIX)).strip("-").lower() + (
        "-base" if name.endswith(BASE_SUFFIX) else "-value"
    )


def _branch_conditions(document: Decoded) -> set[str]:
    """The template conditions whose branches the document's statements are under."""
    found: set[str] = set()
    for statement in _statements(document.value):
        for keys in _markers(statement):
            found.update(k.removeprefix(CONDITION_PREFIX) for k in keys)
    return found


def _statements(value: Any) -> list[Any]:
    statements = value.get("Statement") if isinstance(value, dict) else None
    return statements if isinstance(statements, list) else []


def _markers(statement: Any) -> list[dict[str, Any]]:
    """The marker keys of a statement (`StringEquals` for a true branch,
    `StringNotEqualsIfExists` for a false one)."""
    condition = statement.get("Condition") if isinstance(statement, dict) else None
    if not isinstance(condition, dict):
        return []
    result = []
    for operator in (TRUE_BRANCH, FALSE_BRANCH):
        keys = condition.get(operator)
        if isinstance(keys, dict):
            result.append({k: v for k, v in keys.items() if str(k).startswith(CONDITION_PREFIX)})
    return result


def _in_branches(document: Decoded, branches: dict[str, bool]) -> Decoded:
    """The statements in force when each template condition has the value chosen, without
    their branch markers: a deployment has one value per condition, old and new alike."""
    if not branches:
        return document
    kept: list[Any] = []
    moved: dict[int, int] = {}
    for index, statement in enumerate(_statements(document.value)):
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        if not isinstance(condition, dict):
            moved[index] = len(kept)
            kept.append(statement)
            continue
        holds = True
        cleaned: dict[str, Any] = {}
        for operator, keys in condition.items():
            if operator in (TRUE_BRANCH, FALSE_BRANCH) and isinstance(keys, dict):
                wanted = operator == TRUE_BRANCH
                rest = {}
                for key, value in keys.items():
                    name = str(key).removeprefix(CONDITION_PREFIX)
                    if str(key).startswith(CONDITION_PREFIX) and name in branches:
                        holds = holds and branches[name] == wanted
                    else:
                        rest[key] = value
                if rest:
                    cleaned[operator] = rest
            else:
                cleaned[operator] = keys
        if holds:
            moved[index] = len(kept)
            without = {k: v for k, v in statement.items() if k != "Condition"}
            kept.append({**without, "Condition": cleaned} if cleaned else without)
    spans = {}
    for path, span in document.spans.items():
        if path[:1] == ("Statement",) and len(path) > 1 and isinstance(path[1], int):
            if path[1] in moved:
                target: Path = ("Statement", moved[path[1]], *path[2:])
                spans[target] = span
        else:
            spans[path] = span
    if not kept:  # in no branch (a resource under a false condition): it grants nothing
        kept = [_NOTHING_WITH_PRINCIPAL if _has_principal(document.value) else _NOTHING]
    value = {**document.value, "Statement": kept}
    return Decoded(value, document.filename, spans, {}, document.duplicate_keys)


_NOTHING = {"Effect": "Deny", "Action": "*", "Resource": "*"}
_NOTHING_WITH_PRINCIPAL = {**_NOTHING, "Principal": "*"}


def _has_principal(value: Any) -> bool:
    return any(
        isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s)
        for s in _statements(value)
    )


def _instantiate(document: Decoded, assignment: dict[str, str]) -> Decoded:
    if not assignment:
        return document

    def replace(position: str, text: str) -> str:
        if not _is_equality(position):
            return text
        return _PLACEHOLDER.sub(lambda m: assignment.get(m.group(1), m.group(0)), text)

    return map_policy_strings(document, replace)


def abstract_patterns(document: Decoded, pattern_names: set[str]) -> Decoded:
    """Each element holding an unknown that may be a pattern, replaced by a variable of its
    own (one per element text and position), so that whether it matches is free."""

    def replace(position: str, text: str) -> str:
        if position == "Other" or not pattern_names.intersection(placeholders_in(text)):
            return text
        digest = hashlib.sha256(f"{position}\0{text}".encode()).hexdigest()[:12]
        return "${" + UNKNOWN_PREFIX + "pattern-" + digest + "}"

    return map_policy_strings(document, replace)


def unknowns_in(found: FoundPolicy) -> list[str]:
    """The labels of the unknowns the document holds (values, and the Booleans of template
    conditions), in order of first appearance."""
    seen: dict[str, None] = {}
    value = found.document.value
    statements = value.get("Statement") if isinstance(value, dict) else None
    for statement in statements if isinstance(statements, list) else []:
        condition = statement.get("Condition") if isinstance(statement, dict) else None
        for keys in condition.values() if isinstance(condition, dict) else ():
            for key in keys if isinstance(keys, dict) else ():
                if isinstance(key, str) and key.startswith(CONDITION_PREFIX):
                    seen[key.removeprefix(CONDITION_PREFIX)] = None

    def collect(position: str, text: str) -> str:
        seen.update(dict.fromkeys(placeholders_in(text)))
        return text

    map_policy_strings(found.document, collect)
    return list(seen)
