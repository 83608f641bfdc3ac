"""The symbolic request: every request of the query's world as pySMT terms.

- `action`, `resource` and (for resource policies) `principal` are Int symbols ranging over the
  regions of their `StringSpace`; "matches these patterns" is a disjunction of region runs.
- Each condition key has `present` and one Boolean per region of its domain ("the request has
  a value in that region"); a key used as a policy variable also has `one` ("exactly one
  value"), because only a single-valued key gives a variable a value.
- Each templated Resource pattern has an atom ("the resource matches the template under the
  request's variable values"); condition templates get atoms in `conditions`. Their defining
  constraints go into `axioms`, which the analysis asserts before every query.

Checks constrain this request further (`in_regions`, the `principal` term) to ask their own
questions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pysmt.fnode import FNode
from pysmt.formula import FormulaManager
from pysmt.typing import INT

from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import ConditionValues, StringSpace, Vocabulary

if TYPE_CHECKING:
    from policy_guard.encode.decoded import RequestModel
    from policy_guard.request import Request
    from policy_guard.solver import Session

SINGLETON_LIMIT = 256


@dataclass(frozen=True)
class KeyTerms:
    present: FNode
    has: tuple[FNode, ...]
    one: FNode | None  # only for keys used as policy variables


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
        manager = self.manager
        self.vocabulary = vocabulary
        m = manager
        self.action = m.Symbol("action", INT)
        self.resource = m.Symbol("resource", INT)
        self.principal = m.Symbol("principal", INT) if vocabulary.principal is not None else None
        self.keys: dict[str, KeyTerms] = {}
        for number, (key, space) in enumerate(vocabulary.keys.items()):
            self.keys[key] = KeyTerms(
                m.Symbol(f"present_{number}"),
                tuple(m.Symbol(f"has_{number}_{r}") for r in range(len(space.domain))),
                m.Symbol(f"one_{number}") if space.variable else None,
            )
        self.resource_atoms: dict[Template, FNode] = {
            template: m.Symbol(f"resource_template_{i}")
            for i, template in enumerate(vocabulary.resource_templates)
        }
        self.condition_atoms: dict[tuple[str, ConditionValues], tuple[FNode, FNode]] = {}
        """`some`/`every` atoms of templated condition values, by key and values (conditions)."""
        self.axioms: list[FNode] = []
        self.definitions: list[tuple[FNode, FNode]] = []
        """Auxiliary symbols and what they stand for, in order (for `assignment`)."""
        self._fresh = 0
        self._define()

    def fresh(self, prefix: str) -> FNode:
        """A new Boolean symbol (for atoms created while encoding)."""
        self._fresh += 1
        return self.manager.Symbol(f"{prefix}_{self._fresh}")

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

    def action_in(self, regions: frozenset[int]) -> FNode:
        return self.in_regions(self.action, self.vocabulary.action.size, regions)

    def resource_in(self, regions: frozenset[int]) -> FNode:
        return self.in_regions(self.resource, self.vocabulary.resource.size, regions)

    def principal_in(self, regions: frozenset[int]) -> FNode:
        """False when the request has no principal (identity policies)."""
        space = self.vocabulary.principal
        if self.principal is None or space is None:
            return self.manager.FALSE()
        return self.in_regions(self.principal, space.size, regions)

    def has_any(self, key: str, regions: frozenset[int]) -> FNode:
        """The key has some value in one of `regions`."""
        has = self.keys[key].has
        return self.manager.Or([has[r] for r in sorted(regions)])

    def has_only(self, key: str, regions: frozenset[int]) -> FNode:
        """Every value of the key (there may be none) lies in `regions`."""
        has = self.keys[key].has
        m = self.manager
        return m.And([m.Not(has[r]) for r in range(len(has)) if r not in regions])

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

    def in_states(self, states: tuple[tuple[str, int | None], ...]) -> FNode:
        """Each key in its state: `(key, None)` absent; `(key, r)` one value, in region r."""
        m = self.manager
        terms = []
        for key, region in states:
            key_terms = self.keys[key]
            if region is None:
                terms.append(m.Not(key_terms.present))
            else:
                assert key_terms.one is not None
                terms.append(m.And(key_terms.one, key_terms.has[region]))
        return m.And(terms)

    def matchable(self, template: Template, value: str) -> FNode:
        """What the variables must be for `template` to match the one string `value`: the key
        has one of the values that solve it (in their regions), or is absent and the defaults
        solve it. True when that is not worked out (never a wrong False)."""
        m = self.manager
        solutions = template.solutions(value)
        if solutions is None:
            return m.TRUE()
        (key,) = {v.key_lower for v in template.variables}
        domain = self.vocabulary.keys[key].domain
        states = [(key, None if v is None else domain.region_of(v)) for v in solutions]
        return m.Or([self.in_states((state,)) for state in dict.fromkeys(states)])

    def describes(self, model: RequestModel) -> FNode:
        """The conjunction of every term's value in `model` (to block that abstract request)."""
        m = self.manager
        terms = [
            m.Equals(self.action, m.Int(model.action)),
            m.Equals(self.resource, m.Int(model.resource)),
        ]
        if self.principal is not None and model.principal is not None:
            terms.append(m.Equals(self.principal, m.Int(model.principal)))
        for key, key_terms in self.keys.items():
            facts = model.keys[key]
            terms.append(key_terms.present if facts.present else m.Not(key_terms.present))
            regions = set(facts.regions)
            terms += [h if r in regions else m.Not(h) for r, h in enumerate(key_terms.has)]
            if key_terms.one is not None:
                terms.append(key_terms.one if facts.one else m.Not(key_terms.one))
        for template, atom in self.resource_atoms.items():
            terms.append(atom if model.resource_atoms[template] else m.Not(atom))
        for index, (some, every) in self.condition_atoms.items():
            some_value, every_value = model.condition_atoms[index]
            terms.append(some if some_value else m.Not(some))
            terms.append(every if every_value else m.Not(every))
        return m.And(terms)

    def assignment(self, request: Request) -> dict[FNode, FNode]:
        """The abstraction of a concrete request: the value of every term (the decoder's
        inverse). Every axiom must hold under it, and every formula must say what the
        reference evaluator says: that is what the encoder's tests check."""
        m = self.manager
        vocabulary = self.vocabulary
        values: dict[FNode, FNode] = {
            self.action: m.Int(vocabulary.action.partition.region_of(request.action)),
            self.resource: m.Int(vocabulary.resource.partition.region_of(request.resource)),
        }
        if self.principal is not None and vocabulary.principal is not None:
            if request.principal is None:
                raise ValueError("this analysis decides for a principal; the request has none")
            values[self.principal] = m.Int(
                vocabulary.principal.partition.region_of(request.principal)
            )
        variables: dict[str, str | None] = {}
        for key, terms in self.keys.items():
            found = request.context_values(key)
            regions = {vocabulary.keys[key].domain.region_of(v) for v in found or ()}
            values[terms.present] = m.Bool(found is not None)
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

    def _range(self, variable: FNode, space: StringSpace) -> FNode:
        m = self.manager
        return m.And(m.LE(m.Int(0), variable), m.LT(variable, m.Int(space.size)))

    def _define(self) -> None:
        m = self.manager
        vocabulary = self.vocabulary
        self.axioms.append(self._range(self.action, vocabulary.action))
        self.axioms.append(self._range(self.resource, vocabulary.resource))
        if self.principal is not None and vocabulary.principal is not None:
            self.axioms.append(self._range(self.principal, vocabulary.principal))
        for terms in self.keys.values():
            self.axioms.extend(m.Implies(h, terms.present) for h in terms.has)
            if terms.one is not None:
                self.axioms.append(m.Implies(terms.one, self._exactly_one(terms.has)))
        for template, atom in self.resource_atoms.items():
            shape = vocabulary.resource.regions([template.shape()])
            self.axioms.append(m.Implies(atom, self.resource_in(shape)))
            self.axioms.append(m.Implies(atom, self.resolvable(template)))
            for instance in vocabulary.instances.get((None, template), ()):
                exact = self.resource_in(vocabulary.resource.regions([instance.glob]))
                self.axioms.append(m.Implies(self.in_states(instance.states), m.Iff(atom, exact)))
            space = vocabulary.resource
            for region in sorted(shape & space.singletons)[:SINGLETON_LIMIT]:
                this = m.Equals(self.resource, m.Int(region))
                needs = self.matchable(template, space.partition.witnesses[region])
                self.axioms.append(m.Implies(m.And(atom, this), needs))

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
