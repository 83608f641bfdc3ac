"""Statements and policies -> formulas over the symbolic request.

A statement matches when its principal, action, resource and condition parts all hold; the
negative elements (NotPrincipal, NotAction, NotResource) are the negation of the same
membership test as their positive twins, built by the same code. A policy allows when some
Allow statement matches and no Deny statement does (docs/semantics.md, "One policy").
A statement's patterns become one set of regions (the union of its patterns' members), so a
statement with thousands of actions is a handful of integer ranges.
"""

from __future__ import annotations

from pysmt.fnode import FNode

from policy_guard.encode.arn_case import folded_resources
from policy_guard.encode.conditions import ConditionEncoder
from policy_guard.encode.readings import not_principal_excepts
from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import principal_globs
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Effect, Policy, PrincipalEntry, Statement
from policy_guard.semantics.principals import NotPrincipalParts


class StatementEncoder:
    """Builds (and remembers) the match formula of each statement of the analysed policies."""

    def __init__(self, request: SymbolicRequest) -> None:
        self.request = request
        self.conditions = ConditionEncoder(request)
        self._cache: dict[tuple[int, int], FNode] = {}

    def principal_matches(self, entries: tuple[PrincipalEntry, ...]) -> FNode:
        """The request's principal is named by one of `entries` (false without a principal)."""
        request = self.request
        m = request.manager
        if request.principal is None:
            return m.FALSE()
        globs: list[Glob] = []
        for entry in entries:
            named = principal_globs(entry)
            if named is None:
                return m.TRUE()
            globs.extend(named)
        return request.principal_matches(globs)

    def action_matches(self, globs: tuple[Glob, ...]) -> FNode:
        return self.request.action_matches(globs)

    def resource_matches(self, patterns: tuple[Glob | Template, ...]) -> FNode:
        request = self.request
        m = request.manager
        globs = [p for p in patterns if isinstance(p, Glob)]
        atoms = [request.resource_atoms[p] for p in patterns if isinstance(p, Template)]
        return m.Or(request.resource_matches(globs), *atoms)

    def _build(self, policy: Policy, statement: Statement) -> FNode:
        m = self.request.manager
        parts: list[FNode] = []
        compiled = self.request.vocabulary.compiled(policy, statement)
        entries = compiled.principals
        if statement.principal is not None:
            parts.append(self.principal_matches(entries))
        elif statement.not_principal is not None:
            if self.request.principal is None:
                parts.append(m.FALSE())
            else:
                request = self.request
                excepted = not_principal_excepts(
                    request.reading,
                    NotPrincipalParts(statement.not_principal),
                    request.principal_matches,
                    statement.effect is Effect.DENY,
                )
                parts.append(m.Not(excepted))
        actions = self.action_matches(compiled.actions)
        parts.append(actions if statement.actions is not None else m.Not(actions))
        if statement.resources is not None or statement.not_resources is not None:
            resources = self.resource_matches(compiled.resources)
            folded = folded_resources(policy, statement)
            if folded is not None:  # the ARN-case reading decides which form applies
                case = self.request.reading["arn_prefix_case_folded"]
                resources = m.Ite(case, self.resource_matches(folded), resources)
            parts.append(resources if statement.resources is not None else m.Not(resources))
        parts.extend(self.conditions.formula(policy, c) for c in statement.conditions)
        return m.And(parts)

    def _has_principal(self) -> FNode:
        m = self.request.manager
        return m.TRUE() if self.request.principal is not None else m.FALSE()

    def matches(self, policy: Policy, statement: Statement) -> FNode:
        key = (id(policy), statement.index)
        formula = self._cache.get(key)
        if formula is None:
            formula = self._build(policy, statement)
            self._cache[key] = formula
        return formula

    def allows(self, policy: Policy) -> FNode:
        """Some Allow statement matches and no Deny statement does."""
        m = self.request.manager
        allow = [self.matches(policy, s) for s in policy.statements if s.effect is Effect.ALLOW]
        deny = [self.matches(policy, s) for s in policy.statements if s.effect is Effect.DENY]
        return m.And(m.Or(allow), m.Not(m.Or(deny)))
