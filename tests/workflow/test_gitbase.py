"""Base resolution, changed files and both sides' contents, on real git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepo import commit, git, github_event, isolated_git, make_repo, write

from policy_guard.errors import InputError
from policy_guard.workflow.comparison import ChangeStatus, ComparedSides, NewSide
from policy_guard.workflow.gitbase import ZERO_SHA, GitRepository

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]


def open_repo(path: Path) -> GitRepository:
    repo = GitRepository.discover(str(path))
    assert repo is not None
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "a.json", "a1\n")
    write(path, "dir/b.json", "b1\n")
    write(path, "gone.json", "gone\n")
    commit(path, "first")
    return path


def changes_of(
    repo: GitRepository, comparison: ComparedSides, untracked: bool = False
) -> dict[str, tuple[ChangeStatus, str | None]]:
    return {c.path: (c.status, c.old_path) for c in repo.changes(comparison, untracked=untracked)}


def test_discover_finds_the_root_from_a_subfolder_and_nothing_outside(
    repo: Path, tmp_path: Path
) -> None:
    found = open_repo(repo / "dir")
    assert Path(found.root) == repo
    outside = tmp_path / "plain"
    outside.mkdir()
    assert GitRepository.discover(str(outside)) is None


def test_default_base_is_head_and_the_hook_reads_the_index(repo: Path) -> None:
    r = open_repo(repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    manual = r.compare(None, {})
    hook = r.compare(None, {"PRE_COMMIT": "1"})
    assert (manual.base, manual.new_side, manual.untracked) == (head, NewSide.WORKTREE, True)
    assert (hook.base, hook.new_side, hook.untracked) == (head, NewSide.INDEX, False)
    assert r.compare(None, {"CI": "true"}).untracked is False


def test_staged_unstaged_new_deleted_and_untracked_files(repo: Path) -> None:
    write(repo, "a.json", "a2 staged\n")
    git(repo, "add", "a.json")
    write(repo, "a.json", "a3 unstaged\n")
    write(repo, "dir/b.json", "b2 unstaged\n")
    write(repo, "new staged.json", "n\n")
    git(repo, "add", "new staged.json")
    write(repo, "untracked.json", "u\n")
    write(repo, ".gitignore", "ignored.json\n")
    write(repo, "ignored.json", "i\n")
    git(repo, "rm", "--quiet", "gone.json")
    r = open_repo(repo)

    index = r.compare(None, {"PRE_COMMIT": "1"})
    assert changes_of(r, index) == {
        "a.json": (ChangeStatus.MODIFIED, "a.json"),
        "new staged.json": (ChangeStatus.ADDED, None),
        "gone.json": (ChangeStatus.DELETED, "gone.json"),
    }
    assert r.new_bytes(index, "a.json") == b"a2 staged\n"
    assert r.base_bytes(index, "a.json") == b"a1\n"
    assert r.new_bytes(index, "gone.json") is None

    worktree = r.compare(None, {})
    assert changes_of(r, worktree, untracked=True) == {
        "a.json": (ChangeStatus.MODIFIED, "a.json"),
        "dir/b.json": (ChangeStatus.MODIFIED, "dir/b.json"),
        "new staged.json": (ChangeStatus.ADDED, None),
        "gone.json": (ChangeStatus.DELETED, "gone.json"),
        ".gitignore": (ChangeStatus.ADDED, None),
        "untracked.json": (ChangeStatus.ADDED, None),
    }
    assert r.new_bytes(worktree, "a.json") == b"a3 unstaged\n"
    assert "untracked.json" not in changes_of(r, worktree, untracked=False)


def test_renames_keep_the_old_path_with_spaces_and_non_ascii_names(repo: Path) -> None:
    long_text = "".join(f'"line {i}": {i},\n' for i in range(40))
    write(repo, "old name.json", long_text)
    commit(repo)
    (repo / "politiques").mkdir()
    git(repo, "mv", "old name.json", "politiques/nouvelle règle.json")
    write(repo, "politiques/nouvelle règle.json", long_text + '"one more": 1,\n')
    git(repo, "add", "--all")
    r = open_repo(repo)
    for comparison in (r.compare(None, {"PRE_COMMIT": "1"}), r.compare(None, {})):
        assert changes_of(r, comparison) == {
            "politiques/nouvelle règle.json": (ChangeStatus.RENAMED, "old name.json")
        }
    assert r.base_bytes(r.compare(None, {}), "old name.json") == long_text.encode()


def test_all_paths_lists_tracked_and_untracked_but_not_ignored_or_deleted(repo: Path) -> None:
    write(repo, ".gitignore", "*.log\n")
    write(repo, "x.log", "ignored\n")
    write(repo, "ü/new.yaml", "u\n")
    (repo / "gone.json").unlink()
    (repo / "link.json").symlink_to("a.json")
    assert sorted(open_repo(repo).all_paths()) == [
        ".gitignore",
        "a.json",
        "dir/b.json",
        "ü/new.yaml",
    ]


def test_explicit_base_is_the_merge_base_with_head(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "--quiet", "-b", "feature")
    write(repo, "a.json", "feature\n")
    commit(repo)
    git(repo, "checkout", "--quiet", "main")
    write(repo, "dir/b.json", "main moved on\n")
    commit(repo)
    git(repo, "checkout", "--quiet", "feature")
    r = open_repo(repo)
    comparison = r.compare("main", {})
    assert comparison.base == first
    assert changes_of(r, comparison) == {"a.json": (ChangeStatus.MODIFIED, "a.json")}


def test_pre_commit_from_and_to_ref_read_the_to_ref_content(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "a.json", "pushed\n")
    second = commit(repo)
    write(repo, "a.json", "not yet committed\n")
    r = open_repo(repo)
    comparison = r.compare(
        None, {"PRE_COMMIT": "1", "PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": second}
    )
    assert (comparison.base, comparison.new_side, comparison.new_commit) == (
        first,
        NewSide.COMMIT,
        second,
    )
    assert changes_of(r, comparison) == {"a.json": (ChangeStatus.MODIFIED, "a.json")}
    assert r.new_bytes(comparison, "a.json") == b"pushed\n"
    assert r.new_bytes(comparison, "missing.json") is None


event = github_event


def test_github_pull_request_base_is_the_merge_base(repo: Path, tmp_path: Path) -> None:
    fork_point = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "--quiet", "-b", "topic")
    write(repo, "a.json", "topic\n")
    commit(repo)
    git(repo, "checkout", "--quiet", "main")
    write(repo, "dir/b.json", "main\n")
    main_tip = commit(repo)
    git(repo, "checkout", "--quiet", "topic")
    environ = event(tmp_path, {"pull_request": {"base": {"sha": main_tip}}})
    comparison = open_repo(repo).compare(None, environ)
    assert (comparison.base, comparison.new_side, comparison.untracked) == (
        fork_point,
        NewSide.WORKTREE,
        False,
    )


def test_github_push_uses_before_and_a_new_branch_the_default_branch(
    repo: Path, tmp_path: Path
) -> None:
    before = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "a.json", "pushed\n")
    commit(repo)
    r = open_repo(repo)
    assert r.compare(None, event(tmp_path, {"before": before})).base == before

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(repo), str(clone))
    git(clone, "checkout", "--quiet", "-b", "new-branch")
    write(clone, "a.json", "on the new branch\n")
    commit(clone)
    git(repo, "checkout", "--quiet", "-b", "elsewhere")
    write(repo, "a.json", "main moved after the clone\n")
    commit(repo)
    main_in_clone = git(clone, "rev-parse", "origin/main").strip()
    new_branch = {"before": ZERO_SHA, "repository": {"default_branch": "main"}}
    comparison = open_repo(clone).compare(None, event(tmp_path, new_branch))
    assert comparison.base == main_in_clone
    assert "origin/main" in comparison.origin


def test_github_new_branch_without_origin_uses_the_local_default_branch(
    repo: Path, tmp_path: Path
) -> None:
    main = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "--quiet", "-b", "topic")
    commit(repo)
    environ = event(tmp_path, {"before": ZERO_SHA, "repository": {"default_branch": "main"}})
    assert open_repo(repo).compare(None, environ).base == main


def test_other_github_events_and_missing_fields(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    assert open_repo(repo).compare(None, event(tmp_path, {"schedule": "x"})).base == head
    with pytest.raises(InputError, match=r"pull_request|base\.sha"):
        open_repo(repo).compare(None, event(tmp_path, {"pull_request": {"base": {}}}))
    broken = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}
    with pytest.raises(InputError, match="GitHub event payload"):
        open_repo(repo).compare(None, broken)


def test_a_base_missing_from_a_shallow_clone_says_to_fetch_history(
    repo: Path, tmp_path: Path
) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "a.json", "second\n")
    commit(repo)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(clone))
    r = open_repo(clone)
    with pytest.raises(InputError) as raised:
        r.compare(first, {})
    assert "shallow" in str(raised.value) and "fetch-depth: 0" in str(raised.value)
    with pytest.raises(InputError, match="fetch-depth: 0"):
        r.compare(None, event(tmp_path, {"pull_request": {"base": {"sha": first}}}))


def test_unknown_base_and_unrelated_history(repo: Path) -> None:
    r = open_repo(repo)
    with pytest.raises(InputError, match="`no-such-ref`"):
        r.compare("no-such-ref", {})
    git(repo, "checkout", "--quiet", "--orphan", "other")
    commit(repo, "unrelated")
    with pytest.raises(InputError, match="no common history"):
        r.compare("main", {})


def test_a_repository_without_commits_has_no_base(tmp_path: Path) -> None:
    path = make_repo(tmp_path / "empty")
    write(path, "p.json", "x\n")
    git(path, "add", "p.json")
    r = open_repo(path)
    comparison = r.compare(None, {"PRE_COMMIT": "1"})
    assert comparison.base is None
    assert changes_of(r, comparison) == {"p.json": (ChangeStatus.ADDED, None)}
    assert r.base_bytes(comparison, "p.json") is None
