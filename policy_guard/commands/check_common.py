"""What every `check-*` command shares: --output, --solver, --timeout, and printing a result.

Exit codes: 0 PASS, 1 FAIL; the CLI boundary makes 2 of InputError/UndecidedError.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractContextManager
from typing import NoReturn

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.commands.documents import add_output_argument, add_timeout_argument
from policy_guard.encode import budget
from policy_guard.errors import InputError
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
    add_timeout_argument(parser)


def engine_options(args: argparse.Namespace) -> EngineOptions:
    timeout: float | None = args.timeout
    if timeout is not None and not timeout > 0:
        raise InputError(f"`--timeout` must be a positive number of seconds, not `{timeout:g}`")
    full_access = not getattr(args, "without_full_aws_access", False)
    return EngineOptions(solver=args.solver, timeout=timeout, full_aws_access=full_access)


def time_limit(seconds: float | None) -> AbstractContextManager[None]:
    """The check's own part of the budget (`policy_guard.encode.budget`): within the command's
    `--timeout`, which the CLI applies to all of it, reading included, this adds nothing
    unless called outside the CLI."""
    return budget.limit(seconds, f"the {seconds:g} s budget (`--timeout`)" if seconds else "")


def print_result(args: argparse.Namespace, result: CheckResult, policy: Policy) -> int:
    """Print `result` in the `--output` format (`policy_guard.report.check_result`); the exit
    code for its outcome. `policy` is the document the reasons' statements belong to (for file
    and line)."""
    sys.stdout.write(FORMATTERS[args.output](result, policy))
    return EXIT_PASS if result.outcome is Outcome.PASS else EXIT_FAIL
