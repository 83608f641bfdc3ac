"""Git and environment edge cases, each in a real repository (`gitrepo`): shallow clones,
detached HEAD, merge commits, submodules, symbolic links, binary and non-UTF-8 files, odd paths
and names, no git identity, a read-only tree, and a huge change checked in parallel.

Whatever the case, the run answers (0, 1 or 2 with a one-line reason) and writes nothing into
the repository besides what `--output`/`--sarif` name."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, git, isolated_git, make_repo, policy, statement, write

from policy_guard.cli import main

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

READ = statement("s3:GetObject", "arn:aws:s3:::data/*", sid="Read")
WIDER = statement("s3:*", "arn:aws:s3:::data/*", sid="Read")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main([*args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def checks_of(report: dict[str, Any], path: str) -> list[str]:
    return [i["check"] for f in report.get("files", []) if f["path"] == path for i in f["issues"]]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under the work tree (`.git` aside) with its size and modification time."""
    result = {}
    for folder, folders, names in os.walk(root):
        folders[:] = [f for f in folders if f != ".git"]
        for name in [*names, *folders]:
            full = os.path.join(folder, name)
            info = os.lstat(full)
            result[os.path.relpath(full, root)] = (info.st_size, info.st_mtime_ns)
    return result


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ))
    commit(path, "first")
    monkeypatch.chdir(path)
    return path


def test_shallow_clone_with_the_base_compares_with_it(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "iam/app.json", policy(WIDER))
    commit(repo, "widen")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "2", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    code, report, _ = run(capsys, "--base", "HEAD~1")
    assert code == 1 and checks_of(report, "iam/app.json") == ["no-new-access"]


def test_shallow_clone_without_the_base_is_one_line_naming_what_to_fetch(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(3):
        write(repo, "iam/app.json", policy(READ, statement("s3:ListBucket", f"arn:aws:s3:::b{i}")))
        commit(repo, f"change {i}")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    code = main(["--base", "HEAD~2"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "fetch" in err or "shallow" in err


def test_detached_head_compares_the_work_tree_with_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sha = commit(repo, "empty")
    git(repo, "checkout", "--quiet", "--detach", sha)
    write(repo, "iam/app.json", policy(WIDER))
    code, report, _ = run(capsys)
    assert code == 1 and checks_of(report, "iam/app.json") == ["no-new-access"]


def test_a_merge_commit_as_the_head_and_as_the_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "checkout", "--quiet", "-b", "feature")
    write(repo, "iam/app.json", policy(WIDER))
    commit(repo, "widen on a branch")
    git(repo, "checkout", "--quiet", "main")
    write(repo, "iam/other.json", policy(READ))
    commit(repo, "other work")
    git(repo, "merge", "--quiet", "--no-ff", "--no-edit", "feature")
    # the merge commit as the head: its first parent is the base
    code, report, _ = run(capsys, "--base", "HEAD^1")
    assert code == 1 and checks_of(report, "iam/app.json") == ["no-new-access"]
    # the merge commit as the base: a change after it is compared with the merged policy
    merge = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "iam/app.json", policy(READ))
    commit(repo, "narrow again")
    code, report, _ = run(capsys, "--base", merge)
    assert code == 0, report


def test_submodules_are_not_followed(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inner = make_repo(tmp_path / "inner")
    write(inner, "iam/admin.json", policy(statement("*", "*")))
    commit(inner, "inner")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(inner), "sub")
    commit(repo, "add a submodule")
    code, report, err = run(capsys, "--all")
    assert code == 0, (report, err)
    assert not [f for f in report["files"] if f["path"].startswith("sub/")]
    write(inner, "iam/admin.json", policy(statement("iam:*", "*")))
    commit(inner, "inner again")
    git(repo / "sub", "pull", "--quiet", "origin", "main")
    code, report, err = run(capsys)  # the submodule's pointer changed: nothing to read
    assert code == 0, (report, err)


def test_symbolic_links_are_never_followed_outside_and_a_linked_policy_is_read_once(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(policy(statement("*", "*")), encoding="utf-8")
    os.symlink(outside / "secret.json", repo / "iam" / "to-secret.json")
    os.symlink(outside, repo / "linked")
    os.symlink("app.json", repo / "iam" / "same.json")
    commit(repo, "links")
    code, report, err = run(capsys, "--all")
    paths = [f["path"] for f in report["files"]]
    assert code == 0, (report, err)
    assert paths == ["iam/app.json"]  # the linked policy once, under its own name
    code, report, err = run(capsys, "linked/secret.json")  # through a linked folder
    assert code == 2 and checks_of(report, "linked/secret.json") == ["undecided"]
    message = report["files"][0]["issues"][0]["message"]
    assert "symbolic link" in message and "outside the repository" in message


def test_binary_and_invalid_utf8_files_under_the_globs(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "iam" / "blob.json").write_bytes(bytes(range(256)) * 8)
    (repo / "iam" / "latin.json").write_bytes(
        policy(READ).replace("data", "d\xe9ta").encode("latin-1")
    )
    (repo / "iam" / "named.json").write_bytes(b'{"Statement": "\xff\xfe"}')
    commit(repo, "odd files")
    code, report, err = run(capsys, "--all")
    assert "internal error" not in err
    assert code in (1, 2)
    assert checks_of(report, "iam/latin.json") == ["parse-error"]
    assert checks_of(report, "iam/named.json") == ["parse-error"]
    assert "iam/app.json" in [f["path"] for f in report["files"]]


def test_a_repository_path_with_spaces_and_non_ascii(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_repo(tmp_path / "my repos" / "politiques d'accès ü")
    write(path, "iam/app.json", policy(READ))
    commit(path, "first")
    write(path, "iam/app.json", policy(WIDER))
    monkeypatch.chdir(path / "iam")
    code, report, _ = run(capsys)
    assert code == 1 and checks_of(report, "iam/app.json") == ["no-new-access"]


def test_file_names_with_quotes_newlines_and_spaces(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ['iam/we"ird.json', "iam/new\nline.json", "iam/it's here.json", "iam/tab\tü.json"]
    for name in names:
        write(repo, name, policy(READ))
    commit(repo, "odd names")
    for name in names:
        write(repo, name, policy(WIDER))
    code, report, err = run(capsys)
    assert code == 1, err
    for name in names:
        assert checks_of(report, name) == ["no-new-access"], (name, report)


def test_no_git_user_configured(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{name}_NAME", raising=False)
        monkeypatch.delenv(f"GIT_{name}_EMAIL", raising=False)
    monkeypatch.setenv("EMAIL", "")
    write(repo, "iam/app.json", policy(WIDER))
    git(repo, "add", "iam/app.json")
    monkeypatch.setenv("PRE_COMMIT", "1")
    code, report, _ = run(capsys)
    assert code == 1 and checks_of(report, "iam/app.json") == ["no-new-access"]


def test_a_read_only_work_tree_is_checked_and_nothing_is_written(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "iam/app.json", policy(WIDER))
    before = snapshot(repo)
    status = git(repo, "status", "--porcelain")
    modes = {}
    for folder, _, names in os.walk(repo):
        if ".git" in Path(folder).parts:
            continue
        for name in [*names, "."]:
            full = os.path.join(folder, name)
            modes[full] = os.lstat(full).st_mode
            os.chmod(full, stat.S_IMODE(modes[full]) & ~0o222)
    try:
        report_file = tmp_path / "report.sarif"
        code = main(["--sarif", str(report_file)])
        capsys.readouterr()
        assert code == 1 and report_file.exists()
        assert main(["--all"]) in (0, 1)
        capsys.readouterr()
    finally:
        for full, mode in modes.items():
            os.chmod(full, stat.S_IMODE(mode))
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == status


@pytest.mark.slow
def test_a_thousand_changed_policies_within_the_run_budget_in_parallel(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(1_000):
        write(repo, f"iam/p{i:04d}.json", policy(statement("s3:GetObject", f"arn:aws:s3:::b{i}/*")))
    commit(repo, "a thousand policies")
    for i in range(1_000):
        widened = statement(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::b{i}/*")
        write(repo, f"iam/p{i:04d}.json", policy(widened))
    started = time.monotonic()
    code, report, err = run(capsys, "--jobs", "2", "--run-timeout", "300")
    elapsed = time.monotonic() - started
    assert code == 1, err
    flagged = [f for f in report["files"] if checks_of(report, f["path"]) == ["no-new-access"]]
    assert len(flagged) == 1_000
    assert elapsed < 300


def test_past_the_run_budget_the_files_left_are_undecided_not_passed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(5):
        write(repo, f"iam/p{i}.json", policy(READ))
    commit(repo, "five")
    for i in range(5):
        write(repo, f"iam/p{i}.json", policy(WIDER))
    code, report, _ = run(capsys, "--run-timeout", "0.001")
    assert code == 2
    for i in range(5):
        issues = [x for f in report["files"] if f["path"] == f"iam/p{i}.json" for x in f["issues"]]
        assert [x["check"] for x in issues] == ["undecided"]
        assert "per-run budget of 0.001 s" in issues[0]["message"]


def test_a_file_past_its_budget_is_undecided_and_the_next_is_checked(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose check outruns `file_timeout` (made slow here) is undecided naming the
    budget; the file after it is still decided."""
    from policy_guard.workflow import file_checks

    write(repo, "iam/a-slow.json", policy(READ))
    commit(repo, "two")
    write(repo, "iam/a-slow.json", policy(WIDER))
    write(repo, "iam/app.json", policy(WIDER))
    real = file_checks.check_file

    def slow_for_one(task: Any, context: Any) -> Any:
        if task.path == "iam/a-slow.json":
            time.sleep(5)  # no cooperative check: the backstop interrupts it
        return real(task, context)

    monkeypatch.setattr("policy_guard.workflow.budgets.check_file", slow_for_one)
    started = time.monotonic()
    code, report, _ = run(capsys, "--file-timeout", "0.5", "--jobs", "1")
    assert time.monotonic() - started < 4
    assert code == 2
    assert checks_of(report, "iam/a-slow.json") == ["undecided"]
    message = next(f for f in report["files"] if f["path"] == "iam/a-slow.json")["issues"][0]
    assert "per-file budget of 0.5 s" in message["message"]
    assert checks_of(report, "iam/app.json") == ["no-new-access"]


def test_the_hook_never_writes_into_the_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "iam/app.json", policy(WIDER))
    git(repo, "add", "iam/app.json")
    before = snapshot(repo)
    monkeypatch.setenv("PRE_COMMIT", "1")
    done = subprocess.run(
        ["policy-guard", "iam/app.json"], capture_output=True, text=True, check=False, cwd=repo
    )
    assert done.returncode == 1, done.stderr
    assert snapshot(repo) == before
