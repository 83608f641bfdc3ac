"""The workflow's time budgets: each file within `file_timeout`, the whole run within
`run_timeout` (configuration keys, `--file-timeout`/`--run-timeout`).

A file past its budget is undecided (exit 2) with what ran out, and the next file is checked;
once the run's budget is spent, the files not checked yet are each undecided, saying so. A
budget never makes anything pass. Deadlines are wall-clock, so they hold in worker processes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from policy_guard.encode import budget, memory
from policy_guard.workflow.file_checks import CheckContext, FileTask, check_file
from policy_guard.workflow.outcomes import UNDECIDED
from policy_guard.workflow.results import FileReport, Issue, Location, Severity


@dataclass(frozen=True)
class RunBudget:
    """Seconds per file, and the run's deadline (seconds since the epoch) with its length."""

    per_file: float
    per_run: float
    deadline: float

    @staticmethod
    def starting_now(per_file: float, per_run: float) -> RunBudget:
        return RunBudget(per_file, per_run, time.time() + per_run)

    def spent(self) -> bool:
        return time.time() >= self.deadline


def check_within(task: FileTask, context: CheckContext, limits: RunBudget) -> FileReport | None:
    """`check_file` within the file's budget and what is left of the run's."""
    run_out = f"the per-run budget of {limits.per_run:g} s (`run_timeout`)"
    if limits.spent():
        return undecided_file(task, f"not checked: {run_out} ran out before this file")
    file_ends = time.time() + limits.per_file
    try:
        if file_ends <= limits.deadline:
            what = f"the per-file budget of {limits.per_file:g} s (`file_timeout`)"
            with budget.limit(None, what, deadline=file_ends):
                return check_file(task, context)
        with budget.limit(None, run_out, deadline=limits.deadline):
            return check_file(task, context)
    except budget.OutOfTime as error:
        return undecided_file(task, f"not decided: {error}")
    except MemoryError:  # past the memory cap (`encode.memory`), or the machine's
        return undecided_file(task, f"not decided: {memory.out_of_memory()}")


def undecided_file(task: FileTask, problem: str) -> FileReport:
    """The report of a file that could not be checked: one undecided issue at its first line."""
    issue = Issue(UNDECIDED, Severity.ERROR, problem, Location(task.path, 1))
    return FileReport(task.path, task.status, task.old_path, (), (issue,))
