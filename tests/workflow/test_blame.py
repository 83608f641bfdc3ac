"""Findings point at the element that adds the access (issue 9, point 6): the Action entry,
Resource entry or condition of the blamed statement that matches the counterexample (the
first in document order; the others listed), in text, JSON, SARIF and GitHub annotations,
whose span covers that element only. Real git repositories, as in test_workflow_cli."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from gitrepo import commit, isolated_git, make_repo, policy, statement, write

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.cli import main
from policy_guard.document.read import decode_text
from policy_guard.policy.model import PolicyType
from policy_guard.policy.parse import load_policy

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

READ = statement(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data*", sid="Read")
WIDER = statement(["s3:GetObject", "s3:DeleteBucket"], "arn:aws:s3:::data")
NEW = policy(READ, WIDER)


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and 1-based column of the quoted string `needle` in `text`."""
    offset = text.index(f'"{needle}"')
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ))
    commit(path, "first")
    write(path, "iam/app.json", NEW)
    monkeypatch.chdir(path)
    return path


def test_the_finding_points_at_the_action_entry_in_every_format(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line, column = position(NEW, "s3:DeleteBucket")
    resource_line, resource_column = position(NEW, "arn:aws:s3:::data")
    code = main(["--format", "json", "--sarif", "r.sarif"])
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    (issue,) = [i for f in report["files"] for i in f["issues"] if i["check"] == "no-new-access"]
    location = issue["location"]
    assert (location["line"], location["column"] + 1) == (line, column)
    assert (location["endLine"], location["endColumn"] + 1) == (
        line,
        column + len('"s3:DeleteBucket"'),
    )
    assert f"also matching line {resource_line}:{resource_column}" in issue["message"]
    sarif = json.loads((repo / "r.sarif").read_text(encoding="utf-8"))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "no-new-access"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (line, column)
    assert region["endLine"] == line
    assert main(["--format", "github"]) == 1
    annotation = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("::error"))
    assert f"line={line},col={column}," in annotation and f"endLine={line}," in annotation
    assert main([]) == 1
    assert f"iam/app.json:{line}:{column}:" in capsys.readouterr().out


def test_a_single_check_names_the_element_and_lists_the_others() -> None:
    text = policy(
        statement("s3:GetObject", "arn:aws:s3:::a/*"),
        statement(
            ["s3:GetObject", "s3:PutObject"],
            ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
            Condition={"Bool": {"aws:SecureTransport": "true"}},
        ),
    )
    granted = load_policy(decode_text(text, "p.json"), PolicyType.IDENTITY)
    access = Access(("s3:PutObject",), ("arn:aws:s3:::b/*",))
    for solver in ("z3", "cvc5"):
        result = check_access_not_granted(granted, access, EngineOptions(solver))
        (reason,) = result.reasons
        spans = [granted.span_of(path) for path in reason.elements]
        found = [(s.line, s.column + 1) for s in spans]
        assert found[:2] == [position(text, "s3:PutObject"), position(text, "arn:aws:s3:::b/*")]
        assert reason.elements[2][-2:] == ("Bool", "aws:SecureTransport")
        assert reason.located == reason.elements[0]


def test_the_finding_key_is_the_statement_whichever_entry_is_blamed(repo: Path) -> None:
    """The baseline identity of a finding (`Issue.finding_key`) is its statement's, not the
    entry the issue points at: the element blamed depends on the counterexample found."""
    from policy_guard.workflow.baseline import finding_key
    from policy_guard.workflow.runner import RunOptions, run

    report = run(RunOptions(jobs=1, baseline=None), cwd=str(repo), environ={}, today=date.today())
    (issue,) = [i for i in report.issues if i.check == "no-new-access"]
    assert (issue.location.line, issue.location.column + 1) == position(NEW, "s3:DeleteBucket")
    assert issue.statement_index is not None
    statement_path = ("Statement", issue.statement_index)
    value = json.loads(NEW)
    expected = finding_key("no-new-access", issue.policy_id, "", value, statement_path)
    assert issue.finding_key == expected
    blamed = finding_key(
        "no-new-access", issue.policy_id, "", value, (*statement_path, "Action", 1)
    )
    assert issue.finding_key != blamed
