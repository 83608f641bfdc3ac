"""The hook's quick look at a commit: what is staged, from plain `git`, without GitPython.

Most commits touch no policy, and a hook runs on every one of them. Loading GitPython costs
more than the rest of such a run (its import also starts `git version`), so when the hook
compares the index with HEAD, the runner first asks `git` itself which paths the commit adds or
changes; when none of them can be a policy file, the run ends there, having read nothing else.
Anything out of the ordinary (no commit yet, not a work tree, git missing or failing) gives
None, and the full path through GitPython (`gitbase`) decides as always.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

GIT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Staged:
    """The work tree's top folder, HEAD's commit, and the paths (relative to the top, POSIX)
    that the index adds, changes or renames to — deleted paths left out: nothing is checked
    for them."""

    root: str
    head: str
    paths: tuple[str, ...]


def staged_paths(cwd: str) -> Staged | None:
    """What the index changes against HEAD, or None when plain git cannot say simply. (git
    runs in this process's environment, as GitPython's commands do: GIT_INDEX_FILE and the
    like, which git sets for its hooks, apply alike.)"""
    found = _git(cwd, ["rev-parse", "--show-toplevel", "--verify", "HEAD"])
    if found is None:
        return None
    lines = found.splitlines()
    if len(lines) != 2 or not lines[0] or len(lines[1]) < 40:
        return None
    root, head = lines
    listed = _git(
        root,
        ["diff", "--cached", "--name-only", "--no-renames", "--diff-filter=d", "-z", head, "--"],
    )
    if listed is None:
        return None
    return Staged(root, head, tuple(p for p in listed.split("\0") if p))


def toplevel(cwd: str) -> str | None:
    """The work tree's top folder, from plain git; None outside one."""
    found = _git(cwd, ["rev-parse", "--show-toplevel"])
    return found.strip() or None if found is not None else None


def _git(cwd: str, arguments: Sequence[str]) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", *arguments],
            cwd=cwd,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None
