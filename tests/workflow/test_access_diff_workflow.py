"""The access diff through the workflow, in real git repositories: the JSON report's
`accessDiff`, the SARIF message, the annotations and the step summary say what a change newly
grants; a new policy (`new_files: fail` or `compare-with-empty`) says what it grants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, isolated_git, make_repo, policy, statement, write

from policy_guard.cli import main

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

READ = statement(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data*", sid="Read")
DELETE = statement("s3:DeleteBucket", "arn:aws:s3:::data", sid="Delete")
QUEUES = statement("sqs:*", "*", sid="Queues")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ, QUEUES))
    commit(path, "first")
    monkeypatch.chdir(path)
    return path


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_widening_reports_every_gained_and_lost_action(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "iam/app.json", policy(READ, DELETE))
    code, found = report(capsys, "--sarif", "out.sarif")
    assert code == 1
    (issue,) = [i for f in found["files"] for i in f["issues"]]
    diff = issue["accessDiff"]
    assert [c["action"] for c in diff["gained"]] == ["s3:DeleteBucket"]
    assert diff["gained"][0]["statements"] == [{"statementIndex": 1, "statementId": "Delete"}]
    assert diff["gained"][0]["resources"] == ["arn:aws:s3:::data"]
    lost = [c["action"] for c in diff["lost"]]
    assert "sqs:SendMessage" in lost and all(a.startswith("sqs:") for a in lost if a)
    assert any(not c["catalogued"] for c in diff["lost"])  # `sqs:*` also held future actions
    sarif = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    (result,) = sarif["runs"][0]["results"]
    assert (
        "Access: newly grants 1 action in 1 service: s3:DeleteBucket (granted by Delete on "
        "arn:aws:s3:::data)" in (result["message"]["text"])
    )
    assert (
        f"removes {len([c for c in diff['lost'] if c['catalogued']])} actions in 1 service"
        in (result["message"]["text"])
    )


def test_the_annotation_and_the_step_summary_say_it_too(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = repo.parent / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write(repo, "iam/app.json", policy(READ, QUEUES, DELETE))
    assert main(["--format", "github"]) == 1
    annotation = next(line for line in capsys.readouterr().out.splitlines() if "::error" in line)
    assert "%0Aaccess: newly grants 1 action in 1 service: s3:DeleteBucket" in annotation
    assert "removes nothing" in annotation
    text = summary.read_text(encoding="utf-8")
    assert "**Access**: newly grants 1 action in 1 service: s3:DeleteBucket" in text


@pytest.mark.parametrize("new_files", ["fail", "compare-with-empty"])
def test_a_new_policy_says_what_it_grants(
    repo: Path, capsys: pytest.CaptureFixture[str], new_files: str
) -> None:
    write(repo, ".policy-guard.yaml", f"new_files: {new_files}\n")
    write(repo, "iam/new.json", policy(statement(["kms:Decrypt", "kms:Encrypt"], "*")))
    code, found = report(capsys, "iam/new.json")
    assert code == 1
    (issue,) = [i for f in found["files"] for i in f["issues"]]
    diff = issue["accessDiff"]
    assert diff["newPolicy"] is True and diff["lost"] == []
    assert [c["action"] for c in diff["gained"]] == ["kms:Decrypt", "kms:Encrypt"]
    assert main(["iam/new.json"]) == 1
    assert "grants 2 actions in 1 service: kms:Decrypt, kms:Encrypt" in capsys.readouterr().out
