"""The errors library code raises. The CLI is the one place that turns them into exit codes."""

from __future__ import annotations


class PolicyGuardError(Exception):
    """Base class: something the user gave us cannot be used. Exit code 2."""


class InputError(PolicyGuardError):
    """A file, argument or document cannot be read or does not fit the grammar.

    The message is one line naming the file, the line (and column, counted from 1) where there
    is one, and the problem.
    """

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        self.filename = filename
        self.line = line
        self.column = column
        self.problem = message
        where = ""
        if filename is not None:
            where = filename if line is None else f"{filename}:{line}"
            if line is not None and column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}" if where else message)


class UndecidedError(PolicyGuardError):
    """The engine could not give an exact answer (timeout, unsupported construct, unconfirmed
    counterexample). Never a PASS: exit 2 with this one-line reason."""
