"""GitHub: annotations escaped as the Actions toolkit escapes them and readable back to the
issue they came from; the Markdown summary; the step outputs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_report_golden import sample_report

from policy_guard.report.describe import one_line
from policy_guard.report.github import (
    code,
    escape_data,
    escape_property,
    github_outputs,
    markdown_text,
    render_github,
    render_step_summary,
)
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport, Severity

ANNOTATION = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")
awkward_text = st.text(alphabet=st.sampled_from("ab %:,\r\n=é:%25%0A"), max_size=30) | st.text(
    max_size=30
)


def unescape(text: str, *, data: bool = False) -> str:
    """What the Actions runner does to a command's property (or data): `%25` last."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([] if data else [("%3A", ":"), ("%2C", ",")])
    for escaped, plain in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


@given(awkward_text)
def test_escaped_property_reads_back_and_cannot_end_early(value: str) -> None:
    escaped = escape_property(value)
    assert not set(escaped) & {",", ":", "\n", "\r"}
    assert unescape(escaped) == value


@given(awkward_text)
def test_escaped_data_reads_back_and_stays_on_one_line(value: str) -> None:
    escaped = escape_data(value)
    assert "\n" not in escaped and "\r" not in escaped
    assert unescape(escaped, data=True) == value


def test_toolkit_examples() -> None:
    # the cases of @actions/core's own command tests
    assert escape_data("percent % percent % cr \r cr \r lf \n lf \n") == (
        "percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A"
    )
    assert escape_property("a:b,c%d\r\n") == "a%3Ab%2Cc%25d%0D%0A"


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = ANNOTATION.match(line)
    assert match, line
    properties = dict(p.split("=", 1) for p in match.group(2).split(","))
    return (
        match.group(1),
        {k: unescape(v) for k, v in properties.items()},
        unescape(match.group(3), data=True),
    )


def test_each_unwaived_issue_becomes_an_annotation_on_its_line() -> None:
    report = sample_report()
    lines = render_github(report).splitlines()
    annotations = [parse(line) for line in lines if line.startswith("::")]
    unwaived = [i for i in report.issues if i.waived_by is None]
    assert len(annotations) == len(unwaived)
    command = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}
    found = {(p["file"], int(p["line"]), p["title"]): (kind, data) for kind, p, data in annotations}
    for issue in unwaived:
        key = (issue.location.path, issue.location.line, f"policy-guard: {issue.check}")
        kind, data = found[key]
        assert kind == command[issue.severity]
        assert one_line(issue.message) in data.splitlines()[0]
    assert (
        lines[-1]
        == "policy-guard: 2 errors, 2 warnings, 1 note, 1 undecided in 5 files, 5 policies "
        "(1 waived)"
    )


def test_annotation_carries_the_counterexample_on_its_own_lines() -> None:
    lines = render_github(sample_report()).splitlines()
    _, properties, data = parse(next(line for line in lines if "public-access" in line))
    assert properties["file"] == "templates/stack,v1:prod.yaml"
    assert properties["col"] == "9"
    assert data.splitlines()[1:] == [
        "request:",
        "  principal: anonymous",
        "  action: s3:GetObject",
        "  resource: arn:aws:s3:::public-bucket/100%,a:b",
    ]


def test_columns_only_for_one_line_spans() -> None:
    issues = (
        Issue("validation", Severity.WARNING, "a", Location("p.json", 3, 2, 3, 9)),
        Issue("validation", Severity.WARNING, "b", Location("p.json", 5, 2, 8, 1)),
    )
    report = RunReport((FileReport("p.json", "modified", None, (), issues),), None)
    first, second = (parse(line)[1] for line in render_github(report).splitlines()[:2])
    assert (first["line"], first["col"], first["endLine"], first["endColumn"]) == (
        "3",
        "3",
        "3",
        "10",
    )
    assert (second["line"], second["endLine"]) == ("5", "8")
    assert "col" not in second and "endColumn" not in second


def test_outputs_are_the_unwaived_counts() -> None:
    assert github_outputs(sample_report()) == {
        "errors": 2,
        "warnings": 2,
        "undecided": 1,
        "files": 5,
    }


def test_summary_has_counts_findings_and_waivers() -> None:
    summary = render_step_summary(sample_report())
    assert "| 2 | 2 | 1 | 1 | 1 | 0 | 5 |" in summary
    assert "### `policies/admin role.json` (modified)" in summary
    assert "### `templates/stack,v1:prod.yaml` (renamed from `templates/old stack.yaml`)" in summary
    assert "Waived: CI deploys roles; ticket SEC\\-42" not in summary  # '-' needs no escape
    assert "Waived: CI deploys roles; ticket SEC-42, until 2031-01-01" in summary
    assert "principal `anonymous`, action `s3:GetObject`" in summary
    assert "No findings in `policies/clean.json`." in summary
    assert summary.startswith("## policy-guard\n")


def test_summary_says_when_nothing_was_found() -> None:
    clean = FileReport("p.json", "modified", None, (), ())
    summary = render_step_summary(RunReport((clean,), "main", report_only=True))
    assert "✅ 0 errors, 0 warnings, 0 undecided in 1 file, no policy found" in summary
    assert "Report only" in summary
    assert "Compared with base `main`." in summary


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "`` a`b ``"),
        ("`x", "`` `x ``"),
        ("two\nlines", "`two\\nlines`"),
    ],
)
def test_code_span_holds_any_value(value: str, span: str) -> None:
    assert code(value) == span


def test_markdown_text_escapes_html_and_emphasis_outside_code() -> None:
    text = markdown_text("a <script> *b* in `x*y<z>`")
    assert text == "a \\<script\\> \\*b\\* in `x*y<z>`"
