"""A brute force over the catalogue with the reference evaluator: the access diff's peer.

For every catalogued action, candidate requests are tried against both policies: each of the
action's ARN formats filled with example names (or `*` when it takes no resource type), and each
Resource/NotResource pattern of the two policies with its wildcards filled, where the action can
take it; no context. An action is gained when some candidate AWS can make (`semantics.possible`)
is allowed by NEW and not by EXISTING. It is a lower bound of the true gains (it cannot try
every resource or any condition value), exact for policies whose statements have no conditions
and whose resources are `*` or ARNs the fillings hit; it uses nothing of the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from policy_guard.policy import catalogue
from policy_guard.policy.arn_formats import resource_fits
from policy_guard.policy.model import Policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.possible import impossible
from policy_guard.semantics.request import Request

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_HEAD = {"Partition": "aws", "Region": "us-east-1", "Account": "123456789012"}


def filled_format(arn_format: str) -> str:
    return _PLACEHOLDER.sub(lambda m: _HEAD.get(m.group(1), "example"), arn_format)


def filled_pattern(pattern: str) -> str:
    """A resource pattern's wildcards filled (`*` -> `example`, `?` -> `x`)."""
    return pattern.replace("*", "example").replace("?", "x")


def policy_resources(policies: Iterable[Policy]) -> list[str]:
    found: dict[str, None] = {}
    for policy in policies:
        for statement in policy.statements:
            for value in (*(statement.resources or ()), *(statement.not_resources or ())):
                if "${" not in value.text and value.text != "*":
                    found.setdefault(filled_pattern(value.text), None)
    return list(found)


def candidates(action: str, extra: Sequence[str]) -> list[str]:
    formats = catalogue.action_resource_formats(action)
    resources = [filled_format(f) for _, f in formats] if formats else ["*"]
    resources += [r for r in extra if resource_fits(action, r)]
    return list(dict.fromkeys(resources))


def brute_gains(
    existing: Policy, new: Policy, actions: Sequence[str] | None = None
) -> dict[str, Request]:
    """Each catalogued action (or each of `actions`) gained by NEW over EXISTING with a
    request that shows it."""
    extra = policy_resources((existing, new))
    found: dict[str, Request] = {}
    for action in actions if actions is not None else catalogue.all_actions():
        for resource in candidates(action, extra):
            request = Request(action, resource)
            if impossible(request) is not None or not evaluate(new, request).allowed:
                continue
            if not evaluate(existing, request).allowed:
                found[action] = request
                break
    return found
