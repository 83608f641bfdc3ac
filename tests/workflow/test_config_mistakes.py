"""Configuration that catches its own mistakes: a critical permission that matches no real action
is an error at its line with a did-you-mean, and a waiver that no longer matches anything is a
note at its line after a sweep of every file (it would otherwise wait to hide a new finding)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from gitrepo import commit, isolated_git, make_repo, policy, statement, write

from policy_guard.errors import InputError
from policy_guard.workflow.config import load_config
from policy_guard.workflow.results import RunReport, Severity
from policy_guard.workflow.runner import RunOptions, run

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

TODAY = date(2026, 1, 1)


def critical(actions: str) -> str:
    return f"critical_permissions:\n  - id: users\n    description: users\n    actions: {actions}\n"


@pytest.mark.parametrize(
    ("actions", "line", "expected"),
    [
        ('["iam:CreateUser", "iam:CreatUser"]', 4, "did you mean `iam:CreateUser`?"),
        ("iamm:CreateUser", 4, "the service `iamm` is not in the catalogue"),
        ('["iam:Creat*Userz"]', 4, "`iam:Creat*Userz` matches no action of `iam`"),
        ("CreateUser", 4, "is not an action"),
    ],
)
def test_a_critical_permission_that_matches_no_action_is_an_error_at_its_line(
    tmp_path: Path, actions: str, line: int, expected: str
) -> None:
    path = write(tmp_path, ".policy-guard.yaml", critical(actions))
    with pytest.raises(InputError) as raised:
        load_config(str(path), ".policy-guard.yaml", required=True)
    message = str(raised.value)
    assert f".policy-guard.yaml:{line}:" in message and expected in message


@pytest.mark.parametrize("actions", ['["iam:CreateUser", "IAM:createuser"]', "iam:Create*", '"*"'])
def test_real_actions_and_patterns_are_accepted(tmp_path: Path, actions: str) -> None:
    path = write(tmp_path, ".policy-guard.yaml", critical(actions))
    assert load_config(str(path), ".policy-guard.yaml", required=True).critical_permissions


WAIVERS = """
critical_permissions:
  - id: delete-bucket
    description: deletes buckets
    actions: [s3:DeleteBucket]
waivers:
  - path: iam/app.json
    check: critical-permission
    reason: the app deletes its preview buckets
  - path: iam/gone.json
    check: critical-permission
    reason: paid off long ago
  - path: iam/app.json
    check: no-new-access
    reason: judged only against a base
"""


def sweep(repo: Path, **options: object) -> RunReport:
    return run(RunOptions(jobs=1, **options), cwd=str(repo), environ={}, today=TODAY)  # type: ignore[arg-type]


def test_a_waiver_that_matches_nothing_in_a_sweep_is_a_note_at_its_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    write(repo, ".policy-guard.yaml", WAIVERS)
    write(repo, "iam/app.json", policy(statement("s3:DeleteBucket", "arn:aws:s3:::preview")))
    commit(repo, "first")
    report = sweep(repo, all_files=True)
    notes = [i for i in report.issues if i.check == "unused-waiver"]
    assert [(n.severity, n.location.path, n.location.line) for n in notes] == [
        (Severity.NOTE, ".policy-guard.yaml", 10)
    ]
    assert "`iam/gone.json`" in notes[0].message
    assert report.exit_code == 0  # the used waiver holds; a note fails nothing
    # outside a sweep nothing can tell whether a waiver is used
    write(repo, "iam/app.json", policy(statement("s3:DeleteBucket", "arn:aws:s3:::preview2")))
    assert not [i for i in sweep(repo).issues if i.check == "unused-waiver"]
