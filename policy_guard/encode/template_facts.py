"""Facts that tie a resource template's atom to the resource's cell and the variables' values.

The encoder gives each resource template (`arn:aws:s3:::b/${aws:username}`) one Boolean,
"the resource matches the template under the request's values", tied to the rest only by
sound axioms (`request_terms`). So a model can claim the resource `arn:aws:s3:::b/x` matches it
while `aws:username` is in the class of `alice`: no request does that, no candidate confirms,
and blocking the model would not be a proof.

When a model's candidates all fail, `template_facts` looks, for each template atom, at the
model's resource cell and the classes of the template's keys. When every key's class is finite
and small (it holds a literal pattern: one string, or the case variants of an IgnoreCase
literal), each combination of values instantiates the template to one pattern, and
`partition.realize` says whether the cell meets it (or lies inside it). If no combination can
give the model's atom value, "this cell, these classes -> not this atom value" is a fact about
every request, asserted like a lazy-domain core: an UNSAT answer stays a proof.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pysmt.fnode import FNode

from policy_guard.automata import lowercase_preimages
from policy_guard.encode.decoded import KeyModel, RequestModel
from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, StringSpace
from policy_guard.globs import Glob
from policy_guard.partition import PartitionTooLarge, realize

CLASS_LIMIT = 64
"""At most this many strings in one key's class, and combinations per template."""
REALIZE_STATES = 50_000


def class_strings(space: StringSpace, vector: frozenset[int]) -> tuple[str, ...] | None:
    """Every string whose memberships in `space.globs` are exactly `vector`, when the vector
    holds a literal pattern (the class is then finite) and there are at most CLASS_LIMIT of
    them; None otherwise."""
    globs = space.globs
    literals = [globs[i] for i in sorted(vector) if globs[i].is_literal]
    sensitive = [g for g in literals if not g.case_insensitive]
    if sensitive:
        candidates: list[str] | None = [sensitive[0].literal_text]
    elif literals:
        candidates = _case_variants(literals[0].literal_text)
    else:
        return None
    if candidates is None:
        return None
    return tuple(s for s in candidates if space.vector_of(s) == vector)


def _case_variants(lowered: str) -> list[str] | None:
    """Every string `s` with `s.lower() == lowered` (None: more than CLASS_LIMIT, or a
    character whose lower case is two characters could take part)."""
    preimages, longer = lowercase_preimages()
    if any(ch.lower() in lowered for ch in longer):
        return None
    options = [(ch, *preimages.get(ch, ())) for ch in lowered]
    count = 1
    for choices in options:
        count *= len(choices)
        if count > CLASS_LIMIT:
            return None
    return ["".join(chars) for chars in itertools.product(*options)]


@dataclass(frozen=True)
class _KeyClass:
    """What the model says of one variable key: the term that states it, and its values (None
    in `values`: the key is absent, the defaults apply)."""

    term: FNode
    values: tuple[str | None, ...]


def _key_class(request: SymbolicRequest, key: str, facts: KeyModel) -> _KeyClass | None:
    m = request.manager
    terms = request.keys.get(key)
    space = request.vocabulary.keys.get(key)
    if terms is None or space is None or terms.one is None:
        return None
    if not facts.present:
        return _KeyClass(m.Not(terms.present), (None,))
    if not facts.one or space.strings is None:
        return None
    strings = space.strings
    if terms.slots:
        if not facts.cells:
            return None
        vector = facts.cells[0].vector
        slot = terms.slots[0]
        term = m.And(terms.one, slot.used, slot.value.is_vector(m, vector))
    else:
        if len(facts.regions) != 1:
            return None
        (region,) = facts.regions
        vector = strings.vector(region)
        term = m.And(terms.one, terms.has[region])
    values = class_strings(strings, vector)
    return None if values is None else _KeyClass(term, values)


def _can_give(space: StringSpace, cell: Cell, glob: Glob | None, holds: bool) -> bool:
    """Can a string of `cell` match `glob` (`holds`), or fail to match it (not `holds`)?
    True also when that is not settled (automaton budget): only a settled "no" is a fact."""
    if glob is None:
        return not holds  # a variable without a value: the template matches nothing
    if glob.matches(cell.witness) == holds:
        return True
    globs = (*space.globs, glob)
    extra = len(space.globs)
    inside, outside = cell.vector, frozenset(range(extra)) - cell.vector
    if holds:
        inside = inside | {extra}
    else:
        outside = outside | {extra}
    try:
        return realize(globs, inside, outside, max_states=REALIZE_STATES) is not None
    except PartitionTooLarge:
        return True


def template_facts(request: SymbolicRequest, model: RequestModel) -> list[FNode]:
    """Facts (true of every request) that the model `model` violates, one per template atom
    whose value no string of the model's resource cell and key classes can give."""
    m = request.manager
    facts: list[FNode] = []
    resource_space = request.vocabulary.resource
    for template, holds in model.resource_atoms.items():
        classes = _classes(request, model, template)
        if classes is None:
            continue
        keys = list(classes)
        combinations = list(
            itertools.islice(itertools.product(*(classes[k].values for k in keys)), CLASS_LIMIT + 1)
        )
        if len(combinations) > CLASS_LIMIT:
            continue
        if any(
            _can_give(resource_space, model.resource, template.instantiate(values), holds)
            for values in (
                {k: v for k, v in zip(keys, combination, strict=True) if v is not None}
                for combination in combinations
            )
        ):
            continue
        atom = request.resource_atoms[template]
        stated = [
            request.describe_resource(model.resource),
            *(classes[k].term for k in keys),
            atom if holds else m.Not(atom),
        ]
        facts.append(m.Not(m.And(stated)))
    return facts


def _classes(
    request: SymbolicRequest, model: RequestModel, template: Template
) -> dict[str, _KeyClass] | None:
    classes: dict[str, _KeyClass] = {}
    for key in dict.fromkeys(v.key_lower for v in template.variables):
        found = _key_class(request, key, model.keys[key])
        if found is None:
            return None
        classes[key] = found
    return classes
