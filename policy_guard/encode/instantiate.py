"""Giving policy variables real values in a counterexample.

The model says, for each template atom, whether the request matches the template; it also
fixes each key's regions. Here we look for concrete values that make those statements true:
- variable values: each single-valued variable key's region witness, values read back out of
  the resource or key values a template must match (the template as a regular expression with
  a group per variable), and another member of the region; under an IgnoreCase template, the
  value read back in other cases and a value with a cased letter (a case-sensitive pattern of
  the same key must often miss what the IgnoreCase one matches);
- then, with the variables fixed, the resource (and the values of keys with templated
  conditions) is chosen inside its model cell and inside/outside each instantiated template
  as the model says (`partition.realize` over the space's patterns and the instantiated ones,
  or for an exact key's values, partitioning again); when no values of the model's classes
  realise a key's atoms under the chosen variables (the model may mix classes that no one
  instantiation fits), values of some of the classes, leaving the others out.
These are candidates; the reference evaluator decides which, if any, is a counterexample.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from policy_guard.encode.cores import realize_lazily
from policy_guard.encode.decoded import KeyModel, RequestModel
from policy_guard.encode.partition import glob_key, partition
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, ConditionValues, KeySpace, StringSpace, Vocabulary
from policy_guard.policy.globs import Glob
from policy_guard.policy.variables import Escaped, Text

SEARCH_LIMIT = 4096
CHOICE_LIMIT = 4
FITTING_TRIED = 8  # values read back from the resource, tested against the key's other templates
SUBSET_LIMIT = 4  # instantiated patterns of a lazy key's condition whose every combination is tried
EXTENSIONS = ("/", ":", "-", "")

Context = dict[str, tuple[str, ...]]


def refine(
    space: StringSpace, cell: Cell, inside: Sequence[Glob], outside: Sequence[Glob]
) -> list[str]:
    """A string of `cell` that matches every glob of `inside` and none of `outside` (the
    shortest; empty when there is none)."""
    witness = cell.witness
    if all(g.matches(witness) for g in inside) and not any(g.matches(witness) for g in outside):
        return [witness]
    key = ("refine", cell.vector, *map(glob_key, inside), None, *map(glob_key, outside))
    if key not in space.memo:
        space.memo[key] = _refine(space, cell, inside, outside)
    found = space.memo[key]
    assert isinstance(found, list)
    return found


def _refine(
    space: StringSpace, cell: Cell, inside: Sequence[Glob], outside: Sequence[Glob]
) -> list[str]:
    base = len(space.globs)
    globs = (*space.globs, *inside, *outside)
    extra = frozenset(range(base, base + len(inside)))
    wanted = cell.vector | extra
    found = realize_lazily(globs, wanted, frozenset(range(len(globs))) - wanted, extra)
    return [] if found is None else [found]


def _vectors(members: Sequence[frozenset[int]], size: int) -> list[set[int]]:
    vectors: list[set[int]] = [set() for _ in range(size)]
    for i, regions in enumerate(members):
        for r in regions:
            vectors[r].add(i)
    return vectors


@dataclass(frozen=True)
class ValueClass:
    """One of the model's values of a key: a string of it, the test for "in the same class",
    and (string keys) its cell."""

    witness: str
    contains: Callable[[str], bool]
    cell: Cell | None


def value_classes(space: KeySpace, key_model: KeyModel) -> list[ValueClass]:
    """The classes the model put values of the key in: cells of a lazy key, else regions."""
    strings = space.strings
    if strings is not None and strings.lazy:
        return [ValueClass(c.witness, _in_cell(strings, c), c) for c in key_model.cells]
    return [
        ValueClass(
            space.domain.witnesses[r],
            _in_region(space, r),
            strings.cell(r) if strings is not None else None,
        )
        for r in key_model.regions
    ]


def _in_cell(strings: StringSpace, cell: Cell) -> Callable[[str], bool]:
    return lambda value: strings.vector_of(value) == cell.vector


def _in_region(space: KeySpace, region: int) -> Callable[[str], bool]:
    return lambda value: space.domain.region_of(value) == region


def variable_values(context: Mapping[str, tuple[str, ...]]) -> dict[str, str | None]:
    """A variable takes a key's value when the key has exactly one (docs/semantics.md)."""
    return {k.lower(): (v[0] if len(v) == 1 else None) for k, v in context.items()}


def _template_regex(
    template: Template, shortest: bool = False
) -> tuple[re.Pattern[str], list[str]]:
    """`template` as a regular expression with one group per variable (keys in order): each
    group takes the longest text it can, or with `shortest` the shortest."""
    pieces: list[str] = []
    keys: list[str] = []
    for part in template.parts:
        if isinstance(part, Text):
            for char in part.text:
                wild = template.kind.has_wildcards and char in "*?"
                pieces.append((".*" if char == "*" else ".") if wild else re.escape(char))
        elif isinstance(part, Escaped):
            pieces.append(re.escape(part.char))
        else:
            pieces.append("(.*?)" if shortest else "(.*)")
            keys.append(part.key_lower)
    flags = re.DOTALL | (re.IGNORECASE if template.kind.case_insensitive else 0)
    return re.compile("".join(pieces), flags), keys


def _read_back(
    template: Template, value: str, ways: tuple[bool, ...] = (False, True)
) -> Iterator[tuple[str, str]]:
    """(key, value) pairs that would make `template` match `value`: each variable as long as
    it can be, then as short (`arn:aws:s3:::b/home/x` under `arn:aws:s3:::b/${k}/*` reads
    `home/x`, then `home`: the one that also fits another template of the same key, say
    `arn:aws:s3:::b/home/${k}/*` on `arn:aws:s3:::b/home/home/x`, may be either)."""
    seen: set[tuple[str, str]] = set()
    for shortest in ways:
        pattern, keys = _template_regex(template, shortest)
        match = pattern.fullmatch(value)
        if match is not None:
            for pair in zip(keys, match.groups(), strict=True):
                if pair not in seen:
                    seen.add(pair)
                    yield pair


def _readable_resources(space: StringSpace, cell: Cell, template: Template) -> list[str]:
    """Resources of the cell to read a holding template's variables back from: the witness,
    and when that reads a variable as empty, a resource of the cell where none is (policies
    guard templated resources with `StringNotEquals: {key: ""}`, and a shortest witness reads
    `arn:aws:s3::://` under `arn:aws:s3:::${b}/${d}/*` as two empty values)."""
    witness = cell.witness
    if all(value for _, value in _read_back(template, witness, (False,))):
        return [witness]
    return [witness, *refine(space, cell, [template.shape(filled=True)], [])]


def _another(space: StringSpace, cell: Cell, value: str) -> list[str]:
    return [w for w in refine(space, cell, [], [Glob(tuple(value), False)]) if w != value]


def _joint_readings(model: RequestModel, resource: str) -> list[dict[str, str | None]]:
    """Variable states under which `resource` matches exactly the resource templates the
    model says it matches (`Template.assignments`: every way, not one guess). Empty when no
    template holds, or a holding template's states are not worked out."""
    holding = [t for t, holds in model.resource_atoms.items() if holds]
    if not holding:
        return []
    joint: list[dict[str, str | None]] = [{}]
    for template in holding:
        found = template.assignments(resource)
        if found is None:
            return []
        merged = []
        for partial in joint:
            for states in found:
                if all(partial.get(k, v) == v for k, v in states):
                    merged.append({**partial, **dict(states)})
        joint = merged[:SEARCH_LIMIT]
    failing = [t for t, holds in model.resource_atoms.items() if not holds]

    def honours(reading: dict[str, str | None]) -> bool:
        for template in failing:
            keys = {v.key_lower for v in template.variables}
            if keys <= reading.keys():
                present = {k: v for k, v in reading.items() if v is not None}
                glob = template.instantiate(present)
                if glob is not None and glob.matches(resource):
                    return False
        return True

    return [r for r in joint if honours(r)]


def _templates(model: RequestModel) -> Iterator[Template]:
    """The templates the model's atoms are about."""
    yield from model.resource_atoms
    for _key, values in model.condition_atoms:
        yield from values.templates


def _variable_options(model: RequestModel, vocabulary: Vocabulary, base: Context) -> list[Context]:
    """Contexts that differ from `base` in the values of single-valued variable keys: first
    the joint readings of the resource templates, then per-key choices combined."""
    exact: dict[str, list[str]] = {}  # read back from a resource: it must match as it is
    read: dict[str, list[str]] = {}  # read back from key values (which may be re-chosen)
    for template, holds in model.resource_atoms.items():
        if holds:
            for text in _readable_resources(vocabulary.resource, model.resource, template):
                for key, value in _read_back(template, text):
                    exact.setdefault(key, []).append(value)
    for (key, values), (some, _every) in model.condition_atoms.items():
        classes = value_classes(vocabulary.keys[key], model.keys[key])
        for template in values.templates if some else ():
            for value_class in classes:
                for var, value in _read_back(template, value_class.witness):
                    read.setdefault(var, []).append(value)
                    if template.kind.case_insensitive:
                        # the value read back in another case: it still matches here, and
                        # may be what a case-sensitive pattern of the same key must miss
                        read[var] += [v for v in (value.swapcase(), value.lower()) if v != value]
    folded = {
        v.key_lower
        for template in _templates(model)
        if template.kind.case_insensitive
        for v in template.variables
    }
    per_key: list[list[tuple[str, str]]] = []
    for key, space in vocabulary.keys.items():
        key_model = model.keys[key]
        classes = value_classes(space, key_model)
        if not (space.variable and key_model.one and len(classes) == 1):
            continue
        (value_class,) = classes
        witness = value_class.witness
        given = base.get(space.name, ())  # a value the principal decides comes first
        choices = [v for v in given[:1] if len(given) == 1 and value_class.contains(v)]
        exact_values = [v for v in dict.fromkeys(exact.get(key, [])) if value_class.contains(v)]
        choices += _fitting_first(model, vocabulary, key, exact_values)
        choices.append(witness)
        if key in folded:
            # a value with a cased letter: under an IgnoreCase template its case variants
            # differ from it (a caseless value makes `StringEquals` and its IgnoreCase agree)
            choices += [v for v in (witness + "a", "a" + witness) if value_class.contains(v)][:1]
        readings = exact.get(key, []) + read.get(key, [])
        # every value read back as it is before any extension: the slots of a multi-valued
        # key read back several values, and the one that fits may not be the first
        choices += [v for v in readings if value_class.contains(v)]
        for value in readings:
            # a value read back from another class can often be extended into this one (a
            # longer value still fits the template: `alice` -> `alice/x` under `.../${k}/*`)
            extended = [value + sep + witness for sep in EXTENSIONS]
            choices += [v for v in extended if value_class.contains(v)]
        if space.strings is not None and value_class.cell is not None:
            choices += _another(space.strings, value_class.cell, witness)[:1]
        per_key.append([(space.name, v) for v in dict.fromkeys(choices)][:CHOICE_LIMIT])
    contexts = read_back_contexts(model, vocabulary, base, model.resource.witness)
    for combination in itertools.islice(itertools.product(*per_key), CHOICE_LIMIT**2):
        context = dict(base)
        context.update({name: (value,) for name, value in combination})
        contexts.append(context)
    return contexts or [base]


def read_back_contexts(
    model: RequestModel, vocabulary: Vocabulary, base: Context, resource: str
) -> list[Context]:
    """`base` with the variables read back from `resource` under which it matches exactly the
    resource templates the model says it matches (`_joint_readings`). `resource` is the
    model's witness, or a readable resource of its cell: a witness with a head no ARN has
    (`arn:aws:kms:glue::key/:database/`) is made well-formed (`...:us-east-1:111122223333:key/
    :glue:::database/`) and its variables must be read from what is reported, not from the
    witness."""
    contexts = []
    for reading in _joint_readings(model, resource)[:CHOICE_LIMIT]:
        context = dict(base)
        for key, found in reading.items():
            name = vocabulary.keys[key].name if key in vocabulary.keys else key
            if found is None:
                context.pop(name, None)  # absent: the defaults apply
            else:
                context[name] = (found,)
        contexts.append(context)
    return contexts


def _fitting_first(
    model: RequestModel, vocabulary: Vocabulary, key: str, values: Sequence[str]
) -> list[str]:
    """`values` of `key` read back from the resource, those first under which a resource of the
    model's cell matches each of the key's own resource templates as the model says. Each
    template reads its own value back from the witness (`arn:aws:s3:::b/home//x` gives `home/`,
    `home` under `arn:aws:s3:::b/${k}/*`, and an empty value under `.../b/home/${k}/*`); only
    one may fit the others too (`home`, with `arn:aws:s3:::b/home/home/x`), and the choices
    per key are few."""
    own = [
        (template, holds)
        for template, holds in model.resource_atoms.items()
        if {v.key_lower for v in template.variables} == {key}
    ]
    if len(values) < 2 or len(own) < 2:
        return list(values)
    fitting = []
    for value in values[:FITTING_TRIED]:
        inside: list[Glob] = []
        outside: list[Glob] = []
        for template, holds in own:
            glob = template.instantiate({key: value})
            if glob is not None:
                (inside if holds else outside).append(glob)
        if refine(vocabulary.resource, model.resource, inside, outside):
            fitting.append(value)
    return [*fitting, *(v for v in values if v not in fitting)]


def resources(model: RequestModel, vocabulary: Vocabulary, context: Context) -> list[str]:
    """Resources of the model's cell that match the templates the model says they match."""
    space = vocabulary.resource
    witness = model.resource.witness
    if not model.resource_atoms:
        return [witness]
    values = variable_values(context)
    inside: list[Glob] = []
    outside: list[Glob] = []
    for template, holds in model.resource_atoms.items():
        glob = template.instantiate(values)
        if glob is None:
            if holds:
                return [witness]
            continue
        (inside if holds else outside).append(glob)
    return refine(space, model.resource, inside, outside)[:2] or [witness]


def _subsets(options: Sequence[int], single: bool) -> list[tuple[int, ...]]:
    if single or len(options) > 4:
        pairs = [] if single else [tuple(p) for p in itertools.combinations(options, 2)]
        return [(o,) for o in options] + pairs
    return [c for n in range(1, len(options) + 1) for c in itertools.combinations(options, n)]


def _key_values(
    key: str,
    key_model: KeyModel,
    atoms: Mapping[ConditionValues, tuple[bool, bool]],
    vocabulary: Vocabulary,
    variables: Mapping[str, str | None],
    leave_out: bool = False,
) -> list[str] | None:
    """Values for a key with templated conditions that realise the model's `some`/`every`.

    `leave_out`: only combinations that leave out some of the model's classes (but not all).
    The model's atoms and classes may not fit together under the chosen variable values
    (`every` holds while the slots are in two classes, and the instantiated template's one
    string is in only one of them): the classes that can take part still give a candidate.
    """
    space = vocabulary.keys[key]
    strings = space.strings
    assert strings is not None
    base = len(strings.globs)
    extra: list[Glob] = []
    groups: list[tuple[list[int], bool, bool]] = []  # glob indices (refined) of each condition
    for values, (some, every) in atoms.items():
        indices = [strings.position(g) for g in values.globs]
        for template in values.templates:
            glob = template.instantiate(variables)
            if glob is not None:
                indices.append(base + len(extra))
                extra.append(glob)
        groups.append((indices, some, every))
    # per value of the model: candidate strings of its class, each with its refined vector
    options = _refined_options(strings, value_classes(space, key_model), extra)
    one = bool(key_model.one) or space.single  # a single-valued key: one value, one string
    choices = [_subsets(range(len(o)), one) for o in options]
    if leave_out:
        choices = [[(), *c] for c in choices]
    for combination in itertools.islice(itertools.product(*choices), SEARCH_LIMIT):
        if leave_out and all(combination):
            continue
        chosen = [options[k][i] for k, part in enumerate(combination) for i in part]
        if not chosen:
            continue
        matched = [
            [any(i in vector for i in indices) for _, vector in chosen] for indices, _, _ in groups
        ]
        if all(
            any(m) == some and all(m) == every
            for m, (_, some, every) in zip(matched, groups, strict=True)
        ):
            return [witness for witness, _ in chosen]
    return None


def _refined_options(
    strings: StringSpace, classes: Sequence[ValueClass], extra: Sequence[Glob]
) -> list[list[tuple[str, frozenset[int]]]]:
    """For each class, strings of it with their memberships in the space's globs followed by
    `extra`: every refined region (exact), or every combination of `extra` that
    `partition.realize` finds (lazy; all of them for up to SUBSET_LIMIT patterns)."""
    cells = tuple(c.cell for c in classes)
    key = ("options", cells, *map(glob_key, extra))
    if key not in strings.memo:
        strings.memo[key] = _options(strings, classes, extra)
    found = strings.memo[key]
    assert isinstance(found, list)
    return found


def _options(
    strings: StringSpace, classes: Sequence[ValueClass], extra: Sequence[Glob]
) -> list[list[tuple[str, frozenset[int]]]]:
    base = len(strings.globs)
    if not strings.lazy:
        refined = partition((*strings.globs, *extra))
        vectors = _vectors(refined.members, len(refined.witnesses))
        return [
            [
                (refined.witnesses[r], frozenset(v))
                for r, v in enumerate(vectors)
                if c.cell is not None and frozenset(i for i in v if i < base) == c.cell.vector
            ]
            for c in classes
        ]
    globs = (*strings.globs, *extra)
    every = range(len(extra))
    if len(extra) <= SUBSET_LIMIT:
        subsets = [set(s) for n in range(len(extra) + 1) for s in itertools.combinations(every, n)]
    else:
        subsets = [set(), set(every), *({j} for j in every)]
    result = []
    for value_class in classes:
        assert value_class.cell is not None
        found = []
        for subset in subsets:
            wanted = value_class.cell.vector | {base + j for j in subset}
            witness = realize_lazily(globs, wanted, frozenset(range(len(globs))) - wanted)
            if witness is not None:
                found.append((witness, frozenset(wanted)))
        result.append(found)
    return result


def _condition_keys(model: RequestModel, vocabulary: Vocabulary, context: Context) -> Context:
    """The context with the keys of templated conditions chosen to realise their atoms."""
    by_key: dict[str, dict[ConditionValues, tuple[bool, bool]]] = {}
    for (key, values), facts in model.condition_atoms.items():
        by_key.setdefault(key, {})[values] = facts
    variables = variable_values(context)
    result = dict(context)
    for key, atoms in by_key.items():
        key_model = model.keys[key]
        if not key_model.present:
            continue
        chosen = _key_values(key, key_model, atoms, vocabulary, variables)
        if chosen is None and not vocabulary.keys[key].lazy and key_model.one is not False:
            # the model's classes may be spurious (a template over-approximates): values of
            # any one class that realise the atoms are still a candidate for the evaluator
            for region in range(len(vocabulary.keys[key].domain)):
                elsewhere = KeyModel(True, (region,), key_model.one)
                chosen = _key_values(key, elsewhere, atoms, vocabulary, variables)
                if chosen is not None:
                    break
        if chosen is None:
            chosen = _key_values(key, key_model, atoms, vocabulary, variables, leave_out=True)
        if chosen is None:
            continue
        if key_model.one is False and len(chosen) == 1:
            chosen = chosen * 2
        result[vocabulary.keys[key].name] = tuple(chosen)
    return result


def contexts_and_resources(
    model: RequestModel, vocabulary: Vocabulary, base: Context, readable: str | None = None
) -> Iterator[tuple[Context, str]]:
    """Candidate (context, resource) pairs for a model whose atoms involve policy variables:
    first `readable` (the resource the concretizer reports, when it is not the model's
    witness: a witness may have a head no ARN has, `arn:awsx:kms:glue::key/...`) with the
    variables read back from it and the templated keys chosen for them, then resources of the
    model's cell."""
    if readable is not None and readable != model.resource.witness:
        for context in read_back_contexts(model, vocabulary, base, readable) or [base]:
            yield _chosen_keys(model, vocabulary, context), readable
    for context in _variable_options(model, vocabulary, base):
        chosen = _chosen_keys(model, vocabulary, context)
        for resource in resources(model, vocabulary, chosen):
            yield chosen, resource


def _chosen_keys(model: RequestModel, vocabulary: Vocabulary, context: Context) -> Context:
    return _condition_keys(model, vocabulary, context) if model.condition_atoms else context
