"""What every source returns: the policies found in one decoded file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from policy_guard.document.values import Decoded
from policy_guard.policy.model import PolicyType


@dataclass(frozen=True)
class FoundPolicy:
    """One policy in a file. `document` is the policy's own value with the file's positions."""

    policy_id: str
    document: Decoded
    policy_type: PolicyType | None = None  # None: inferred from Principal/NotPrincipal
    resource_type: str | None = None  # the resource a resource policy belongs to, when known

    @property
    def line(self) -> int:
        return self.document.span_of(()).line


class Source(Protocol):
    """One kind of file that holds policies."""

    name: str

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        """The policies in `document`, or None when it is not this kind of file."""
