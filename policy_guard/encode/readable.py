"""Counterexamples a user recognises: a catalogued action and an ARN of a type it takes.

The solver's model gives cells (an action cell, a resource cell); any string of a cell is an
equally good counterexample, so this module picks the one a user recognises:
- the action: a catalogued action of the cell, from the witness's service, else from a service
  the policies name (NotAction cells), else from a few common services; the witness only when
  none of those is in the cell;
- the resource: for that action, an ARN of one of its resource types (`policy.arn_formats`),
  filled with `EXAMPLE_HEADS` (partition and region), `EXAMPLE_ACCOUNTS` and readable names,
  or with the shortest identifiers the cell allows (`partition.realize`); `*` for an action
  that takes no resource type when the cell holds it; the witness otherwise.
Every pair is still checked by the evaluator and `semantics.possible` before it is reported.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from policy_guard.encode.automata import PartitionTooLarge
from policy_guard.encode.lazy import shortest_instance
from policy_guard.encode.partition import realize, required_prefixes
from policy_guard.encode.vocabulary import Cell, StringSpace
from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import (
    ACCOUNT,
    COLON_FREE,
    EXTRA_FORMATS,
    PARTITION,
    REGION,
    as_arn_format,
    resource_fits,
    resource_shapes,
    well_formed_head,
)
from policy_guard.policy.arns import ANONYMOUS
from policy_guard.policy.globs import Glob, Token, Wild
from policy_guard.policy.key_values import aws_typed, values_problem

EXAMPLE_HEADS = (
    ("aws", "us-east-1"),
    ("aws", "eu-west-1"),
    ("aws", "ap-southeast-2"),
    ("aws-us-gov", "us-gov-west-1"),
    ("aws-cn", "cn-north-1"),
)
"""Partitions with one of their regions, tried in order (the AWS documentation's examples)."""
EXAMPLE_ACCOUNTS = ("111122223333", "444455556666")
ACTIONS_TRIED = 24
"""Catalogued actions of one cell tried for a resource that fits (the first usually does)."""
REALIZE_STATES = 20_000
ACTION_SCAN = 1_500
"""Catalogued actions looked at for one cell, at most."""
COMMON_SERVICES = ("s3", "ec2", "iam", "sqs", "sns", "dynamodb", "lambda", "kms")
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_ACCOUNT_TEXT = re.compile(r"(?<!\d)\d{12}(?!\d)")
_REGION_TEXT = re.compile(r":([a-z]{2}(?:-[a-z]+)+-\d+):")


def catalogued_actions(space: StringSpace, cell: Cell, only: str | None = None) -> Iterator[str]:
    """Catalogued actions of the cell: the witness as catalogued, then its service's actions,
    then the services the space's patterns name, then a few common ones (with `only`, that
    service's actions); only the services of the cell's literal-service patterns when it has
    some. At most ACTION_SCAN actions are looked at (a cell without a catalogued action, an
    unknown name, must not cost a look at the whole catalogue for each model), and each is
    first tried on the cell's own patterns (a few) before its whole vector."""
    prefix = cell.witness.split(":", 1)[0].lower()
    positive = [space.globs[i] for i in sorted(cell.vector)]
    required = {s for s in (_literal_service(g) for g in positive) if s}
    if only is not None:
        order = [only]
    elif required:
        order = sorted(required)
    else:
        named = (_literal_service(glob) for glob in space.globs)
        order = [prefix, *(s for s in named if s), *COMMON_SERVICES]
    services = [s for s in dict.fromkeys(order) if not required or s in required]
    canonical = catalogue.canonical_action(cell.witness)
    candidates = itertools.chain(
        [canonical] if canonical and only in (None, prefix) else [],
        (a for service in services for a in catalogue.actions_for_service(service)),
    )
    for action in itertools.islice(candidates, ACTION_SCAN):
        if all(g.matches(action) for g in positive) and space.vector_of(action) == cell.vector:
            yield action


def _arn_service(text: str) -> str | None:
    """The service segment of an ARN (`s3` of `arn:aws:s3:::b`), else None."""
    parts = text.split(":", 3)
    return parts[2].lower() if len(parts) > 3 and parts[0] == "arn" and parts[2] else None


def _literal_service(glob: Glob) -> str | None:
    text: list[str] = []
    for token in glob.tokens:
        if isinstance(token, Wild):
            return None
        if token == ":":
            return "".join(text)
        text.append(token)
    return None


@dataclass(frozen=True)
class Target:
    """A cell to pick a resource from: what counts is its vector on the space's patterns
    outside `ignored` (the resource shapes no policy writes: facts, not patterns)."""

    space: StringSpace
    cell: Cell
    ignored: frozenset[int] = frozenset()

    @cached_property
    def wanted(self) -> frozenset[int]:
        return self.cell.vector - self.ignored

    def holds(self, value: str) -> bool:
        return self.space.vector_of(value) - self.ignored == self.wanted

    @cached_property
    def _realized(self) -> dict[Glob, str | None]:
        return {}

    def realize(self, hint: Glob) -> str | None:
        """A shortest string of the cell (up to `ignored`) that matches `hint` (remembered:
        the actions of one service share formats)."""
        if hint not in self._realized:
            self._realized[hint] = self._realize(hint)
        return self._realized[hint]

    def _realize(self, hint: Glob) -> str | None:
        globs: Sequence[Glob] = (*self.space.globs, hint)
        inside = [*self.wanted, len(self.space.globs)]
        table = self.space.folded_prefixes  # what `realize` keeps of them, looked up
        meeting = {
            i
            for prefix in required_prefixes(globs[i] for i in inside)
            for i in table.comparable(prefix)
        }
        outside = [i for i in meeting if i not in self.cell.vector and i not in self.ignored]
        try:
            return realize(globs, inside, outside, max_states=REALIZE_STATES)
        except PartitionTooLarge:
            return None


def readable_pairs(
    actions: StringSpace, action_cell: Cell, resources: Target
) -> Iterator[tuple[str, str]]:
    """(action, resource) candidates, most readable first (the evaluator decides which
    confirms; the first usually does):
    1. a catalogued action of the cell with a resource of the cell that is real for it (an
       ARN of its types, or `*` for one that takes only `*`);
    2. outside the cells, where the model's choice was no better than another: a catalogued
       action of the cell, then one of each other class of a service the policies name, with
       an example resource real for it;
    3. a catalogued action of the cell with the resource cell's witness; the witnesses."""
    service = _arn_service(resources.cell.witness)
    first = catalogued_actions(actions, action_cell, only=service) if service else iter(())
    in_cell = list(
        dict.fromkeys(
            itertools.chain(
                itertools.islice(first, ACTIONS_TRIED),
                itertools.islice(catalogued_actions(actions, action_cell), ACTIONS_TRIED),
            )
        )
    )
    for action in in_cell:
        resource = readable_resource(action, resources)
        if resource is not None:
            yield action, resource
            break
    for action in [*in_cell[:2], *_other_classes(actions, action_cell)]:
        yield action, example_resource(action, resources.cell.witness)
    for action in in_cell:
        if resource_fits(action, resources.cell.witness):
            yield action, resources.cell.witness
            break
    yield action_cell.witness, resources.cell.witness


OTHER_CLASSES = 4
OTHER_SCAN = 120
"""Catalogued actions looked at for other classes, at most."""


def _other_classes(space: StringSpace, cell: Cell) -> Iterator[str]:
    """A catalogued action of each of a few other classes of the action space, from the
    services its patterns name."""
    named = dict.fromkeys(s for s in (_literal_service(g) for g in space.globs) if s)
    actions = (a for s in itertools.islice(named, 8) for a in catalogue.actions_for_service(s))
    return _one_per_class(space, cell, itertools.islice(actions, OTHER_SCAN))


def other_classes_for(space: StringSpace, cell: Cell, resource: str) -> Iterator[str]:
    """A catalogued action of each of a few classes other than the cell's, of the service of
    `resource`, that `resource` is an ARN of one of the action's types for."""
    service = _arn_service(resource)
    if service is None:
        return iter(())
    actions = itertools.islice(catalogue.actions_for_service(service), OTHER_SCAN)
    fitting = (a for a in actions if resource_shapes(a) is not None and resource_fits(a, resource))
    return _one_per_class(space, cell, fitting)


def _one_per_class(space: StringSpace, cell: Cell, actions: Iterable[str]) -> Iterator[str]:
    """The first of `actions` in each class other than the cell's, OTHER_CLASSES at most."""
    seen = {cell.vector}
    for action in actions:
        vector = space.vector_of(action)
        if vector not in seen:
            seen.add(vector)
            yield action
            if len(seen) > OTHER_CLASSES:
                return


@lru_cache(maxsize=4096)  # asked per candidate and per pattern: the catalogue's is cached too
def _formats(action: str) -> tuple[tuple[str, str], ...]:
    """The action's (resource type, ARN format) pairs, each format an ARN (`as_arn_format`)."""
    return tuple(
        (kind, as_arn_format(text)) for kind, text in catalogue.action_resource_formats(action)
    )


def example_resource(action: str, witness: str) -> str:
    """A resource real for `action` whatever the cells: `*` for an action that takes only
    `*`, else its shortest format filled with example names (the witness when it fits)."""
    formats = _formats(action)
    if not formats:
        return "*"
    if resource_fits(action, witness):
        return witness
    text = min((f for _, f in formats), key=len)
    return _filled(text, *EXAMPLE_HEADS[0], EXAMPLE_ACCOUNTS[0])


def readable_resource(action: str, target: Target) -> str | None:
    """A readable resource of the target that `action` can be requested on: an ARN of one of
    its formats, or `*` for an action that takes only `*`; None if none is found."""
    formats = _formats(action)
    if not formats:
        return "*" if target.holds("*") else None
    service = action.split(":", 1)[0].lower()
    texts = sorted(
        (
            text
            for resource_type, arn_format in formats
            for text in (arn_format, *EXTRA_FORMATS.get((service, resource_type), ()))
        ),
        key=len,
    )
    accounts = _accounts(target.space)
    heads = _heads(target.space)
    for text in texts:  # the format filled with example names
        for partition, region in heads:
            candidate = _filled(text, partition, region, accounts[0])
            if target.holds(candidate) and resource_fits(action, candidate):
                return candidate
    for text in texts:  # the shortest names the cell allows
        for (partition, region), account in itertools.product((*heads, ("aws", "")), accounts):
            found = target.realize(_hint(service, text, partition, region, account))
            if found is not None and resource_fits(action, found):
                return found
    witness = target.cell.witness
    return witness if resource_fits(action, witness) else None


DOCUMENTED_CHARACTERS: dict[tuple[str, str], str] = {
    # S3 User Guide, "Bucket naming rules": lower-case letters, digits, dots and hyphens (so
    # `arn:aws:s3:::b/home/x` is an object of bucket `b`, never a bucket)
    ("s3", "BucketName"): r"[a-z0-9.-]+",
}
"""Identifiers whose documented characters are narrower than "no colon" (as regex classes)."""


def plausible_resource(action: str, resource: str) -> bool:
    """Is `resource` an ARN of one of `action`'s formats with each identifier of its documented
    characters (`DOCUMENTED_CHARACTERS`), or `*` for an action that takes only `*`? Narrower
    than `resource_fits` (which the encoding and the evaluator share): a preference among
    candidates, so a counterexample pairs an object with an object action."""
    formats = _formats(action)
    if not formats:
        return True
    return resource_fits(action, resource) and any(
        _format_regex(action.split(":", 1)[0].lower(), text).fullmatch(resource)
        for _, text in formats
    )


@lru_cache(maxsize=1024)
def _format_regex(service: str, arn_format: str) -> re.Pattern[str]:
    colon_free = COLON_FREE.get(service, frozenset())
    pieces: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(arn_format):
        pieces.append(re.escape(arn_format[position : match.start()]))
        name = match.group(1)
        documented = DOCUMENTED_CHARACTERS.get((service, name))
        if documented is not None:
            pieces.append(documented)
        elif name in colon_free or name in ("Partition", "Region", "Account", "AccountId"):
            pieces.append("[^:]*")
        else:
            pieces.append(".*")
        position = match.end()
    pieces.append(re.escape(arn_format[position:]))
    return re.compile("".join(pieces), re.DOTALL)


def _heads(space: StringSpace) -> tuple[tuple[str, str], ...]:
    """Example partitions and regions, then the region codes the space's patterns name."""
    texts = ("".join(" " if isinstance(t, Wild) else t for t in g.tokens) for g in space.globs)
    named = (match.group(1) for text in texts for match in _REGION_TEXT.finditer(text))
    extra = [(_partition_of(region), region) for region in itertools.islice(named, 8)]
    return tuple(dict.fromkeys([*EXAMPLE_HEADS, *extra]))


def _partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def _accounts(space: StringSpace) -> tuple[str, ...]:
    """Example accounts, then the twelve-digit accounts the space's patterns name."""
    texts = ("".join(" " if isinstance(t, Wild) else t for t in g.tokens) for g in space.globs)
    named = (match for text in texts for match in _ACCOUNT_TEXT.findall(text))
    return tuple(dict.fromkeys([*EXAMPLE_ACCOUNTS, *itertools.islice(named, 8)]))


def _filled(arn_format: str, partition: str, region: str, account: str) -> str:
    head = {"Partition": partition, "Region": region, "Account": account, "AccountId": account}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return head.get(name) or _example_name(name)

    return _PLACEHOLDER.sub(value, arn_format)


@lru_cache(maxsize=1024)
def _example_name(placeholder: str) -> str:
    """`${StackName}` -> `example-stack`, `${BucketName}` -> `example-bucket`."""
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", placeholder)
    kept = [w.lower() for w in words if w.lower() not in ("name", "id", "with", "path")]
    return "example-" + ("-".join(kept) if kept else "resource")


def _hint(service: str, arn_format: str, partition: str, region: str, account: str) -> Glob:
    """The format with the given head and non-empty identifiers (colon-free where documented)."""
    head = {"Partition": partition, "Region": region, "Account": account, "AccountId": account}
    colon_free = COLON_FREE.get(service, frozenset())
    tokens: list[Token] = []
    position = 0
    for match in _PLACEHOLDER.finditer(arn_format):
        tokens.extend(arn_format[position : match.start()])
        name = match.group(1)
        if name in head:
            tokens.extend(head[name])
        elif name in colon_free:
            tokens += [Wild.ANY_IN_SEGMENT, Wild.STAR_IN_SEGMENT]
        else:
            tokens += [Wild.ANY, Wild.STAR]
        position = match.end()
    tokens.extend(arn_format[position:])
    return Glob(tuple(tokens), False)


EXAMPLE_VALUES: dict[str, tuple[str, ...]] = {
    "Bool": ("true", "false"),
    "Date": ("2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2000-01-01T00:00:00Z"),
    "Numeric": ("1", "10", "100", "3600"),
    "IPAddress": ("203.0.113.7", "198.51.100.1", "10.0.0.1", "2001:db8::1"),
    "ARN": (
        "arn:aws:iam::111122223333:role/example-role",
        "arn:aws:s3:::example-bucket",
        "arn:aws:sqs:us-east-1:111122223333:example-queue",
    ),
}
"""Values of each documented key type, in the documentation's example ranges."""
EXAMPLE_KEY_VALUES: dict[str, tuple[str, ...]] = {
    "aws:sourcevpce": ("vpce-1a2b3c4d",),
    "aws:sourcevpc": ("vpc-1a2b3c4d",),
    "aws:principalorgid": ("o-a1b2c3d4e5",),
    "aws:resourceorgid": ("o-a1b2c3d4e5",),
    "aws:sourceorgid": ("o-a1b2c3d4e5",),
    "aws:principalaccount": EXAMPLE_ACCOUNTS,
    "aws:resourceaccount": EXAMPLE_ACCOUNTS,
    "aws:sourceaccount": EXAMPLE_ACCOUNTS,
    "aws:requestedregion": ("us-east-1", "eu-west-1"),
    "aws:username": ("example-user",),
    "aws:principaltype": ("User", "AssumedRole"),
}
"""Values of some String keys whose documented shape is more than "a string"."""
GENERIC_VALUES = ("example", "example-value", "team", "prod")


def readable_value(key: str, contains: Callable[[str], bool], witness: str) -> str:
    """A value of the key's documented shape that stays in the class (`contains`), else the
    witness."""
    kinds = catalogue.condition_key_types(key)
    candidates: list[str] = list(EXAMPLE_KEY_VALUES.get(key.lower(), ()))
    for kind in sorted(kinds):
        candidates += EXAMPLE_VALUES.get(kind.removeprefix(catalogue.MULTIVALUED_PREFIX), ())
    if not kinds or all(k.removeprefix(catalogue.MULTIVALUED_PREFIX) == "String" for k in kinds):
        candidates += GENERIC_VALUES
    if aws_typed(key) is not None and values_problem({key: (witness,)}) is not None:
        # AWS sets the key to a value of its type: one of the class's, if it holds one
        typed = (v for v in _typed_variants(key) if values_problem({key: (v,)}) is None)
        return next((v for v in typed if contains(v)), witness)
    if witness and witness.isprintable() and len(witness) > 1 and not _looks_placeholder(witness):
        return witness
    for candidate in (*_well_formed_heads(witness), *candidates):
        if contains(candidate):
            return candidate
    return witness


def _well_formed_heads(witness: str) -> Iterator[str]:
    """An ARN witness with its partition, region and account made well-formed (the example
    account, `aws`, `us-east-1` or no region), the rest kept: it usually stays in the class."""
    parts = witness.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return
    partition = parts[1] if PARTITION.fullmatch(parts[1]) else "aws"
    account = parts[4] if ACCOUNT.fullmatch(parts[4]) else EXAMPLE_ACCOUNTS[0]
    regions = [parts[3]] if REGION.fullmatch(parts[3]) else ["", EXAMPLE_HEADS[0][1]]
    for region in regions:
        yield ":".join(("arn", partition, parts[2], region, account, parts[5]))


def _typed_variants(key: str) -> Iterator[str]:
    """Values of a typed global key's type, in other cases and with surrounding space too (a
    class that `StringEquals` patterns cut may hold only those)."""
    for value in EXAMPLE_VALUES.get(aws_typed(key) or "", ()):
        yield from dict.fromkeys(
            (value, value.upper(), value.title(), f" {value}", f"{value} ", f" {value} ")
        )


def _looks_placeholder(value: str) -> bool:
    """The domains' own names for a class (`not-an-address`, `neither`, `value`), or an ARN
    whose partition, region or account is not of its shape (a pattern's `?`s filled with
    `x`: `arn:aws:iam::xxxxxxxxxxxx:root`)."""
    if value in PLACEHOLDER_WITNESSES:
        return True
    return value.startswith("arn:") and not well_formed_head(value)


PLACEHOLDER_WITNESSES = frozenset(
    {"value", "neither", "not-an-address", "not-a-number", "not-a-date", "not base-64!"}
)


def readable_principal(space: StringSpace, cell: Cell) -> str | None:
    """A principal of the cell of a real shape — an account's root, a user, a role, a role
    session, a federated user, a SAML or OIDC provider (of an example account, or of an
    account the patterns name), a session of a role the patterns name, a service, a web
    identity provider, anonymous — or None when none of these is in it."""
    for account in _accounts(space):
        for template in PRINCIPAL_SHAPES:
            candidate = template.format(account=account)
            if space.vector_of(candidate) == cell.vector:
                return candidate
    for candidate in (*_named_role_sessions(space), *OTHER_PRINCIPALS):
        if space.vector_of(candidate) == cell.vector:
            return candidate
    return None


_ROLE_TEXT = re.compile(r"^arn:([a-z-]+):iam::(\d{12}):role/(?:[^ ]*/)?([^/ ]+)$")


def _named_role_sessions(space: StringSpace) -> Iterator[str]:
    """A session of each role the space's patterns name (a role never calls; a role named in
    Principal stands for its sessions, `semantics.principals`)."""
    texts = ("".join(" " if isinstance(t, Wild) else t for t in g.tokens) for g in space.globs)
    for text in texts:
        match = _ROLE_TEXT.match(text)
        if match is not None:
            partition, account, name = match.groups()
            yield f"arn:{partition}:sts::{account}:assumed-role/{name}/example-session"


PRINCIPAL_SHAPES = (
    "arn:aws:iam::{account}:root",
    "arn:aws:iam::{account}:user/example-user",
    "arn:aws:iam::{account}:role/example-role",
    "arn:aws:sts::{account}:assumed-role/example-role/example-session",
    "arn:aws:sts::{account}:federated-user/example-user",
    "arn:aws:iam::{account}:saml-provider/ExampleProvider",
    "arn:aws:iam::{account}:oidc-provider/oidc.example.com",
)
OTHER_PRINCIPALS = (
    "s3.amazonaws.com",
    "lambda.amazonaws.com",
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    ANONYMOUS,
)


PATTERN_ACTIONS = 64
"""Catalogued actions of one Action pattern tried for a resource of a Resource pattern."""


def pattern_pair(actions: Sequence[str], resource: Glob) -> tuple[str, str]:
    """An action of `actions` (the catalogued actions of an Action pattern, best first) and a
    resource of the pattern `resource` that is a real resource of it: an example ARN of one of
    its formats, or `*` for an action that takes only `*`; else the first action and the
    pattern's shortest instance."""
    for action in actions[:PATTERN_ACTIONS]:
        formats = _formats(action)
        if not formats:
            if resource.matches("*"):
                return action, "*"
            continue
        for text in sorted((f for _, f in formats), key=len):
            for partition, region in EXAMPLE_HEADS:
                filled = _filled(text, partition, region, EXAMPLE_ACCOUNTS[0])
                if resource.matches(filled) and resource_fits(action, filled):
                    return action, filled
                own = _format_regex(action.split(":", 1)[0].lower(), text)
                for candidate in _completions(resource, filled):
                    fits = own.fullmatch(candidate) and resource_fits(action, candidate)
                    if fits and resource.matches(candidate):
                        return action, candidate
    return actions[0], shortest_instance(resource)


def _completions(resource: Glob, filled: str) -> Iterator[str]:
    """The pattern's literal beginning completed by the example ARN's rest, aligned on the
    separators (`:`, then `:` and `/`): `log-group:g3:*` with an example log-stream ARN gives
    `log-group:g3:log-stream:example-log-stream`, a real resource of the statement (kept only
    where it is an ARN of the example's own format, its identifiers of their documented
    characters)."""
    if resource.is_literal:
        return
    literal = itertools.takewhile(lambda t: not isinstance(t, Wild), resource.tokens)
    prefix = "".join(str.__str__(t) for t in literal)
    for separators in (":", ":/"):
        last = max(prefix.rfind(c) for c in separators)
        if last < 0:
            continue
        count = sum(prefix[: last + 1].count(c) for c in separators)
        seen = 0
        for position, character in enumerate(filled):
            if character in separators:
                seen += 1
                if seen == count:
                    yield prefix[: last + 1] + filled[position + 1 :]
                    break
    # else the example's last name after the pattern's beginning (`b/red/*` and an object ARN)
    last = max(prefix.rfind(c) for c in ":/")
    if last >= 0:
        yield prefix[: last + 1] + filled[max(filled.rfind(c) for c in ":/") + 1 :]
