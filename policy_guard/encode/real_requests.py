"""Facts every request AWS can make satisfies, stated on the symbolic request.

- Resource shapes (`policy.arn_formats`): a request for a catalogued action with resource types
  has a resource of one of their ARN formats. For each such literal action of the action space
  (`Vocabulary.resource_shapes`): "the action is this one" implies "the resource matches one of
  its shapes". An action cell that is not one catalogued action (a wildcard's other strings, an
  unknown name) leaves the resource free: some action of it may take any resource.
- Single-valued keys (`policy.key_values`): a key the catalogue types single-valued, when
  present, has exactly one value: over an exact domain exactly one region holds a value, over a
  lazy one the first slot only is used; a policy-variable key's `one` is then its presence.
  A typed global key AWS sets (`aws:SourceIp`, `aws:CurrentTime`, ...) has no value outside
  its type (the domain's region of values that do not parse is empty).

Each is a fact about real requests, so `SymbolicRequest.assignment` of a request that
`semantics.possible.impossible` accepts satisfies it, and an UNSAT answer stays a proof for
every request AWS can make. The shapes are a little wider than real ARNs (a glob cannot say
"twelve digits"): a counterexample is checked by `semantics.possible` before it is reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pysmt.fnode import FNode

from policy_guard.policy.key_values import FAMILY_OF_TYPE, aws_typed

if TYPE_CHECKING:
    from policy_guard.encode.request_terms import KeyTerms, SymbolicRequest


def real_request_axioms(request: SymbolicRequest) -> list[FNode]:
    return resource_shape_axioms(request) + single_value_axioms(request)


def resource_shape_axioms(request: SymbolicRequest) -> list[FNode]:
    """Grouped by shapes: actions with the same resource shapes share one implication."""
    m = request.manager
    axioms = []
    groups: dict[tuple[int, ...], list[int]] = {}
    shapes = request.vocabulary.resource_shapes
    actions = list(shapes)
    space = request.vocabulary.resource
    for number, action in enumerate(actions):
        positions = tuple(sorted(space.positions(shapes[action])))
        groups.setdefault(positions, []).append(number)
    for numbers in groups.values():
        members = [actions[n] for n in numbers]
        allowed = shapes[members[0]]
        axioms.append(m.Implies(request.action_matches(members), request.resource_matches(allowed)))
    return axioms


def single_value_axioms(request: SymbolicRequest) -> list[FNode]:
    """Single-valued keys have one value when present; typed global keys only values of their
    type (over an exact domain of that family: no value in a region that does not parse)."""
    m = request.manager
    axioms: list[FNode] = []
    for key, terms in request.keys.items():
        space = request.vocabulary.keys[key]
        if space.single:
            axioms.extend(_exactly_one_when_present(request, terms))
        kind = aws_typed(space.name)
        if kind is not None and FAMILY_OF_TYPE[kind] == space.family and terms.has:
            parsed = space.domain.parsed
            axioms.extend(
                m.Not(h) for h, value in zip(terms.has, parsed, strict=True) if value is None
            )
    return axioms


def _exactly_one_when_present(request: SymbolicRequest, terms: KeyTerms) -> list[FNode]:
    m = request.manager
    axioms: list[FNode] = []
    if terms.slots:
        axioms.append(m.Implies(terms.present, terms.slots[0].used))
        axioms.extend(m.Not(slot.used) for slot in terms.slots[1:])
    else:
        axioms.append(m.Implies(terms.present, m.Or(terms.has)))
        axioms.extend(_at_most_one(request, terms.has))
    if terms.one is not None:
        axioms.append(m.Iff(terms.one, terms.present))
    return axioms


def _at_most_one(request: SymbolicRequest, terms: tuple[FNode, ...]) -> list[FNode]:
    """Pairwise for a few terms, else a ladder: no term after an earlier one."""
    m = request.manager
    if len(terms) <= 6:
        return [m.Not(m.And(a, b)) for i, a in enumerate(terms) for b in terms[i + 1 :]]
    axioms: list[FNode] = []
    seen: FNode | None = None
    for term in terms:
        if seen is None:
            seen = term
            continue
        axioms.append(m.Implies(term, m.Not(seen)))
        following = request.fresh("seen")
        axioms.append(m.Iff(following, m.Or(seen, term)))
        request.definitions.append((following, m.Or(seen, term)))
        seen = following
    return axioms
