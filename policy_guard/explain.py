"""From a solver model to a concrete request the reference evaluator can replay.

Decoder (`read_model`): the values of the symbolic request's terms. Concretizer
(`concretize`): candidate `Request`s: the action a real catalogued action of the region when
there is one, the resource and principal the region's witness, the context only for keys that
are present (one witness per region the model put a value in; a key that must not be
single-valued gets its value twice). Policy-variable atoms are honoured by choosing, with the
variables' values in hand, a resource (or key values) in the model's region that matches the
instantiated templates the model says it matches, and none of the others — by partitioning
again with those instantiated patterns. Verifier: the checks' `confirm` functions (built here
from `policy_guard.evaluate`) accept a candidate only if the evaluator agrees.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy_guard.evaluate import evaluate
from policy_guard.globs import Glob
from policy_guard.model import Effect, Policy
from policy_guard.partition import partition
from policy_guard.request import Request

if TYPE_CHECKING:
    from policy_guard.encode.request_terms import SymbolicRequest
    from policy_guard.encode.templates import Template
    from policy_guard.encode.vocabulary import ConditionValues, StringSpace, Vocabulary
    from policy_guard.solver import Session

SEARCH_LIMIT = 4096


@dataclass(frozen=True)
class KeyModel:
    present: bool
    regions: tuple[int, ...]
    one: bool | None


@dataclass(frozen=True)
class RequestModel:
    """The abstract request of one model: regions, key facts and template atoms."""

    action: int
    resource: int
    principal: int | None
    keys: Mapping[str, KeyModel]
    resource_atoms: Mapping[Template, bool]
    condition_atoms: Mapping[tuple[str, ConditionValues], tuple[bool, bool]]


def read_model(session: Session, request: SymbolicRequest) -> RequestModel:
    """Decode the last satisfiable query's model."""
    keys = {
        key: KeyModel(
            session.bool_value(terms.present),
            tuple(r for r, has in enumerate(terms.has) if session.bool_value(has)),
            session.bool_value(terms.one) if terms.one is not None else None,
        )
        for key, terms in request.keys.items()
    }
    return RequestModel(
        action=session.int_value(request.action),
        resource=session.int_value(request.resource),
        principal=session.int_value(request.principal) if request.principal is not None else None,
        keys=keys,
        resource_atoms={t: session.bool_value(a) for t, a in request.resource_atoms.items()},
        condition_atoms={
            k: (session.bool_value(some), session.bool_value(every))
            for k, (some, every) in request.condition_atoms.items()
        },
    )


# --- choosing readable, exact values ---------------------------------------------------------


def _in_region(space: StringSpace, vector: frozenset[int], value: str) -> bool:
    globs = space.globs
    if not all(globs[i].matches(value) for i in vector):
        return False
    return all(not glob.matches(value) for i, glob in enumerate(globs) if i not in vector)


def choose_action(space: StringSpace, region: int) -> str:
    """A catalogued action of the region when there is one (readable), else the witness."""
    witness = space.partition.witnesses[region]
    prefix = witness.split(":", 1)[0]
    try:
        from policy_guard.catalogue import actions_for_service
    except ImportError:  # the catalogue is optional for the engine
        return witness
    vector = space.vector(region)
    literal_outside = {
        g.literal_text for i, g in enumerate(space.globs) if g.is_literal and i not in vector
    }
    for action in actions_for_service(prefix):
        if action.lower() in literal_outside:
            continue
        if _in_region(space, vector, action):
            return action
    return witness


def refine(
    space: StringSpace, region: int, inside: Sequence[Glob], outside: Sequence[Glob]
) -> list[str]:
    """Strings of `region` that match every glob of `inside` and none of `outside`."""
    if not inside and not outside:
        return [space.partition.witnesses[region]]
    base = len(space.globs)
    extra = [*inside, *outside]
    refined = partition((*space.globs, *extra))
    vectors: list[set[int]] = [set() for _ in refined.witnesses]
    for i, regions in enumerate(refined.members):
        for r in regions:
            vectors[r].add(i)
    wanted = space.vector(region)
    found = []
    for r, vector in enumerate(vectors):
        if frozenset(i for i in vector if i < base) != wanted:
            continue
        if all(base + j in vector for j in range(len(inside))) and not any(
            base + len(inside) + j in vector for j in range(len(outside))
        ):
            found.append(refined.witnesses[r])
    return found


def _variable_values(context: Mapping[str, tuple[str, ...]]) -> dict[str, str | None]:
    """A variable takes a key's value when the key has exactly one (docs/semantics.md)."""
    return {k.lower(): (v[0] if len(v) == 1 else None) for k, v in context.items()}


def _resources(
    model: RequestModel, vocabulary: Vocabulary, context: Mapping[str, tuple[str, ...]]
) -> list[str]:
    space = vocabulary.resource
    if not model.resource_atoms:
        return [space.partition.witnesses[model.resource]]
    values = _variable_values(context)
    inside: list[Glob] = []
    outside: list[Glob] = []
    for template, holds in model.resource_atoms.items():
        glob = template.instantiate(values)
        if glob is None:
            if holds:
                return [space.partition.witnesses[model.resource]]
            continue
        (inside if holds else outside).append(glob)
    chosen = refine(space, model.resource, inside, outside)
    return chosen[:2] or [space.partition.witnesses[model.resource]]


def _subsets(options: Sequence[int], single: bool) -> list[tuple[int, ...]]:
    if single or len(options) > 4:
        return [(o,) for o in options] + (
            [] if single else [tuple(p) for p in itertools.combinations(options, 2)]
        )
    return [c for n in range(1, len(options) + 1) for c in itertools.combinations(options, n)]


def _key_values(
    key: str,
    key_model: KeyModel,
    atoms: Mapping[ConditionValues, tuple[bool, bool]],
    vocabulary: Vocabulary,
    variables: Mapping[str, str | None],
) -> list[str] | None:
    """Values for a key with templated conditions that realise the model's `some`/`every`."""
    strings = vocabulary.keys[key].strings
    assert strings is not None
    base = len(strings.globs)
    extra: list[Glob] = []
    groups: list[tuple[list[int], bool, bool]] = []  # glob indices (refined) of each condition
    for values, (some, every) in atoms.items():
        indices = [strings.globs.index(g) for g in values.globs]
        for template in values.templates:
            glob = template.instantiate(variables)
            if glob is not None:
                indices.append(base + len(extra))
                extra.append(glob)
        groups.append((indices, some, every))
    refined = partition((*strings.globs, *extra))
    vectors: list[set[int]] = [set() for _ in refined.witnesses]
    for i, regions in enumerate(refined.members):
        for r in regions:
            vectors[r].add(i)
    options: list[list[int]] = []
    for region in key_model.regions:
        wanted = strings.vector(region)
        options.append(
            [r for r, v in enumerate(vectors) if frozenset(i for i in v if i < base) == wanted]
        )
    single = bool(key_model.one)
    choices = [_subsets(o, single) for o in options]
    for count, combination in enumerate(itertools.product(*choices)):
        if count >= SEARCH_LIMIT:
            break
        chosen = [r for part in combination for r in part]
        matched = [
            [any(i in vectors[r] for i in indices) for r in chosen] for indices, _, _ in groups
        ]
        if all(
            any(m) == some and all(m) == every
            for m, (_, some, every) in zip(matched, groups, strict=True)
        ):
            return [refined.witnesses[r] for r in chosen]
    return None


def _base_context(model: RequestModel, vocabulary: Vocabulary) -> dict[str, tuple[str, ...]]:
    context: dict[str, tuple[str, ...]] = {}
    for key, key_model in model.keys.items():
        if not key_model.present:
            continue
        space = vocabulary.keys[key]
        values = tuple(space.domain.witnesses[r] for r in key_model.regions)
        if key_model.one is False and len(values) == 1:
            values = values * 2  # two values: the key gives a policy variable no value
        context[space.name] = values
    return context


def _template_context(
    model: RequestModel, vocabulary: Vocabulary, context: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]] | None:
    """The context with the keys of templated conditions chosen to realise their atoms."""
    by_key: dict[str, dict[ConditionValues, tuple[bool, bool]]] = {}
    for (key, values), facts in model.condition_atoms.items():
        by_key.setdefault(key, {})[values] = facts
    variables = _variable_values(context)
    result = dict(context)
    for key, atoms in by_key.items():
        key_model = model.keys[key]
        if not key_model.present:
            continue
        chosen = _key_values(key, key_model, atoms, vocabulary, variables)
        if chosen is None:
            return None
        if key_model.one is False and len(chosen) == 1:
            chosen = chosen * 2
        result[vocabulary.keys[key].name] = tuple(chosen)
    return result


def concretize(model: RequestModel, vocabulary: Vocabulary, limit: int = 16) -> list[Request]:
    """Candidate concrete requests for a model, best first (at most `limit`)."""
    action = choose_action(vocabulary.action, model.action)
    principal = None
    if model.principal is not None and vocabulary.principal is not None:
        principal = vocabulary.principal.partition.witnesses[model.principal]
    base = _base_context(model, vocabulary)
    contexts = [base]
    if model.condition_atoms:
        refined = _template_context(model, vocabulary, base)
        if refined is not None:
            contexts.insert(0, refined)
    candidates: list[Request] = []
    for context in contexts:
        for resource in _resources(model, vocabulary, context):
            request = Request(action, resource, principal, context)
            if request not in candidates:
                candidates.append(request)
    return candidates[:limit]


# --- verifiers: the reference evaluator decides -----------------------------------------------


def new_access_covers(existing: Policy, new: Policy) -> Callable[[Request], frozenset[int]]:
    """Allowed by `new`, not by `existing`: the indices of `new`'s matching Allow statements."""

    def covers(request: Request) -> frozenset[int]:
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

    def covers(request: Request) -> frozenset[int]:
        if not wanted(request):
            return frozenset()
        evaluation = evaluate(policy, request)
        if not evaluation.allowed:
            return frozenset()
        return frozenset(
            m.statement_index for m in evaluation.matched_statements if m.effect is Effect.ALLOW
        )

    return covers
