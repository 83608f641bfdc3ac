"""Time budgets: every answer within a wall-clock limit, whatever the input.

A budget covers everything a check does (decoding, partition, automata, solving, confirming a
counterexample), not only the solver. It is enforced three ways, because Python cannot
interrupt a computation from outside without a process of its own:
- cooperatively: the loops that can grow with the input (decoding, the partition's automata,
  the analysis's refinement rounds, the evaluator's confirmation) call `check(phase)`, which
  raises `OutOfTime` once the innermost budget is spent;
- the solvers' own limits: `remaining()` is what each z3/cvc5 query may use (z3 `timeout`,
  cvc5 `tlimit-per`), so a blocking solver call returns when the budget does;
- a backstop in the main thread: a real-time timer (SIGALRM, POSIX) raises `OutOfTime` at the
  next Python instruction when a loop without a `check` overruns (a C call that does not return
  is the solvers' and their own limits').

Budgets nest (a file's within a run's): the earliest deadline wins, and the message names the
budget that ran out and the phase it ran out in. Deadlines are wall-clock (`time.time()`), so a
run's deadline means the same in a worker process.

Why not a killable worker process per check: measured on a small check, 42 ms cooperatively,
85 ms in a forked worker, 611 ms in a spawned one (the default on macOS and Windows), for every
file of a hook; and the cooperative checks keep every input of the hostile catalogue within
its budget (README, "Time and memory budgets"; `benchmarks/hostile_bench.py --isolation`).
A sweep's `--jobs` workers are processes anyway: a worker that dies (killed for memory) is
reported undecided by the runner.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType

from policy_guard.errors import UndecidedError

DEFAULT_TIMEOUT = 30.0
"""Seconds a single command (`check-*`, `simulate`, `validate-policy`) has by default."""


class OutOfTime(UndecidedError):
    """A budget ran out: undecided (exit 2), never a pass. The message names the budget and
    the phase."""


@dataclass(frozen=True)
class Budget:
    """`what` ran out at `deadline` (seconds since the epoch)."""

    what: str  # e.g. "the 30 s budget", "the per-file budget of 60 s"
    deadline: float

    def left(self) -> float:
        return self.deadline - time.time()


_budget: ContextVar[Budget | None] = ContextVar("policy_guard_budget", default=None)
_phase: ContextVar[str] = ContextVar("policy_guard_phase", default="checking")


def current() -> Budget | None:
    """The innermost budget in force (the one with the earliest deadline), if any."""
    return _budget.get()


def remaining() -> float | None:
    """Seconds left of the budget in force (never below 0); None when there is none."""
    budget = _budget.get()
    return None if budget is None else max(0.0, budget.left())


def expired_message(budget: Budget, phase: str | None = None) -> str:
    return f"{budget.what} ran out while {phase or _phase.get()}"


def check(phase: str | None = None) -> None:
    """Raise OutOfTime when the budget in force is spent. Cheap: loops call it per item."""
    budget = _budget.get()
    if budget is not None and time.time() >= budget.deadline:
        raise OutOfTime(expired_message(budget, phase))


@contextmanager
def phase(name: str) -> Iterator[None]:
    """What the code inside is doing, as a message about a budget that ran out names it."""
    token = _phase.set(name)
    try:
        yield
    finally:
        _phase.reset(token)


@contextmanager
def limit(seconds: float | None, what: str, *, deadline: float | None = None) -> Iterator[None]:
    """A budget of `seconds` from now (or up to `deadline`, seconds since the epoch, whichever
    comes first) for the code inside; within an enclosing budget, the earlier deadline wins.
    None and no deadline: no new limit."""
    ends = [d for d in (deadline, None if seconds is None else time.time() + seconds) if d]
    enclosing = _budget.get()
    if not ends or (enclosing is not None and enclosing.deadline <= min(ends)):
        yield
        return
    budget = Budget(what, min(ends))
    token = _budget.set(budget)
    try:
        with _alarm(budget):
            yield
    except MemoryError:  # the workflow's own answer (out of memory), not the budget's
        raise
    except Exception as error:
        late = interrupted(error, budget)
        if late is None:
            raise
        raise late from error
    finally:
        _budget.reset(token)


def interrupted(error: Exception, budget: Budget | None = None) -> OutOfTime | None:
    """The budget's own error for `error` when `budget` (else the one in force) has run out:
    the backstop interrupts Python code anywhere, and what runs after it (the rest of the
    command, the access diff) can fail on the half-built state it left (a z3 object without
    its context, a walker's stack). That failure is the budget's, never a finding: undecided
    with what ran out. None when the budget still has time (then `error` is a real fault)."""
    budget = budget or _budget.get()
    if budget is None or budget.left() > 0 or isinstance(error, OutOfTime):
        return None
    return OutOfTime(expired_message(budget))


BACKSTOP_GRACE = 0.5
"""Seconds the cooperative checks and the solvers' own limits get before the timer interrupts
whatever Python code runs (they end more cleanly: a query returns, a loop stops)."""


@contextmanager
def _alarm(budget: Budget) -> Iterator[None]:
    """The backstop: SIGALRM at the deadline (plus a grace), in the main thread on POSIX only;
    the previous handler and timer are put back on exit, an enclosing timer re-armed."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise OutOfTime(expired_message(budget))

    previous = signal.signal(signal.SIGALRM, expire)
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    outer_ends = time.time() + outer_left if outer_left else None
    signal.setitimer(signal.ITIMER_REAL, max(0.001, budget.left() + BACKSTOP_GRACE))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_ends is not None:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, outer_ends - time.time()))
