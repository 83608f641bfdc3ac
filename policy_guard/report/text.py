"""Plain text for a terminal or a log: findings grouped by file, then a one-line summary.

Each finding starts `path:line:col:` with a 1-based column, as compilers print it, so editors
and terminals can jump to it. The counterexample request follows on indented lines. Waived
and baselined issues are shown (dimmed when in colour) with the waiver's reason or the baseline
file, so neither hides what it covers. Colour is used only when the caller asks;
`should_color` is how it decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from policy_guard.report.access_diff import summary
from policy_guard.report.describe import (
    label,
    one_line,
    ordered,
    place,
    request_fields,
    summary_line,
)
from policy_guard.workflow.results import FileReport, Issue, RunReport

_RESET = "\x1b[0m"
_STYLES = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[33m",
    "note": "\x1b[36m",
    "undecided": "\x1b[1;35m",
    "waived": "\x1b[2m",
    "baselined": "\x1b[2m",
    "file": "\x1b[1m",
    "summary": "\x1b[1m",
}


def should_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour for `stream`? NO_COLOR (set, non-empty) says no; FORCE_COLOR says yes; a dumb
    terminal says no; otherwise colour exactly when the stream is a terminal.

    NO_COLOR is checked before FORCE_COLOR, as CPython does (no-color.org, force-color.org).
    """
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def render_text(report: RunReport, color: bool = False) -> str:
    """The report as text ending in a newline; ANSI colour only when `color` is true."""
    lines: list[str] = []
    if report.base is not None:
        lines += [f"compared with base {one_line(report.base)}", ""]
    for file in report.files:
        lines.append(_paint(color, "file", _file_heading(file)))
        for issue in ordered(file.issues):
            lines += _issue_lines(issue, color)
        lines.append("")
    summary = summary_line(report)
    if report.report_only:
        summary += " (report only: findings do not fail the run)"
    lines.append(_paint(color, "summary", summary))
    return "\n".join(lines) + "\n"


def _paint(color: bool, style: str, text: str) -> str:
    return f"{_STYLES[style]}{text}{_RESET}" if color else text


def _file_heading(file: FileReport) -> str:
    status = file.status
    if file.old_path is not None and file.old_path != file.path:
        status += f" from {one_line(file.old_path)}"
    heading = f"{one_line(file.path)} ({status})"
    if not file.issues:
        heading += ": no issues" if file.policies else ": no policies found"
    return heading


def _issue_lines(issue: Issue, color: bool) -> list[str]:
    where = f"{one_line(issue.location.path)}:{issue.location.line}:{issue.location.column + 1}:"
    kind = label(issue)
    context = place(issue)
    rest = f"[{issue.check}]" + (f" {one_line(context)}" if context else "")
    rest += f": {one_line(issue.message)}"
    if issue.waived_by is not None:
        text = f"{where} {kind} {rest} (waived: {one_line(issue.waived_by)})"
        return ["  " + _paint(color, kind, text)]
    if issue.baselined_in is not None:
        text = f"{where} {kind} {rest} (in {one_line(issue.baselined_in)})"
        return ["  " + _paint(color, kind, text)]
    lines = [f"  {where} {_paint(color, kind, kind)} {rest}"]
    if issue.aws_message:
        lines.append(f"      AWS: {one_line(issue.aws_message)}")
    if issue.counterexample is not None:
        lines.append("      request:")
        lines += [
            f"        {name:<10}{one_line(value)}"
            for name, value in request_fields(issue.counterexample)
        ]
    if issue.access_diff is not None:
        lines.append(
            f"      access: {one_line(summary(issue.access_diff, statement=issue.statement_index))}"
        )
    return lines
