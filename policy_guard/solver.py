"""The one seam to pySMT: a fresh environment and one incremental solver per analysis.

Everything the engine builds lives in the `Session`'s own `pysmt.environment.Environment`, so
two analyses never share formulas, symbols or caches, and nothing is kept at module level.
pySMT's exceptions are translated here and nowhere else: a timeout, an `unknown` answer or a
solver failure becomes `UndecidedError` (never a PASS). The budget (`timeout`) is wall-clock for
the whole analysis: each query gets what is left of it, as the solver's own limit (z3 `timeout`,
cvc5 `tlimit-per`), and a query is refused once it is spent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from pysmt.environment import Environment
from pysmt.exceptions import (
    NoSolverAvailableError,
    PysmtException,
    SolverReturnedUnknownResultError,
)
from pysmt.fnode import FNode
from pysmt.formula import FormulaManager
from pysmt.logics import QF_LIA

from policy_guard.errors import UndecidedError

SOLVERS = ("z3", "cvc5")


class Session:
    """One analysis: `manager` builds its formulas; `add` and `satisfiable` query one solver.

    Use as a context manager (the solver is released on exit). `push`/`pop` scope assertions.
    """

    def __init__(self, solver: str = "z3", timeout: float | None = None) -> None:
        if solver not in SOLVERS:
            raise UndecidedError(f"unknown solver `{solver}` (choose one of {', '.join(SOLVERS)})")
        if timeout is not None and timeout <= 0:
            raise UndecidedError(f"the timeout must be positive, not `{timeout:g}`")
        self.solver_name = solver
        self.timeout = timeout
        self.environment = Environment()
        self.manager: FormulaManager = self.environment.formula_manager
        self._started = time.monotonic()
        self._solver: Any = None

    def __enter__(self) -> Session:
        try:
            self._solver = self.environment.factory.Solver(name=self.solver_name, logic=QF_LIA)
        except NoSolverAvailableError:
            raise UndecidedError(f"the solver `{self.solver_name}` is not installed") from None
        except PysmtException as error:
            raise UndecidedError(f"cannot start the solver `{self.solver_name}`: {error}") from None
        if self.solver_name == "z3":
            _own_z3_context(self._solver, self.environment)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._solver is not None:
            self._solver.exit()
            self._solver = None

    @property
    def _active(self) -> Any:
        if self._solver is None:
            raise RuntimeError("Session used outside its `with` block")
        return self._solver

    def check_time(self) -> None:
        """Raise UndecidedError once the analysis has used up its budget (also between queries)."""
        if self.timeout is not None and time.monotonic() - self._started >= self.timeout:
            raise UndecidedError(self._timed_out())

    def _timed_out(self) -> str:
        return f"timed out after {self.timeout:g} s"

    def _limit_query(self) -> None:
        if self.timeout is None:
            return
        left = self.timeout - (time.monotonic() - self._started)
        if left <= 0:
            raise UndecidedError(self._timed_out())
        milliseconds = max(1, int(left * 1000))
        if self.solver_name == "z3":
            self._active.z3.set("timeout", milliseconds)
        else:
            self._active.cvc5.setOption("tlimit-per", str(milliseconds))

    def add(self, formula: FNode) -> None:
        try:
            self._active.add_assertion(formula)
        except PysmtException as error:
            raise UndecidedError(
                f"the solver `{self.solver_name}` rejected a formula: {error}"
            ) from None

    def push(self) -> None:
        self._active.push()

    def pop(self) -> None:
        self._active.pop()

    def satisfiable(self) -> bool:
        """Is the conjunction of the assertions satisfiable? Unknown or out of time: Undecided."""
        self._limit_query()
        try:
            return bool(self._active.solve())
        except SolverReturnedUnknownResultError:
            if self.timeout is not None and time.monotonic() - self._started >= self.timeout * 0.95:
                raise UndecidedError(self._timed_out()) from None
            raise UndecidedError(f"the solver `{self.solver_name}` answered `unknown`") from None
        except PysmtException as error:
            raise UndecidedError(f"the solver `{self.solver_name}` failed: {error}") from None

    def simplify(self, formula: FNode) -> FNode:
        """pySMT's simplifier of this session's environment (`FNode.simplify` would use the
        global one)."""
        return self.environment.simplifier.simplify(formula)

    def substitute(self, formula: FNode, values: dict[FNode, FNode]) -> FNode:
        """`formula` with symbols replaced by `values`, simplified (in this environment)."""
        return self.simplify(self.environment.substituter.substitute(formula, values))

    def int_value(self, symbol: FNode) -> int:
        """The value of an Int symbol in the model of the last satisfiable query."""
        return int(self._active.get_value(symbol).constant_value())

    def bool_value(self, symbol: FNode) -> bool:
        """The value of a Bool symbol in the model of the last satisfiable query."""
        return bool(self._active.get_value(symbol).is_true())

    def bool_values(self, symbols: Sequence[FNode]) -> list[bool]:
        """The values of Bool symbols in the last model, read at once (pySMT's z3 back end
        fetches the whole model again for every single value)."""
        if self.solver_name != "z3" or not symbols:
            return [self.bool_value(symbol) for symbol in symbols]
        import z3

        solver = self._active
        model = solver.z3.model()
        convert = solver.converter.convert
        return [bool(z3.is_true(model.eval(convert(s), model_completion=True))) for s in symbols]


def _own_z3_context(solver: Any, environment: Environment) -> None:
    """Give a pySMT z3 solver a z3 context of its own. pySMT builds every z3 solver in z3's one
    global context, so symbols of the same name are shared by all analyses of a process, the
    context only grows (a sweep runs thousands of analyses), and a solver's answers depend on
    what ran before it. A fresh context (freed with the solver) makes each analysis stand alone;
    the pySMT options are applied again to the new solver."""
    import z3
    from pysmt.solvers.z3 import Z3Converter

    context = z3.Context()
    solver.z3 = z3.SolverFor(str(QF_LIA), ctx=context)
    solver.options(solver)
    solver.converter = Z3Converter(environment, z3_ctx=context)
