"""What every `check-*` command shares: --output, --solver, --timeout, and printing a result.

Exit codes: 0 PASS, 1 FAIL; the CLI boundary makes 2 of InputError/UndecidedError.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.commands.documents import add_output_argument
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Policy
from policy_guard.report.check_result import FORMATTERS

EXIT_PASS, EXIT_FAIL = 0, 1
SOLVER_CHOICES = ("z3", "cvc5")

EPILOG = """\
exit status: 0 PASS, 1 FAIL, 2 when an input cannot be used (missing file, invalid document,
bad argument) or the question cannot be decided exactly (timeout, unsupported construct).
Every counterexample shown was confirmed by the reference evaluator.
"""


def add_common_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """--output, --solver, --timeout; bad arguments become one-line input errors (exit 2)."""

    def argument_error(message: str) -> NoReturn:
        raise InputError(f"{message} (see `policy-guard {command} --help`)")

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.error = argument_error  # type: ignore[method-assign]
    add_output_argument(parser)
    parser.add_argument(
        "--solver", choices=SOLVER_CHOICES, default="z3", help="SMT back end (default: z3)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="give up (exit 2) after this many seconds (default: no limit)",
    )


def engine_options(args: argparse.Namespace) -> EngineOptions:
    timeout: float | None = args.timeout
    if timeout is not None and not timeout > 0:
        raise InputError(f"`--timeout` must be a positive number of seconds, not `{timeout:g}`")
    full_access = not getattr(args, "without_full_aws_access", False)
    return EngineOptions(solver=args.solver, timeout=timeout, full_aws_access=full_access)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """A wall-clock guard around a whole check (parsing patterns included), besides the
    solver's own per-query limit: past `seconds`, UndecidedError "timed out after N s".

    Uses a real-time interval timer, so only on POSIX and in the main thread; elsewhere the
    engine's own limits apply alone. The previous handler and timer are restored on exit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if seconds is None or not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise UndecidedError(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def print_result(args: argparse.Namespace, result: CheckResult, policy: Policy) -> int:
    """Print `result` in the `--output` format (`policy_guard.report.check_result`); the exit
    code for its outcome. `policy` is the document the reasons' statements belong to (for file
    and line)."""
    sys.stdout.write(FORMATTERS[args.output](result, policy))
    return EXIT_PASS if result.outcome is Outcome.PASS else EXIT_FAIL
