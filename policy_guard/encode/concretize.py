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

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from policy_guard.encode.decoded import RequestModel
from policy_guard.encode.instantiate import contexts_and_resources, value_classes, variable_values
from policy_guard.encode.lazy import shortest_instance
from policy_guard.encode.model_readings import caller_keys, candidate_readings
from policy_guard.encode.readable import (
    EXAMPLE_ACCOUNTS,
    Target,
    catalogued_actions,
    other_classes_for,
    pattern_pair,
    plausible_resource,
    readable_pairs,
    readable_principal,
    readable_value,
)
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, CompiledStatement, StringSpace, Vocabulary
from policy_guard.policy.arn_formats import PARTITION, resource_fits, resource_shapes
from policy_guard.policy.arns import PROVIDERS, is_shape, principal_account, root_arn
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Effect, Policy, Statement
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.possible import impossible
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
        values = tuple(
            readable_value(space.name, c.contains, c.witness)
            for c in value_classes(space, key_model)
        )
        if key_model.one is False and len(values) == 1:
            values = values * 2  # two values: the key gives a policy variable no value
        context[space.name] = values
    return context


def _filled_sets(
    model: RequestModel, vocabulary: Vocabulary, base: dict[str, tuple[str, ...]]
) -> list[dict[str, tuple[str, ...]]]:
    """`base` with a value given to each multi-valued key that the model left present with
    none (a request with tags reads better than one with an empty tag list; the evaluator
    decides whether it still is a counterexample); none when no key is empty."""
    filled = dict(base)
    for key, key_model in model.keys.items():
        space = vocabulary.keys[key]
        if key_model.present and not base.get(space.name) and len(space.domain):
            witness = space.domain.witnesses[0]
            filled[space.name] = (readable_value(space.name, lambda _v: True, witness),)
    return [filled] if filled != base else []


def _principal(model: RequestModel, vocabulary: Vocabulary) -> str | None:
    """The cell's witness, written with the `aws` partition when that stays in the cell."""
    space = vocabulary.principal
    if model.principal is None or space is None:
        return None
    witness = model.principal.witness
    shaped = readable_principal(space, model.principal)
    if shaped is not None:
        return shaped
    partition = witness.split(":", 2)[1] if witness.startswith("arn:") else None
    readable = (
        witness.replace(f"arn:{partition}:", "arn:aws:", 1) if partition in ("", "x") else witness
    )
    if readable != witness and space.vector_of(readable) == model.principal.vector:
        witness = readable
    fields = witness.split(":", 5)
    if len(fields) == 6 and fields[2] in ("iam", "sts") and not fields[4]:  # no account
        for account in (*EXAMPLE_ACCOUNTS, "999988887777"):
            filled = ":".join([*fields[:4], account, fields[5]])
            if space.vector_of(filled) == model.principal.vector:
                return filled
    return witness


def _principals(model: RequestModel, vocabulary: Vocabulary) -> tuple[str | None, ...]:
    """The model's principal (`_principal`) and, when it is an identity provider's ARN, its
    account's root, tried before it: a provider's cell holds no root, but a policy that lets
    an account's provider in mostly names the account, and its root is the caller a user
    recognises (the evaluator decides whether it is still a counterexample)."""
    principal = _principal(model, vocabulary)
    account = principal_account(principal) if principal is not None else None
    if principal is None or account is None or not any(is_shape(p, principal) for p in PROVIDERS):
        return (principal,)
    return (principal, root_arn(account, principal.split(":", 2)[1]))


def _resource_partition(model: RequestModel, vocabulary: Vocabulary) -> RequestModel:
    """The model with its resource witness written with the `aws` partition when its own is
    no partition (`arn:aws/:...`: a shape's partition is any colon-free text, a request's is
    well-formed, `arn_formats.PARTITION`) and that stays in the cell: the values of variables
    read off the witness then give a real ARN."""
    cell = model.resource
    parts = cell.witness.split(":", 2)
    if len(parts) < 3 or parts[0] != "arn" or PARTITION.fullmatch(parts[1]):
        return model
    witness = f"arn:aws:{parts[2]}"
    if vocabulary.resource.vector_of(witness) != cell.vector:
        return model
    return dataclasses.replace(model, resource=Cell(cell.vector, witness))


def concretize(
    model: RequestModel, vocabulary: Vocabulary, limit: int = 16, fact_keys: Sequence[str] = ()
) -> Iterator[Request]:
    """Candidate concrete requests for a model, best first (at most `limit`), each made only
    when asked for: the first usually confirms, and the later ones cost a search each.
    `fact_keys`: condition keys of the whole policies, written from the principal where its
    facts decide them (`model_readings.caller_keys`)."""
    model = _resource_partition(model, vocabulary)
    principal, *plainer = _principals(model, vocabulary)
    callers = caller_keys(vocabulary, fact_keys)
    modelled = Request("", "", principal, _base_context(model, vocabulary))
    base = dict(with_facts(modelled, callers).context)  # keys the principal decides, from it
    readable = readable_pairs(vocabulary.action, model.action, resource_target(model, vocabulary))
    action, resource = next(readable)  # the rest only if the first candidates do not confirm
    contexts = [*_filled_sets(model, vocabulary, base), base]
    triples: Iterable[tuple[str, dict[str, tuple[str, ...]], str]] = [
        (action, context, resource) for context in contexts
    ]
    if model.resource_atoms or model.condition_atoms:
        triples = itertools.chain(
            triples,
            (
                (fitting, context, found)
                for context, found in contexts_and_resources(model, vocabulary, base, resource)
                for fitting in _fitting_actions(vocabulary, model, found, action)
            ),
        )
    triples = itertools.chain(
        triples,
        ((a, base, r) for a, r in readable),
        [(model.action.witness, base, model.resource.witness)],
    )
    readings = candidate_readings(model)
    ranked = (
        with_facts(Request(action, resource, who, context, reading), callers)
        for action, context, resource in triples
        for reading in readings
        for who in (*plainer, principal)
    )
    # The model's own action and resource come last; where a domain is lazy they are tried
    # even when the readable candidates spent the limit (a readable pair may leave the model's
    # cell there, which an exact partition's cells do not allow).
    lazy = vocabulary.action.lazy or vocabulary.resource.lazy
    own = (
        with_facts(Request(model.action.witness, model.resource.witness, who, base, r), callers)
        for r in (readings if lazy else ())
        for who in (*plainer, principal)
    )
    seen: list[Request] = []
    for request in itertools.chain(_first_distinct(ranked, limit), own):
        if request not in seen:
            seen.append(request)
            yield request


def _first_distinct(requests: Iterable[Request], limit: int) -> Iterator[Request]:
    """The first `limit` distinct requests of `requests`."""
    seen: list[Request] = []
    for request in requests:
        if request not in seen:
            seen.append(request)
            yield request
            if len(seen) >= limit:
                return


def resource_target(model: RequestModel, vocabulary: Vocabulary) -> Target:
    """The model's resource cell, up to the shapes no policy writes."""
    space = vocabulary.resource
    return Target(space, model.resource, space.positions(vocabulary.shape_globs))


def _fitting_actions(
    vocabulary: Vocabulary, model: RequestModel, resource: str, first: str
) -> Iterator[str]:
    """Actions to request `resource` with, best first: one of the cell that `resource` is a
    real resource of (an ARN of its types with identifiers of their documented characters,
    `readable.plausible_resource`, or `*` for an action that takes only `*`), `first` if it
    is, else another catalogued one (the whole cell's: a cell such as `s3:Get*` puts many
    bucket actions before the first object one), else one `resource` merely fits, else one
    that can be requested on it at all (any, when it takes no resource type); when the cell
    has none, catalogued actions of other classes that `resource` is real for (the model's
    choice of class may have been no better than another: the evaluator decides); last, the
    witness."""
    catalogued = catalogued_actions(vocabulary.action, model.action)
    candidates = [first, *itertools.islice(catalogued, 24)]
    fitting = (
        next(
            (
                action
                for action in itertools.chain(candidates, catalogued)  # the whole cell if need be
                if (resource == "*" or resource_shapes(action) is not None)
                and plausible_resource(action, resource)
            ),
            None,
        )
        or next(
            (
                action
                for action in candidates
                if resource_fits(action, resource)
                and (resource == "*" or resource_shapes(action) is not None)
            ),
            None,
        )
        or next((action for action in candidates if resource_fits(action, resource)), None)
    )
    if fitting is not None:
        yield fitting
        own = model.action.witness
        if vocabulary.action.vector_of(fitting) != model.action.vector and resource_fits(
            own, resource
        ):
            yield own  # `first` lies outside the cell: the cell's own action may be the one
        return
    yield from other_classes_for(vocabulary.action, model.action, resource)
    yield model.action.witness


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
        _named_actions(glob, value.text)
        for glob, value in zip(compiled.actions, statement.actions, strict=True)
    ][:NEIGHBOUR_PATTERNS]
    values = variable_values(near.context)
    resources: list[Glob] = []
    for pattern in compiled.resources[:NEIGHBOUR_PATTERNS]:
        glob = pattern.instantiate(values) if isinstance(pattern, Template) else pattern
        if glob is not None:
            resources.append(glob)
    for named in actions:
        for resource in resources:
            action, text = pattern_pair(named, resource)
            yield Request(action, text, near.principal, near.context, near.reading)


def _named_actions(glob: Glob, text: str) -> list[str]:
    """The action as written when it has no wildcard, else catalogued actions it matches
    (else its shortest instance)."""
    if glob.is_literal:
        return [text]
    prefix = text.split(":", 1)[0]
    if "*" not in prefix and "?" not in prefix:
        from policy_guard.policy.catalogue import actions_for_service

        found = [a for a in actions_for_service(prefix) if glob.matches(a)]
        if found:
            return found
    return [shortest_instance(glob)]


# --- verifiers: the reference evaluator decides -----------------------------------------------


def new_access_covers(existing: Policy, new: Policy) -> Callable[[Request], frozenset[int]]:
    """Allowed by `new`, not by `existing`: the indices of `new`'s matching Allow statements."""

    keys = condition_keys([existing, new])

    def covers(request: Request) -> frozenset[int]:
        if impossible(request) is not None or not consistent(request, keys):
            return frozenset()  # no request AWS makes (resource shapes, principal facts, ...)
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
        if not wanted(request) or impossible(request) is not None:
            return frozenset()
        if not consistent(request, keys):
            return frozenset()
        evaluation = evaluate(policy, request)
        if not evaluation.allowed:
            return frozenset()
        return frozenset(
            m.statement_index for m in evaluation.matched_statements if m.effect is Effect.ALLOW
        )

    return covers
