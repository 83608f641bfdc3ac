"""`emit`: where each format's text goes, the SARIF copy, and GitHub's summary and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_report_golden import sample_report

import policy_guard.report
from policy_guard.errors import InputError
from policy_guard.report.writer import FORMATS, emit

ESC = "\x1b["


def test_the_package_exposes_emit_for_the_workflow_command() -> None:
    assert policy_guard.report.emit is emit
    assert set(FORMATS) == {"text", "json", "sarif", "github"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_returns_the_text_for_stdout_and_writes_nothing(fmt: str, tmp_path: Path) -> None:
    environ = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")} if fmt != "github" else {}
    text = emit(sample_report(), fmt=fmt, output=None, sarif=None, color=False, environ=environ)
    assert text is not None and text.endswith("\n")
    assert list(tmp_path.iterdir()) == []


def test_output_file_gets_the_text_without_colour(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.txt"
    result = emit(
        sample_report(), fmt="text", output=str(target), sarif=None, color=True, environ={}
    )
    assert result is None
    written = target.read_text(encoding="utf-8")
    assert ESC not in written
    assert "policies/naïve 100%.json (added)" in written


def test_colour_reaches_stdout_text_only_when_asked() -> None:
    report = sample_report()
    assert ESC in (emit(report, fmt="text", output=None, sarif=None, color=True, environ={}) or "")
    assert ESC not in (
        emit(report, fmt="text", output=None, sarif=None, color=False, environ={}) or ""
    )
    assert ESC not in (
        emit(report, fmt="json", output=None, sarif=None, color=True, environ={}) or ""
    )


def test_sarif_copy_beside_any_format(tmp_path: Path) -> None:
    sarif = tmp_path / "results" / "policy-guard.sarif"
    text = emit(sample_report(), fmt="text", output=None, sarif=str(sarif), color=False, environ={})
    assert text is not None and text.startswith("compared with base")
    log = json.loads(sarif.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    assert len(log["runs"][0]["results"]) == len(sample_report().issues)


def test_github_appends_summary_and_outputs(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary.md"
    outputs = tmp_path / "output.txt"
    summary.write_text("## earlier step\n", encoding="utf-8")
    outputs.write_text("earlier=1\n", encoding="utf-8")
    environ = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    text = emit(
        sample_report(), fmt="github", output=None, sarif=None, color=False, environ=environ
    )
    assert text is not None and text.startswith("::")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("## earlier step\n## policy-guard\n")
    pairs = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())
    # the sample: 2 unwaived errors, 2 warnings, 1 undecided, 5 files
    assert pairs == {"earlier": "1", "errors": "2", "warnings": "2", "undecided": "1", "files": "5"}


def test_github_without_the_environment_writes_no_files(tmp_path: Path) -> None:
    text = emit(sample_report(), fmt="github", output=None, sarif=None, color=False, environ={})
    assert text is not None
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown format `xml`"):
        emit(sample_report(), fmt="xml", output=None, sarif=None, color=False, environ={})


def test_unwritable_target_is_an_input_error_naming_it(tmp_path: Path) -> None:
    directory = tmp_path / "taken"
    directory.mkdir()
    with pytest.raises(InputError) as caught:
        emit(
            sample_report(), fmt="json", output=str(directory), sarif=None, color=False, environ={}
        )
    assert caught.value.filename == str(directory)
    assert str(caught.value).startswith(f"{directory}: cannot write")
