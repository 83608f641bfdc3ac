"""GitHub Actions: workflow-command annotations, the Markdown step summary, the step outputs.

Annotations (`::error file=…,line=…::message`) put each finding on its line in the pull
request; GitHub reads them from the step's standard output. Properties and data are escaped as
the Actions toolkit does (`%`, CR, LF in both; `:` and `,` in properties too). Waived and
baselined issues get no annotation (the summary lists them with the waiver's reason or the
baseline file). Columns are 1-based, and are
sent only for a one-line span, which is all GitHub accepts.
"""

from __future__ import annotations

import re

from policy_guard.report.access_diff import summary
from policy_guard.report.describe import (
    headline,
    label,
    one_line,
    ordered,
    place,
    request_fields,
    summary_line,
)
from policy_guard.workflow.results import FileReport, Issue, RunReport, Severity

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
_MARKS = {
    "error": "❌",
    "warning": "⚠️",
    "note": "📝",
    "undecided": "❓",
    "waived": "💤",
    "baselined": "📌",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def escape_data(text: str) -> str:
    """A workflow command's message, as `escapeData` in @actions/core escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, as `escapeProperty` in @actions/core escapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: RunReport, color: bool = False) -> str:
    """One annotation per issue neither waived nor baselined, then the summary line for the
    log (`color` ignored)."""
    lines = [
        _annotation(issue)
        for file in report.files
        for issue in ordered(file.issues)
        if not issue.accepted
    ]
    lines.append(f"policy-guard: {summary_line(report)}")
    return "\n".join(lines) + "\n"


def github_outputs(report: RunReport) -> dict[str, int]:
    """The step outputs the action exposes: unwaived errors, warnings, undecided; files."""
    counts = report.counts()
    return {
        "errors": counts["error"],
        "warnings": counts["warning"],
        "undecided": counts["undecided"],
        "files": counts["files"],
    }


def _annotation(issue: Issue) -> str:
    location = issue.location
    properties = [("file", location.path), ("line", str(max(1, location.line)))]
    one_line_span = location.end_line is None or location.end_line == location.line
    if one_line_span:
        properties.append(("col", str(location.column + 1)))
    if location.end_line is not None:
        properties.append(("endLine", str(location.end_line)))
    if one_line_span and location.end_column is not None:
        properties.append(("endColumn", str(location.end_column + 1)))
    properties.append(("title", f"policy-guard: {issue.check}"))
    head = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{_COMMANDS[issue.severity]} {head}::{escape_data(_annotation_text(issue))}"


def _annotation_text(issue: Issue) -> str:
    """The message on its first line, then AWS's wording and the request, a line each."""
    lines = [headline(issue)]
    if issue.aws_message:
        lines.append(f"AWS: {issue.aws_message}")
    if issue.counterexample is not None:
        lines.append("request:")
        lines += [f"  {name}: {value}" for name, value in request_fields(issue.counterexample)]
    if issue.access_diff is not None:
        lines.append(f"access: {summary(issue.access_diff, statement=issue.statement_index)}")
    return "\n".join(one_line(line) for line in lines)


def render_step_summary(report: RunReport) -> str:
    """Markdown for `GITHUB_STEP_SUMMARY`: the counts, then the findings of each file."""
    counts = report.counts()
    lines = ["## policy-guard", ""]
    if report.base is not None:
        lines.append(f"Compared with base {code(report.base)}.")
    if report.report_only:
        lines.append("Report only: findings do not fail the check (undecided files still do).")
    if report.base is not None or report.report_only:
        lines.append("")
    lines += [
        f"{_verdict_mark(counts)} {summary_line(report)}",
        "",
        "| errors | warnings | notes | undecided | waived | baselined | files |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {counts['error']} | {counts['warning']} | {counts['note']} | {counts['undecided']} "
        f"| {counts['waived']} | {counts['baselined']} | {counts['files']} |",
    ]
    clean = [f for f in report.files if not f.issues]
    for file in report.files:
        if file.issues:
            lines += ["", *_file_section(file)]
    if clean:
        lines += ["", "No findings in " + ", ".join(code(f.path) for f in clean) + "."]
    return "\n".join(lines) + "\n"


def _verdict_mark(counts: dict[str, int]) -> str:
    """❌ when the run fails or would fail without report-only, ⚠️ for warnings, else ✅."""
    if counts["error"] or counts["undecided"]:
        return "❌"
    return "⚠️" if counts["warning"] else "✅"


def _file_section(file: FileReport) -> list[str]:
    status = file.status
    if file.old_path is not None and file.old_path != file.path:
        status += f" from {code(file.old_path)}"
    lines = [f"### {code(file.path)} ({status})", ""]
    diffs = {i.policy_id: i.access_diff for i in file.issues if i.access_diff is not None}
    for policy_id, diff in diffs.items():
        where = f" ({code(policy_id)})" if policy_id else ""
        lines += [f"**Access**{where}: {markdown_text(summary(diff))}", ""]
    for issue in ordered(file.issues):
        kind = label(issue)
        head = f"- {_MARKS[kind]} **{kind}** {code(issue.check)} line {issue.location.line}"
        where = place(issue)
        if where:
            head += f", {markdown_text(where)}"
        lines.append(head + "  ")
        details = [markdown_text(issue.message)]
        if issue.waived_by is not None:
            details.append(f"Waived: {markdown_text(issue.waived_by)}")
        if issue.baselined_in is not None:
            details.append(f"In the baseline: {code(issue.baselined_in)}")
        if issue.aws_message:
            details.append(f"AWS: {markdown_text(issue.aws_message)}")
        if issue.counterexample is not None:
            fields = request_fields(issue.counterexample)
            details.append("Request: " + ", ".join(f"{n} {code(v)}" for n, v in fields))
        lines += [f"  {d}  " for d in details[:-1]] + [f"  {details[-1]}"]
    return lines


def code(value: str) -> str:
    """`value` as a Markdown code span, on one line, whatever backticks it holds."""
    text = one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_text(text: str) -> str:
    """Text outside code spans: one line, Markdown and HTML punctuation escaped.

    Messages quote the user's values in backticks; those spans are kept as code spans.
    """
    pieces = re.split(r"(`[^`]+`)", one_line(text))
    return "".join(
        code(p[1:-1]) if i % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", p) for i, p in enumerate(pieces)
    )
