"""Git access: which commit is the base, which files changed, and each side's file contents.

Everything goes through GitPython. The base is chosen in this order: `--base REF` (the
merge-base of REF and HEAD, which is REF itself when REF is an ancestor, as for a tag);
`PRE_COMMIT_FROM_REF` (pre-commit's `--from-ref` and pre-push; the new side is then
`PRE_COMMIT_TO_REF`'s content); in GitHub Actions the pull request's base (merge-base of
`pull_request.base.sha` with HEAD) or a push's `before` (a new branch: merge-base with the default
branch); otherwise HEAD. Against HEAD, a pre-commit hook (`PRE_COMMIT=1`) compares the index
(what is being committed); a manual run compares the working tree, unstaged edits and untracked
files included, because that is what the user is looking at.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, Mapping
from typing import Any

import git
from git.exc import BadName, BadObject, GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from policy_guard.errors import InputError
from policy_guard.workflow.comparison import (
    Change,
    ChangeStatus,
    ComparedSides,
    NewSide,
    read_worktree_file,
)

ZERO_SHA = "0" * 40
FETCH_HINT = (
    "fetch the history (`fetch-depth: 0` with actions/checkout, or `git fetch --unshallow`)"
)


class GitRepository:
    """A working tree and its repository; paths are POSIX, relative to the top-level folder."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        self.root = str(repo.working_tree_dir)

    def close(self) -> None:
        """Stop the git processes GitPython keeps open for reading objects."""
        self.repo.close()

    @staticmethod
    def discover(folder: str) -> GitRepository | None:
        """The repository that `folder` is in, or None outside any repository."""
        try:
            repo = git.Repo(folder, search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError):
            return None
        if repo.bare or repo.working_tree_dir is None:
            return None
        return GitRepository(repo)

    # --- the base ---------------------------------------------------------------------------

    def compare(self, explicit_base: str | None, environ: Mapping[str, str]) -> ComparedSides:
        """Choose the base and the new side (see the module docstring for the order)."""
        in_hook = environ.get("PRE_COMMIT") == "1"
        manual = not in_hook and "true" not in (environ.get("CI"), environ.get("GITHUB_ACTIONS"))
        if explicit_base:
            base = self.merge_base(self.commit_sha(explicit_base, "--base"), "HEAD")
            return ComparedSides(
                base, NewSide.WORKTREE, origin=f"--base {explicit_base}", untracked=manual
            )
        from_ref = environ.get("PRE_COMMIT_FROM_REF")
        if from_ref:
            to_ref = environ.get("PRE_COMMIT_TO_REF")
            if to_ref:
                new = self.commit_sha(to_ref, "PRE_COMMIT_TO_REF")
                base = self.merge_base(self.commit_sha(from_ref, "PRE_COMMIT_FROM_REF"), new)
                return ComparedSides(base, NewSide.COMMIT, new, origin="PRE_COMMIT_FROM_REF")
            base = self.merge_base(self.commit_sha(from_ref, "PRE_COMMIT_FROM_REF"), "HEAD")
            return ComparedSides(base, NewSide.WORKTREE, origin="PRE_COMMIT_FROM_REF")
        if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_EVENT_PATH"):
            github = self.github_base(environ["GITHUB_EVENT_PATH"])
            if github is not None:
                return github
        head = self.head_sha()
        side = NewSide.INDEX if in_hook else NewSide.WORKTREE
        return ComparedSides(head, side, origin="HEAD", untracked=manual)

    def github_base(self, event_path: str) -> ComparedSides | None:
        """The base of a GitHub Actions run from its event payload (None: not a PR or push)."""
        event = _read_event(event_path)
        pull_request = event.get("pull_request")
        merge_group = event.get("merge_group")
        if isinstance(pull_request, dict):
            sha = _string_at(pull_request, ("base", "sha"), event_path)
            base = self.merge_base(self.commit_sha(sha, "the pull request's base"), "HEAD")
            return ComparedSides(base, NewSide.WORKTREE, origin="the pull request's base")
        if isinstance(merge_group, dict):
            sha = _string_at(merge_group, ("base_sha",), event_path)
            return ComparedSides(
                self.commit_sha(sha, "the merge group's base"),
                NewSide.WORKTREE,
                origin="the merge group's base",
            )
        before = event.get("before")
        if not isinstance(before, str) or not before:
            return None
        if before != ZERO_SHA:
            return ComparedSides(
                self.commit_sha(before, "the push's `before`"),
                NewSide.WORKTREE,
                origin="the commit before the push",
            )
        branch = _string_at(event, ("repository", "default_branch"), event_path)
        ref = f"origin/{branch}" if self._resolves(f"origin/{branch}") else branch
        base = self.merge_base(self.commit_sha(ref, "the default branch"), "HEAD")
        return ComparedSides(base, NewSide.WORKTREE, origin=f"the default branch `{ref}`")

    def head_sha(self) -> str | None:
        """HEAD's commit, or None in a repository without commits."""
        try:
            return str(self.repo.head.commit.hexsha)
        except ValueError:
            return None

    def _resolves(self, ref: str) -> bool:
        try:
            self.repo.commit(ref)
        except (BadName, BadObject, ValueError, GitCommandError):
            return False
        return True

    def commit_sha(self, ref: str, what: str) -> str:
        """The commit `ref` names; a clear InputError when the clone does not have it."""
        try:
            return str(self.repo.commit(ref).hexsha)
        except (BadName, BadObject, ValueError, GitCommandError):
            if self.is_shallow():
                raise InputError(
                    f"the base `{ref}` ({what}) is not in this shallow clone; {FETCH_HINT}"
                ) from None
            raise InputError(
                f"the base `{ref}` ({what}) is not a commit of this repository; "
                f"{FETCH_HINT} if it should be"
            ) from None

    def merge_base(self, one: str, other: str) -> str:
        try:
            found = self.repo.merge_base(one, other)
        except GitCommandError as error:
            raise InputError(
                f"cannot find the merge-base of `{one}` and `{other}`: {_first_line(error.stderr)}"
            ) from None
        if not found:
            if self.is_shallow():
                raise InputError(
                    f"the merge-base of `{one[:12]}` and `{other}` is not in this "
                    f"shallow clone; {FETCH_HINT}"
                )
            raise InputError(f"`{one[:12]}` and `{other}` have no common history")
        return str(found[0].hexsha)

    def is_shallow(self) -> bool:
        return os.path.exists(os.path.join(self.repo.common_dir, "shallow"))

    def shallow_hint(self) -> str | None:
        """What to fetch when this clone's history is cut short; None when it is whole."""
        return FETCH_HINT if self.is_shallow() else None

    # --- which files ------------------------------------------------------------------------

    def changes(self, comparison: ComparedSides, *, untracked: bool = False) -> tuple[Change, ...]:
        """Files that differ between the base and the new side, renames paired with their old
        path. `untracked` adds untracked files that git does not ignore, as added files."""
        if comparison.base is None:
            changes = [Change(p, None, ChangeStatus.ADDED) for p in self.new_side_paths(comparison)]
        else:
            changes = self._diff(comparison)
        if untracked and comparison.new_side is NewSide.WORKTREE:
            known = {c.path for c in changes}
            changes += [
                Change(p, None, ChangeStatus.ADDED)
                for p in self.untracked_paths()
                if p not in known
            ]
        return tuple(changes)

    def _diff(self, comparison: ComparedSides) -> list[Change]:
        """`git diff --name-status -z -M`: NUL-separated, so a path with a newline or a quote
        is read whole (GitPython's diff parser splits such a path, and the file went
        unchecked)."""
        sides = [str(self.repo.commit(comparison.base).hexsha)]
        if comparison.new_side is NewSide.COMMIT:
            sides.append(str(self.repo.commit(comparison.new_commit).hexsha))
        elif comparison.new_side is NewSide.INDEX:
            sides.insert(0, "--cached")
        output = self.repo.git.diff(
            "--name-status", "-z", "-M", "--no-ext-diff", *sides, "--",
            strip_newline_in_stdout=False,
        )  # fmt: skip
        fields = str(output).split("\0")
        result, i = [], 0
        while i < len(fields) and fields[i]:
            status = fields[i][0]
            if status in "RC":
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                if status == "R":
                    result.append(Change(new, old, ChangeStatus.RENAMED))
                else:
                    result.append(Change(new, None, ChangeStatus.ADDED))
                continue
            path = fields[i + 1]
            i += 2
            if status == "D":
                result.append(Change(path, path, ChangeStatus.DELETED))
            elif status == "A":
                result.append(Change(path, None, ChangeStatus.ADDED))
            else:  # M, T (type change), U (unmerged)
                result.append(Change(path, path, ChangeStatus.MODIFIED))
        return result

    def new_side_paths(self, comparison: ComparedSides) -> tuple[str, ...]:
        """Every file on the new side (tracked files for the working tree and the index)."""
        if comparison.new_side is NewSide.COMMIT:
            tree = self.repo.commit(comparison.new_commit).tree
            return tuple(str(b.path) for b in tree.traverse() if isinstance(b, git.Blob))
        return self._ls_files("--cached")

    def untracked_paths(self) -> tuple[str, ...]:
        return self._ls_files("--others", "--exclude-standard")

    def all_paths(self) -> tuple[str, ...]:
        """Tracked files and untracked files that git does not ignore, present in the tree."""
        paths = self._ls_files("--cached", "--others", "--exclude-standard")
        return tuple(p for p in dict.fromkeys(paths) if self._is_regular(p))

    def _ls_files(self, *options: str) -> tuple[str, ...]:
        output = self.repo.git.ls_files("-z", *options, strip_newline_in_stdout=False)
        return tuple(p for p in str(output).split("\0") if p)

    def _is_regular(self, path: str) -> bool:
        try:
            mode = os.lstat(os.path.join(self.root, path)).st_mode
        except OSError:
            return False
        return stat.S_ISREG(mode)

    # --- contents ---------------------------------------------------------------------------

    def base_bytes(self, comparison: ComparedSides, path: str) -> bytes | None:
        """The file at the base, or None when the base has no such file (or no base)."""
        if comparison.base is None:
            return None
        return self._blob_bytes(comparison.base, path)

    def new_bytes(self, comparison: ComparedSides, path: str) -> bytes | None:
        """The file on the new side, or None when it is not there (deleted)."""
        if comparison.new_side is NewSide.COMMIT:
            return self._blob_bytes(str(comparison.new_commit), path)
        if comparison.new_side is NewSide.INDEX:
            entry = self.repo.index.entries.get((path, 0))
            if entry is None or not stat.S_ISREG(entry.mode):
                return None
            return bytes(self.repo.odb.stream(entry.binsha).read())
        return read_worktree_file(self.root, path)

    def earlier_versions(self, commit: str, path: str) -> Iterator[tuple[str, bytes]]:
        """The versions of `path` in `commit`'s history, newest first, as (commit, content):
        each commit that changed it, from `commit` back to the one that created it (a version
        in which the file is absent ends its history: what came before was another file)."""
        for found in self.repo.iter_commits(commit, paths=path):
            data = self._blob_bytes(str(found.hexsha), path)
            if data is None:
                return
            yield str(found.hexsha), data

    def _blob_bytes(self, commit: str, path: str) -> bytes | None:
        try:
            item = self.repo.commit(commit).tree / path
        except KeyError:
            return None
        if item.type != "blob" or not stat.S_ISREG(item.mode):
            return None  # a folder, a symbolic link or a submodule
        return bytes(item.data_stream.read())


def _read_event(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as error:
        raise InputError(
            f"cannot read the GitHub event payload: {error}", filename="GITHUB_EVENT_PATH"
        ) from None
    if not isinstance(event, dict):
        raise InputError("the GitHub event payload is not an object", filename="GITHUB_EVENT_PATH")
    return event


def _string_at(value: dict[str, Any], keys: tuple[str, ...], event_path: str) -> str:
    found: Any = value
    for key in keys:
        found = found.get(key) if isinstance(found, dict) else None
    if not isinstance(found, str) or not found:
        raise InputError(
            f"the GitHub event payload has no `{'.'.join(keys)}`", filename="GITHUB_EVENT_PATH"
        )
    return found


def _first_line(text: Any) -> str:
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    return lines[0] if lines else "git failed"
