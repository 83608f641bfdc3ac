"""AWS's size limits per policy type: one small table, read by validation.

IAM counts the characters of an identity policy without whitespace (IAM and AWS STS quotas,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); AWS Organizations
counts every character of an SCP or RCP ("Maximum size of a policy document",
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html); the
services that hold resource policies count their own way (bytes of the document). A document
is measured as compact JSON (what `jsonencode` or the CLI submits after minifying). Over its
limit, an identity or resource policy is a warning (IAM refuses to store it, but what it would
grant is still checked when that is feasible); an SCP's or RCP's is an error, as Access
Analyzer reports it (`checks.validation_types`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class SizeLimit:
    """At most `size` of `unit` in `kind` (as AWS names the kind of policy): `characters
    without whitespace`, `characters` (all count) or `bytes`."""

    kind: str
    size: int
    unit: str = "characters without whitespace"


LIMITS: Mapping[str, SizeLimit] = MappingProxyType(
    {
        "managed": SizeLimit("a managed policy", 6_144),
        "inline-user": SizeLimit("a user's inline policies (together)", 2_048),
        "inline-group": SizeLimit("a group's inline policies (together)", 5_120),
        "inline-role": SizeLimit("a role's inline policies (together)", 10_240),
        "trust": SizeLimit("a role trust policy (by default; up to 4,096 on request)", 2_048),
        "AWS::S3::Bucket": SizeLimit("an S3 bucket policy", 20_480, "bytes"),
        "AWS::SQS::Queue": SizeLimit("an SQS queue policy", 8_192, "bytes"),
        "AWS::SNS::Topic": SizeLimit("an SNS topic policy", 30_720, "bytes"),
        "AWS::KMS::Key": SizeLimit("a KMS key policy", 32_768, "bytes"),
        "AWS::SecretsManager::Secret": SizeLimit(
            "a Secrets Manager resource policy", 20_480, "bytes"
        ),
        "AWS::ECR::Repository": SizeLimit("an ECR repository policy", 10_240, "bytes"),
        "AWS::Lambda::Function": SizeLimit("a Lambda function policy", 20_480, "bytes"),
        "SERVICE_CONTROL_POLICY": SizeLimit("a service control policy", 5_120, "characters"),
        "RESOURCE_CONTROL_POLICY": SizeLimit("a resource control policy", 5_120, "characters"),
        # A boundary is a managed policy (IAM quotas).
        "PERMISSIONS_BOUNDARY": SizeLimit("a managed policy (a boundary)", 6_144),
    }
)
IDENTITY = "managed"  # the limit an identity policy of unknown attachment is held to
RESOURCE = "AWS::KMS::Key"  # of unknown type: the largest resource-policy limit, no false alarm


def measure(document: Any, limit: SizeLimit, stop: int | None = None) -> int:
    """The document's size as AWS counts it for `limit` (compact JSON), counted value by value
    and no further than `stop`: a YAML document whose aliases repeat a 1 MB string 2,000 times
    would be 2 GB written out."""
    total, stack = 0, [document]
    while stack and (stop is None or total <= stop):
        value = stack.pop()
        if isinstance(value, dict):
            total += 1 + 2 * len(value) if value else 2  # braces, colons and commas
            for key, item in value.items():
                total += _size(str(key), limit)
                stack.append(item)
        elif isinstance(value, list):
            total += 1 + len(value) if value else 2  # brackets and commas
            stack.extend(value)
        else:
            total += _size(value, limit)
    return total


def _size(value: Any, limit: SizeLimit) -> int:
    text = json.dumps(value, ensure_ascii=False)
    if limit.unit == "bytes":
        return len(text.encode())
    if limit.unit == "characters":
        return len(text)
    return len(text) - sum(1 for character in text if character.isspace())


def over_limit(document: Any, key: str) -> tuple[int, SizeLimit] | None:
    """(size, limit) when the document is larger than the limit `key` names (the size counted
    up to a little past the limit); else None."""
    limit = LIMITS[key]
    size = measure(document, limit, stop=limit.size)
    return (size, limit) if size > limit.size else None


def too_large(document: Any, key: str) -> str | None:
    """What a size finding says when the document is over the limit `key` names; else None.
    One sentence for every policy type, so validation and the type rules say it alike."""
    over = over_limit(document, key)
    if over is None:
        return None
    size, limit = over
    return (
        f"the policy is over {limit.size:,} {limit.unit} (at least {size:,}), the most AWS "
        f"allows in {limit.kind}; split it"
    )
