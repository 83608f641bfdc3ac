"""The configuration as the checks read it: a read-only view, and the types of its values.

`policy_guard.workflow.config.Config` (what `.policy-guard.yaml` holds) satisfies `Settings`;
the checks depend on this view, not on the workflow, so that arrows point down the pipeline.
A check lists the keys it reads in its `Check.settings`; a test checks they are config keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class NewFiles(str, Enum):
    """How `no-new-access` treats a policy that has no version at the base."""

    ACCEPT = "accept"  # nothing to compare with: only the checks that need no base
    FAIL = "fail"  # a new policy is itself a finding, to be reviewed (or waived)
    COMPARE_WITH_EMPTY = "compare-with-empty"  # compared with a policy that allows nothing


@dataclass(frozen=True)
class CriticalPermission:
    """Access that no policy may grant: any of `actions`, on any of `resources` (all when
    empty)."""

    id: str
    description: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ()
    line: int = 0


class Settings(Protocol):
    """What the checks read from the configuration (besides each check's severity)."""

    @property
    def new_files(self) -> NewFiles: ...

    @property
    def critical_permissions(self) -> tuple[CriticalPermission, ...]: ...

    @property
    def trusted_accounts(self) -> tuple[str, ...]: ...

    @property
    def trusted_organization(self) -> str | None: ...

    def resource_type(self, path: str) -> str | None:
        """The resource type configured for resource policies in `path`, if any."""
        ...
