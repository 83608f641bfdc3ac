"""The largest document each policy type may be, in one table (validation reads it).

Each entry: the limit in characters, whether white space counts, and AWS's page. A document is
measured as its minified JSON (what `jsonencode` or `aws ... --policy file://` submits after
minifying): a file over the limit even so cannot be deployed; one under it but written with
spaces may still need minifying where white space counts.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from policy_guard.policy.model import PolicyType


class SizeLimit(NamedTuple):
    characters: int
    counts_white_space: bool
    source: str


_ORGANIZATIONS_QUOTAS = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
)
_IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"

SIZE_LIMITS: dict[PolicyType, SizeLimit] = {
    # AWS Organizations quotas, "Maximum size of a policy document": every character counts.
    PolicyType.SERVICE_CONTROL: SizeLimit(5120, True, _ORGANIZATIONS_QUOTAS),
    PolicyType.RESOURCE_CONTROL: SizeLimit(5120, True, _ORGANIZATIONS_QUOTAS),
    # A boundary is a managed policy: 6,144 characters, white space not counted (IAM quotas).
    PolicyType.PERMISSIONS_BOUNDARY: SizeLimit(6144, False, _IAM_QUOTAS),
}
"""Identity and resource policies' limits depend on where they are attached (inline, managed,
per service) and are not in this table."""


def minified_length(value: Any) -> int:
    """The document's length as minified JSON, in characters."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
