"""The reference evaluator: one concrete request, decided the way AWS does (docs/semantics.md).

It serves `policy-guard simulate`, confirms every counterexample the SMT engine finds, and is
the oracle the encoder is tested against. It is therefore a plain transcription of the page,
written independently of the encoding: no automata, no solver. Wildcard meaning comes from
`policy.globs`, policy variables from `policy.variables`, condition values from
`policy.operators`.

A policy is compiled once (its patterns to Globs, its condition values parsed) and the compiled
form is kept in a small LRU cache keyed by the policy object's identity, so deciding thousands
of requests against one large policy does not recompile it. Compiling also checks the policy as
a whole: an unknown condition operator raises UndecidedError and a condition value that does not
parse for its operator raises InputError, whichever statement the request reaches, so the
answer never depends on which statements happened to be looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from policy_guard.document.values import Path
from policy_guard.errors import InputError
from policy_guard.policy.globs import Chunk, Glob, Kind, compile_chunks
from policy_guard.policy.model import (
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalBlock,
    Statement,
    Value,
)
from policy_guard.policy.operators import (
    Family,
    OperatorSpec,
    ValueError_,
    compare,
    read_policy_value,
    read_request_value,
)
from policy_guard.policy.variables import Part, Text, Variable, fill, split_variables
from policy_guard.semantics.candidates import INDEX_FROM, StatementIndex, index_statements
from policy_guard.semantics.principals import NotPrincipalParts, entry_names
from policy_guard.semantics.reading import Reading, fold_arn_prefix
from policy_guard.semantics.request import Request

SOURCE_IDENTITY = "identity"
SOURCE_RESOURCE = "resource"


class Decision(str, Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicitDeny"
    EXPLICIT_DENY = "explicitDeny"


@dataclass(frozen=True)
class MatchedStatement:
    """A statement that matched the request.

    `source` is the role the policy played: `"identity"` or `"resource"` (for `evaluate`, the
    policy's own type; for `evaluate_policies`, the argument it was passed as).
    """

    source: str
    statement_index: int
    statement_id: str | None
    effect: Effect

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"source": self.source, "statementIndex": self.statement_index}
        if self.statement_id is not None:
            result["statementId"] = self.statement_id
        result["effect"] = self.effect.value
        return result


@dataclass(frozen=True)
class Evaluation:
    """The decision and every statement that matched (Allow and Deny, in document order)."""

    decision: Decision
    matched_statements: tuple[MatchedStatement, ...]

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "matchedStatements": [m.to_json() for m in self.matched_statements],
        }


# --- patterns ---------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _glob(chunks: tuple[Chunk, ...], kind: Kind) -> Glob:
    return compile_chunks(chunks, kind)


@dataclass(frozen=True)
class _Template:
    """A pattern as written, split into parts; variables are filled in from each request."""

    parts: tuple[Part, ...]
    kind: Kind

    @staticmethod
    def of(text: str, kind: Kind, variables: bool) -> _Template:
        return _Template(split_variables(text) if variables else (Text(text),), kind)

    def glob(self, request: Request) -> Glob | None:
        """The pattern for this request; None when a variable has no value (matches nothing)."""
        chunks = fill(self.parts, lambda variable: _variable_value(variable, request))
        return None if chunks is None else _glob(chunks, self.kind)

    def matches(self, request: Request, value: str) -> bool:
        glob = self.glob(request)
        return glob is not None and glob.matches(value)


def _variable_value(variable: Variable, request: Request) -> str | None:
    """The key's one value; its default when the key is absent; else None (no value).

    A multi-valued key (or a key present with no values) gives no value: the documentation
    forbids multi-valued keys as variables, and the default stands only for an absent key.
    """
    values = request.context_values(variable.key)
    if values is None:
        return variable.default
    return values[0] if len(values) == 1 else None


@dataclass(frozen=True)
class _Names:
    """An Action/NotAction list: literal names in a set (most are), wildcard patterns as Globs."""

    literals: frozenset[str]
    patterns: tuple[Glob, ...]

    @staticmethod
    def of(values: Iterable[Value]) -> _Names:
        globs = [_glob(((v.text, True),), Kind.ACTION) for v in values]
        return _Names(
            frozenset(g.literal_text for g in globs if g.is_literal),
            tuple(g for g in globs if not g.is_literal),
        )

    def matches(self, action: str) -> bool:
        """Case-insensitive: the Globs' literals are lower case, and they fold the action."""
        return action.lower() in self.literals or any(g.matches(action) for g in self.patterns)


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    """One operator/key pair with its policy values ready to compare.

    String and Arn values are Templates (wildcards, variables); the other families' values
    are parsed once (Decimal, bool, bytes, IP network).
    """

    source: Condition
    spec: OperatorSpec
    templates: tuple[_Template, ...]
    parsed: tuple[Any, ...]
    folded: tuple[_Template, ...] = ()  # Arn operators: ARN prefixes lower-cased

    def matches_some(self, request: Request, value: str) -> bool:
        """Does one request value match some policy value (the positive per-value test)?

        A request value that does not parse for the family matches none.
        """
        if self.spec.family is Family.ARN and request.reading.arn_prefix_case_folded:
            return any(t.matches(request, value) for t in self.folded)
        if self.spec.is_string:
            return any(t.matches(request, value) for t in self.templates)
        try:
            request_value = read_request_value(self.spec.family, value)
        except ValueError_:
            return False
        return any(compare(self.spec.comparison, request_value, p) for p in self.parsed)

    def per_value(self, request: Request, value: str) -> bool:
        """Positive operators: matches some policy value (OR); negated: matches none (NOR)."""
        return self.matches_some(request, value) != self.spec.negated

    def holds(self, request: Request) -> bool:
        operator = self.source.operator
        values = request.context_values(self.source.key)
        if self.spec.family is Family.NULL:
            return any((values is None) is expected for expected in self.parsed)
        if operator.set_operator == "ForAllValues":
            return values is None or all(self.per_value(request, v) for v in values)
        if operator.set_operator == "ForAnyValue":
            if values is None:
                return operator.if_exists
            return any(self.per_value(request, v) for v in values)
        if values is None:
            return operator.if_exists or self.spec.negated
        return any(self.per_value(request, v) for v in values)


def _compile_condition(policy: Policy, condition: Condition) -> _Condition:
    spec = condition.operator.decided_spec(
        _where(policy, condition), "the request cannot be decided"
    )
    if spec.is_string:
        variables = policy.variables_enabled and spec.allows_variables
        templates = tuple(
            _Template.of(v.text, spec.string_kind, variables) for v in condition.values
        )
        folded = tuple(
            _Template.of(fold_arn_prefix(v.text), spec.string_kind, variables)
            for v in condition.values
        )
        return _Condition(condition, spec, templates, (), folded)
    parsed = []
    for value in condition.values:
        try:
            parsed.append(read_policy_value(spec.family, value.text))
        except ValueError_ as problem:
            line = policy.span_of(value.path).line
            raise InputError(
                f"{problem} (a value of `{condition.operator.text}`)",
                filename=policy.filename,
                line=line,
            ) from None
    return _Condition(condition, spec, (), tuple(parsed))


def _where(policy: Policy, condition: Condition) -> str:
    return f"{policy.filename}:{policy.span_of(condition.path).line}"


# --- statements -------------------------------------------------------------------------------


def _block_matches(block: PrincipalBlock, principal: str) -> bool:
    """`*`: everyone; an account: its IAM/STS principals; a role: itself and its sessions;
    else same kind and exactly equal (`semantics.principals`)."""
    return any(entry_names(entry, principal) for entry in block.entries)


@dataclass(frozen=True)
class _Statement:
    source: Statement
    actions: _Names | None
    not_actions: _Names | None
    resources: tuple[_Template, ...] | None
    not_resources: tuple[_Template, ...] | None
    conditions: tuple[_Condition, ...]
    not_principal: NotPrincipalParts | None
    folded: tuple[_Template, ...] | None  # Resource/NotResource, ARN prefixes lower-cased

    def principal_matches(self, principal: str | None, reading: Reading) -> bool:
        """With no principal in the request, a statement that names principals never matches."""
        statement = self.source
        if statement.principal is not None:
            return principal is not None and _block_matches(statement.principal, principal)
        if self.not_principal is not None:
            deny = statement.effect is Effect.DENY
            return principal is not None and not self.not_principal.excepts(
                principal, reading, deny
            )
        return True

    def action_matches(self, action: str) -> bool:
        if self.actions is not None:
            return self.actions.matches(action)
        return self.not_actions is None or not self.not_actions.matches(action)

    def resource_matches(self, request: Request) -> bool:
        patterns = self.resources if self.resources is not None else self.not_resources
        if patterns is None:
            return True  # neither element: every resource
        if request.reading.arn_prefix_case_folded and self.folded is not None:
            patterns = self.folded
        found = any(t.matches(request, request.resource) for t in patterns)
        return found if self.resources is not None else not found

    def matches(self, request: Request) -> bool:
        return (
            self.principal_matches(request.principal, request.reading)
            and self.action_matches(request.action)
            and self.resource_matches(request)
            and all(c.holds(request) for c in self.conditions)
        )


def _compile_statement(policy: Policy, statement: Statement) -> _Statement:
    variables = policy.variables_enabled

    def names(values: tuple[Value, ...] | None) -> _Names | None:
        return None if values is None else _Names.of(values)

    def templates(
        values: tuple[Value, ...] | None, text: Callable[[str], str] = str
    ) -> tuple[_Template, ...] | None:
        if values is None:
            return None
        return tuple(_Template.of(text(v.text), Kind.RESOURCE, variables) for v in values)

    return _Statement(
        statement,
        names(statement.actions),
        names(statement.not_actions),
        templates(statement.resources),
        templates(statement.not_resources),
        tuple(_compile_condition(policy, c) for c in statement.conditions),
        None if statement.not_principal is None else NotPrincipalParts(statement.not_principal),
        templates(statement.resources or statement.not_resources, fold_arn_prefix),
    )


class _ByIdentity:
    """A cache key that is the policy object itself: O(1) to hash, however large the policy.

    The cache holds the key, so the object (and its id) stay alive while the entry does.
    """

    __slots__ = ("policy",)

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def __hash__(self) -> int:
        return id(self.policy)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByIdentity) and other.policy is self.policy


@lru_cache(maxsize=32)
def _compiled_policy(key: _ByIdentity) -> tuple[_Statement, ...]:
    policy = key.policy
    return tuple(_compile_statement(policy, s) for s in policy.statements)


def _compiled(policy: Policy) -> tuple[_Statement, ...]:
    return _compiled_policy(_ByIdentity(policy))


# --- the public API ---------------------------------------------------------------------------


def statement_matches(policy: Policy, statement: Statement, request: Request) -> bool:
    """Do the statement's principal, action, resource and condition parts all match?

    `policy` gives the Version (policy variables) and the file for error messages. Raises
    UndecidedError for an unknown condition operator anywhere in the policy.
    """
    compiled = _compiled(policy)
    for candidate in compiled:
        if candidate.source is statement:
            return candidate.matches(request)
    return _compile_statement(policy, statement).matches(request)


@lru_cache(maxsize=32)
def _indexed_policy(key: _ByIdentity) -> StatementIndex:
    return index_statements(key.policy.statements)


def _matched(policy: Policy, request: Request, source: str) -> tuple[MatchedStatement, ...]:
    compiled = _compiled(policy)
    if len(compiled) >= INDEX_FROM:  # a large policy: only the statements that may match
        positions = _indexed_policy(_ByIdentity(policy)).candidates(request)
        compiled = tuple(compiled[i] for i in positions)
    return tuple(
        MatchedStatement(source, s.source.index, s.source.sid, s.source.effect)
        for s in compiled
        if s.matches(request)
    )


def _decide(matched: tuple[MatchedStatement, ...]) -> Decision:
    """Default deny; a matching Deny wins; otherwise a matching Allow allows."""
    effects = {m.effect for m in matched}
    if Effect.DENY in effects:
        return Decision.EXPLICIT_DENY
    if Effect.ALLOW in effects:
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY


def evaluate(policy: Policy, request: Request) -> Evaluation:
    """The decision of one policy alone for one request.

    An identity policy decides for the identity it is attached to; a resource policy for
    `request.principal` (its Principal/NotPrincipal statements match no request without one).
    """
    source = SOURCE_RESOURCE if policy.policy_type is PolicyType.RESOURCE else SOURCE_IDENTITY
    matched = _matched(policy, request, source)
    return Evaluation(_decide(matched), matched)


def evaluate_policies(
    request: Request, identity: Policy | None = None, resource: Policy | None = None
) -> Evaluation:
    """An identity and a resource policy together, by the same-account rule: a Deny in either
    denies; otherwise an Allow in either allows; otherwise implicit deny."""
    matched: tuple[MatchedStatement, ...] = ()
    if identity is not None:
        matched += _matched(identity, request, SOURCE_IDENTITY)
    if resource is not None:
        matched += _matched(resource, request, SOURCE_RESOURCE)
    return Evaluation(_decide(matched), matched)


def matching_elements(policy: Policy, statement: Statement, request: Request) -> tuple[Path, ...]:
    """The parts of `statement` that match `request` (for a finding to point at): each Action
    entry the action matches, or the NotAction element; each Resource entry the resource
    matches, or the NotResource element; each condition that holds. In element order; the
    caller orders them by position."""
    compiled = next((c for c in _compiled(policy) if c.source is statement), None)
    if compiled is None:
        compiled = _compile_statement(policy, statement)
    element = len(statement.path) + 1
    found: list[Path] = []
    if statement.actions is not None:
        action = request.action
        found += [
            v.path
            for v in statement.actions
            if _glob(((v.text, True),), Kind.ACTION).matches(action)
        ]
    elif statement.not_actions:
        found.append(statement.not_actions[0].path[:element])
    if statement.resources is not None and compiled.resources is not None:
        patterns = compiled.resources
        if request.reading.arn_prefix_case_folded and compiled.folded is not None:
            patterns = compiled.folded  # the ARN-case reading: the folded forms are matched
        found += [
            v.path
            for v, template in zip(statement.resources, patterns, strict=True)
            if template.matches(request, request.resource)
        ]
    elif statement.not_resources:
        found.append(statement.not_resources[0].path[:element])
    found += [c.source.path for c in compiled.conditions if c.holds(request)]
    return tuple(found)
