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
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Any

from pysmt.environment import Environment
from pysmt.exceptions import (
    NoLogicAvailableError,
    PysmtException,
    SolverAPINotFound,
    SolverReturnedUnknownResultError,
)
from pysmt.fnode import FNode
from pysmt.formula import FormulaManager
from pysmt.logics import QF_LIA, get_closer_logic

from policy_guard.encode import budget
from policy_guard.errors import UndecidedError

SOLVERS = ("z3", "cvc5")
SOLVER_MEMORY_MB = 2048
"""z3's memory cap per solver (`max_memory`): past it the query answers unknown, undecided
saying so. cvc5 has no memory option; its time limit bounds it."""


def _solver_class(name: str) -> Any:
    """pySMT's class for `name`, imported alone: pySMT's factory would import every back end
    it knows to list the available ones (cvc5's bindings alone take 10 ms to load)."""
    try:
        if name == "z3":
            return _z3_solver_class()
        from pysmt.solvers.cvcfive import CVC5Solver

        return CVC5Solver
    except (ImportError, SolverAPINotFound):
        raise UndecidedError(f"the solver `{name}` is not installed") from None


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
        self._entered = False
        self._terms: dict[FNode, Any] = {}  # the back end's term of each symbol read
        self._packs: dict[int, tuple[tuple[FNode, ...], list[_Pack]]] = {}
        self._model: Any = None  # z3's model of the last satisfiable query, once asked for

    def __enter__(self) -> Session:
        self._entered = True
        return self

    def _start(self) -> Any:
        """The back end, started on first use: a question that simplifies to a constant never
        loads or starts a solver (a z3 context alone costs 5 ms)."""
        solver_class = _solver_class(self.solver_name)
        try:
            logic = get_closer_logic(solver_class.LOGICS, QF_LIA)
            solver = solver_class(environment=self.environment, logic=logic)
        except NoLogicAvailableError:
            raise UndecidedError(f"the solver `{self.solver_name}` cannot do QF_LIA") from None
        except PysmtException as error:
            raise UndecidedError(f"cannot start the solver `{self.solver_name}`: {error}") from None
        if self.solver_name == "z3":
            # Decide Booleans false first. A lazy string value is a Boolean per pattern, and the
            # witness search grows with the patterns a model puts it in: with z3's default
            # phase caching, models matched a resource with six unrelated patterns at once
            # (SageMakerStudioProjectUserRolePolicy v62->v63: 4 s, 1.5 s with this). Only the
            # model chosen changes, never an answer.
            solver.z3.set("phase_selection", 0)
            solver.z3.set("max_memory", SOLVER_MEMORY_MB)
        return solver

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._terms.clear()
        self._packs.clear()
        self._model = None
        self._entered = False
        if self._solver is not None:
            self._solver.exit()
            self._solver = None

    @property
    def _active(self) -> Any:
        if not self._entered:
            raise RuntimeError("Session used outside its `with` block")
        if self._solver is None:
            self._solver = self._start()
        return self._solver

    def check_time(self) -> None:
        """Raise UndecidedError once the analysis has used up its budget, or the budget in
        force (`policy_guard.encode.budget`) is spent (also between queries)."""
        budget.check("solving")
        if self.timeout is not None and time.monotonic() - self._started >= self.timeout:
            raise self._timed_out()

    def _timed_out(self) -> UndecidedError:
        """Out of time: the budget in force when it is spent (it names itself), else this
        analysis's own timeout."""
        shared = budget.current()
        if shared is not None and shared.left() <= 0:
            return budget.OutOfTime(budget.expired_message(shared, "solving"))
        return UndecidedError(f"timed out after {self.timeout:g} s")

    def _left(self) -> float | None:
        """Seconds the next query may use: what is left of this analysis's own timeout and of
        the budget in force, whichever is less; None: no limit."""
        own = None if self.timeout is None else self.timeout - (time.monotonic() - self._started)
        shared = budget.remaining()
        known = [left for left in (own, shared) if left is not None]
        return min(known) if known else None

    def _limit_query(self) -> None:
        left = self._left()
        if left is None:
            return
        if left <= 0:
            raise self._timed_out()
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

    def add_all(self, formulas: Sequence[FNode]) -> None:
        """`add` each of `formulas`, in order. z3 gets the same terms, converted by pySMT and
        asserted directly: pySMT's own path type-checks each formula again and keeps a list of
        them, which cost more than the conversion for a policy's tens of thousands of axioms
        (200 condition keys of 50 values each: most of the check)."""
        solver = self._active
        if self.solver_name != "z3" or getattr(solver, "pending_pop", False):
            for formula in formulas:
                self.add(formula)
            return
        from z3 import z3core

        convert, context, handle = solver.converter.convert, solver.z3.ctx.ref(), solver.z3.solver

        def add(formula: FNode) -> None:  # each term released before the next is made, as
            # pySMT does: z3 reuses the ids of released terms, and its choices follow the ids
            z3core.Z3_solver_assert(context, handle, convert(formula).as_ast())

        try:
            for formula in formulas:
                add(formula)
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
        self._model = None
        try:
            return bool(self._active.solve())
        except SolverReturnedUnknownResultError:
            left = self._left()
            if left is not None and left <= 0.05 * (self.timeout or 1.0):
                raise self._timed_out() from None
            if "memory" in self._reason_unknown():
                raise UndecidedError(
                    f"the solver `{self.solver_name}` reached its memory limit "
                    f"({SOLVER_MEMORY_MB:,} MB)"
                ) from None
            raise UndecidedError(f"the solver `{self.solver_name}` answered `unknown`") from None
        except PysmtException as error:
            raise UndecidedError(f"the solver `{self.solver_name}` failed: {error}") from None

    def _reason_unknown(self) -> str:
        """z3's reason for its last `unknown` (empty for cvc5 or when it gives none)."""
        if self.solver_name != "z3":
            return ""
        try:
            return str(self._active.z3.reason_unknown())
        except Exception:  # only a message is at stake
            return ""

    def simplify(self, formula: FNode) -> FNode:
        """pySMT's simplifier of this session's environment (`FNode.simplify` would use the
        global one)."""
        return self.environment.simplifier.simplify(formula)

    def substitute(self, formula: FNode, values: dict[FNode, FNode]) -> FNode:
        """`formula` with symbols replaced by `values`, simplified (in this environment)."""
        return self.simplify(self.environment.substituter.substitute(formula, values))

    def int_value(self, symbol: FNode) -> int:
        """The value of an Int symbol in the model of the last satisfiable query. z3's is read
        through its C API: pySMT's `get_value` converts the whole model for each value (a
        model of a lazy resource space holds thousands of symbols, and one region index is
        read per model)."""
        solver = self._active
        if self.solver_name != "z3":
            return int(solver.get_value(symbol).constant_value())
        from z3 import z3core

        model = self._z3_model()
        context, result = model.ctx.ref(), (z3core.Ast * 1)()
        term = self._native(symbol)
        if not z3core.Z3_model_eval(context, model.model, term.as_ast(), True, result):
            raise UndecidedError("z3 could not evaluate a value of its model")
        return int(z3core.Z3_get_numeral_string(context, result[0]))

    def bool_value(self, symbol: FNode) -> bool:
        """The value of a Bool symbol in the model of the last satisfiable query."""
        return bool(self._active.get_value(symbol).is_true())

    def bool_values(self, symbols: Sequence[FNode]) -> list[bool]:
        """The values of Bool symbols in the last model, read at once, each symbol converted
        once per session. pySMT reads one value per call, and its z3 back end fetches the whole
        model again for each; z3's Python layer also wraps every answer, so z3 is read through
        its C API (a model of a lazy resource space is hundreds of Booleans: reading them was
        most of a localisation)."""
        if not symbols:
            return []
        solver = self._active
        if self.solver_name == "cvc5":
            terms = [self._native(symbol) for symbol in symbols]
            return [bool(v.getBooleanValue()) for v in solver.cvc5.getValue(terms)]
        from z3 import z3core

        model = self._z3_model()
        context, handle = model.ctx.ref(), model.model
        result = (z3core.Ast * 1)()
        if isinstance(symbols, tuple) and len(symbols) >= PACKED_FROM:
            return self._packed_values(symbols, context, handle, result)
        terms = [self._native(symbol) for symbol in symbols]
        values = []
        for term in terms:
            if not z3core.Z3_model_eval(context, handle, term.as_ast(), True, result):
                raise UndecidedError("z3 could not evaluate a value of its model")
            values.append(z3core.Z3_get_bool_value(context, result[0]) == _Z3_TRUE)
        return values

    def _packed_values(
        self, symbols: tuple[FNode, ...], context: Any, handle: Any, result: Any
    ) -> list[bool]:
        """z3's values of many Booleans, PACK at a time: whether any of a group holds (one
        evaluation; a lazy value's model holds a few of its thousands of atoms), and only if so
        all of them as the bits of one number. The terms are built once per tuple of symbols (a
        lazy value's atoms, read once per model: one evaluation each made that quadratic in the
        statements of a large policy)."""
        import ctypes

        from z3 import z3core

        packs = self._packs.get(id(symbols))
        if packs is None or packs[0] is not symbols:
            terms = [self._native(symbol) for symbol in symbols]
            groups = [terms[at : at + PACK] for at in range(0, len(terms), PACK)]
            packs = self._packs[id(symbols)] = (symbols, [_Pack.of(group) for group in groups])
        values: list[bool] = []
        number = ctypes.c_ulonglong()
        for pack in packs[1]:
            if not z3core.Z3_model_eval(context, handle, pack.some.as_ast(), True, result):
                raise UndecidedError("z3 could not evaluate a value of its model")
            if z3core.Z3_get_bool_value(context, result[0]) != _Z3_TRUE:
                values.extend([False] * pack.size)
                continue
            if not (
                z3core.Z3_model_eval(context, handle, pack.bits.as_ast(), True, result)
                and z3core.Z3_get_numeral_uint64(context, result[0], ctypes.byref(number))
            ):
                raise UndecidedError("z3 could not evaluate a value of its model")
            bits, size = number.value, pack.size
            values.extend(bool(bits >> (size - 1 - k) & 1) for k in range(size))
        return values

    def _z3_model(self) -> Any:
        """z3's model of the last satisfiable query, fetched once: z3 builds it anew for each
        request (a millisecond or two with thousands of symbols, and a model is read in
        several parts)."""
        if self._model is None:
            self._model = self._active.z3.model()
        return self._model

    def _native(self, symbol: FNode) -> Any:
        """The back end's term for `symbol` (kept: for z3 it holds the term's reference)."""
        term = self._terms.get(symbol)
        if term is None:
            term = self._terms[symbol] = self._active.converter.convert(symbol)
        return term


_Z3_TRUE = 1  # Z3_L_TRUE
PACK = 64  # Booleans read per evaluation (`_packed_values`): the bits of one 64-bit number
PACKED_FROM = 2 * PACK


@dataclass(frozen=True)
class _Pack:
    """z3 terms over a group of z3 Booleans: `some` holds when one of them does; `bits` is a
    bit-vector of `size` bits, a bit per Boolean, the first the highest."""

    some: Any
    bits: Any
    size: int

    @staticmethod
    def of(terms: list[Any]) -> _Pack:
        import z3

        context = terms[0].ctx
        one, zero = z3.BitVecVal(1, 1, context), z3.BitVecVal(0, 1, context)
        bits = [z3.If(term, one, zero) for term in terms]
        return _Pack(
            z3.Or(terms) if len(terms) > 1 else terms[0],
            z3.Concat(bits) if len(bits) > 1 else bits[0],
            len(terms),
        )


@cache
def _z3_solver_class() -> Any:
    """pySMT's z3 solver, each in a z3 context of its own. pySMT builds every z3 solver in z3's
    one global context, so symbols of the same name are shared by all analyses of a process,
    the context only grows (a sweep runs thousands of analyses), and a solver's answers depend
    on what ran before it. A fresh context (freed with the solver) makes each analysis stand
    alone. The constructor is pySMT's, with the context passed in (creating the global context
    first, to throw it away, would cost a hook 6 ms)."""
    import z3
    from pysmt.solvers.solver import IncrementalTrackingSolver
    from pysmt.solvers.z3 import Z3Converter, Z3Solver
    from z3.z3core import Z3_mk_solver_for_logic

    class OwnContextZ3Solver(Z3Solver):  # type: ignore[misc]
        def __init__(self, environment: Environment, logic: Any, **options: Any) -> None:
            IncrementalTrackingSolver.__init__(
                self, environment=environment, logic=logic, **options
            )
            context = z3.Context()
            # z3.SolverFor(logic, ctx) would make the global context anyway (for the symbol)
            symbol = z3.to_symbol(str(logic), context)
            self.z3 = z3.Solver(Z3_mk_solver_for_logic(context.ref(), symbol), context)
            self.options(self)
            self.declarations: set[Any] = set()
            self.converter = Z3Converter(environment, z3_ctx=context)
            self.mgr = environment.formula_manager
            self._name_cnt = 0

    return OwnContextZ3Solver
