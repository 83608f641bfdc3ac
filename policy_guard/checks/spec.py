"""What a check declares about itself, and what the workflow hands it: cheap to import.

A check is one module of `policy_guard.checks` that holds its property (the engine function,
whose engine imports sit inside it), a `Rule` (what reporters say about it) and a `Check` (the
rule, the stage it runs at, and its workflow adapter `run`). `policy_guard.checks.registry`
lists the checks; the configuration's check keys, the SARIF rules, the JSON schema's enum and
the workflow's loop all derive from that list. Nothing here imports the engine, so the hook
can read the registry without loading pySMT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from policy_guard.document.values import Decoded
from policy_guard.policy.model import Policy, PolicyType

if TYPE_CHECKING:
    from policy_guard.checks.common import EngineOptions
    from policy_guard.checks.results import Flag
    from policy_guard.checks.settings import Settings

PROJECT_URL = "https://github.com/policy-guard/policy-guard"


class Severity(str, Enum):
    """How much a finding matters; a check has a default, the configuration may lower it."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Rule:
    """What a reporter needs to describe one kind of finding, whatever the output format: a
    check, or an outcome of the workflow itself (a parse error, an expired waiver, an undecided
    policy). SARIF calls it a rule; its id is what users see and write in waivers."""

    id: str
    name: str  # PascalCase, as SARIF rule names are usually written
    summary: str  # one sentence
    description: str  # a few sentences: what it means and what to do about it
    default_severity: Severity
    security: bool = False  # SARIF tags it `security` (GitHub shows a security severity)
    # GitHub code scanning ranks a security rule by it: 9.0+ critical, 7.0-8.9 high
    security_severity: str | None = None

    @property
    def help_url(self) -> str:
        """The README's "Checks" section has one heading per id (GitHub's anchor `#id`)."""
        return f"{PROJECT_URL}#{self.id}"

    @property
    def tags(self) -> tuple[str, ...]:
        return ("iam", "security") if self.security else ("iam",)


class Stage(str, Enum):
    """What a check looks at: the decoded document (before parsing, so it can explain why a
    policy does not parse), or the parsed policy (only when it parses)."""

    DOCUMENT = "document"
    POLICY = "policy"


@dataclass(frozen=True)
class Target:
    """One policy of one file, as the workflow hands it to a check.

    `document` is the policy's own value with the file's positions (a reason's `path` is
    relative to it); `policy` is None at the document stage. `compared` says whether the run
    has a base at all (not for `--all`); `base` is the policy's document at the base, when it
    had one there (or the last version IAM would accept, when the base's would be refused)."""

    path: str
    document: Decoded
    policy_type: PolicyType | None = None  # as the source declares it; None: inferred
    resource_type: str | None = None  # as the source knows it (the configuration may add one)
    policy: Policy | None = None
    compared: bool = False
    base: Decoded | None = None
    base_problem: str | None = None  # why no version to compare with can be read (undecided)
    base_note: str | None = None  # what `base` is when it is not the base's version (messages)
    compare_with_empty: bool = False  # added beside a removed policy file: all it grants is new


Run = Callable[["Target", "Settings", "EngineOptions"], "tuple[Flag, ...]"]


@dataclass(frozen=True)
class Check:
    """A check as the workflow runs it: its rule, its stage, the configuration keys it reads
    (besides `checks.<id>`), and `run`, which returns what it flags in one policy (nothing
    when the policy passes or the check does not apply to it)."""

    rule: Rule
    stage: Stage
    run: Run
    settings: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.rule.id
