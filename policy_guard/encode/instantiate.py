"""Giving policy variables real values in a counterexample.

The model says, for each template atom, whether the request matches the template; it also
fixes each key's regions. Here we look for concrete values that make those statements true:
- variable values: each single-valued variable key's region witness, values read back out of
  the resource or key values a template must match (the template as a regular expression with
  a group per variable), and another member of the region;
- then, with the variables fixed, the resource (and the values of keys with templated
  conditions) is chosen inside its model region and inside/outside each instantiated template
  as the model says, by partitioning again with the instantiated patterns.
These are candidates; the reference evaluator decides which, if any, is a counterexample.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence

from policy_guard.encode.decoded import KeyModel, RequestModel
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import ConditionValues, StringSpace, Vocabulary
from policy_guard.globs import Glob
from policy_guard.partition import partition
from policy_guard.variables import Escaped, Text

SEARCH_LIMIT = 4096
CHOICE_LIMIT = 4
EXTENSIONS = ("/", ":", "-", "")

Context = dict[str, tuple[str, ...]]


def refine(
    space: StringSpace, region: int, inside: Sequence[Glob], outside: Sequence[Glob]
) -> list[str]:
    """Strings of `region` that match every glob of `inside` and none of `outside`."""
    if not inside and not outside:
        return [space.partition.witnesses[region]]
    base = len(space.globs)
    refined = partition((*space.globs, *inside, *outside))
    wanted = space.vector(region)
    found = []
    for r, vector in enumerate(_vectors(refined.members, len(refined.witnesses))):
        if frozenset(i for i in vector if i < base) != wanted:
            continue
        if all(base + j in vector for j in range(len(inside))) and not any(
            base + len(inside) + j in vector for j in range(len(outside))
        ):
            found.append(refined.witnesses[r])
    return found


def _vectors(members: Sequence[frozenset[int]], size: int) -> list[set[int]]:
    vectors: list[set[int]] = [set() for _ in range(size)]
    for i, regions in enumerate(members):
        for r in regions:
            vectors[r].add(i)
    return vectors


def variable_values(context: Mapping[str, tuple[str, ...]]) -> dict[str, str | None]:
    """A variable takes a key's value when the key has exactly one (docs/semantics.md)."""
    return {k.lower(): (v[0] if len(v) == 1 else None) for k, v in context.items()}


def _template_regex(template: Template) -> tuple[re.Pattern[str], list[str]]:
    """`template` as a regular expression with one group per variable (keys in order)."""
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
            pieces.append("(.*)")
            keys.append(part.key_lower)
    flags = re.DOTALL | (re.IGNORECASE if template.kind.case_insensitive else 0)
    return re.compile("".join(pieces), flags), keys


def _read_back(template: Template, value: str) -> Iterator[tuple[str, str]]:
    """(key, value) pairs that would make `template` match `value`."""
    pattern, keys = _template_regex(template)
    match = pattern.fullmatch(value)
    if match is not None:
        yield from zip(keys, match.groups(), strict=True)


def _another(space: StringSpace, region: int, value: str) -> list[str]:
    return [w for w in refine(space, region, [], [Glob(tuple(value), False)]) if w != value]


def _variable_options(model: RequestModel, vocabulary: Vocabulary, base: Context) -> list[Context]:
    """Contexts that differ from `base` in the values of single-valued variable keys."""
    resource = vocabulary.resource.partition.witnesses[model.resource]
    read: dict[str, list[str]] = {}
    for template, holds in model.resource_atoms.items():
        if holds:
            for key, value in _read_back(template, resource):
                read.setdefault(key, []).append(value)
    for (key, values), (some, _every) in model.condition_atoms.items():
        space = vocabulary.keys[key]
        for template in values.templates if some else ():
            for region in model.keys[key].regions:
                for var, value in _read_back(template, space.domain.witnesses[region]):
                    read.setdefault(var, []).append(value)
    per_key: list[list[tuple[str, str]]] = []
    for key, space in vocabulary.keys.items():
        key_model = model.keys[key]
        if not (space.variable and key_model.one and len(key_model.regions) == 1):
            continue
        (region,) = key_model.regions
        witness = space.domain.witnesses[region]
        choices = [witness]
        for value in read.get(key, []):
            # a value read back from another region can often be extended into this one (a
            # longer value still fits the template: `alice` -> `alice/x` under `.../${k}/*`)
            extended = [value] + [value + sep + witness for sep in EXTENSIONS]
            choices += [v for v in extended if space.domain.region_of(v) == region]
        if space.strings is not None:
            choices += _another(space.strings, region, witness)[:1]
        per_key.append([(space.name, v) for v in dict.fromkeys(choices)][:CHOICE_LIMIT])
    contexts = []
    for combination in itertools.islice(itertools.product(*per_key), CHOICE_LIMIT**2):
        context = dict(base)
        context.update({name: (value,) for name, value in combination})
        contexts.append(context)
    return contexts or [base]


def resources(model: RequestModel, vocabulary: Vocabulary, context: Context) -> list[str]:
    """Resources of the model's region that match the templates the model says they match."""
    space = vocabulary.resource
    witness = space.partition.witnesses[model.resource]
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
) -> list[str] | None:
    """Values for a key with templated conditions that realise the model's `some`/`every`."""
    strings = vocabulary.keys[key].strings
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
    refined = partition((*strings.globs, *extra))
    vectors = _vectors(refined.members, len(refined.witnesses))
    options: list[list[int]] = []
    for region in key_model.regions:
        wanted = strings.vector(region)
        options.append(
            [r for r, v in enumerate(vectors) if frozenset(i for i in v if i < base) == wanted]
        )
    choices = [_subsets(o, bool(key_model.one)) for o in options]
    for combination in itertools.islice(itertools.product(*choices), SEARCH_LIMIT):
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
        if chosen is None:
            continue
        if key_model.one is False and len(chosen) == 1:
            chosen = chosen * 2
        result[vocabulary.keys[key].name] = tuple(chosen)
    return result


def contexts_and_resources(
    model: RequestModel, vocabulary: Vocabulary, base: Context
) -> Iterator[tuple[Context, str]]:
    """Candidate (context, resource) pairs for a model whose atoms involve policy variables."""
    for context in _variable_options(model, vocabulary, base):
        chosen = _condition_keys(model, vocabulary, context) if model.condition_atoms else context
        for resource in resources(model, vocabulary, chosen):
            yield chosen, resource
