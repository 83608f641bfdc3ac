"""The reading as free symbolic state: one Boolean per choice of `semantics.reading.Reading`.

One set per symbolic request, so every policy of a question is read alike (old and new see the
same service): a formula holds for every reading unless it says otherwise, and a model's values
are the reading its counterexample needs. The NotPrincipal rule that reads them is here too
(`not_principal_excepts`), the encoding of `semantics.principals.NotPrincipalParts.excepts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields

from pysmt.fnode import FNode
from pysmt.formula import FormulaManager

from policy_guard.policy.arns import ACCOUNT_IAM, ACCOUNT_STS, SESSION, shape
from policy_guard.policy.globs import Glob
from policy_guard.semantics.principals import IAM_PRINCIPALS, NotPrincipalParts
from policy_guard.semantics.reading import USUAL, Reading

Membership = Callable[[Iterable[Glob]], FNode]


class ReadingTerms:
    """A Boolean symbol per reading choice, named after it.

    A choice no formula has asked for (`used`) cannot change an answer: the question has no
    NotPrincipal, or no pattern the ARN-case reading changes. A model's value for it is the
    solver's whim, so a model reads it as usual (`read`), and a rejected model is blocked
    without it (`describes`): otherwise each candidate request would be tried once more under
    an unusual reading that decides nothing, and the same model come back with it flipped."""

    def __init__(self, manager: FormulaManager) -> None:
        self.manager = manager
        self.symbols: dict[str, FNode] = {
            f.name: manager.Symbol(f"reading_{f.name}") for f in fields(Reading)
        }
        self.used: set[str] = set()

    def __getitem__(self, name: str) -> FNode:
        self.used.add(name)
        return self.symbols[name]

    def read(self, values: dict[FNode, bool]) -> Reading:
        """The reading of a model (`values`: each symbol's value; unused choices as usual)."""
        return Reading(
            **{
                name: values[symbol] if name in self.used else getattr(USUAL, name)
                for name, symbol in self.symbols.items()
            }
        )

    def describes(self, reading: Reading) -> list[FNode]:
        """The used choices of `reading`, as literals."""
        m = self.manager
        return [
            symbol if getattr(reading, name) else m.Not(symbol)
            for name, symbol in self.symbols.items()
            if name in self.used
        ]

    def assignment(self, reading: Reading) -> dict[FNode, FNode]:
        m = self.manager
        return {symbol: m.Bool(getattr(reading, name)) for name, symbol in self.symbols.items()}


def not_principal_excepts(
    terms: ReadingTerms, parts: NotPrincipalParts, within: Membership, deny: bool
) -> FNode:
    """The principal is excepted from a NotPrincipal statement (`within(globs)`: it matches
    one of `globs`, each among the globs `parts.globs()` gave the principal's space)."""
    m = terms.manager
    if parts.everyone:
        return m.TRUE()
    session = within([shape(SESSION)])
    in_sessions = within(parts.sessions)
    itself = m.Or(within(parts.listed), m.And(terms["role_names_sessions"], session, in_sessions))
    has_account = within([shape(ACCOUNT_IAM), shape(ACCOUNT_STS)])
    account = m.Implies(m.And(terms["checks_account"], has_account), within(parts.accounts))
    role = m.Implies(m.And(terms["checks_role"], session), in_sessions)
    excepted = m.And(itself, account, role)
    if not deny:
        return excepted
    boundary = m.And(terms["permissions_boundary"], within([shape(p) for p in IAM_PRINCIPALS]))
    return m.And(m.Not(boundary), excepted)
