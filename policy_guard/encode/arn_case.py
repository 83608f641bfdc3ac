"""The ARN-case reading in the encoder: patterns whose partition, service or region has upper
case get a second, folded form (`semantics.reading.fold_arn_prefix`), chosen by the reading's
symbol; patterns without upper case there are the same under both readings and get none.
"""

from __future__ import annotations

import dataclasses

from policy_guard.encode.templates import Pattern, compile_value
from policy_guard.policy.globs import Kind
from policy_guard.policy.model import Condition, Policy, Statement
from policy_guard.policy.operators import Family
from policy_guard.semantics.reading import fold_arn_prefix


def folded_resources(policy: Policy, statement: Statement) -> tuple[Pattern, ...] | None:
    """The Resource/NotResource patterns folded, or None when folding changes none."""
    values = statement.resources if statement.resources is not None else statement.not_resources
    if not values or all(fold_arn_prefix(v.text) == v.text for v in values):
        return None
    variables = policy.variables_enabled
    return tuple(compile_value(fold_arn_prefix(v.text), Kind.RESOURCE, variables) for v in values)


def folded_condition(condition: Condition) -> Condition | None:
    """An Arn-operator condition with its values folded, or None when folding changes none."""
    spec = condition.operator.spec
    if spec is None or spec.family is not Family.ARN:
        return None
    if all(fold_arn_prefix(v.text) == v.text for v in condition.values):
        return None
    values = tuple(dataclasses.replace(v, text=fold_arn_prefix(v.text)) for v in condition.values)
    return dataclasses.replace(condition, values=values)
