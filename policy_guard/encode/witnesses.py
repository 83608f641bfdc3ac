"""Confirmed counterexamples found without solving, for the plainest shape of a grant.

Most new access is a new action in a statement with no condition, no principal and a plain
resource. For each such Allow statement of a policy (the reduced NEW of `encode.delta`), a few
concrete requests are tried — a catalogued action of each of its first patterns (the text
itself when it has no wildcard) on its first resource — and the reference evaluator decides on
the original policies (`covers`). A request it confirms is as good a counterexample as one the
solver finds; when none is confirmed nothing is concluded and the solver decides as always. So
a FAIL can come from here, a PASS never does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence

from policy_guard.encode.readable import example_resource
from policy_guard.policy.arn_formats import resource_fits
from policy_guard.policy.catalogue import actions_for_service
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.model import Effect, Policy, PolicyType, Statement, Value
from policy_guard.semantics.request import Request

PATTERNS_PER_STATEMENT = 8
ACTIONS_PER_PATTERN = 2


def quick_witnesses(
    policy: Policy, covers: Callable[[Request], frozenset[int]]
) -> dict[int, Request]:
    """For Allow statements of `policy` (by index), a request `covers` confirms and in which
    the statement takes part; statements of other shapes, or with no confirmed candidate, are
    left out. `covers(request)`: the statement indices a confirmed request involves (empty when
    the evaluator does not confirm it)."""
    found: dict[int, Request] = {}
    if policy.policy_type is PolicyType.RESOURCE:
        return found  # a request needs a principal: left to the solver
    for statement in policy.statements:
        resource = _plain_resource(statement)
        if statement.index in found or resource is None or statement.actions is None:
            continue
        for action in _candidate_actions(statement.actions, resource):
            request = Request(action, _real_resource(action, resource))
            involved = covers(request)
            if statement.index in involved:
                for index in sorted(involved):
                    found.setdefault(index, request)
                break
    return dict(sorted(found.items()))


def _plain_resource(statement: Statement) -> str | None:
    """The statement's first resource, when the statement is of the plain shape: an Allow with
    an Action list, no condition, no principal, a Resource whose first entry has no wildcard and
    no variable (or is `*`)."""
    if (
        statement.effect is not Effect.ALLOW
        or statement.conditions
        or statement.principal is not None
        or statement.not_principal is not None
        or not statement.resources
    ):
        return None
    text = statement.resources[0].text
    if text == "*" or not any(c in text for c in "*?$"):
        return text
    return None


def _real_resource(action: str, resource: str) -> str:
    """`resource` itself, or for `*` (which names every resource) an example ARN of one of the
    action's resource types (a request's resource is one: `policy.arn_formats`)."""
    return example_resource(action, resource) if resource == "*" else resource


def _candidate_actions(values: Sequence[Value], resource: str) -> Iterator[str]:
    """A few actions per pattern: the pattern itself when it has no wildcard, else catalogued
    actions it matches (when its service has no wildcard) that can be requested on
    `resource`."""
    for value in values[:PATTERNS_PER_STATEMENT]:
        text = value.text
        if "*" not in text and "?" not in text:
            yield text
            continue
        service, sep, _ = text.partition(":")
        if not sep or "*" in service or "?" in service:
            continue
        glob = compile_pattern(text, Kind.ACTION)
        matching = (
            a
            for a in actions_for_service(service)
            if glob.matches(a) and (resource == "*" or resource_fits(a, resource))
        )
        yield from itertools.islice(matching, ACTIONS_PER_PATTERN)
