"""Facts that tie template atoms to the model's cells and the variables' values.

The encoder gives each resource template (`arn:aws:s3:::b/${aws:username}`) one Boolean,
"the resource matches the template under the request's values", and each templated condition
a pair, "some / every value of the key matches the instantiated values", tied to the rest
only by sound axioms (`request_terms`, `conditions`). So a model can claim the resource
`arn:aws:s3:::b/x` matches while `aws:username` is in the class of `alice`: no request does
that, no candidate confirms, and blocking the model would not be a proof.

When a model's candidates all fail, `template_facts` looks at each atom with the model's cells
(the resource's, the condition key's values) and the classes of the template's keys. When every
key's class is finite and small (it holds a literal pattern: one string, or the case variants of
an IgnoreCase literal), each combination of values instantiates the templates to patterns, and
`partition.realize` says what the cells can give. If no combination can give the model's atom
values, "these cells, these classes -> not these values" is a fact about every request,
asserted like a lazy-domain core: an UNSAT answer stays a proof. Two condition rules need no
enumeration: values that are all one string match alike, and values in more classes than a
StringEquals condition has templates cannot all match it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pysmt.fnode import FNode

from policy_guard.encode.automata import lowercase_preimages
from policy_guard.encode.cores import REALIZE_STATES
from policy_guard.encode.decoded import KeyModel, RequestModel
from policy_guard.encode.partition import PartitionTooLarge, realize
from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.template_relations import State, state_terms, within
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, ConditionValues, StringSpace
from policy_guard.policy.globs import Glob, Kind, Token, Wild
from policy_guard.policy.variables import Escaped, Text

CLASS_LIMIT = 64
"""At most this many strings in one key's class, and combinations per template."""


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
    stated = _one_value_class(request, key, facts)
    if stated is None:
        return None
    term, vector = stated
    assert space.strings is not None
    values = class_strings(space.strings, vector)
    return None if values is None else _KeyClass(term, values)


def _one_value_class(
    request: SymbolicRequest, key: str, facts: KeyModel
) -> tuple[FNode, frozenset[int]] | None:
    """The term "the key has one value, in the model's class" and that class's vector over the
    key's patterns (None: the model gives the key no one value, or no class)."""
    m = request.manager
    terms = request.keys.get(key)
    space = request.vocabulary.keys.get(key)
    if terms is None or space is None or terms.one is None:
        return None
    if not facts.present or not facts.one or space.strings is None:
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
    return term, vector


def _can_give(space: StringSpace, cell: Cell, glob: Glob | None, holds: bool) -> bool:
    """Can a string of `cell` match `glob` (`holds`), or fail to match it (not `holds`)?
    True also when that is not settled (automaton budget): only a settled "no" is a fact."""
    if glob is None:
        return not holds  # a variable without a value: the template matches nothing
    return _can_match_any(space, cell, [glob]) if holds else _can_miss_all(space, cell, [glob])


def _can_match_any(space: StringSpace, cell: Cell, globs: Sequence[Glob]) -> bool:
    """Does some string of `cell` match one of `globs`? (True when not settled.)"""
    return any(_realizable(space, cell, glob, None) for glob in globs)


def _can_miss_all(space: StringSpace, cell: Cell, globs: Sequence[Glob]) -> bool:
    """Does some string of `cell` match none of `globs`? (True when not settled.)"""
    return _realizable(space, cell, None, globs)


def _realizable(
    space: StringSpace, cell: Cell, wanted: Glob | None, unwanted: Sequence[Glob] | None
) -> bool:
    extra = (wanted,) if wanted is not None else tuple(unwanted or ())
    if wanted is not None and wanted.matches(cell.witness):
        return True
    if unwanted is not None and not any(g.matches(cell.witness) for g in unwanted):
        return True
    base = len(space.globs)
    inside, outside = cell.vector, frozenset(range(base)) - cell.vector
    added = frozenset(range(base, base + len(extra)))
    if wanted is not None:
        inside = inside | added
    else:
        outside = outside | added
    try:
        found = realize((*space.globs, *extra), inside, outside, max_states=REALIZE_STATES)
    except PartitionTooLarge:
        return True
    return found is not None


def template_facts(request: SymbolicRequest, model: RequestModel) -> list[FNode]:
    """Facts (true of every request) that the model `model` violates, one per template atom
    whose value no string of the model's resource cell and key classes can give."""
    m = request.manager
    facts: list[FNode] = []
    resource_space = request.vocabulary.resource
    for template, holds in model.resource_atoms.items():
        classes = _classes(request, model, template)
        if classes is None:
            lifted = _lifted_fact(request, model, template) if holds else None
            facts.extend([lifted] if lifted is not None else [])
            continue
        readings = _readings(classes)
        if readings is None or any(
            _can_give(resource_space, model.resource, template.instantiate(values), holds)
            for values in readings
        ):
            continue
        atom = request.resource_atoms[template]
        stated = [
            request.describe_resource(model.resource),
            *(c.term for c in classes.values()),
            atom if holds else m.Not(atom),
        ]
        facts.append(m.Not(m.And(stated)))
    for (key, values), (some, every) in model.condition_atoms.items():
        fact = _condition_fact(request, model, key, values, some, every)
        if fact is not None:
            facts.append(fact)
    return facts or _list_facts(request, model)


def _lifted_fact(request: SymbolicRequest, model: RequestModel, template: Template) -> FNode | None:
    """ "No resource of the model's cell matches `template` with the key's one value in the
    model's class", when that is so and the class is not enumerable (`aws:username` outside
    every pattern that names one). For a template `P${k}S` whose texts `P`, `S` have no
    wildcard, a resource matches it under the value `u` exactly when it is `P u S`, so `u`
    matches a pattern `g` of the key exactly when the resource matches `P g S`: the class of
    `u` becomes patterns on the resource, and `partition.realize` says whether the cell holds
    such a resource. (Example: `arn:aws:s3:::b/${aws:username}` matching
    `arn:aws:s3:::b/alice/` needs the user name `alice/`, which a model that puts the user name
    outside `a*` cannot have.) None when the template is of another form, a pattern of the key
    folds case, or the automaton budget does not settle it."""
    if template.kind.case_insensitive or len(template.variables) != 1:
        return None
    wild = template.kind.has_wildcards
    texts: list[list[str]] = [[]]
    for part in template.parts:
        if isinstance(part, Text):
            if wild and any(c in part.text for c in "*?"):
                return None
            texts[-1].append(part.text)
        elif isinstance(part, Escaped):
            texts[-1].append(part.char)
        else:
            texts.append([])
    before, after = ("".join(t) for t in texts)
    (variable,) = template.variables
    key = variable.key_lower
    key_model = model.keys.get(key)
    stated = None if key_model is None else _one_value_class(request, key, key_model)
    if stated is None:
        return None
    term, vector = stated
    strings = request.vocabulary.keys[key].strings
    assert strings is not None
    if any(g.case_insensitive for g in strings.globs):
        return None

    def lifted(tokens: Sequence[Token]) -> Glob:
        return Glob((*before, *tokens, *after), False)

    space = request.vocabulary.resource
    cell = model.resource
    base = len(space.globs)
    globs = (*space.globs, lifted((Wild.STAR,)), *(lifted(g.tokens) for g in strings.globs))
    inside = cell.vector | {base} | {base + 1 + i for i in vector}
    outside = frozenset(range(len(globs))) - inside
    try:
        if realize(globs, inside, outside, max_states=REALIZE_STATES) is not None:
            return None
    except PartitionTooLarge:
        return None
    m = request.manager
    atom = request.resource_atoms[template]
    return m.Not(m.And(request.describe_resource(cell), term, atom))


def _list_facts(request: SymbolicRequest, model: RequestModel) -> list[FNode]:
    """Facts between two value lists of one key that hold given the key's cells: a pattern of
    the first list that no value of the cells matches drops out, and what is left of it may lie
    within the second list (`template_relations.within`) where the whole list does not (so no
    axiom of `relate_lists` relates them). Then a value that matches the first matches the
    second: its `some` implies the other's, its `every` too. The fact names the key's cells
    and the state of each variable's key, as the model has them.

    Examples: `StringEquals owner ["zz", "${aws:username, 'guest'}"]` for every value, and
    `StringNotEqualsIgnoreCase owner ["${AWS:UserName}", "${aws:username, 'guest'}"]` with
    no value matching the list, on a value in the class of `guest` (not `zz`): the value equals
    the user name (or `guest` without one), so it matches the second list; the classes of
    `aws:username` (no pattern names one) are not enumerable, so `_condition_fact` cannot tell.
    `StringEquals s3:prefix ["home/${aws:username}/*", "home/${aws:username}/docs/*"]` and
    `StringNotEqualsIgnoreCase s3:prefix "home/${aws:username}/*"` on a value outside the
    shape `home/*/docs/*`: the second template drops out, the first lies within the other list.
    """
    m = request.manager
    facts: list[FNode] = []
    atoms = model.condition_atoms
    for (key, first), first_atoms in atoms.items():
        space = request.vocabulary.keys.get(key)
        key_model = model.keys.get(key)
        if space is None or space.strings is None or key_model is None or not key_model.present:
            continue
        strings = space.strings
        cells = (
            list(key_model.cells)
            if request.keys[key].slots
            else [strings.cell(r) for r in key_model.regions]
        )
        left = [p for p in first.patterns if _may_match(strings, cells, p)]
        if len(left) == len(first.patterns):
            continue  # the whole list: `relate_lists` already relates it
        for (other_key, second), second_atoms in atoms.items():
            if other_key != key or second == first:
                continue
            broken = [
                (
                    request.condition_atoms[(key, first)][i],
                    request.condition_atoms[(key, second)][i],
                )
                for i in (0, 1)
                if first_atoms[i] and not second_atoms[i]
            ]
            if not broken:
                continue
            states = _states(request, model, [*left, *second.patterns])
            if states is None or states not in within(left, second.patterns):
                continue
            for held, failed in broken:
                stated = [
                    *request.key_facts(key, key_model),
                    state_terms(request, states),
                    held,
                    m.Not(failed),
                ]
                facts.append(m.Not(m.And(stated)))
    return facts


def _may_match(strings: StringSpace, cells: Sequence[Cell], pattern: Glob | Template) -> bool:
    """Can a value of `cells` match `pattern`? A glob of the key's space by the cells' vectors;
    a template by its shape's (every string it matches under any values matches its shape);
    a pattern the space does not hold may."""
    glob = pattern.shape() if isinstance(pattern, Template) else pattern
    if glob not in strings.globs:
        return True
    index = strings.globs.index(glob)
    return any(index in cell.vector for cell in cells)


def _states(
    request: SymbolicRequest, model: RequestModel, patterns: Sequence[Glob | Template]
) -> tuple[tuple[str, State], ...] | None:
    """The state (`template_relations.State`) the model gives each variable key of
    `patterns`, in `within`'s order; None when one is not tracked."""
    found: list[tuple[str, State]] = []
    for pattern in patterns:
        if not isinstance(pattern, Template):
            continue
        for key in dict.fromkeys(v.key_lower for v in pattern.variables):
            if any(k == key for k, _ in found):
                continue
            terms, key_model = request.keys.get(key), model.keys.get(key)
            if terms is None or terms.one is None or key_model is None:
                return None
            if not key_model.present:
                found.append((key, State.ABSENT))
            else:
                found.append((key, State.ONE if key_model.one else State.MANY))
    return tuple(found)


def _condition_fact(
    request: SymbolicRequest,
    model: RequestModel,
    key: str,
    values: ConditionValues,
    some: bool,
    every: bool,
) -> FNode | None:
    """The fact that rules out the model's `some`/`every` pair for a templated condition on
    `key`, when no values of the model's classes of `key` (and of the variables' classes) can
    give it; None when some can, or when that is not worked out. `some`: some value of the key
    matches one of the (instantiated) values; `every`: every value does."""
    m = request.manager
    space = request.vocabulary.keys.get(key)
    facts = model.keys.get(key)
    if space is None or space.strings is None or facts is None or not facts.present:
        return None
    strings = space.strings
    if request.keys[key].slots:
        cells, one_each = list(facts.cells), True
    else:
        cells = [strings.cell(r) for r in facts.regions]
        one_each = bool(facts.one)
    some_atom, every_atom = request.condition_atoms[(key, values)]
    if some and not every and _one_string(strings, cells):
        # every value is the same string: it matches, or it does not, whatever the variables
        return m.Not(m.And([*request.key_facts(key, facts), some_atom, m.Not(every_atom)]))
    if every and _too_many_classes(values, cells):
        # each value equals one of the instantiated texts, one string each, and a string is
        # in one class only: more classes than texts cannot all match, whatever the variables
        # (the fact names just that many values in distinct classes, so it blocks them all)
        return m.Not(m.And([*_distinct_values(request, key, facts, values), every_atom]))
    variables: dict[str, _KeyClass] = {}
    for template in values.templates:
        found = _classes(request, model, template)
        if found is None or key in found:
            return None  # a class not enumerable, or the key is its own variable
        variables.update(found)
    readings = _readings(variables)
    if readings is None:
        return None
    for chosen in readings:
        patterns = [*values.globs]
        patterns += [g for t in values.templates if (g := t.instantiate(chosen)) is not None]
        match = [_can_match_any(strings, c, patterns) for c in cells]
        miss = [_can_miss_all(strings, c, patterns) for c in cells]
        if _pair_possible(match, miss, some, every, one_each=one_each):
            return None
    stated = [
        *request.key_facts(key, facts),
        *(c.term for c in variables.values()),
        some_atom if some else m.Not(some_atom),
        every_atom if every else m.Not(every_atom),
    ]
    return m.Not(m.And(stated))


def _distinct_values(
    request: SymbolicRequest, key: str, facts: KeyModel, values: ConditionValues
) -> list[FNode]:
    """Terms saying the key has values in one class more than there are templates, each class
    as the model has it (a lazy key's slots, an exact key's regions)."""
    m = request.manager
    terms = request.keys[key]
    wanted = len(values.templates) + 1
    if terms.slots:
        chosen: dict[frozenset[int], int] = {}
        for j, cell in enumerate(facts.cells):
            chosen.setdefault(cell.vector, j)
        picked = sorted(chosen.values())[:wanted]
        return [
            m.And(terms.slots[j].used, terms.slots[j].value.is_vector(m, facts.cells[j].vector))
            for j in picked
        ]
    return [terms.has[r] for r in facts.regions[:wanted]]


def _too_many_classes(values: ConditionValues, cells: Sequence[Cell]) -> bool:
    """For StringEquals values that are all templates (each instantiates to one string, case
    and all): are the values' classes more than the templates? (Distinct cells of one key are
    disjoint: a string has one membership vector.)"""
    if values.kind is not Kind.STRING_EQUALS or values.globs:
        return False
    return len({cell.vector for cell in cells}) > len(values.templates)


def _one_string(strings: StringSpace, cells: Sequence[Cell]) -> bool:
    """Do the classes `cells` hold, together, exactly one string?"""
    texts: set[str] = set()
    for cell in cells:
        found = class_strings(strings, cell.vector)
        if found is None or len(found) != 1:
            return False
        texts.update(found)
    return len(texts) == 1


def _pair_possible(
    match: Sequence[bool], miss: Sequence[bool], some: bool, every: bool, *, one_each: bool
) -> bool:
    """Can values in these classes make "some value matches" `some` and "every value
    matches" `every`? Class i can give a matching value (`match[i]`) or a missing one
    (`miss[i]`); each class holds exactly one value (`one_each`: lazy slots, or a key with one
    value), or at least one (regions of a multi-valued key)."""
    if not match:  # no value at all
        return not some and every
    if some and every:
        return all(match)
    if not some and not every:
        return all(miss)
    if not some and every:
        return False  # every value matches, and there is one: some value matches
    # some value matches, and some value does not
    if not one_each:
        return any(match) and any(miss)
    return any(match[i] and miss[j] for i in range(len(match)) for j in range(len(miss)) if i != j)


def _readings(classes: dict[str, _KeyClass]) -> list[dict[str, str]] | None:
    """Every combination of the classes' values, as the values `Template.instantiate` takes
    (a key absent is left out: the defaults apply); None past CLASS_LIMIT combinations."""
    keys = list(classes)
    combinations = itertools.islice(
        itertools.product(*(classes[k].values for k in keys)), CLASS_LIMIT + 1
    )
    readings = [
        {k: v for k, v in zip(keys, combination, strict=True) if v is not None}
        for combination in combinations
    ]
    return None if len(readings) > CLASS_LIMIT else readings


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
