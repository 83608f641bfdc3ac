"""The decoder: what one solver model says about the request, as cells and region numbers.

`read_model` reads the symbolic request's terms from the last satisfiable query. A string
variable over an exact space is read as its region's cell; over a lazy space as a membership
vector, which `encode.cores.Realizer` turns into a cell (a string with exactly those
memberships) or, when no string has them, into a core to block (`Refinement`). The result is
the abstract request that `policy_guard.explain` turns into concrete candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policy_guard.encode.cores import Core, Realizer
from policy_guard.encode.lazy import LazyValue
from policy_guard.encode.request_terms import StringTerm, SymbolicRequest
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import Cell, ConditionValues
from policy_guard.solver import Session


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


@dataclass(frozen=True)
class Refinement:
    """The model's memberships for some lazy values have no string: block these cores."""

    cores: tuple[tuple[LazyValue, Core], ...]


class _Reader:
    def __init__(self, session: Session, realizer: Realizer) -> None:
        self.session = session
        self.realizer = realizer
        self.cores: list[tuple[LazyValue, Core]] = []

    def lazy(self, value: LazyValue) -> Cell | None:
        held = self.session.bool_values(value.atoms)
        vector = frozenset(i for i, holds in enumerate(held) if holds)
        found = self.realizer.witness(value.space, vector)
        if isinstance(found, Core):
            self.cores.append((value, found))
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
    keys: dict[str, KeyModel] = {}
    for key, terms in request.keys.items():
        cells: list[Cell] = []
        for slot in terms.slots:
            if not session.bool_value(slot.used):
                break
            cell = reader.lazy(slot.value)
            if cell is not None:
                cells.append(cell)
        has = session.bool_values(terms.has)
        keys[key] = KeyModel(
            session.bool_value(terms.present),
            tuple(r for r, holds in enumerate(has) if holds),
            session.bool_value(terms.one) if terms.one is not None else None,
            tuple(cells),
        )
    if reader.cores:
        return Refinement(tuple(reader.cores))
    assert action is not None and resource is not None
    return RequestModel(
        action=action,
        resource=resource,
        principal=principal,
        keys=keys,
        resource_atoms={t: session.bool_value(a) for t, a in request.resource_atoms.items()},
        condition_atoms={
            k: (session.bool_value(some), session.bool_value(every))
            for k, (some, every) in request.condition_atoms.items()
        },
    )
