"""What the workflow compares: the base, the new side, and the files that differ.

Plain data, no git: `gitbase` (GitPython) fills it in, and the hook's quick look (`staged`)
uses it without loading GitPython at all.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from enum import Enum

from policy_guard.errors import InputError


class NewSide(str, Enum):
    """Where the new version of a file is read from."""

    WORKTREE = "worktree"
    INDEX = "index"
    COMMIT = "commit"


@dataclass(frozen=True)
class ComparedSides:
    """What is compared with what: `base` (None when there is nothing to compare against, e.g.
    a repository without commits) and the new side (`new_commit` when it is a commit). (Not
    `policy_guard.policy.operators.Comparison`, which is how a condition operator compares.)"""

    base: str | None
    new_side: NewSide
    new_commit: str | None = None
    origin: str = "HEAD"  # how the base was chosen, for messages
    untracked: bool = False  # do untracked files count as added (a manual run)?


class ChangeStatus(str, Enum):
    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    DELETED = "deleted"


@dataclass(frozen=True)
class Change:
    """One file that differs between the base and the new side (paths relative to the root)."""

    path: str
    old_path: str | None
    status: ChangeStatus


def read_worktree_file(root: str, path: str) -> bytes | None:
    """A regular file of the working tree (symbolic links are not followed), or None. A file
    reached through a linked folder that leads outside the repository is not read."""
    full = os.path.join(root, path)
    try:
        if not stat.S_ISREG(os.lstat(full).st_mode):
            return None
        inside = os.path.realpath(root)
        if os.path.commonpath([os.path.realpath(full), inside]) != inside:
            raise InputError(
                "not read: a symbolic link on its path leads outside the repository",
                filename=path,
            )
        with open(full, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", filename=path) from None
