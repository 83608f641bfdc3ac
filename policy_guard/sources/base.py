"""What every source returns: the policies found in one decoded file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from policy_guard.document.values import Decoded
from policy_guard.policy.model import PolicyType
from policy_guard.sources.unknowns import Unknown


@dataclass(frozen=True)
class FoundPolicy:
    """One policy in a file. `document` is the policy's own value with the file's positions."""

    policy_id: str
    document: Decoded
    policy_type: PolicyType | None = None  # None: inferred from Principal/NotPrincipal
    resource_type: str | None = None  # the resource a resource policy belongs to, when known
    # values the file does not fix (`var.bucket`), by name, as marked in `document`
    unknowns: Mapping[str, Unknown] = field(default_factory=dict)
    # why the policy cannot be read at all (it is reported undecided, at `line`), or None
    problem: str | None = None
    # a file that carries its own base (a Terraform plan's `before`): True, and `base` is
    # that version (None: the policy is new); the git base is not used for it
    carries_base: bool = False
    base: FoundPolicy | None = None
    # an attachment: the attached policy's ARN as written; its access is unknown unless the
    # attached document is `document`. Reported only when the base had no such attachment.
    attaches: str | None = None

    @property
    def line(self) -> int:
        return self.document.span_of(()).line


class Source(Protocol):
    """One kind of file that holds policies."""

    name: str

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        """The policies in `document`, or None when it is not this kind of file."""
