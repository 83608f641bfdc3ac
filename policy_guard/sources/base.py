"""What every source returns: the policies found in one decoded file, and the values a file
leaves open (template parameters, other resources' attributes, plan values known after apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from policy_guard.document.values import Decoded, Path
from policy_guard.policy.model import PolicyType

if TYPE_CHECKING:
    from policy_guard.sources.terraform_unknowns import Unknown as TerraformUnknown

BOUNDARY_PREFIX = "boundary:"
"""`FoundPolicy.attaches` of a role's or user's permissions boundary: the prefix, then the
boundary as written ("" when it has none: one the base had is then removed)."""
UNKNOWN_PREFIX = "unknown/"  # every unknown's policy-variable key starts with this
CONDITION_PREFIX = "unknown:"  # a condition key names a service: `unknown:Condition.IsProd`


def label_of(name: str) -> str:
    """An unknown's name as it can stand in a policy variable inside an ARN."""
    return name.replace("::", ".").replace(":", ".").replace("}", ")")


def has_unknown(text: str) -> bool:
    return "${" + UNKNOWN_PREFIX in text


@dataclass(frozen=True)
class Unknown:
    """A value the file does not fix, written into the policy as the policy variable
    `${unknown/LABEL}` (see `sources.template_unknowns` for how the checks decide over every value).

    `name` is how a user recognises it (`BucketName`, `AppRole.Arn`, `AWS::AccountId`,
    `aws_s3_bucket.data.arn`); it is also the variable's key after the prefix, so a
    counterexample shows it by name (its `label`: `:` is `.`, since ARNs split at `:`).
    `fingerprint` is the expression and everything it depends
    on: an unknown with the same name and fingerprint in the old and the new version of a file
    has the same value in both; otherwise the two are unrelated. `may_be_pattern`: the value may
    hold `*` or `?` (a parameter a deployer types), which IAM then reads as wildcards.
    `shape` is a sample value of the right form (an account id, a partition, a region) used
    where IAM compares by equality (principals), or None for any text.
    """

    name: str
    fingerprint: str
    may_be_pattern: bool = False
    shape: str | None = None

    @property
    def label(self) -> str:
        return label_of(self.name)

    @property
    def key(self) -> str:
        return f"{UNKNOWN_PREFIX}{self.label}"

    @property
    def placeholder(self) -> str:
        return "${" + self.key + "}"


@dataclass(frozen=True)
class FoundPolicy:
    """One policy in a file. `document` is the policy's own value with the file's positions.

    `problem` says why the policy (or an attachment, or a template macro) cannot be read; the
    workflow reports it as undecided at `document`'s position, never as "not a policy".
    `unknowns` lists the unknown values written into `document` as `${unknown/...}`
    (templates, `sources.template_unknowns`); `terraform_unknowns` those a Terraform source
    marks in it (`sources.terraform_unknowns`), by name. A policy has one kind or neither.
    """

    policy_id: str
    document: Decoded
    policy_type: PolicyType | None = None  # None: inferred from Principal/NotPrincipal
    resource_type: str | None = None  # the resource a resource policy belongs to, when known
    unknowns: tuple[Unknown, ...] = ()
    problem: str | None = None
    problem_path: Path = ()
    only_when_new: bool = False  # the problem counts only when the base has no such policy
    terraform_unknowns: Mapping[str, TerraformUnknown] = field(default_factory=dict)
    # a file that carries its own base (a Terraform plan's `before`): True, and `base` is
    # that version (None: the policy is new); the git base is not used for it
    carries_base: bool = False
    base: FoundPolicy | None = None
    # an attachment: the attached policy's ARN as written; its access is unknown unless the
    # attached document is `document`. Reported only when the base had no such attachment.
    attaches: str | None = None
    # the identity this policy had at the base, when it was renamed: as the file declares it
    # (a Terraform `moved` block), or as the workflow detects it (`workflow.base_versions`)
    renamed_from: str | None = None

    @property
    def line(self) -> int:
        return self.document.span_of(self.problem_path if self.problem else ()).line


def attachment_type(boundary: bool) -> PolicyType:
    """The type a managed policy defined in the file is read as where a role, user or group
    uses it: an identity policy where it is attached, a PERMISSIONS_BOUNDARY where it is a
    permissions boundary (a limit: a request passes it when an Allow matches and no Deny
    does). Each use is its own reading (CloudFormation and Terraform alike), beside the
    policy's own definition, which stays an identity policy (it may be attached anywhere): a
    policy both attached and used as a boundary is checked as both, so a PASS holds for every
    use."""
    return PolicyType.PERMISSIONS_BOUNDARY if boundary else PolicyType.IDENTITY


class Source(Protocol):
    """One kind of file that holds policies."""

    name: str

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        """The policies in `document`, or None when it is not this kind of file."""
