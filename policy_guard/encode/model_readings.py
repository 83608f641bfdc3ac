"""Which reading a candidate request is tried under (the usual one first), and which of its
keys describe the caller (written from the principal: `semantics.principal_facts`).

A counterexample should need no unusual reading when it does not depend on one: the usual
reading is tried first, then the reading of the model (which the solver chose freely), so a
counterexample states a reading only when the usual one does not confirm it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import fields

from policy_guard.encode.decoded import RequestModel
from policy_guard.encode.vocabulary import Vocabulary
from policy_guard.policy.model import Policy
from policy_guard.semantics.principal_facts import facts_of
from policy_guard.semantics.reading import USUAL, Reading


def candidate_readings(model: RequestModel) -> tuple[Reading, ...]:
    """The usual reading, each single choice of the model's that differs from it, then the
    model's whole reading (the solver sets choices that do not matter freely too)."""
    if model.reading.usual:
        return (USUAL,)
    changed = [
        f.name for f in fields(Reading) if getattr(model.reading, f.name) != getattr(USUAL, f.name)
    ]
    singles = [
        dataclasses.replace(USUAL, **{name: getattr(model.reading, name)}) for name in changed
    ]
    return tuple(dict.fromkeys([USUAL, *singles, model.reading]))


def caller_keys(vocabulary: Vocabulary, fact_keys: Sequence[str] = ()) -> tuple[str, ...]:
    """The question's keys that principal facts describe, as first written, then those of
    `fact_keys` (the keys the whole policies test: slicing may have left a statement that
    tests one out of the question, and the evaluator still wants a request AWS makes, whose
    `aws:PrincipalAccount` is its principal's account)."""
    if vocabulary.principal is None:
        return ()
    own = [space.name for key, space in vocabulary.keys.items() if facts_of(key)]
    known = {k.lower() for k in own}
    extra = [k for k in fact_keys if facts_of(k.lower()) and k.lower() not in known]
    return tuple(dict.fromkeys([*own, *extra]))


def policy_keys(policies: Iterable[Policy]) -> tuple[str, ...]:
    """The condition keys `policies` test, as first written (for `caller_keys`)."""
    found: dict[str, str] = {}
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                found.setdefault(condition.key_lower, condition.key)
    return tuple(found.values())
