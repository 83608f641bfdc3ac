"""Arguments that are not what they seem: a FILE that does not exist is an error naming it
(exit 2) whatever its name, inside a repository and outside; an existing file that is not a
policy source is quietly skipped (pre-commit passes `package.json` and the like)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import commit, isolated_git, make_repo, policy, statement, write

from policy_guard.cli import main

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]


@pytest.fixture(params=["repository", "plain folder"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "repository":
        path = make_repo(tmp_path / "repo")
        write(path, "iam/app.json", policy(statement("s3:GetObject")))
        write(path, "package.json", '{"name": "app"}\n')
        commit(path)
        return path
    write(tmp_path, "package.json", '{"name": "app"}\n')
    return tmp_path


@pytest.mark.parametrize("name", ["initt", "missing.txt", "missing.json", "iam/gone.yaml"])
def test_a_file_that_does_not_exist_is_an_error_naming_it(
    folder: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(folder)
    assert main([name]) == 2
    assert f"{name}: no such file" in capsys.readouterr().err
    assert main(["--", name]) == 2


def test_an_existing_file_that_holds_no_policy_is_quietly_skipped(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(folder)
    assert main(["package.json"]) == 0
    assert capsys.readouterr().err == ""
