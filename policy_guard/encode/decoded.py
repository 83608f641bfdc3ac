"""The decoder: what one solver model says about the request, as cells and region numbers.

`read_model` reads the symbolic request's terms from the last satisfiable query. A string
variable over an exact space is read as its region's cell; over a lazy space as a membership
vector, which `encode.cores.Realizer` turns into a cell (a string with exactly those
memberships) or, when no string has them, into a core to block (`Refinement`). The result is
the abstract request that `policy_guard.encode.concretize` turns into concrete candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pysmt.fnode import FNode

from policy_guard.encode.cores import Core, Realizer, Unknown
from policy_guard.encode.lazy import LazyValue
from policy_guard.encode.request_terms import StringTerm, SymbolicRequest
from policy_guard.encode.solver import Session
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, ConditionValues
from policy_guard.semantics.reading import USUAL, Reading


@dataclass(frozen=True)
class KeyModel:
    present: bool
    regions: tuple[int, ...]  # an exact domain's regions with a value
    one: bool | None
    cells: tuple[Cell, ...] = ()  # a lazy key's values, in slot order


@dataclass(frozen=True)
class RequestModel:
    """The abstract request of one model: cells, key facts and template atoms."""

    action: Cell
    resource: Cell
    principal: Cell | None
    keys: Mapping[str, KeyModel]
    resource_atoms: Mapping[Template, bool]
    condition_atoms: Mapping[tuple[str, ConditionValues], tuple[bool, bool]]
    reading: Reading = USUAL


@dataclass(frozen=True)
class Refinement:
    """The model's memberships for some lazy values have no string: block these cores (facts);
    or could not be settled: set these vectors aside (`unknown`; not facts)."""

    cores: tuple[tuple[LazyValue, Core], ...]
    unknown: tuple[tuple[LazyValue, frozenset[int]], ...] = ()


class _Reader:
    def __init__(self, session: Session, realizer: Realizer) -> None:
        self.session = session
        self.realizer = realizer
        self.cores: list[tuple[LazyValue, Core]] = []
        self.unknown: list[tuple[LazyValue, frozenset[int]]] = []

    def lazy(self, value: LazyValue) -> Cell | None:
        held = self.session.bool_values(value.atoms)
        vector = frozenset(i for i, holds in enumerate(held) if holds)
        found = self.realizer.witness(value.space, vector)
        if isinstance(found, Core):
            self.cores.append((value, found))
            return None
        if isinstance(found, Unknown):
            self.unknown.append((value, vector))
            return None
        return Cell(vector, found)

    def string(self, term: StringTerm) -> Cell | None:
        if term.value is not None:
            return self.lazy(term.value)
        assert term.symbol is not None
        return term.space.cell(self.session.int_value(term.symbol))


def read_model(
    session: Session, request: SymbolicRequest, realizer: Realizer
) -> RequestModel | Refinement:
    """Decode the last satisfiable query's model (or the cores that rule it out)."""
    reader = _Reader(session, realizer)
    action = reader.string(request.action)
    resource = reader.string(request.resource)
    principal = reader.string(request.principal) if request.principal is not None else None
    flags: list[FNode] = []  # every single Boolean the model is read for, at once
    for terms in request.keys.values():
        flags += [terms.present, *(slot.used for slot in terms.slots), *terms.has]
        flags += [terms.one] if terms.one is not None else []
    flags += request.resource_atoms.values()
    flags += request.reading.symbols.values()
    for some, every in request.condition_atoms.values():
        flags += [some, every]
    value = dict(zip(flags, session.bool_values(flags), strict=True))
    keys: dict[str, KeyModel] = {}
    for key, terms in request.keys.items():
        cells: list[Cell] = []
        for slot in terms.slots:
            if not value[slot.used]:
                break
            cell = reader.lazy(slot.value)
            if cell is not None:
                cells.append(cell)
        keys[key] = KeyModel(
            value[terms.present],
            tuple(r for r, has in enumerate(terms.has) if value[has]),
            value[terms.one] if terms.one is not None else None,
            tuple(cells),
        )
    if reader.cores or reader.unknown:
        return Refinement(tuple(reader.cores), tuple(reader.unknown))
    assert action is not None and resource is not None
    return RequestModel(
        action=action,
        resource=resource,
        principal=principal,
        keys=keys,
        resource_atoms={t: value[a] for t, a in request.resource_atoms.items()},
        condition_atoms={
            k: (value[some], value[every]) for k, (some, every) in request.condition_atoms.items()
        },
        reading=request.reading.read(value),
    )
