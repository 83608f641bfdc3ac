"""One question, end to end: compile, encode, solve, decode, confirm (Cedar's symcc pipeline).

`Analysis` owns everything of one question: the vocabulary (compiled patterns and domains),
a fresh pySMT session, the symbolic request and the statement encoder. Checks state their
property as a formula that is *satisfiable exactly when the property is violated* and call:

- `prove(violation, confirm)`: Holds, or Violated with a concrete request that `confirm`
  (the reference evaluator) accepts. A model that no candidate request confirms raises
  UndecidedError: never an unconfirmed counterexample, never a PASS on a guess.
- `localise(violation, statements, confirm)`: for each statement, a confirmed request in which
  it takes part (one solver call per statement not already covered by an earlier request).

The solver is skipped when the violation simplifies to a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from pysmt.fnode import FNode

from policy_guard.encode.decoded import read_model
from policy_guard.encode.request_terms import SymbolicRequest
from policy_guard.encode.statements import StatementEncoder
from policy_guard.encode.vocabulary import Vocabulary, build_vocabulary
from policy_guard.errors import UndecidedError
from policy_guard.explain import concretize
from policy_guard.globs import Kind, compile_pattern
from policy_guard.model import Policy, PrincipalEntry, Statement
from policy_guard.request import Request
from policy_guard.solver import Session

CANDIDATE_LIMIT = 16
MODEL_LIMIT = 8


@dataclass(frozen=True)
class Holds:
    """No request violates the property."""


@dataclass(frozen=True)
class Violated:
    """A confirmed counterexample."""

    request: Request


Verdict = Holds | Violated


class Analysis:
    """The pipeline for one question over `policies` (use as a context manager).

    `principal_in_request`: resource policies decide for a principal (every request has one,
    `anonymous` included); identity policies for the identity they are attached to (none).
    `extra_*`: patterns the question itself compares the request with (`--access`, ...).
    """

    def __init__(
        self,
        policies: Sequence[Policy],
        *,
        solver: str = "z3",
        timeout: float | None = None,
        principal_in_request: bool = False,
        extra_actions: Sequence[str] = (),
        extra_resources: Sequence[str] = (),
        extra_principals: Sequence[PrincipalEntry] = (),
    ) -> None:
        self.session = Session(solver, timeout)
        self.vocabulary: Vocabulary = build_vocabulary(
            policies,
            principal_in_request=principal_in_request,
            extra_actions=extra_actions,
            extra_resources=extra_resources,
            extra_principals=extra_principals,
        )
        self.session.check_time()
        self.request = SymbolicRequest(self.session, self.vocabulary)
        self.statements = StatementEncoder(self.request)
        self._asserted = 0

    def __enter__(self) -> Analysis:
        self.session.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.__exit__(kind, error, traceback)

    # --- what checks build their properties from ----------------------------------------------

    def allows(self, policy: Policy) -> FNode:
        return self.statements.allows(policy)

    def matches(self, policy: Policy, statement: Statement) -> FNode:
        return self.statements.matches(policy, statement)

    def action_in(self, patterns: Sequence[str]) -> FNode:
        """The action matches one of `patterns` (IAM action wildcards)."""
        globs = [compile_pattern(p, Kind.ACTION) for p in patterns]
        return self.request.action_in(self.vocabulary.action.regions(globs))

    def resource_in(self, patterns: Sequence[str]) -> FNode:
        """The resource matches one of `patterns` (Resource-element wildcards)."""
        globs = [compile_pattern(p, Kind.RESOURCE) for p in patterns]
        return self.request.resource_in(self.vocabulary.resource.regions(globs))

    def principal_in(self, entries: Sequence[PrincipalEntry]) -> FNode:
        """The principal is named by one of `entries` (Principal-element rules)."""
        return self.statements.principal_matches(tuple(entries))

    # --- solving ------------------------------------------------------------------------------

    def _sync_axioms(self) -> None:
        axioms = self.request.axioms
        while self._asserted < len(axioms):
            self.session.add(axioms[self._asserted])
            self._asserted += 1

    def _search(self, formula: FNode, accept: Callable[[Request], bool]) -> Search:
        """A model of `formula` with a concrete request that `accept` confirms.

        A model none of whose candidates confirms is blocked and the next one tried (at most
        MODEL_LIMIT): that can only find a confirmed counterexample, never prove its absence,
        so running out of models after a rejected one is "undecided", not "holds".
        """
        simplified = self.session.simplify(formula)
        if simplified.is_false():
            return Search(False, None, ())
        self._sync_axioms()
        rejected: list[Request] = []
        self.session.push()
        try:
            self.session.add(simplified)
            for _ in range(MODEL_LIMIT):
                if not self.session.satisfiable():
                    break
                model = read_model(self.session, self.request)
                candidates = concretize(model, self.vocabulary, limit=CANDIDATE_LIMIT)
                for request in candidates:
                    if accept(request):
                        return Search(True, request, tuple(rejected))
                rejected.extend(candidates[:1])
                self.session.add(self.session.manager.Not(self.request.describes(model)))
                self.session.check_time()
        finally:
            self.session.pop()
        return Search(bool(rejected), None, tuple(rejected))

    def prove(self, violation: FNode, confirm: Callable[[Request], bool]) -> Verdict:
        """Holds when `violation` is unsatisfiable; else a request that `confirm` accepts."""
        search = self._search(violation, confirm)
        if not search.satisfiable:
            return Holds()
        if search.request is None:
            raise UndecidedError(_unconfirmed(search.rejected))
        return Violated(search.request)

    def localise(
        self,
        violation: FNode,
        statements: Sequence[tuple[Policy, Statement]],
        covers: Callable[[Request], frozenset[int]],
        known: Sequence[Request] = (),
    ) -> dict[int, Request]:
        """For each statement (by index) that can take part in a violation, a request in which
        it does. `covers(request)`: the statement indices a confirmed violation involves
        (empty when the evaluator does not confirm it); `known`: requests already confirmed."""
        found: dict[int, Request] = {}
        for request in known:
            for index in covers(request):
                found.setdefault(index, request)
        for policy, statement in statements:
            if statement.index in found:
                continue
            self.session.check_time()
            formula = self.session.manager.And(violation, self.matches(policy, statement))
            search = self._search(formula, _involving(covers, statement.index))
            if search.request is not None:
                for index in covers(search.request):
                    found.setdefault(index, search.request)
            elif search.satisfiable:
                raise UndecidedError(_unconfirmed(search.rejected, statement))
        return dict(sorted(found.items()))


def _involving(
    covers: Callable[[Request], frozenset[int]], index: int
) -> Callable[[Request], bool]:
    return lambda request: index in covers(request)


@dataclass(frozen=True)
class Search:
    """What `_search` found: satisfiable at all; a confirmed request; the rejected ones."""

    satisfiable: bool
    request: Request | None
    rejected: tuple[Request, ...]


def _unconfirmed(candidates: Sequence[Request], statement: Statement | None = None) -> str:
    where = f" (statement {statement.label})" if statement is not None else ""
    shown = candidates[0].to_json() if candidates else {}
    return (
        f"the solver found a possible counterexample{where} that the reference evaluator does "
        f"not confirm ({shown}); policy-guard cannot decide this query exactly"
    )
