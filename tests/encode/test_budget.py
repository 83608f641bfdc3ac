"""The time budget (`policy_guard.encode.budget`): cooperative checks, the solvers' limits and the
main-thread backstop, nested budgets, and the messages that name what ran out."""

from __future__ import annotations

import itertools
import signal
import time

import pytest
from pysmt.typing import INT

from policy_guard.encode import budget
from policy_guard.encode.solver import Session


def spin(seconds: float) -> None:
    """Pure Python work without a cooperative check, like a loop nobody instrumented."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        pass


def test_the_backstop_interrupts_python_code_and_restores_the_timer() -> None:
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with (
        pytest.raises(budget.OutOfTime, match=r"the test budget ran out while decoding"),
        budget.limit(0.05, "the test budget"),
        budget.phase("decoding"),
    ):
        spin(10)
    assert time.monotonic() - started < 0.05 + budget.BACKSTOP_GRACE + 1
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_cooperative_check_stops_at_the_deadline_and_names_the_phase() -> None:
    with budget.limit(0.01, "the 0.01 s budget"):
        time.sleep(0.02)
        with pytest.raises(budget.OutOfTime) as raised:
            budget.check("building the partition")
    assert str(raised.value) == "the 0.01 s budget ran out while building the partition"
    budget.check("after")  # no budget in force: nothing to run out


def test_nested_budgets_the_earlier_deadline_wins_and_the_outer_one_comes_back() -> None:
    with budget.limit(60, "the run's"):
        outer = budget.current()
        with budget.limit(0.5, "the file's"):
            assert budget.current() is not outer
            assert (budget.remaining() or 0) <= 0.5
        with budget.limit(120, "a longer one"):  # later than the enclosing: no new limit
            assert budget.current() is outer
        assert budget.current() is outer
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 50  # the outer timer re-armed
    assert budget.current() is None
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_absolute_deadline_limits_like_seconds() -> None:
    with budget.limit(None, "the run's", deadline=time.time() + 0.01):
        time.sleep(0.02)
        with pytest.raises(budget.OutOfTime, match="the run's ran out"):
            budget.check()


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_solver_query_gets_what_is_left_and_is_refused_once_it_is_spent(solver: str) -> None:
    with budget.limit(2, "the test budget"), Session(solver) as session:
        session.add(session.manager.Symbol("p"))
        assert session.satisfiable()
        time.sleep(budget.remaining() or 0)
        with pytest.raises(budget.OutOfTime, match="the test budget ran out while solving"):
            session.check_time()
        with pytest.raises(budget.OutOfTime, match="the test budget ran out while solving"):
            session.satisfiable()


def test_z3_past_its_memory_cap_is_undecided_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_guard.encode import solver as solver_module
    from policy_guard.errors import UndecidedError

    monkeypatch.setattr(solver_module, "SOLVER_MEMORY_MB", 1)  # below what z3 itself takes
    with Session("z3") as session:
        manager = session.manager
        xs = [manager.Symbol(f"x{i}", INT) for i in range(60)]
        for a, b in itertools.pairwise(xs):
            session.add(manager.LT(a, b))
        session.add(manager.Equals(manager.Plus(xs), manager.Int(123_457)))
        with pytest.raises(UndecidedError, match=r"reached its memory limit \(1 MB\)"):
            session.satisfiable()


def test_a_fault_after_the_budget_ran_out_is_the_budget_s_not_an_internal_error() -> None:
    """The backstop can leave half-built state that a later step trips over (a KeyError in a
    walker, a z3 object without its context): past the deadline that is undecided, naming
    the budget; with time left the same error is a real fault and propagates."""
    with (
        pytest.raises(budget.OutOfTime, match="the late budget ran out") as caught,
        budget.limit(0.01, "the late budget"),
    ):
        time.sleep(0.02)
        raise KeyError("(resource <= 43)")
    assert isinstance(caught.value.__cause__, KeyError)
    with pytest.raises(KeyError), budget.limit(60, "a long budget"):
        raise KeyError("a real fault")


def test_the_access_diff_after_the_budget_ran_out_is_undecided_and_the_check_stands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from policy_guard.checks import access_diff
    from policy_guard.checks.common import EngineOptions
    from policy_guard.document.read import decode_file
    from policy_guard.encode import access_diff as engine_diff
    from policy_guard.policy.parse import load_policy

    def tripped(*args: object, **kwargs: object) -> None:
        time.sleep(0.05)
        raise KeyError("(resource <= 43)")

    monkeypatch.setattr(engine_diff, "gained_actions", tripped)
    old = load_policy(
        decode_file(
            b'{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}',
            "old.json",
        )
    )
    new = load_policy(
        decode_file(
            b'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
            b'"Resource":"*"}]}',
            "new.json",
        )
    )
    with budget.limit(0.01, "the diff's budget"):
        diff = access_diff.access_diff(old, new, EngineOptions())
    assert "the diff's budget ran out" in (diff.gained.undecided or "")
    assert diff.gained.changes == ()
