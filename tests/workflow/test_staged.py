"""The hook's quick look (`staged`): a commit that touches no policy file is let through with
plain git, without loading GitPython; anything else takes the full path, and nothing that the
full path would report is lost (expired waivers, broken policies, renames of policies)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from gitrepo import commit, git, isolated_git, make_repo, policy, statement, write

from policy_guard.workflow.runner import RunOptions, run
from policy_guard.workflow.staged import staged_paths

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

READ = statement("s3:GetObject", "arn:aws:s3:::data/*", sid="Read")
DELETE = statement("s3:DeleteBucket", "arn:aws:s3:::data", sid="Delete")
HOOK = {"PRE_COMMIT": "1"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ))
    write(path, "README.md", "policies\n")
    commit(path, "policies")
    return path


def hook_in_subprocess(repo: Path) -> tuple[int, bool, str]:
    """Run the hook as pre-commit would, in a fresh interpreter: exit code, whether GitPython
    was imported, the output."""
    code = (
        "import sys\n"
        "from policy_guard.cli import main\n"
        "code = main([])\n"
        "print('GITPYTHON' if 'git' in sys.modules else 'NO-GITPYTHON')\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "PRE_COMMIT": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, env=env, capture_output=True, text=True
    )
    return done.returncode, "NO-GITPYTHON" not in done.stdout, done.stdout + done.stderr


def test_a_commit_without_a_policy_passes_without_gitpython(repo: Path) -> None:
    write(repo, "README.md", "policies, changed\n")
    git(repo, "add", "README.md")
    code, gitpython, output = hook_in_subprocess(repo)
    assert (code, gitpython) == (0, False), output
    assert "0 errors" in output


def test_a_staged_policy_takes_the_full_path_and_is_checked(repo: Path) -> None:
    write(repo, "iam/app.json", policy(READ, DELETE))
    git(repo, "add", "iam/app.json")
    code, gitpython, output = hook_in_subprocess(repo)
    assert (code, gitpython) == (1, True), output
    assert "iam/app.json" in output and "Delete" in output


def test_a_policy_renamed_to_a_non_policy_name_is_not_lost(repo: Path) -> None:
    # The old name is deleted (nothing to check), the new one is not a policy file by its name.
    git(repo, "mv", "iam/app.json", "iam/app.txt")
    staged = staged_paths(str(repo))
    assert staged is not None and staged.paths == ("iam/app.txt",)
    report = run(RunOptions(jobs=1), cwd=str(repo), environ=HOOK, today=date(2025, 6, 1))
    assert report.exit_code == 0 and report.files == ()


def test_an_expired_waiver_is_reported_even_when_no_policy_changed(repo: Path) -> None:
    write(
        repo,
        ".policy-guard.yaml",
        "waivers:\n"
        "  - path: iam/app.json\n"
        "    check: no-new-access\n"
        "    reason: migration\n"
        "    expires: 2025-01-01\n",
    )
    commit(repo, "config")
    write(repo, "README.md", "changed\n")
    git(repo, "add", "README.md")
    report = run(RunOptions(jobs=1), cwd=str(repo), environ=HOOK, today=date(2025, 6, 1))
    assert [(i.check, i.location.path, i.location.line) for i in report.issues] == [
        ("expired-waiver", ".policy-guard.yaml", 2)
    ]


def test_staged_paths_lists_added_and_changed_files_but_not_deleted_ones(repo: Path) -> None:
    write(repo, "iam/with space é.json", policy(READ))
    write(repo, "README.md", "changed\n")
    git(repo, "rm", "--quiet", "iam/app.json")
    git(repo, "add", "--all")
    write(repo, "unstaged.json", json.dumps({"Statement": []}))  # not staged: not listed
    staged = staged_paths(str(repo / "iam"))
    assert staged is not None
    assert staged.root == git(repo, "rev-parse", "--show-toplevel").strip()
    assert staged.head == git(repo, "rev-parse", "HEAD").strip()
    assert sorted(staged.paths) == ["README.md", "iam/with space é.json"]


def test_staged_paths_gives_up_where_plain_git_cannot_say_simply(tmp_path: Path) -> None:
    assert staged_paths(str(tmp_path)) is None  # not a repository
    empty = make_repo(tmp_path / "empty")
    write(empty, "a.json", policy(READ))
    git(empty, "add", "a.json")
    assert staged_paths(str(empty)) is None  # no commit yet: the full path handles it
