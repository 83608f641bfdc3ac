"""One condition (operator, key, values) -> a formula over the key's region Booleans.

Each condition reduces to two facts about the request's values of the key:
`some` (some value matches some policy value) and `every` (every value matches some policy
value; true when there are none). With M the regions whose values match (a region matches
as a whole: its boundaries are the query's constants or patterns),
`some = OR(has[r] for r in M)` and `every = AND(not has[r] for r not in M)`. Then, as in
docs/semantics.md and the reference evaluator:

    plain, IfExists   positive: some (absent: IfExists)   negated: absent or not every
    ForAllValues      positive: every                     negated: not some
    ForAnyValue       positive: some (absent: IfExists)   negated: not every (absent: IfExists)
    Null              `true`: absent; `false`: present (several values OR together)

A policy value with a variable makes M depend on the request: `some` and `every` become atoms
shared by every condition with the same key and values (old and new alike), bounded by the
literal values (a sure match) and the templates' shapes (a possible match).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from pysmt.fnode import FNode

from policy_guard.encode.arn_case import folded_condition
from policy_guard.encode.lazy import LazyValue
from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.template_relations import relate_lists
from policy_guard.encode.vocabulary import (
    INSTANCE_LIMIT,
    ConditionValues,
    condition_spec,
    condition_values,
)
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Condition, Policy
from policy_guard.policy.operators import (
    Family,
    OperatorSpec,
    compare,
    parse_bool,
    read_policy_value,
)

SINGLETON_TEMPLATES = 4


def _constants(spec: OperatorSpec, condition: Condition) -> list[Any]:
    return [read_policy_value(spec.family, v.text) for v in condition.values]


def matching_regions(
    request: SymbolicRequest, spec: OperatorSpec, condition: Condition
) -> frozenset[int]:
    """The regions of a (non-string) key whose values match some policy constant."""
    space = request.vocabulary.keys[condition.key_lower]
    constants = _constants(spec, condition)
    return frozenset(
        region
        for region, value in enumerate(space.domain.parsed)
        if value is not None and any(compare(spec.comparison, value, c) for c in constants)
    )


class ConditionEncoder:
    """Turns conditions into formulas; templated value lists share atoms (`some`, `every`)."""

    def __init__(self, request: SymbolicRequest) -> None:
        self.request = request

    def some_every(
        self, policy: Policy, condition: Condition, spec: OperatorSpec
    ) -> tuple[FNode, FNode]:
        request = self.request
        key = condition.key_lower
        values = condition_values(policy, condition, spec)
        if values.kind is None:
            sure = matching_regions(request, spec, condition)
            return request.has_any(key, sure), request.has_only(key, sure)
        some = request.some(key, values.globs)
        every = request.every(key, values.globs)
        if not values.templates:
            relate_lists(request, key, values, (some, every))
            return some, every
        cached = request.condition_atoms.get((key, values))
        if cached is not None:
            return cached
        m = request.manager
        space = request.vocabulary.keys[key]
        assert space.strings is not None
        shapes = [t.shape() for t in values.templates]
        possible = [*values.globs, *shapes]
        some_atom, every_atom = request.fresh("some"), request.fresh("every")
        resolvable = m.Or([request.resolvable(t) for t in values.templates])
        # a value only a template can match: matchable (for one string) or maybe
        maybe_some, maybe_every = self._maybe(key, values, possible)
        request.axioms.extend(
            [
                m.Implies(some, some_atom),
                m.Implies(some_atom, m.Or(some, maybe_some)),
                m.Implies(every, every_atom),
                m.Implies(every_atom, m.And(request.every(key, possible), maybe_every)),
                # every value matches and there is one: some value matches
                m.Implies(m.And(every_atom, request.nonempty(key)), some_atom),
                m.Implies(
                    m.Not(resolvable), m.And(m.Iff(some_atom, some), m.Iff(every_atom, every))
                ),
            ]
        )
        for states, globs in self._exact_readings(key, values):
            exact = [*values.globs, *globs]
            request.axioms.append(
                m.Implies(
                    request.in_states(states),
                    m.And(
                        m.Iff(some_atom, request.some(key, exact)),
                        m.Iff(every_atom, request.every(key, exact)),
                    ),
                )
            )
        if space.single:  # one value (`real_requests`): it matches, or it does not
            present = request.keys[key].present
            request.axioms.append(m.Implies(present, m.Iff(some_atom, every_atom)))
        request.condition_atoms[(key, values)] = (some_atom, every_atom)
        relate_lists(request, key, values, (some_atom, every_atom))
        return some_atom, every_atom

    def _maybe(
        self, key: str, values: ConditionValues, possible: list[Glob]
    ) -> tuple[FNode, FNode]:
        """For the values in a template's shape but in no plain value: some such value can be
        matched by a template, and every such value can. A one-string class can be matched
        only if `matchable` (exact); any other class maybe."""
        request = self.request
        m = request.manager
        space = request.vocabulary.keys[key]
        strings = space.strings
        assert strings is not None
        sure_globs = values.globs
        if not space.lazy:
            sure = strings.regions(sure_globs)
            candidates = strings.regions(possible) - sure
            per_region = {
                r: self._matchable(values, space.domain.witnesses[r], r in space.singletons)
                for r in sorted(candidates)
            }
            has = request.keys[key].has
            return (
                m.Or([m.And(has[r], need) for r, need in per_region.items()]),
                m.And([m.Implies(has[r], need) for r, need in per_region.items()]),
            )
        texts = [
            t
            for t in space.literal_texts
            if any(g.matches(t) for g in possible) and not any(g.matches(t) for g in sure_globs)
        ]
        requirements = [(Glob(tuple(t), False), self._matchable(values, t, True)) for t in texts]

        def needs(value: LazyValue) -> FNode:
            return m.And([m.Implies(value.matches(m, [g]), need) for g, need in requirements])

        def candidate(value: LazyValue) -> FNode:
            inside = value.matches(m, possible)
            return m.And(inside, m.Not(value.matches(m, sure_globs)), needs(value))

        def no_region(_region: int) -> FNode:  # (a lazy key has no regions)
            return m.FALSE()

        return (
            request.exists_value(key, no_region, candidate),
            request.every_value(key, no_region, needs),
        )

    def _matchable(self, values: ConditionValues, value: str, singleton: bool) -> FNode:
        """Some template of `values` can match `value` (exact for a singleton region)."""
        m = self.request.manager
        if not singleton or len(values.templates) > SINGLETON_TEMPLATES:
            return m.TRUE()
        return m.Or([self.request.matchable(t, value) for t in values.templates])

    def _exact_readings(
        self, key: str, values: ConditionValues
    ) -> Iterator[tuple[tuple[tuple[str, str | None], ...], list[Glob]]]:
        """Variable states under which every template of the condition is an exact pattern
        (combining each template's instances; a key must be in one state throughout)."""
        instances = self.request.vocabulary.instances
        per_template = [instances.get((key, t), ()) for t in values.templates]
        for combination in itertools.islice(itertools.product(*per_template), INSTANCE_LIMIT):
            states: dict[str, str | None] = {}
            consistent = True
            for instance in combination:
                for state_key, region in instance.states:
                    if states.setdefault(state_key, region) != region:
                        consistent = False
            if consistent:
                yield tuple(states.items()), [i.glob for i in combination]

    def formula(self, policy: Policy, condition: Condition) -> FNode:
        """The condition; an Arn condition the ARN-case reading changes, by the reading."""
        folded = folded_condition(condition)
        if folded is None:
            return self._formula(policy, condition)
        case = self.request.reading["arn_prefix_case_folded"]
        m = self.request.manager
        return m.Ite(case, self._formula(policy, folded), self._formula(policy, condition))

    def _formula(self, policy: Policy, condition: Condition) -> FNode:
        m = self.request.manager
        spec = condition_spec(policy, condition)
        operator = condition.operator
        present = self.request.keys[condition.key_lower].present
        if spec.family is Family.NULL:
            return m.Or(
                [m.Not(present) if parse_bool(v.text) else present for v in condition.values]
            )
        some, every = self.some_every(policy, condition, spec)
        absent_holds = m.Not(present) if operator.if_exists else m.FALSE()
        if operator.set_operator == "ForAllValues":
            return m.Not(some) if spec.negated else every
        if operator.set_operator == "ForAnyValue":
            return m.Or(absent_holds, m.Not(every) if spec.negated else some)
        if spec.negated:
            return m.Or(m.Not(present), m.Not(every))
        return m.Or(absent_holds, some)
