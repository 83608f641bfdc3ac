"""Command line: argument parsing and the one boundary that turns errors into exit codes.

`policy-guard COMMAND ...` runs a single check named like the AWS CLI's; `policy-guard [FILES]`
(no command) runs the git-aware workflow (hook, pull request, `--all` sweep). Command modules are
imported only when chosen, so the hook does not pay for the solver when nothing needs solving.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, NoReturn, Protocol

from policy_guard import __version__
from policy_guard.errors import PolicyGuardError

EXIT_OK, EXIT_FINDINGS, EXIT_UNDECIDED = 0, 1, 2


class CommandModule(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class Command(NamedTuple):
    name: str
    load: Callable[[], CommandModule]  # imports the command's module when it is chosen
    summary: str


# Each command module is imported inside a function, so that `policy-guard` loads only the one
# it runs (the hook never pays for the solver's imports when nothing needs solving).


def _check_no_new_access() -> CommandModule:
    from policy_guard.commands import check_no_new_access

    return check_no_new_access


def _check_access_not_granted() -> CommandModule:
    from policy_guard.commands import check_access_not_granted

    return check_access_not_granted


def _check_no_public_access() -> CommandModule:
    from policy_guard.commands import check_no_public_access

    return check_no_public_access


def _check_no_external_access() -> CommandModule:
    from policy_guard.commands import check_no_external_access

    return check_no_external_access


def _validate_policy() -> CommandModule:
    from policy_guard.commands import validate_policy

    return validate_policy


def _simulate() -> CommandModule:
    from policy_guard.commands import simulate

    return simulate


def _init() -> CommandModule:
    from policy_guard.commands import init

    return init


def _baseline() -> CommandModule:
    from policy_guard.commands import baseline

    return baseline


def _workflow() -> CommandModule:
    from policy_guard.commands import workflow

    return workflow


COMMANDS: tuple[Command, ...] = (
    Command(
        "check-no-new-access",
        _check_no_new_access,
        "does the new policy grant any access the existing one does not?",
    ),
    Command(
        "check-access-not-granted",
        _check_access_not_granted,
        "does the policy grant any of the listed actions or resources?",
    ),
    Command(
        "check-no-public-access",
        _check_no_public_access,
        "does the resource policy grant public access?",
    ),
    Command(
        "check-no-external-access",
        _check_no_external_access,
        "can a principal outside the trusted accounts get access?",
    ),
    Command(
        "validate-policy",
        _validate_policy,
        "findings about the policy document itself (like IAM Access Analyzer)",
    ),
    Command(
        "simulate",
        _simulate,
        "decide one concrete request with the reference evaluator",
    ),
    Command(
        "init",
        _init,
        "adopt policy-guard here: write .policy-guard.yaml and the baseline",
    ),
    Command(
        "baseline",
        _baseline,
        "rewrite the baseline with today's findings (they stop failing the run)",
    ),
)


def _top_level_help() -> str:
    lines = [
        "usage: policy-guard [FILES ...] [--all] [--base REF] [--config FILE] [--format FORMAT]",
        "       policy-guard COMMAND [options]",
        "",
        "Exact, offline checks of AWS IAM policies. Exit 0: nothing found, 1: findings,",
        "2: something could not be checked.",
        "",
        "commands:",
    ]
    lines += [f"  {c.name:<26}{c.summary}" for c in COMMANDS]
    lines += [
        "",
        "Without a command: check changed policy files against the base commit "
        "(see `policy-guard --help-workflow`).",
        f"policy-guard {__version__}",
    ]
    return "\n".join(lines)


def _build_parser(prog: str, module: CommandModule, summary: str) -> argparse.ArgumentParser:
    """The command's parser; a bad argument is a one-line input error (exit 2), not a usage
    dump (a command may set its own wording)."""
    parser = argparse.ArgumentParser(prog=prog, description=summary)

    def argument_error(message: str) -> NoReturn:
        from policy_guard.errors import InputError

        raise InputError(f"{message} (see `{prog} --help`)")

    parser.error = argument_error  # type: ignore[method-assign]
    module.add_arguments(parser)
    return parser


def _dispatch(argv: list[str]) -> int:
    """Run the command or the workflow within the memory cap (`encode.memory`)."""
    from policy_guard.encode import memory

    with memory.cap():
        return _dispatch_capped(argv)


def _dispatch_capped(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(_top_level_help())
        return EXIT_OK
    if argv and argv[0] == "--version":
        print(f"policy-guard {__version__}")
        return EXIT_OK
    by_name = {c.name: c for c in COMMANDS}
    if argv and argv[0] in by_name:
        command = by_name[argv[0]]
        module = command.load()
        parser = _build_parser(f"policy-guard {command.name}", module, command.summary)
        args = parser.parse_args(argv[1:])
        with _command_budget(args):
            return module.run(args)
    workflow = _workflow()
    rest = ["--help" if a == "--help-workflow" else a for a in argv]
    parser = _build_parser("policy-guard", workflow, "check changed IAM policy files")
    return workflow.run(parser.parse_args(rest))


@contextmanager
def _command_budget(args: argparse.Namespace) -> Iterator[None]:
    """A single command's `--timeout` covers all of it (reading, checking, confirming); past
    it, the one-line reason names the command's documents and what ran out."""
    seconds = getattr(args, "timeout", None)
    if seconds is None:
        yield
        return
    from policy_guard.encode import budget
    from policy_guard.errors import InputError, UndecidedError

    if not seconds > 0:
        raise InputError(f"`--timeout` must be a positive number of seconds, not `{seconds:g}`")
    try:
        with budget.limit(seconds, f"the {seconds:g} s budget (`--timeout`)"):
            yield
    except UndecidedError as error:  # a budget, or a limit of the engine: name the documents
        documents = _documents(args)
        if not documents or any(d in str(error) for d in documents):
            raise
        kind = budget.OutOfTime if isinstance(error, budget.OutOfTime) else UndecidedError
        raise kind(f"{', '.join(documents)}: {error}") from None
    except MemoryError:  # past the memory cap: undecided, naming the documents
        from policy_guard.encode.memory import out_of_memory

        named = ", ".join(_documents(args))
        reason = f"{named}: {out_of_memory()}" if named else out_of_memory()
        raise UndecidedError(reason) from None


def _documents(args: argparse.Namespace) -> list[str]:
    """The policy documents a command was given, as its messages name them."""
    return [
        value.removeprefix("file://")
        for name, value in vars(args).items()
        if name.endswith(("policy_document", "resource_policy")) and isinstance(value, str)
    ]


def _quiet_unraisable(unraisable: Any) -> None:
    """Drop the "Exception ignored in ..." report of a finaliser: a z3 object whose
    construction the budget's backstop interrupted fails in `__del__`, and its multi-line
    report would break the one-line reason on standard error (POLICY_GUARD_DEBUG keeps it)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run policy-guard; return the exit code (0 nothing found, 1 findings, 2 not checked)."""
    args = list(sys.argv[1:] if argv is None else argv)
    previous_hook = sys.unraisablehook
    if not os.environ.get("POLICY_GUARD_DEBUG"):
        sys.unraisablehook = _quiet_unraisable
    try:
        return _run(args)
    finally:
        sys.unraisablehook = previous_hook


def _run(args: list[str]) -> int:
    """`main` without the finaliser hook: the exit code, every error as one line."""
    try:
        return _dispatch(args)
    except PolicyGuardError as error:
        print(f"policy-guard: error: {error}", file=sys.stderr)
        return EXIT_UNDECIDED
    except KeyboardInterrupt:
        print("policy-guard: interrupted", file=sys.stderr)
        return 130
    except MemoryError:  # past the memory cap outside a check (a check names its documents)
        from policy_guard.encode.memory import out_of_memory

        print(f"policy-guard: error: {out_of_memory()}", file=sys.stderr)
        return EXIT_UNDECIDED
    except Exception as error:  # the last line of defence: never a traceback on input
        if os.environ.get("POLICY_GUARD_DEBUG"):
            raise
        kind = type(error).__name__
        print(
            f"policy-guard: internal error ({kind}: {error}); set POLICY_GUARD_DEBUG=1 for "
            "the traceback and please report it",
            file=sys.stderr,
        )
        return EXIT_UNDECIDED


if __name__ == "__main__":
    raise SystemExit(main())
