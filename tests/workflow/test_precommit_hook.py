"""The real pre-commit tool running this project's hooks (`.pre-commit-hooks.yaml`).

The hook repository is a fresh git repository holding this checkout's package files, so the
hooks run the code under test; pre-commit installs it (`language: python`: a virtualenv and
`pip install .`) once per session, in a PRE_COMMIT_HOME shared by the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from gitrepo import BASE_VARIABLES, commit, git, make_repo, policy, statement, write

PROJECT = Path(__file__).resolve().parents[2]
READ = statement(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data*", sid="Read")
NARROWER = statement("s3:GetObject", "arn:aws:s3:::data/*", sid="Read")
DELETE = statement("s3:DeleteBucket", "arn:aws:s3:::data", sid="Delete")

pytestmark = [
    pytest.mark.slow,  # installs the hook into a pre-commit environment: about 40 s the first time
    pytest.mark.skipif(
        not (PROJECT / ".pre-commit-hooks.yaml").exists() or shutil.which("git") is None,
        reason="needs this project's source checkout and git",
    ),
]


class HookRepo(NamedTuple):
    path: Path
    rev: str
    home: Path


def _isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    monkeypatch.setenv("NO_COLOR", "1")
    for name in (*BASE_VARIABLES, "PRE_COMMIT_ALLOW_NO_CONFIG", "SKIP"):
        monkeypatch.delenv(name, raising=False)


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )


class Committed(NamedTuple):
    returncode: int
    output: str  # git prints the hook's output on standard error


def git_commit(repo: Path, message: str = "change") -> Committed:
    """`git commit` of what is staged, through the installed pre-commit hook."""
    done = subprocess.run(
        ["git", "commit", "--message", message],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return Committed(done.returncode, done.stdout + done.stderr)


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    """This checkout as a hook repository, its environment installed once."""
    root = tmp_path_factory.mktemp("hook-repo")
    home = tmp_path_factory.mktemp("pre-commit-home")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, home)
        path = make_repo(root / "policy-guard")
        for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
            shutil.copy2(PROJECT / name, path / name)
        shutil.copytree(
            PROJECT / "policy_guard",
            path / "policy_guard",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        rev = commit(path, "policy-guard under test")
        hook = HookRepo(path, rev, home)
        warm = make_repo(root / "warm-up")
        write(warm, ".pre-commit-config.yaml", _config(hook))
        commit(warm)
        done = pre_commit(warm, "install-hooks")
        assert done.returncode == 0, done.stdout + done.stderr
        yield hook


def _config(hook: HookRepo) -> str:
    return (
        f"repos:\n  - repo: {hook.path}\n    rev: {hook.rev}\n    hooks:\n"
        "      - id: policy-guard\n      - id: policy-guard-all\n"
    )


@pytest.fixture
def project(tmp_path: Path, hook_repo: HookRepo, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository using the hooks, with one committed policy and the hook installed."""
    _isolate(monkeypatch, hook_repo.home)
    repo = make_repo(tmp_path / "project")
    write(repo, ".pre-commit-config.yaml", _config(hook_repo))
    write(repo, "iam/app.json", policy(READ))
    write(repo, "package.json", '{"name": "app"}\n')
    commit(repo, "first")
    done = pre_commit(repo, "install", "--hook-type", "pre-commit")
    assert done.returncode == 0, done.stderr
    return repo


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_a_reformatting_only_change_is_committed(project: Path) -> None:
    before = head(project)
    write(project, "iam/app.json", policy(READ, indent=None))
    git(project, "add", "iam/app.json")
    done = git_commit(project)
    assert done.returncode == 0, done.output
    assert "policy-guard (IAM policy changes)" in done.output and "Passed" in done.output
    assert head(project) != before


def test_a_commit_without_policies_skips_the_hook(project: Path) -> None:
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    git(project, "add", "logo.png")
    done = git_commit(project)
    assert done.returncode == 0 and "(no files to check)Skipped" in done.output


def test_a_text_file_reaches_the_hook_which_reads_nothing_unselected(project: Path) -> None:
    # `text` lets templates named `.template` and extensionless AWS CLI output through
    write(project, "README.md", "text\n")
    git(project, "add", "README.md")
    done = git_commit(project)
    assert done.returncode == 0 and "policy-guard (IAM policy changes)" in done.output
    assert "Passed" in done.output


def test_invalid_json_is_refused_with_its_position(project: Path) -> None:
    before = head(project)
    write(project, "iam/app.json", '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {,\n')
    git(project, "add", "iam/app.json")
    done = git_commit(project)
    assert done.returncode != 0
    assert "Failed" in done.output
    assert "iam/app.json:4:" in done.output and "parse-error" in done.output
    assert head(project) == before  # git refused the commit


def test_the_all_hook_runs_in_the_manual_stage(project: Path) -> None:
    write(project, "other/broken.json", policy(dict(READ, Effect="Alow")))
    done = pre_commit(project, "run", "--hook-stage", "manual", "policy-guard-all")
    assert done.returncode == 1, done.stdout
    assert "other/broken.json:" in done.stdout and "validation" in done.stdout


def test_pre_push_checks_the_pushed_commits_content(project: Path) -> None:
    first = head(project)
    write(project, "iam/app.json", '{"Statement": [\n')
    git(project, "add", "iam/app.json")
    git(project, "commit", "--quiet", "--no-verify", "--message", "broken")
    pushed = head(project)
    write(project, "iam/app.json", policy(READ))  # the working tree is fine again; the push isn't
    done = pre_commit(
        project,
        "run",
        "--hook-stage",
        "pre-push",
        "--from-ref",
        first,
        "--to-ref",
        pushed,
        "policy-guard",
    )
    assert done.returncode == 1, done.stdout
    assert "iam/app.json:2:" in done.stdout


def test_a_narrowing_is_committed(project: Path) -> None:
    write(project, "iam/app.json", policy(NARROWER))
    git(project, "add", "iam/app.json")
    done = git_commit(project)
    assert done.returncode == 0, done.output


def test_a_new_delete_bucket_is_refused_naming_file_and_statement(project: Path) -> None:
    before = head(project)
    write(project, "iam/app.json", policy(READ, DELETE))
    git(project, "add", "iam/app.json")
    done = git_commit(project)
    assert done.returncode != 0
    assert "iam/app.json:" in done.output and "no-new-access" in done.output
    assert "Delete" in done.output and "s3:DeleteBucket" in done.output
    assert head(project) == before


# --- no way around the hook (issue 9) -----------------------------------------------------------

WIDE = statement("s3:*", "*", sid="Wide")


def test_a_rename_with_a_rewrite_to_everything_is_refused(project: Path) -> None:
    """`git mv` plus a rewrite: git sees a delete and an add, and the added file is compared
    with nothing, so `s3:*` on `*` is new access."""
    before = head(project)
    git(project, "mv", "iam/app.json", "iam/app2.json")
    write(project, "iam/app2.json", policy(WIDE))
    git(project, "add", "--all")
    done = git_commit(project)
    assert done.returncode != 0, done.output
    assert "iam/app2.json:" in done.output and "no-new-access" in done.output
    assert head(project) == before


def test_a_fix_that_widens_a_base_iam_would_refuse_is_refused(project: Path) -> None:
    """The base has an unknown element (committed past the hook); fixing it and widening to
    `*` on `*` is compared with the last version IAM would accept."""
    write(project, "iam/app.json", policy(dict(READ, Unknown="element")))
    git(project, "add", "iam/app.json")
    git(project, "commit", "--quiet", "--no-verify", "--message", "broken")
    before = head(project)
    write(project, "iam/app.json", policy(statement("*", "*", sid="Everything")))
    git(project, "add", "iam/app.json")
    done = git_commit(project)
    assert done.returncode != 0, done.output
    assert "no-new-access" in done.output and "Everything" in done.output
    assert head(project) == before


TERRAFORM = """\
data "aws_iam_policy_document" "app" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::data/*"]
  }
}
"""


def test_a_widening_in_a_tf_file_reaches_the_hook_and_is_refused(project: Path) -> None:
    """`identify` tags `.tf` files `terraform`: the manifest's `types_or` lets them through."""
    write(project, "main.tf", TERRAFORM)
    git(project, "add", "main.tf")
    assert git_commit(project, "terraform").returncode == 0
    before = head(project)
    write(
        project,
        "main.tf",
        TERRAFORM.replace('["s3:GetObject"]', '["s3:GetObject", "s3:PutObject"]'),
    )
    git(project, "add", "main.tf")
    done = git_commit(project)
    assert done.returncode != 0
    assert "main.tf:4:" in done.output and "s3:PutObject" in done.output  # the `actions` entry
    assert head(project) == before
