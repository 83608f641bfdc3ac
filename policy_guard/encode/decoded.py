"""The decoder: what one solver model says about the request, in region numbers.

`read_model` reads the symbolic request's terms from the last satisfiable query; the result is
the abstract request that `policy_guard.explain` turns into concrete candidates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.templates import Template
from policy_guard.encode.vocabulary import ConditionValues
from policy_guard.solver import Session


@dataclass(frozen=True)
class KeyModel:
    present: bool
    regions: tuple[int, ...]
    one: bool | None


@dataclass(frozen=True)
class RequestModel:
    """The abstract request of one model: regions, key facts and template atoms."""

    action: int
    resource: int
    principal: int | None
    keys: Mapping[str, KeyModel]
    resource_atoms: Mapping[Template, bool]
    condition_atoms: Mapping[tuple[str, ConditionValues], tuple[bool, bool]]


def read_model(session: Session, request: SymbolicRequest) -> RequestModel:
    """Decode the last satisfiable query's model."""
    keys = {
        key: KeyModel(
            session.bool_value(terms.present),
            tuple(r for r, has in enumerate(terms.has) if session.bool_value(has)),
            session.bool_value(terms.one) if terms.one is not None else None,
        )
        for key, terms in request.keys.items()
    }
    return RequestModel(
        action=session.int_value(request.action),
        resource=session.int_value(request.resource),
        principal=session.int_value(request.principal) if request.principal is not None else None,
        keys=keys,
        resource_atoms={t: session.bool_value(a) for t, a in request.resource_atoms.items()},
        condition_atoms={
            k: (session.bool_value(some), session.bool_value(every))
            for k, (some, every) in request.condition_atoms.items()
        },
    )
