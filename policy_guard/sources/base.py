"""What every source returns: the policies found in one decoded file, and the values a file
leaves open (template parameters, other resources' attributes, plan values known after apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from policy_guard.document.values import Decoded, Path
from policy_guard.policy.model import PolicyType

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
    `${unknown/LABEL}` (see `sources.unknowns` for how the checks decide over every value).

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
    `unknowns` lists the unknown values written into `document` as `${unknown/...}`.
    """

    policy_id: str
    document: Decoded
    policy_type: PolicyType | None = None  # None: inferred from Principal/NotPrincipal
    resource_type: str | None = None  # the resource a resource policy belongs to, when known
    unknowns: tuple[Unknown, ...] = ()
    problem: str | None = None
    problem_path: Path = ()
    only_when_new: bool = False  # the problem counts only when the base has no such policy

    @property
    def line(self) -> int:
        return self.document.span_of(self.problem_path if self.problem else ()).line


class Source(Protocol):
    """One kind of file that holds policies."""

    name: str

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        """The policies in `document`, or None when it is not this kind of file."""
