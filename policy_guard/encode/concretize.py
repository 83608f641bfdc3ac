"""From a decoded model to concrete requests, and the evaluator's verdict on them.

Concretizer (`concretize`): candidate `Request`s for a model (`encode.decoded.RequestModel`):
the action a real catalogued action of its cell (region, or realized membership vector) when
there is one, the resource and principal the cell's witness, the context only for keys that are
present (one witness per class the model put a value in; a key that must not be single-valued
gets its value twice). Where policy
variables are involved, `encode.instantiate` proposes values that honour the model's template
atoms. Verifiers (`new_access_covers`, `granted_covers`): the reference evaluator decides which
candidate, if any, is a counterexample, and which statements it involves.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

from policy_guard.encode.decoded import RequestModel
from policy_guard.encode.instantiate import contexts_and_resources, value_classes, variable_values
from policy_guard.encode.lazy import shortest_instance
from policy_guard.encode.model_readings import caller_keys, candidate_readings
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, CompiledStatement, StringSpace, Vocabulary
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Effect, Policy, Statement
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.principal_facts import condition_keys, consistent, with_facts
from policy_guard.semantics.request import Request

# --- choosing readable, exact values ---------------------------------------------------------


def choose_action(space: StringSpace, cell: Cell) -> str:
    """A catalogued action of the cell when there is one (readable), else the witness."""
    witness = cell.witness
    prefix = witness.split(":", 1)[0]
    try:
        from policy_guard.policy.catalogue import actions_for_service
    except ImportError:  # the catalogue is optional for the engine
        return witness
    actions = actions_for_service(prefix)
    lowered = witness.lower()
    spelt = [a for a in actions if a.lower() == lowered]  # the witness itself, as catalogued
    for action in itertools.chain(spelt, actions):
        if space.vector_of(action) == cell.vector:
            return action
    return witness


def _base_context(model: RequestModel, vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    """The present keys, one witness per class the model put a value in."""
    context: dict[str, tuple[str, ...]] = {}
    for key, key_model in model.keys.items():
        if not key_model.present:
            continue
        space = vocabulary.keys[key]
        values = tuple(c.witness for c in value_classes(space, key_model))
        if key_model.one is False and len(values) == 1:
            values = values * 2  # two values: the key gives a policy variable no value
        context[space.name] = values
    return context


def _principal(model: RequestModel, vocabulary: Vocabulary) -> str | None:
    """The cell's witness, written with the `aws` partition when that stays in the cell."""
    space = vocabulary.principal
    if model.principal is None or space is None:
        return None
    witness = model.principal.witness
    partition = witness.split(":", 2)[1] if witness.startswith("arn:") else None
    readable = (
        witness.replace(f"arn:{partition}:", "arn:aws:", 1) if partition in ("", "x") else witness
    )
    if readable != witness and space.vector_of(readable) == model.principal.vector:
        return readable
    return witness


def concretize(model: RequestModel, vocabulary: Vocabulary, limit: int = 16) -> Iterator[Request]:
    """Candidate concrete requests for a model, best first (at most `limit`), each made only
    when asked for: the first usually confirms, and the later ones cost a search each."""
    action = choose_action(vocabulary.action, model.action)
    principal = _principal(model, vocabulary)
    callers = caller_keys(vocabulary)
    base = dict(
        with_facts(
            Request(action, "", principal, _base_context(model, vocabulary)), callers
        ).context
    )
    pairs: Iterable[tuple[dict[str, tuple[str, ...]], str]]
    if model.resource_atoms or model.condition_atoms:
        pairs = itertools.chain(
            contexts_and_resources(model, vocabulary, base),
            [(base, model.resource.witness)],
        )
    else:
        pairs = [(base, model.resource.witness)]
    seen: list[Request] = []
    readings = candidate_readings(model)
    for context, resource in pairs:
        for reading in readings:
            request = with_facts(Request(action, resource, principal, context, reading), callers)
            if request not in seen:
                seen.append(request)
                yield request
                if len(seen) >= limit:
                    return


NEIGHBOUR_PATTERNS = 2


def neighbours(
    statement: Statement, compiled: CompiledStatement, near: Request
) -> Iterator[Request]:
    """Requests that differ from `near` (a confirmed counterexample) only in taking an action
    and a resource from `statement`'s first patterns: its context and principal often satisfy
    the statement's conditions too (a policy's statements test the same tags). Candidates for
    the evaluator, made without the solver; none when the statement uses NotAction or
    NotResource."""
    if statement.actions is None or statement.resources is None:
        return
    actions = [
        _named_action(glob, value.text)
        for glob, value in zip(compiled.actions, statement.actions, strict=True)
    ][:NEIGHBOUR_PATTERNS]
    values = variable_values(near.context)
    resources: list[str] = []
    for pattern in compiled.resources[:NEIGHBOUR_PATTERNS]:
        glob = pattern.instantiate(values) if isinstance(pattern, Template) else pattern
        if glob is not None:
            resources.append(shortest_instance(glob))
    for action in actions:
        for resource in resources:
            yield Request(action, resource, near.principal, near.context, near.reading)


def _named_action(glob: Glob, text: str) -> str:
    """The action as written when it has no wildcard, else a catalogued action it matches
    (else its shortest instance)."""
    if glob.is_literal:
        return text
    prefix = text.split(":", 1)[0]
    if "*" not in prefix and "?" not in prefix:
        try:
            from policy_guard.policy.catalogue import actions_for_service
        except ImportError:  # the catalogue is optional for the engine
            return shortest_instance(glob)
        for action in actions_for_service(prefix):
            if glob.matches(action):
                return action
    return shortest_instance(glob)


# --- verifiers: the reference evaluator decides -----------------------------------------------


def new_access_covers(existing: Policy, new: Policy) -> Callable[[Request], frozenset[int]]:
    """Allowed by `new`, not by `existing`: the indices of `new`'s matching Allow statements."""

    keys = condition_keys([existing, new])

    def covers(request: Request) -> frozenset[int]:
        if not consistent(request, keys):
            return frozenset()  # no request AWS makes (principal facts)
        after = evaluate(new, request)
        if not after.allowed or evaluate(existing, request).allowed:
            return frozenset()
        return frozenset(
            m.statement_index for m in after.matched_statements if m.effect is Effect.ALLOW
        )

    return covers


def granted_covers(
    policy: Policy, wanted: Callable[[Request], bool]
) -> Callable[[Request], frozenset[int]]:
    """Allowed by `policy` and `wanted`: the indices of the matching Allow statements."""

    keys = condition_keys([policy])

    def covers(request: Request) -> frozenset[int]:
        if not wanted(request) or not consistent(request, keys):
            return frozenset()
        evaluation = evaluate(policy, request)
        if not evaluation.allowed:
            return frozenset()
        return frozenset(
            m.statement_index for m in evaluation.matched_statements if m.effect is Effect.ALLOW
        )

    return covers
