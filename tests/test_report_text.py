"""Text report: one line per finding with file:line:col, readable requests, colour on demand."""

from __future__ import annotations

import dataclasses
import re

import pytest
from test_report_golden import ADMIN, sample_report

from policy_guard.report.text import render_text, should_color
from policy_guard.semantics.request import Request
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport, Severity

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeStream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # an empty NO_COLOR does not count (no-color.org)
        (False, {"FORCE_COLOR": "1"}, True),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        (True, {"TERM": "dumb"}, False),
        (False, {"TERM": "dumb", "FORCE_COLOR": "yes"}, True),
    ],
)
def test_should_color(tty: bool, environ: dict[str, str], expected: bool) -> None:
    assert should_color(FakeStream(tty), environ) is expected  # type: ignore[arg-type]


def test_no_escape_codes_without_colour_and_some_with_it() -> None:
    assert not ANSI.search(render_text(sample_report()))
    coloured = render_text(sample_report(), color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == render_text(sample_report())


def test_every_issue_is_one_line_with_its_position() -> None:
    report = sample_report()
    lines = render_text(report).splitlines()
    for issue in report.issues:
        where = f"{issue.location.path}:{issue.location.line}:{issue.location.column + 1}: "
        found = [line for line in lines if line.startswith("  " + where)]
        assert len(found) == 1, where
        assert f"[{issue.check}]" in found[0]


def test_messages_cannot_break_lines_or_inject_escape_codes() -> None:
    issue = Issue(
        "validation",
        Severity.WARNING,
        "first\nsecond \x1b[31mred\x1b[0m",
        Location("p.json", 4, 0),
    )
    out = render_text(
        RunReport((FileReport("p.json", "modified", None, (), (issue,)),), None), color=True
    )
    line = next(line for line in out.splitlines() if "p.json:4:1:" in line)
    assert "first\\nsecond \\x1b[31mred\\x1b[0m" in line
    assert "\x1b[31mred" not in out


def test_counterexample_is_shown_field_by_field() -> None:
    out = render_text(sample_report())
    block = out.split(f"{ADMIN}:12:5: ", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^ +action +s3:DeleteBucket$", block, re.M)
    assert re.search(r"^ +resource +arn:aws:s3:::example-bucket$", block, re.M)
    assert re.search(
        r"^ +context +aws:SourceIp=203\.0\.113\.7; aws:TagKeys=\[team, cost-centre\]$", block, re.M
    )
    assert "principal" not in block  # an identity policy's request has no principal
    assert "AWS: New access in the statement with index: 1." in block


def test_waived_issue_shows_its_reason_and_no_request() -> None:
    out = render_text(sample_report())
    line = next(line for line in out.splitlines() if "[critical-permission]" in line)
    assert ": waived [critical-permission]" in line
    assert line.endswith("(waived: CI deploys roles; ticket SEC-42, until 2031-01-01)")
    assert "iam:PassRole\n" not in out


def test_files_without_issues_are_listed() -> None:
    out = render_text(sample_report())
    assert "policies/clean.json (modified): no issues" in out.splitlines()
    empty = FileReport("readme.json", "added", None, (), ())
    assert "readme.json (added): no policies found" in render_text(RunReport((empty,), None))


@pytest.mark.parametrize(
    ("report", "summary"),
    [
        (
            sample_report(),
            "2 errors, 2 warnings, 1 note, 1 undecided in 5 files, 5 policies (1 waived)",
        ),
        (RunReport((), None), "0 errors, 0 warnings, 0 undecided in 0 files, no policy found"),
        (
            RunReport(
                (
                    FileReport(
                        "p.json",
                        "added",
                        None,
                        (),
                        (
                            Issue(
                                "critical-permission",
                                Severity.ERROR,
                                "x",
                                Location("p.json", 1),
                                counterexample=Request("iam:PassRole", "*"),
                            ),
                            Issue("validation", Severity.WARNING, "y", Location("p.json", 2)),
                        ),
                    ),
                ),
                None,
                report_only=True,
            ),
            "1 error, 1 warning, 0 undecided in 1 file, no policy found "
            "(report only: findings do not fail the run)",
        ),
    ],
    ids=["sample", "empty", "singular-report-only"],
)
def test_summary_line(report: RunReport, summary: str) -> None:
    assert render_text(report).splitlines()[-1] == summary


def test_renamed_file_names_its_old_path() -> None:
    out = render_text(sample_report())
    assert "templates/stack,v1:prod.yaml (renamed from templates/old stack.yaml)" in out
    unchanged_name = dataclasses.replace(sample_report().files[0], status="renamed", old_path=ADMIN)
    assert f"{ADMIN} (renamed)" in render_text(RunReport((unchanged_name,), None))
