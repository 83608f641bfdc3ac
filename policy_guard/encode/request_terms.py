"""The symbolic request: every request of the query's world as pySMT terms.

- `action`, `resource` and (for resource policies) `principal` are `StringTerm`s: over an exact
  space an Int symbol ranging over its regions ("matches these patterns" is a disjunction of
  region runs); over a lazy space one Boolean per pattern (`encode.lazy`).
- Each condition key has `present`; over an exact domain one Boolean per region ("the request
  has a value in this region"), over a lazy string space a few value *slots* (each a lazy value
  and a `used` flag, filled in order; see `slot_count` for why that many are enough). A key used
  as a policy variable also has `one` ("exactly one value"), because only a single-valued key
  gives a variable a value.
- Each templated Resource pattern has an atom ("the resource matches the template under the
  request's variable values"); condition templates get atoms in `conditions`. Their defining
  constraints go into `axioms`, which the analysis asserts before every query.

Checks constrain this request further (`matches`, `some`, `every`, the `principal` term) to ask
their own questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pysmt.fnode import FNode
from pysmt.formula import FormulaManager
from pysmt.typing import INT

from policy_guard.encode.lazy import LazyValue, lazy_value
from policy_guard.encode.principal_facts import principal_fact_axioms
from policy_guard.encode.readings import ReadingTerms
from policy_guard.encode.real_requests import real_request_axioms
from policy_guard.encode.template_relations import disjoint_lengths, implication, one_value
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import (
    Cell,
    ConditionValues,
    KeySpace,
    StringSpace,
    Vocabulary,
)
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob

if TYPE_CHECKING:
    from policy_guard.encode.decoded import KeyModel, RequestModel
    from policy_guard.encode.solver import Session
    from policy_guard.semantics.request import Request

SINGLETON_LIMIT = 256
CHECK_OBSERVATIONS = 2
"""Facts about a lazy key's value set that a check may add (`Analysis.key_some`) beyond the
policies' conditions; more make the query undecided (never a guess)."""


def slot_count(space: KeySpace) -> int:
    """Value slots for a lazy key: enough for every value set to have a sub-set with the same
    meaning. The request's values of the key matter only through each condition's `some`
    (some value matches) and `every` (every value matches), the check's own such facts, being
    present, and being single-valued. Keep one value that makes each true `some` true and one
    that makes each false `every` false, one value if there are any, and a second if there
    were several: a subset with the same answers, of at most this many values."""
    return 2 * space.conditions + CHECK_OBSERVATIONS + 2


@dataclass(frozen=True)
class StringTerm:
    """A single-valued string variable: `symbol` (an Int over the regions of an exact space) or
    `value` (the pattern Booleans of a lazy space)."""

    space: StringSpace
    symbol: FNode | None
    value: LazyValue | None


@dataclass(frozen=True)
class Slot:
    """One value of a lazy key: used (it exists) and what it matches."""

    used: FNode
    value: LazyValue


@dataclass(frozen=True)
class KeyTerms:
    present: FNode
    has: tuple[FNode, ...]  # one per region of an exact domain (none for a lazy key)
    one: FNode | None  # only for keys used as policy variables
    slots: tuple[Slot, ...] = ()  # a lazy key's values


def runs(regions: frozenset[int]) -> list[tuple[int, int]]:
    """Sorted inclusive runs of consecutive region indices."""
    result: list[tuple[int, int]] = []
    for region in sorted(regions):
        if result and result[-1][1] + 1 == region:
            result[-1] = (result[-1][0], region)
        else:
            result.append((region, region))
    return result


class SymbolicRequest:
    """The request variables of one analysis (one per Session; never shared)."""

    def __init__(self, session: Session, vocabulary: Vocabulary) -> None:
        self.session = session
        self.manager: FormulaManager = session.manager
        m = self.manager
        self.vocabulary = vocabulary
        self.axioms: list[FNode] = []
        self.definitions: list[tuple[FNode, FNode]] = []
        """Auxiliary symbols and what they stand for, in order (for `assignment`)."""
        self.lazy_values: list[LazyValue] = []
        """Every lazy value (single variables and key slots), for refinement."""
        self.check_observations: dict[str, int] = {}
        self._fresh = 0
        self.reading = ReadingTerms(m)
        self.action = self._string("action", vocabulary.action)
        self.resource = self._string("resource", vocabulary.resource)
        self.principal = (
            self._string("principal", vocabulary.principal)
            if vocabulary.principal is not None
            else None
        )
        self.keys: dict[str, KeyTerms] = {}
        for number, (key, space) in enumerate(vocabulary.keys.items()):
            self.keys[key] = self._key(number, space)
        self.resource_atoms: dict[Template, FNode] = {
            template: m.Symbol(f"resource_template_{i}")
            for i, template in enumerate(vocabulary.resource_templates)
        }
        self.condition_atoms: dict[tuple[str, ConditionValues], tuple[FNode, FNode]] = {}
        """`some`/`every` atoms of templated condition values, by key and values (conditions)."""
        self.condition_lists: dict[str, dict[ConditionValues, tuple[FNode, FNode]]] = {}
        """`some`/`every` terms of every string value list encoded so far, by key (to relate
        lists where one lies within another: `template_relations`)."""
        self._define()
        self.axioms.extend(principal_fact_axioms(self))
        self.axioms.extend(real_request_axioms(self))

    def fresh(self, prefix: str) -> FNode:
        """A new Boolean symbol (for atoms created while encoding)."""
        self._fresh += 1
        return self.manager.Symbol(f"{prefix}_{self._fresh}")

    def _lazy(self, space: StringSpace, name: str) -> LazyValue:
        value, axioms = lazy_value(space, self.manager, name)
        self.axioms.extend(axioms)
        self.lazy_values.append(value)
        return value

    def _string(self, name: str, space: StringSpace) -> StringTerm:
        if space.lazy:
            return StringTerm(space, None, self._lazy(space, name))
        return StringTerm(space, self.manager.Symbol(name, INT), None)

    def _key(self, number: int, space: KeySpace) -> KeyTerms:
        m = self.manager
        present = m.Symbol(f"present_{number}")
        one = m.Symbol(f"one_{number}") if space.variable else None
        if not space.lazy:
            has = tuple(m.Symbol(f"has_{number}_{r}") for r in range(len(space.domain)))
            return KeyTerms(present, has, one)
        assert space.strings is not None
        slots = tuple(
            Slot(m.Symbol(f"used_{number}_{j}"), self._lazy(space.strings, f"key_{number}_{j}"))
            for j in range(slot_count(space))
        )
        return KeyTerms(present, (), one, slots)

    # --- membership ---------------------------------------------------------------------------

    def in_regions(self, variable: FNode, size: int, regions: frozenset[int]) -> FNode:
        """`variable` (ranging over 0..size-1) is one of `regions`: a disjunction of runs, or
        the negation of the complement's runs when that is shorter."""
        m = self.manager
        if not regions:
            return m.FALSE()
        if len(regions) == size:
            return m.TRUE()
        inside = runs(regions)
        outside = runs(frozenset(range(size)) - regions)
        if len(outside) < len(inside):
            return m.Not(self._any_run(variable, outside))
        return self._any_run(variable, inside)

    def _any_run(self, variable: FNode, spans: list[tuple[int, int]]) -> FNode:
        m = self.manager
        terms = []
        for low, high in spans:
            if low == high:
                terms.append(m.Equals(variable, m.Int(low)))
            else:
                terms.append(m.And(m.LE(m.Int(low), variable), m.LE(variable, m.Int(high))))
        return m.Or(terms)

    def matches(self, term: StringTerm | None, globs: Iterable[Glob]) -> FNode:
        """The variable matches one of `globs` (each one of its space's); false without it."""
        if term is None:
            return self.manager.FALSE()
        if term.value is not None:
            return term.value.matches(self.manager, globs)
        assert term.symbol is not None
        return self.in_regions(term.symbol, term.space.size, term.space.regions(globs))

    def action_matches(self, globs: Iterable[Glob]) -> FNode:
        return self.matches(self.action, globs)

    def resource_matches(self, globs: Iterable[Glob]) -> FNode:
        return self.matches(self.resource, globs)

    def principal_matches(self, globs: Iterable[Glob]) -> FNode:
        """False when the request has no principal (identity policies)."""
        return self.matches(self.principal, globs)

    # --- condition keys -----------------------------------------------------------------------

    def has_any(self, key: str, regions: frozenset[int]) -> FNode:
        """The key has some value in one of `regions` (an exact domain's)."""
        has = self._has(key)
        return self.manager.Or([has[r] for r in sorted(regions)])

    def has_only(self, key: str, regions: frozenset[int]) -> FNode:
        """Every value of the key (there may be none) lies in `regions` (an exact domain's)."""
        has = self._has(key)
        m = self.manager
        return m.And([m.Not(has[r]) for r in range(len(has)) if r not in regions])

    def _has(self, key: str) -> tuple[FNode, ...]:
        terms = self.keys[key]
        if terms.slots:
            raise UndecidedError(f"internal error: regions asked of the lazy key `{key}`")
        return terms.has

    def _space(self, key: str) -> StringSpace:
        strings = self.vocabulary.keys[key].strings
        assert strings is not None, key
        return strings

    def some(self, key: str, globs: Iterable[Glob]) -> FNode:
        """Some value of the (string) key matches one of `globs`."""
        slots = self.keys[key].slots
        if not slots:
            return self.has_any(key, self._space(key).regions(globs))
        m, chosen = self.manager, tuple(globs)
        return m.Or([m.And(s.used, s.value.matches(m, chosen)) for s in slots])

    def every(self, key: str, globs: Iterable[Glob]) -> FNode:
        """Every value of the (string) key (there may be none) matches one of `globs`."""
        slots = self.keys[key].slots
        if not slots:
            return self.has_only(key, self._space(key).regions(globs))
        m, chosen = self.manager, tuple(globs)
        return m.And([m.Implies(s.used, s.value.matches(m, chosen)) for s in slots])

    def nonempty(self, key: str) -> FNode:
        """The key has at least one value."""
        terms = self.keys[key]
        if terms.slots:
            return terms.slots[0].used
        return self.manager.Or(terms.has)

    def exists_value(
        self, key: str, region: Callable[[int], FNode], slot: Callable[[LazyValue], FNode]
    ) -> FNode:
        """Some value of the (string) key has a property: `region(r)` of an exact domain's
        region, `slot(value)` of a lazy value."""
        m, terms = self.manager, self.keys[key]
        if terms.slots:
            return m.Or([m.And(s.used, slot(s.value)) for s in terms.slots])
        return m.Or([m.And(h, region(r)) for r, h in enumerate(terms.has)])

    def every_value(
        self, key: str, region: Callable[[int], FNode], slot: Callable[[LazyValue], FNode]
    ) -> FNode:
        """Every value of the (string) key has a property (see `exists_value`)."""
        m, terms = self.manager, self.keys[key]
        if terms.slots:
            return m.And([m.Implies(s.used, slot(s.value)) for s in terms.slots])
        return m.And([m.Implies(h, region(r)) for r, h in enumerate(terms.has)])

    def resolvable(self, template: Template) -> FNode:
        """Every variable of `template` has a value: the key has exactly one value, or it is
        absent and the variable has a default."""
        m = self.manager
        terms = []
        for variable in template.variables:
            terms_of_key = self.keys[variable.key_lower]
            assert terms_of_key.one is not None
            if variable.default is not None:
                terms.append(m.Or(terms_of_key.one, m.Not(terms_of_key.present)))
            else:
                terms.append(terms_of_key.one)
        return m.And(terms)

    def single_value(self, key: str, value: str) -> FNode:
        """The key has exactly one value, and that value is in the class of the string `value`
        (its region; for a lazy key, its memberships): exact for a one-string class."""
        m = self.manager
        terms = self.keys[key]
        assert terms.one is not None
        space = self.vocabulary.keys[key]
        if terms.slots:
            first, strings = terms.slots[0].value, space.strings
            assert strings is not None
            if value in strings.literal_set:  # its literal pattern decides every other one
                return m.And(terms.one, first.matches(m, [Glob(tuple(value), False)]))
            return m.And(terms.one, first.is_vector(m, strings.vector_of(value)))
        return m.And(terms.one, terms.has[space.domain.region_of(value)])

    def in_states(self, states: tuple[tuple[str, str | None], ...]) -> FNode:
        """Each key in its state: `(key, None)` absent; `(key, text)` one value, `text`."""
        m = self.manager
        terms = []
        for key, text in states:
            if text is None:
                terms.append(m.Not(self.keys[key].present))
            else:
                terms.append(self.single_value(key, text))
        return m.And(terms)

    def matchable(self, template: Template, value: str) -> FNode:
        """What the variables must be for `template` to match the one string `value`: the keys
        in one of the states that solve it (each key absent, its defaults applying, or with one
        value, in that value's class). True when that is not worked out (never a wrong False)."""
        m = self.manager
        found = template.assignments(value)
        if found is None:
            return m.TRUE()
        return m.Or([self.in_states(states) for states in found])

    # --- models -------------------------------------------------------------------------------

    def _describe_term(self, term: StringTerm, cell: Cell) -> FNode:
        m = self.manager
        if term.value is not None:
            return term.value.is_vector(m, cell.vector)
        assert term.symbol is not None
        return m.Equals(term.symbol, m.Int(term.space.exact.region_of(cell.witness)))

    def describe_resource(self, cell: Cell) -> FNode:
        """The resource is in `cell` (its region, or its memberships when lazy)."""
        return self._describe_term(self.resource, cell)

    def key_facts(self, key: str, facts: KeyModel) -> list[FNode]:
        """The key's model facts: presence, regions or slots with their vectors, one value."""
        return self._key_facts(key, facts)

    def _key_facts(self, key: str, facts: KeyModel) -> list[FNode]:
        m = self.manager
        key_terms = self.keys[key]
        terms = [key_terms.present if facts.present else m.Not(key_terms.present)]
        regions = set(facts.regions)
        terms += [h if r in regions else m.Not(h) for r, h in enumerate(key_terms.has)]
        for j, slot in enumerate(key_terms.slots):
            if j < len(facts.cells):
                terms += [slot.used, slot.value.is_vector(m, facts.cells[j].vector)]
            else:
                terms.append(m.Not(slot.used))
        if key_terms.one is not None:
            terms.append(key_terms.one if facts.one else m.Not(key_terms.one))
        return terms

    def _template_facts(self, model: RequestModel, resource: bool) -> list[FNode]:
        """The model's template atoms (with the resource's cell, when `resource`) and the
        facts of the keys of templated conditions."""
        m = self.manager
        terms = [self._describe_term(self.resource, model.resource)] if resource else []
        for template, atom in self.resource_atoms.items():
            terms.append(atom if model.resource_atoms[template] else m.Not(atom))
        for index, (some, every) in self.condition_atoms.items():
            some_value, every_value = model.condition_atoms[index]
            terms.append(some if some_value else m.Not(some))
            terms.append(every if every_value else m.Not(every))
        for key in dict.fromkeys(key for key, _ in self.condition_atoms):
            terms += self._key_facts(key, model.keys[key])
        return terms

    def describes(self, model: RequestModel) -> FNode:
        """The conjunction of every term's value in `model` (to block that abstract request)."""
        m = self.manager
        terms = [
            self._describe_term(self.action, model.action),
            self._describe_term(self.resource, model.resource),
        ]
        if self.principal is not None and model.principal is not None:
            terms.append(self._describe_term(self.principal, model.principal))
        terms += self.reading.describes(model.reading)
        for key in self.keys:
            terms += self._key_facts(key, model.keys[key])
        return m.And(terms + self._template_facts(model, resource=False))

    def rejected(self, model: RequestModel) -> FNode:
        """What to block after no candidate of `model` was confirmed (the search then moves
        on; running out of models is "undecided", so this need not be a fact). Templates are
        where the encoding over-approximates, so where candidates fail: when the model makes
        some template hold, only its template facts (the resource's cell, template atoms, the
        values of keys with templated conditions — e.g. `arn:aws:s3:::${b}` and
        `arn:aws:s3:::${b}/*` both holding: no value of `b` does that); else the whole model."""
        templated = any(model.resource_atoms.values()) or any(
            some or every for some, every in model.condition_atoms.values()
        )
        if not templated:
            return self.describes(model)
        return self.manager.And(self._template_facts(model, resource=True))

    def _assign_string(self, term: StringTerm, value: str, values: dict[FNode, FNode]) -> None:
        m = self.manager
        if term.value is not None:
            values.update(term.value.natural(m, value))
        else:
            assert term.symbol is not None
            values[term.symbol] = m.Int(term.space.exact.region_of(value))

    def assignment(self, request: Request) -> dict[FNode, FNode]:
        """The abstraction of a concrete request: the value of every term (the decoder's
        inverse). Every axiom must hold under it, and every formula must say what the
        reference evaluator says: that is what the encoder's tests check."""
        m = self.manager
        vocabulary = self.vocabulary
        values: dict[FNode, FNode] = {}
        self._assign_string(self.action, request.action, values)
        self._assign_string(self.resource, request.resource, values)
        if self.principal is not None:
            if request.principal is None:
                raise ValueError("this analysis decides for a principal; the request has none")
            self._assign_string(self.principal, request.principal, values)
        values.update(self.reading.assignment(request.reading))
        variables: dict[str, str | None] = {}
        for key, terms in self.keys.items():
            found = request.context_values(key)
            values[terms.present] = m.Bool(found is not None)
            if terms.slots:
                if len(found or ()) > len(terms.slots):
                    raise ValueError(f"more values of `{key}` than the encoding has slots")
                filler = found[0] if found else ""
                for j, slot in enumerate(terms.slots):
                    used = found is not None and j < len(found)
                    values[slot.used] = m.Bool(used)
                    values.update(slot.value.natural(m, found[j] if used and found else filler))
            else:
                regions = {vocabulary.keys[key].domain.region_of(v) for v in found or ()}
                values.update((h, m.Bool(r in regions)) for r, h in enumerate(terms.has))
            single = found is not None and len(found) == 1
            if terms.one is not None:
                values[terms.one] = m.Bool(single)
            if found is not None:
                variables[key] = found[0] if single else None
        for template, atom in self.resource_atoms.items():
            glob = template.instantiate(variables)
            values[atom] = m.Bool(glob is not None and glob.matches(request.resource))
        for (key, condition), (some, every) in self.condition_atoms.items():
            globs = [*condition.globs]
            globs += [g for t in condition.templates if (g := t.instantiate(variables))]
            matched = [any(g.matches(v) for g in globs) for v in request.context_values(key) or ()]
            values[some] = m.Bool(any(matched))
            values[every] = m.Bool(all(matched))
        for symbol, definition in self.definitions:
            values[symbol] = self.session.substitute(definition, values)
        return values

    # --- well-formedness ----------------------------------------------------------------------

    def _define(self) -> None:
        m = self.manager
        vocabulary = self.vocabulary
        for term in (self.action, self.resource, self.principal):
            if term is not None and term.symbol is not None:
                self.axioms.append(
                    m.And(m.LE(m.Int(0), term.symbol), m.LT(term.symbol, m.Int(term.space.size)))
                )
        for terms in self.keys.values():
            self.axioms.extend(m.Implies(h, terms.present) for h in terms.has)
            if terms.slots:
                self._slot_axioms(terms)
            elif terms.one is not None:
                self.axioms.append(m.Implies(terms.one, self._exactly_one(terms.has)))
        space = vocabulary.resource
        atoms = list(self.resource_atoms.items())
        for n, (template, atom) in enumerate(atoms):
            for other_template, other in atoms:
                if other_template is not template and template.within(other_template):
                    self.axioms.append(m.Implies(atom, other))
            for other_template, other in atoms[n + 1 :]:
                if template.disjoint_from(other_template):
                    self.axioms.append(m.Not(m.And(atom, other)))
                apart = disjoint_lengths(template, other_template)
                if apart is not None:
                    self.axioms.append(m.Implies(one_value(self, apart), m.Not(m.And(atom, other))))
                for a, b, x, y in (
                    (template, other_template, atom, other),
                    (other_template, template, other, atom),
                ):
                    related = implication(self, [a], [b], [(x, y)])
                    if related is not None:
                        self.axioms.append(related)
        for template, atom in self.resource_atoms.items():
            self.axioms.append(m.Implies(atom, self.resource_matches([template.shape()])))
            self.axioms.append(m.Implies(atom, self.resolvable(template)))
            for instance in vocabulary.instances.get((None, template), ()):
                exact = self.resource_matches([instance.glob])
                self.axioms.append(m.Implies(self.in_states(instance.states), m.Iff(atom, exact)))
            shape = template.shape()
            texts = [t for t in space.literal_texts if shape.matches(t)]
            for text in sorted(texts)[:SINGLETON_LIMIT]:
                this = self.resource_matches([Glob(tuple(text), False)])
                needs = self.matchable(template, text)
                self.axioms.append(m.Implies(m.And(atom, this), needs))

    def _slot_axioms(self, terms: KeyTerms) -> None:
        """Slots are used in order, only when the key is present; `one` is "exactly the first"."""
        m = self.manager
        slots = terms.slots
        self.axioms.append(m.Implies(slots[0].used, terms.present))
        for earlier, later in itertools.pairwise(slots):
            self.axioms.append(m.Implies(later.used, earlier.used))
        if terms.one is not None:
            self.axioms.append(m.Iff(terms.one, m.And(slots[0].used, m.Not(slots[1].used))))

    def _exactly_one(self, terms: tuple[FNode, ...]) -> FNode:
        """A linear (ladder) encoding: some term, and no term after an earlier one."""
        m = self.manager
        constraints = [m.Or(terms)]
        seen: FNode | None = None
        for term in terms:
            if seen is not None:
                constraints.append(m.Implies(term, m.Not(seen)))
                following = self.fresh("seen")
                constraints.append(m.Iff(following, m.Or(seen, term)))
                self.definitions.append((following, m.Or(seen, term)))
                seen = following
            else:
                seen = term
        return m.And(constraints)
