"""Which statements of a large policy can match a request, found without trying each one.

Confirming counterexamples evaluates a request per statement against every statement: a
5,000-statement policy is 25 million statement matches. An Action entry without a wildcard
matches one action, one with a literal service prefix (`s3:Get*`) only that service's; a
Resource entry only values that start with its text up to the first wildcard or variable. The
index keeps, per such key, the statements that may match, and the evaluator tries only those.
It only ever over-approximates (a shorter prefix, case folded, `NotAction`/`NotResource` and
statements without the element kept for every request), so the answer is the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from policy_guard.policy.model import Statement, Value
from policy_guard.semantics.request import Request

INDEX_FROM = 32
"""Statements from which a policy is indexed (below, trying each is as fast)."""

_WILDCARDS = "*?$"  # `$`: a policy variable (or a literal `$`: a shorter prefix is still sound)


def _literal_prefix(text: str) -> str:
    cut = min((i for i in (text.find(c) for c in _WILDCARDS) if i >= 0), default=len(text))
    return text[:cut].lower()


@dataclass(frozen=True)
class StatementIndex:
    """Statement positions (in the policy's order) by the action and resource keys they need."""

    by_action: dict[str, frozenset[int]]  # an action, lower case
    by_service: dict[str, frozenset[int]]  # a service prefix, lower case
    any_action: frozenset[int]
    by_resource_prefix: dict[str, frozenset[int]]  # a Resource entry's literal prefix, lower case
    any_resource: frozenset[int]

    def candidates(self, request: Request) -> list[int]:
        """The positions of the statements that may match `request`, in order."""
        action = request.action.lower()
        may_act = (
            self.any_action
            | self.by_action.get(action, frozenset())
            | self.by_service.get(action.split(":", 1)[0], frozenset())
        )
        if not may_act:
            return []
        resource = request.resource.lower()
        may_reach = set(self.any_resource)
        for end in range(len(resource) + 1):
            found = self.by_resource_prefix.get(resource[:end])
            if found is not None:
                may_reach |= found
        return sorted(may_act & may_reach)


def index_statements(statements: Iterable[Statement]) -> StatementIndex:
    by_action: defaultdict[str, set[int]] = defaultdict(set)
    by_service: defaultdict[str, set[int]] = defaultdict(set)
    by_prefix: defaultdict[str, set[int]] = defaultdict(set)
    any_action: set[int] = set()
    any_resource: set[int] = set()
    for position, statement in enumerate(statements):
        _index_actions(position, statement.actions, by_action, by_service, any_action)
        if statement.resources is None:
            any_resource.add(position)
        else:
            for value in statement.resources:
                by_prefix[_literal_prefix(value.text)].add(position)
    return StatementIndex(
        {k: frozenset(v) for k, v in by_action.items()},
        {k: frozenset(v) for k, v in by_service.items()},
        frozenset(any_action),
        {k: frozenset(v) for k, v in by_prefix.items()},
        frozenset(any_resource),
    )


def _index_actions(
    position: int,
    actions: tuple[Value, ...] | None,
    by_action: defaultdict[str, set[int]],
    by_service: defaultdict[str, set[int]],
    any_action: set[int],
) -> None:
    if actions is None:  # NotAction (or no Action): may match any action
        any_action.add(position)
        return
    for value in actions:
        text = value.text.lower()
        colon = text.find(":")
        wild = min((i for i in (text.find("*"), text.find("?")) if i >= 0), default=-1)
        if wild < 0:
            by_action[text].add(position)
        elif 0 <= colon < wild:
            by_service[text[:colon]].add(position)
        else:
            any_action.add(position)
