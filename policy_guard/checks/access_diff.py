"""The access diff: what a changed policy gains and loses, action by action (issue 14).

`access_diff(existing, new)` lists every catalogued action some request of which NEW allows and
EXISTING does not (gained), and the reverse (lost), with the statements responsible and, where
they limit it, the resources or conditions the access holds under; access outside the catalogue
(a pattern such as `s3:Future*` that names no catalogued action, or the rest of a NotAction) is
listed as such. The engine side, and why it is exact, is `encode.access_diff`; formatting is
`report.access_diff`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from policy_guard.errors import PolicyGuardError
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Policy, Statement
from policy_guard.semantics.request import Request

if TYPE_CHECKING:
    from policy_guard.checks.common import EngineOptions
    from policy_guard.encode.access_diff import Gains


@dataclass(frozen=True)
class StatementRef:
    """A statement of the policy that grants the access: its index and Sid."""

    index: int
    sid: str | None = None


@dataclass(frozen=True)
class ActionChange:
    """One action gained (or lost).

    `action`: a catalogued action's canonical name, or, when `catalogued` is false, a string no
    catalogue lists that stands for actions outside it (`patterns` says which: the granting
    statements' Action patterns, or `NotAction` ones prefixed `not `). `statements`: those of
    the granting policy that allow the confirmed request `example` (for a catalogued action,
    `example` may be another action of its class: `encode.access_diff.backing_request`).
    `resources` / `not_resources` / `conditions`: what those statements limit the access to
    (empty: any resource, no condition)."""

    action: str
    statements: tuple[StatementRef, ...]
    example: Request
    catalogued: bool = True
    patterns: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()

    @property
    def service(self) -> str:
        return self.action.partition(":")[0].lower()

    @property
    def limited(self) -> bool:
        return bool(self.resources or self.not_resources or self.conditions)


@dataclass(frozen=True)
class ActionChanges:
    """One direction of the diff; `undecided`: why the list may be incomplete (None: exact)."""

    changes: tuple[ActionChange, ...] = ()
    undecided: str | None = None

    @property
    def catalogued(self) -> tuple[ActionChange, ...]:
        return tuple(c for c in self.changes if c.catalogued)

    @property
    def outside(self) -> tuple[ActionChange, ...]:
        return tuple(c for c in self.changes if not c.catalogued)


@dataclass(frozen=True)
class AccessDiff:
    """What NEW gains over EXISTING and what it loses. `new_policy`: EXISTING is nothing (a
    policy added), so the gains are everything it grants."""

    gained: ActionChanges = field(default_factory=ActionChanges)
    lost: ActionChanges = field(default_factory=ActionChanges)
    new_policy: bool = False


def access_diff(
    existing: Policy, new: Policy, options: EngineOptions, *, new_policy: bool = False
) -> AccessDiff:
    """Both directions, each decided by the engine (`encode.access_diff.gained_actions`)."""
    if existing.statements == new.statements and existing.version == new.version:
        return AccessDiff(new_policy=new_policy)
    from policy_guard.encode.access_diff import gained_actions

    engine = options.analysis_options()

    def direction(before: Policy, after: Policy) -> ActionChanges:
        # The command's wall-clock limit may expire anywhere in here: the check has answered
        # by then, so only this direction of the diff is undecided.
        try:
            return changes_of(after, gained_actions(before, after, engine))
        except PolicyGuardError as error:
            return ActionChanges((), str(error))
        except Exception as error:  # after the budget's backstop: see `budget.interrupted`
            from policy_guard.encode import budget

            late = budget.interrupted(error)
            if late is None:
                raise
            return ActionChanges((), str(late))

    return AccessDiff(direction(existing, new), direction(new, existing), new_policy)


def changes_of(granting: Policy, gains: Gains) -> ActionChanges:
    """The engine's groups as one change per action (then one per group for the strings outside
    the catalogue), sorted by action; `granting` is the policy that allows them."""
    by_index = {s.index: s for s in granting.statements}
    changes: list[ActionChange] = []
    outside: list[ActionChange] = []
    for group in gains.groups:
        statements = [by_index[i] for i in group.statements if i in by_index]
        refs = tuple(StatementRef(s.index, s.sid) for s in statements)
        limits = _limits(statements)
        for action in group.actions:
            resources = _fitting(action, limits[0])
            changes.append(
                ActionChange(action, refs, group.request, True, (), resources, *limits[1:])
            )
        if group.outside is not None:
            patterns = tuple(p for s in statements for p in _patterns(s, group.outside.action))
            outside.append(
                ActionChange(group.outside.action, refs, group.outside, False, patterns, *limits)
            )
    changes.sort(key=lambda c: c.action.lower())
    return ActionChanges(tuple(changes + outside), gains.undecided)


def _patterns(statement: Statement, action: str) -> list[str]:
    """The statement's Action patterns that match `action`, or its NotAction list (`not X`)."""
    if statement.actions is not None:
        return [v.text for v in statement.actions if _action_glob(v.text).matches(action)]
    return [f"not {v.text}" for v in statement.not_actions or ()]


@lru_cache(maxsize=8192)
def _action_glob(text: str) -> Glob:
    from policy_guard.encode.vocabulary import action_glob

    return action_glob(text)


def _limits(
    statements: list[Statement],
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Resources, NotResources and conditions of the statements, when any of them limits (a
    statement with `Resource: "*"` and no condition limits nothing: then none)."""
    if any(_unlimited(s) for s in statements):
        return (), (), ()
    resources = tuple(
        dict.fromkeys(v.text for s in statements for v in s.resources or () if v.text != "*")
    )
    not_resources = tuple(dict.fromkeys(v.text for s in statements for v in s.not_resources or ()))
    conditions = tuple(
        dict.fromkeys(
            f"{c.operator.text} {c.key}: {', '.join(v.text for v in c.values)}"
            for s in statements
            for c in s.conditions
        )
    )
    return resources, not_resources, conditions


def _fitting(action: str, resources: tuple[str, ...]) -> tuple[str, ...]:
    """The resource patterns that may hold a resource `action` can take (all, when none
    does: the statements' list as written)."""
    from policy_guard.encode.slicing import may_meet
    from policy_guard.policy.arn_formats import resource_shapes
    from policy_guard.policy.globs import Kind, compile_pattern

    shapes = resource_shapes(action) if resources else None
    if shapes is None:
        return resources
    kept = tuple(
        r
        for r in resources
        if "${" in r or any(may_meet(compile_pattern(r, Kind.RESOURCE), s) for s in shapes)
    )
    return kept or resources


def _unlimited(statement: Statement) -> bool:
    return (
        not statement.conditions
        and statement.not_resources is None
        and any(v.text == "*" for v in statement.resources or ())
    )
