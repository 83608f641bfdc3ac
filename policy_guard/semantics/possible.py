"""Whether AWS can make a request at all (docs/semantics.md, "A request").

The evaluator decides any request it is given (`simulate` decides what the user asks). The
checks speak of requests AWS can make, so every counterexample is also checked here, with the
rules the encoder states on the symbolic request (`encode.real_requests`): the resource is an
ARN of one of the action's resource types where the catalogue gives them
(`policy.arn_formats`), and a single-valued key has exactly one value (`policy.key_values`).
"""

from __future__ import annotations

from policy_guard.policy.arn_formats import resource_fits
from policy_guard.policy.key_values import values_problem
from policy_guard.semantics.request import Request


def impossible(request: Request) -> str | None:
    """Why AWS cannot make `request`, or None when it can."""
    if not resource_fits(request.action, request.resource):
        return (
            f"`{request.resource}` is not an ARN of a resource type `{request.action}` takes "
            "(Service Authorization Reference)"
        )
    return values_problem(request.context)
