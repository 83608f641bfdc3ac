"""A `check-*` command over every reading of a policy's values known only at deployment.

A template's policy (`FILE#ID`) may hold a parameter a deployer may set to `*`. The workflow
decides it over the readings `sources.template_unknowns.paired_readings` gives — exact ones, and
an abstract one where a value may be a pattern — and so do the single commands, by the same
rule: a FAIL under an exact reading is the answer (each reason says the values it holds for), a
PASS under every reading is the answer, and a FAIL only under the abstract reading is undecided
(exit 2). Terraform's unknown values are read as before (`documents.one_reading`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.commands.documents import found_policy, one_reading
from policy_guard.document.values import Decoded
from policy_guard.errors import UndecidedError
from policy_guard.policy.model import Policy

# One reading's check: (the policy, the one compared against or None, whether to refuse what
# IAM would refuse) -> (result, the policy). Only the first reading is validated, as in the
# workflow: the abstract reading's stand-ins are no ARNs.
Check = Callable[[Decoded, Decoded | None, bool], tuple[CheckResult, Policy]]


def decided_over_readings(
    argument: str, check: Check, existing: str | None = None
) -> tuple[CheckResult, Policy]:
    """`check` of the policy `argument` names (against the one `existing` names), over every
    reading of its unknown values; UndecidedError when the readings disagree as above."""
    new, new_name = found_policy(argument)
    new = one_reading(new, new_name, False, every_reading=True)
    old = None
    if existing is not None:
        old, old_name = found_policy(existing)
        old = one_reading(old, old_name, True, every_reading=True)
    if not new.unknowns and (old is None or not old.unknowns):
        return check(new.document, old.document if old is not None else None, True)
    from policy_guard.sources.template_unknowns import paired_readings, pattern_undecided, where

    ways = paired_readings(new, old)
    if isinstance(ways, str):
        raise UndecidedError(f"{new_name}#{new.policy_id}: the policy cannot be decided: {ways}")
    answer: tuple[CheckResult, Policy] | None = None
    for index, way in enumerate(ways):  # the exact readings first
        base = way.documents[1] if old is not None else None
        result, policy = check(way.documents[0], base, index == 0)
        if result.outcome is Outcome.FAIL:
            if not way.exact:
                unknowns = new.unknowns + (old.unknowns if old is not None else ())
                raise UndecidedError(f"{new_name}: {pattern_undecided(result.check, unknowns)}")
            reasons = tuple(
                replace(r, description=r.description + where(way)) for r in result.reasons
            )
            return replace(result, reasons=reasons), policy
        if answer is None:
            answer = result, policy
        elif answer[0].relation is not result.relation:  # equivalent in one, narrower in another
            answer = replace(answer[0], relation=None), answer[1]
    assert answer is not None  # readings() gives at least one
    return answer
