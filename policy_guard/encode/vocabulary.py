"""The compiler: what one query talks about, and the finite domains it needs.

It reads the policies of a question (and any extra patterns the check adds, such as the actions
of `--access`), compiles every pattern once, and builds:
- a `StringSpace` (patterns + their `Partition`, or none past the partition budget: then the
  variable is *lazy*, one Boolean per pattern, see `encode.lazy`) for the action, the resource
  and the principal, and for each string condition key;
- a `KeySpace` for every condition key (lower-cased): its family and its `Domain`;
- the policy-variable templates in play.
It also refuses, before any formula is built, what cannot be decided exactly: an unknown
operator or `Null` under a set operator (UndecidedError, as the evaluator), a condition value
that does not parse (InputError with file and line), one key used with two families whose
values are read differently (UndecidedError naming the key).
No pySMT here.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from policy_guard.encode.arn_case import folded_condition, folded_resources
from policy_guard.encode.domains import (
    Domain,
    binary_domain,
    bool_domain,
    date_domain,
    ip_domain,
    number_domain,
    presence_domain,
)
from policy_guard.encode.partition import (
    Partition,
    PartitionTooLarge,
    folded_prefix,
    glob_key,
    partition,
)
from policy_guard.encode.prefixes import PrefixIndex, PrefixTable
from policy_guard.encode.principal_facts import principal_globs as fact_principal_globs
from policy_guard.encode.templates import Pattern, Template, compile_value
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.arn_formats import action_resource_shapes
from policy_guard.policy.arns import ANONYMOUS, exact_glob
from policy_guard.policy.globs import Glob, Kind, compile_pattern
from policy_guard.policy.key_values import single_valued
from policy_guard.policy.model import Condition, Policy, PrincipalBlock, PrincipalEntry, Statement
from policy_guard.policy.operators import (
    Family,
    OperatorSpec,
    ValueError_,
    check_policy_value,
    parse_binary,
    parse_cidr,
)
from policy_guard.semantics.principals import NotPrincipalParts, entry_globs

INSTANCE_LIMIT = 32
_FAMILY_GROUP = {
    Family.STRING: "string",
    Family.ARN: "string",
    Family.BOOL: "bool",
    Family.NUMERIC: "number",
    Family.DATE: "date",
    Family.IP: "ip",
    Family.BINARY: "binary",
}


DEFAULT_PARTITION_STATES = 2_000
"""The automaton budget of the exact partition; past it a variable gets the lazy domain.
Measured on the 1,541 latest AWS managed policies: 1,418 resource lists fit in 2,000 states
(failing at 2,000 costs about 0.1 s; at 5,000, 0.25-1.9 s, and only 38 more fit), and the
pairs sweep is fastest with the smallest budgets (500: 56 s, 2,000: 60 s, 5,000: 72 s)."""
ACTION_STATES_FACTOR = 10
"""Actions get ten times the budget: their patterns are mostly literals and trailing `*`s, cheap
per state (ReadOnlyAccess's 2,850 need 5,000 states, 0.04 s); 1,538 of the 1,541 action lists
fit in 20,000, and the 3 that do not explode (infix `*`: `sagemaker:*model*`)."""


@dataclass(frozen=True)
class Cell:
    """One abstract value of a string variable: which of its space's patterns the value matches
    (its vector) and a string with exactly those memberships. In an exact space a cell is a
    region; in a lazy one, a membership vector the solver chose and `partition.realize` proved
    non-empty."""

    vector: frozenset[int]
    witness: str


@dataclass(frozen=True)
class StringSpace:
    """One string-valued variable: the patterns compared with it and, when it is affordable,
    the regions they cut (`partition`). Without a partition the space is *lazy*: the encoder
    gives each pattern a Boolean and lets `encode.cores` refine (`encode.lazy`)."""

    globs: tuple[Glob, ...]
    partition: Partition | None

    @property
    def lazy(self) -> bool:
        return self.partition is None

    @property
    def exact(self) -> Partition:
        """The partition of an exact space (a lazy space has none: an internal error)."""
        if self.partition is None:
            raise UndecidedError("internal error: regions asked of a lazy string domain")
        return self.partition

    @cached_property
    def _index(self) -> Mapping[Hashable, int]:
        return {glob_key(glob): i for i, glob in enumerate(self.globs)}

    def position(self, glob: Glob) -> int:
        """The index of `glob` (one of this space's) in `globs`."""
        return self._index[glob_key(glob)]

    def positions(self, globs: Iterable[Glob]) -> frozenset[int]:
        return frozenset(self.position(glob) for glob in globs)

    @property
    def size(self) -> int:
        return len(self.exact.witnesses)

    @cached_property
    def everything(self) -> frozenset[int]:
        """Every region of an exact space."""
        return frozenset(range(self.size))

    def regions(self, globs: Iterable[Glob]) -> frozenset[int]:
        """The regions inside at least one of `globs` (each must be one of this space's)."""
        result: set[int] = set()
        members = self.exact.members
        for glob in globs:
            result |= members[self.position(glob)]
        return frozenset(result)

    @cached_property
    def singletons(self) -> frozenset[int]:
        """Regions holding exactly one string: those inside a case-sensitive literal pattern."""
        return self.regions(g for g in self.globs if g.is_literal and not g.case_insensitive)

    @cached_property
    def literal_texts(self) -> tuple[str, ...]:
        """The strings of the case-sensitive literal patterns (each a one-string class)."""
        return tuple(
            dict.fromkeys(
                g.literal_text for g in self.globs if g.is_literal and not g.case_insensitive
            )
        )

    @cached_property
    def literal_set(self) -> frozenset[str]:
        return frozenset(self.literal_texts)

    @cached_property
    def prefixes(self) -> PrefixIndex:
        """Every pattern by its literal prefix (`encode.prefixes`)."""
        return PrefixIndex(enumerate(self.globs))

    @cached_property
    def folded_prefixes(self) -> PrefixTable:
        """Every pattern by its lowered literal prefix: the ones `partition.realize` keeps
        apart from the strings it looks for (`partition.required_prefixes`)."""
        return PrefixTable((folded_prefix(glob), i) for i, glob in enumerate(self.globs))

    @cached_property
    def _lookup(self) -> tuple[dict[tuple[bool, str], list[int]], PrefixIndex]:
        """Literal globs by (case-insensitive, text); wildcard globs by their literal prefix."""
        literals: dict[tuple[bool, str], list[int]] = {}
        wildcards: list[tuple[int, Glob]] = []
        for i, glob in enumerate(self.globs):
            if glob.is_literal:
                literals.setdefault((glob.case_insensitive, glob.literal_text), []).append(i)
            else:
                wildcards.append((i, glob))
        return literals, PrefixIndex(wildcards)

    def vector_of(self, value: str) -> frozenset[int]:
        """The patterns `value` matches (literal patterns looked up, wildcard patterns tried
        only where their literal prefix fits, found by prefix rather than by a scan: the
        readable requests of a policy of thousands of ARNs ask this of many candidates)."""
        literals, wildcards = self._lookup
        found = set(literals.get((False, value), ()))
        found.update(literals.get((True, value.lower()), ()))
        globs = self.globs
        for folded in (False, True):
            found.update(
                i for i in wildcards.starting(value, folded=folded) if globs[i].matches(value)
            )
        return frozenset(found)

    def contains(self, region: int, value: str) -> bool:
        """Is `value` in `region`? (`partition.region_of(value) == region`, faster.)"""
        return self.vector_of(value) == self.vector(region)

    @cached_property
    def _vectors(self) -> tuple[frozenset[int], ...]:
        inside: list[set[int]] = [set() for _ in self.exact.witnesses]
        for i, regions in enumerate(self.exact.members):
            for region in regions:
                inside[region].add(i)
        return tuple(frozenset(v) for v in inside)

    def vector(self, region: int) -> frozenset[int]:
        """Which of this space's globs contain `region` (the region's identity)."""
        return self._vectors[region]

    def cell(self, region: int) -> Cell:
        return Cell(self.vector(region), self.exact.witnesses[region])

    def region_of_cell(self, cell: Cell) -> int:
        """The region of an exact space's cell."""
        return self.exact.region_of(cell.witness)

    @cached_property
    def memo(self) -> dict[Hashable, object]:
        """Answers computed about this space during one analysis (the space lives as long as
        its vocabulary), e.g. the strings of a cell inside some instantiated templates."""
        return {}


def string_space(globs: Iterable[Glob], max_states: int = DEFAULT_PARTITION_STATES) -> StringSpace:
    """Distinct globs (in first-seen order) and their partition; lazy when the partition needs
    more than `max_states` automaton states (0: always lazy)."""
    distinct: dict[Hashable, Glob] = {}
    for glob in globs:
        distinct.setdefault(glob_key(glob), glob)
    unique = tuple(distinct.values())
    if max_states <= 0:
        return StringSpace(unique, None)
    try:
        return StringSpace(unique, partition(unique, max_states=max_states))
    except PartitionTooLarge:
        return StringSpace(unique, None)


@dataclass(frozen=True)
class KeySpace:
    """A condition key: `family` ("string", "bool", "number", "date", "ip", "binary" or
    "presence"), its regions, and for strings the space that made them."""

    key: str
    name: str  # as first written in the policies (context keys are case-insensitive)
    family: str
    domain: Domain  # for a lazy string space: no regions (`lazy`)
    strings: StringSpace | None = None
    variable: bool = False  # used as a policy variable: the encoder tracks "exactly one value"
    conditions: int = 0  # distinct value lists the policies compare the key with
    single: bool = False
    """The catalogue (or the global key list) says the key is single-valued: when present it
    has exactly one value (`policy.key_values`)."""

    @property
    def lazy(self) -> bool:
        """A string key whose values are described per value (slots of pattern Booleans)."""
        return self.strings is not None and self.strings.lazy

    @cached_property
    def singletons(self) -> frozenset[int]:
        """Regions holding exactly one string (inside a case-sensitive literal pattern): a
        variable whose key has its one value there has a known value (exact spaces only)."""
        return frozenset() if self.strings is None else self.strings.singletons

    @property
    def literal_texts(self) -> tuple[str, ...]:
        """The one-string classes of the key (case-sensitive literal values), sorted."""
        return () if self.strings is None else tuple(sorted(self.strings.literal_texts))


@dataclass(frozen=True)
class Instance:
    """A template made exact: with each variable's key in the given state — `(key, None)`:
    absent (the default applies), `(key, text)`: exactly one value, the string `text` (one of
    the key's case-sensitive literal values) — the template is the pattern `glob`."""

    states: tuple[tuple[str, str | None], ...]
    glob: Glob


def template_instances(
    template: Template, keys: Mapping[str, KeySpace], skip: frozenset[str] = frozenset()
) -> tuple[Instance, ...]:
    """The exact readings of `template` the encoder can afford (at most INSTANCE_LIMIT)."""
    options: list[list[tuple[str, str | None]]] = []
    for key in dict.fromkeys(v.key_lower for v in template.variables):
        occurrences = [v for v in template.variables if v.key_lower == key]
        choices: list[tuple[str, str | None]] = []
        if all(v.default is not None for v in occurrences):
            choices.append((key, None))
        space = keys.get(key)
        if space is not None and key not in skip:
            choices += [(key, text) for text in space.literal_texts]
        options.append(choices)
    result = []
    for combination in itertools.islice(itertools.product(*options), INSTANCE_LIMIT):
        present = {key: value for key, value in combination if value is not None}
        glob = template.instantiate(present)
        if glob is not None:
            result.append(Instance(tuple(combination), glob))
    return tuple(result)


@dataclass(frozen=True)
class ConditionValues:
    """A condition's policy values, compiled: Globs/Templates (String, Arn), else the texts."""

    kind: Kind | None
    patterns: tuple[Pattern, ...]

    @property
    def globs(self) -> tuple[Glob, ...]:
        return tuple(p for p in self.patterns if isinstance(p, Glob))

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(p for p in self.patterns if isinstance(p, Template))


def principal_globs(entry: PrincipalEntry) -> tuple[Glob, ...] | None:
    """The principals an entry names, as globs (None: everyone): `semantics.principals`."""
    return entry_globs(entry)


def _where(policy: Policy, condition: Condition) -> str:
    return f"{policy.filename}:{policy.span_of(condition.path).line}"


def condition_spec(policy: Policy, condition: Condition) -> OperatorSpec:
    """The operator, refused as the evaluator refuses it; its values checked."""
    spec = condition.operator.decided_spec(
        _where(policy, condition), "policy-guard cannot decide what it grants"
    )
    for value in condition.values:
        try:
            check_policy_value(spec, value.text)
        except ValueError_ as problem:
            raise InputError(
                f"{problem} (a value of `{condition.operator.text}`)",
                filename=policy.filename,
                line=policy.span_of(value.path).line,
            ) from None
    return spec


def condition_values(policy: Policy, condition: Condition, spec: OperatorSpec) -> ConditionValues:
    if not spec.is_string:
        return ConditionValues(None, ())
    kind = spec.string_kind
    variables = policy.variables_enabled and spec.allows_variables
    return ConditionValues(
        kind, tuple(compile_value(v.text, kind, variables) for v in condition.values)
    )


@dataclass(frozen=True)
class CompiledStatement:
    """A statement's patterns, compiled once per analysis (Action or NotAction, Resource or
    NotResource, Principal or NotPrincipal entries: the element's kind is the statement's)."""

    actions: tuple[Glob, ...]
    resources: tuple[Pattern, ...]
    principals: tuple[PrincipalEntry, ...]


def compile_statement(policy: Policy, statement: Statement) -> CompiledStatement:
    return CompiledStatement(
        action_globs(statement),
        resource_patterns(policy, statement),
        statement_principal_entries(statement),
    )


def resource_patterns(policy: Policy, statement: Statement) -> tuple[Pattern, ...]:
    values = statement.resources if statement.resources is not None else statement.not_resources
    return tuple(
        compile_value(v.text, Kind.RESOURCE, policy.variables_enabled) for v in values or ()
    )


def action_globs(statement: Statement) -> tuple[Glob, ...]:
    values = statement.actions if statement.actions is not None else statement.not_actions
    return tuple(action_glob(v.text) for v in values or ())


def action_glob(text: str) -> Glob:
    """`compile_pattern(text, Kind.ACTION)`, with a shortcut for the usual wildcard-free name
    (a folded literal: the same Glob, built without the general compiler)."""
    if "*" in text or "?" in text:
        return compile_pattern(text, Kind.ACTION)
    if text.isascii():
        return Glob(tuple(text.lower()), True)
    return Glob(tuple(c.lower() for c in text), True)


def not_principal_globs(block: PrincipalBlock) -> tuple[Glob, ...]:
    """Every glob the NotPrincipal rule tests the principal with (`semantics.principals`)."""
    return NotPrincipalParts(block).globs()


def statement_principal_entries(statement: Statement) -> tuple[PrincipalEntry, ...]:
    block = statement.principal or statement.not_principal
    return block.entries if block is not None else ()


@dataclass
class _KeyUsage:
    name: str
    families: dict[str, str] = field(default_factory=dict)  # group -> an operator, for messages
    globs: list[Glob] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    templates: dict[Template, None] = field(default_factory=dict)
    variable: bool = False
    conditions: dict[ConditionValues, None] = field(default_factory=dict)


def _conditions(policies: Sequence[Policy]) -> Iterator[tuple[Policy, Condition, OperatorSpec]]:
    """Every condition, and the folded form of an Arn condition the ARN-case reading changes."""
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                spec = condition_spec(policy, condition)
                yield policy, condition, spec
                folded = folded_condition(condition)
                if folded is not None:
                    yield policy, folded, spec


def check_conditions(policies: Sequence[Policy]) -> None:
    """Refuse what the vocabulary would refuse in any condition of `policies` (so a sliced-off
    statement is refused just as if it had been encoded)."""
    for _ in _conditions(policies):
        pass


@dataclass(frozen=True)
class Vocabulary:
    """Everything one query compares the request with; built once per analysis."""

    action: StringSpace
    resource: StringSpace
    principal: StringSpace | None  # None: the request has no principal (identity policies)
    keys: Mapping[str, KeySpace]
    resource_templates: tuple[Template, ...]
    instances: Mapping[tuple[str | None, Template], tuple[Instance, ...]]
    """Exact readings of each template, by where it stands: a condition key, or None for
    Resource/NotResource."""
    statements: Mapping[tuple[int, int], CompiledStatement]
    """By `(id(policy), statement.index)`: see `compiled`."""
    resource_shapes: Mapping[Glob, tuple[Glob, ...]] = field(default_factory=dict)
    """For each catalogued literal action of the action space, the shapes its resource takes
    (`policy.arn_formats`; in the resource space): `encode.real_requests`."""
    shape_globs: tuple[Glob, ...] = ()
    """The shapes no policy pattern repeats: facts about requests, not patterns, so a readable
    resource may lie on either side of them (`encode.readable`)."""

    def compiled(self, policy: Policy, statement: Statement) -> CompiledStatement:
        """The statement's patterns as compiled when the vocabulary was built."""
        found = self.statements.get((id(policy), statement.index))
        return found if found is not None else compile_statement(policy, statement)


def _no_regions(value: str) -> int:
    raise UndecidedError("internal error: a region asked of a lazy string domain")


def _key_space(key: str, usage: _KeyUsage, max_states: int) -> KeySpace:
    groups = sorted(usage.families)
    if groups == ["bool", "string"]:
        return _bool_string_key_space(key, usage, max_states)
    if len(groups) > 1:
        operators = " and ".join(f"`{usage.families[g]}`" for g in groups)
        raise UndecidedError(
            f"the condition key `{key}` is used with {operators}, which read its values "
            "differently; policy-guard cannot decide this query exactly"
        )
    group = groups[0] if groups else ("string" if usage.variable else "presence")
    if group == "string":
        strings = string_space(usage.globs, max_states)
        part = strings.partition
        if part is None:
            domain = Domain((), (), _no_regions)
        else:
            domain = Domain(part.witnesses, (None,) * len(part.witnesses), part.region_of)
        count = len(usage.conditions)
        single = single_valued(usage.name)
        return KeySpace(key, usage.name, group, domain, strings, usage.variable, count, single)
    domain = {
        "bool": lambda: bool_domain(),
        "number": lambda: number_domain(usage.texts),
        "date": lambda: date_domain(usage.texts),
        "ip": lambda: ip_domain(parse_cidr(t) for t in usage.texts),
        "binary": lambda: binary_domain(parse_binary(t) for t in usage.texts),
        "presence": presence_domain,
    }[group]()
    single = single_valued(usage.name)
    return KeySpace(key, usage.name, group, domain, None, usage.variable, single=single)


def _bool_string_key_space(key: str, usage: _KeyUsage, max_states: int) -> KeySpace:
    """A key read by Bool and String operators: the exact product domain (`bool_strings`),
    whatever the budget says (the lazy encoding has no Bool reading; at 0, the default)."""
    from policy_guard.encode.bool_strings import bool_string_domain, bool_string_partition

    budget = max_states if max_states > 0 else DEFAULT_PARTITION_STATES
    globs = tuple(dict((glob_key(g), g) for g in usage.globs).values())
    part = bool_string_partition(globs, budget)
    strings = StringSpace(globs, part)
    count = len(usage.conditions)
    single = single_valued(usage.name)
    domain = bool_string_domain(part)
    return KeySpace(key, usage.name, "string", domain, strings, usage.variable, count, single)


def build_vocabulary(
    policies: Sequence[Policy],
    *,
    principal_in_request: bool,
    extra_actions: Sequence[str] = (),
    extra_resources: Sequence[str] = (),
    extra_principals: Sequence[PrincipalEntry] = (),
    extra_condition_values: Mapping[str, Sequence[Glob]] | None = None,
    max_states: int = DEFAULT_PARTITION_STATES,
    action_space: StringSpace | None = None,
) -> Vocabulary:
    """Compile every pattern of `policies` (plus the extras) and build the domains.

    `extra_condition_values`: per condition key (any case), string patterns the question
    compares the key's values with; the key's space is then a string space that has them as
    boundaries (as if a String condition of the policies listed them).

    `max_states`: the partition budget of each string variable, ACTION_STATES_FACTOR times it
    for the action (past it, or at 0, the variable is lazy). `action_space`: an action space
    already built over (at least) these policies' and the extras' actions (query slicing builds
    one), reused as it is.
    """
    actions: list[Glob] = [compile_pattern(a, Kind.ACTION) for a in extra_actions]
    resources: list[Glob] = [compile_pattern(r, Kind.RESOURCE) for r in extra_resources]
    principals: list[Glob] = []
    templates: dict[Template, None] = {}
    usages: dict[str, _KeyUsage] = {}

    def note_variables(template: Template) -> None:
        for variable in template.variables:
            usages.setdefault(variable.key_lower, _KeyUsage(variable.key)).variable = True

    for entry in extra_principals:
        principals.extend(principal_globs(entry) or ())
    compiled: dict[tuple[int, int], CompiledStatement] = {}
    for policy in policies:
        for statement in policy.statements:
            parts = compile_statement(policy, statement)
            compiled[(id(policy), statement.index)] = parts
            actions.extend(parts.actions)
            for pattern in (*parts.resources, *(folded_resources(policy, statement) or ())):
                if isinstance(pattern, Template):
                    templates[pattern] = None
                    note_variables(pattern)
                    resources.append(pattern.shape())
                else:
                    resources.append(pattern)
            for entry in parts.principals:
                principals.extend(principal_globs(entry) or ())
            if statement.not_principal is not None:
                principals.extend(not_principal_globs(statement.not_principal))
    for policy, condition, spec in _conditions(policies):
        usage = usages.setdefault(condition.key_lower, _KeyUsage(condition.key))
        group = _FAMILY_GROUP.get(spec.family)
        if group is None:  # Null: presence only
            continue
        usage.families.setdefault(group, condition.operator.text)
        values = condition_values(policy, condition, spec)
        if values.kind is None:
            usage.texts.extend(v.text for v in condition.values)
            continue
        usage.conditions[values] = None
        for pattern in values.patterns:
            if isinstance(pattern, Template):
                note_variables(pattern)
                usage.templates[pattern] = None
                usage.globs.append(pattern.shape())
            else:
                usage.globs.append(pattern)
    for key, globs in (extra_condition_values or {}).items():
        usage = usages.setdefault(key.lower(), _KeyUsage(key))
        usage.families.setdefault("string", "StringLike")
        usage.globs.extend(globs)
    keys, instances = _key_spaces(usages, max_states)
    if principal_in_request:  # the caller's keys agree with the principal (principal facts)
        principals.append(exact_glob(ANONYMOUS))
        principals.extend(fact_principal_globs(keys))
    for template in templates:
        found = template_instances(template, keys)
        instances[(None, template)] = found
        resources.extend(i.glob for i in found)
    action = (
        action_space
        if action_space is not None
        else string_space(actions, max_states * ACTION_STATES_FACTOR)
    )
    shapes = action_resource_shapes(action.globs)
    written = {glob_key(glob) for glob in resources}
    shape_only = {
        glob_key(g): g for found in shapes.values() for g in found if glob_key(g) not in written
    }
    resources.extend(shape_only.values())
    return Vocabulary(
        action=action,
        resource=string_space(resources, max_states),
        principal=string_space(principals, max_states) if principal_in_request else None,
        keys=keys,
        resource_templates=tuple(templates),
        instances=instances,
        statements=compiled,
        resource_shapes=shapes,
        shape_globs=tuple(shape_only.values()),
    )


def _key_spaces(
    usages: Mapping[str, _KeyUsage], max_states: int
) -> tuple[dict[str, KeySpace], dict[tuple[str | None, Template], tuple[Instance, ...]]]:
    """Keys without templated values first; then the others, whose templates are made exact
    where the variables' keys (of the first group) have singleton regions."""
    plain = {k: _key_space(k, u, max_states) for k, u in usages.items() if not u.templates}
    templated = frozenset(k for k, u in usages.items() if u.templates)
    instances: dict[tuple[str | None, Template], tuple[Instance, ...]] = {}
    keys = dict(plain)
    for key in sorted(templated):
        usage = usages[key]
        for template in usage.templates:
            found = template_instances(template, plain, skip=templated)
            instances[(key, template)] = found
            usage.globs.extend(i.glob for i in found)
        keys[key] = _key_space(key, usage, max_states)
    return dict(sorted(keys.items())), instances
