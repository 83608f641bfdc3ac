"""Helpers of the workflow tests: real git repositories in temporary folders, built with the
git command line (not with the code under test), in the spirit of pre-commit's
`testing/fixtures.py`; GitHub event payloads.

`isolated_git` is a fixture to use in every test: it cuts git off from the user's and the
system's configuration and removes the variables that choose a base (pre-commit's, GitHub's, CI),
so a test sees only what it sets itself.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

BASE_VARIABLES = (
    "PRE_COMMIT",
    "PRE_COMMIT_FROM_REF",
    "PRE_COMMIT_TO_REF",
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "CI",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
)


@pytest.fixture
def isolated_git(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "test@example.com")
    for name in BASE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; its standard output (failures raise with git's message)."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def make_repo(path: Path, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch", branch)
    git(path, "config", "user.name", "Test")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "config", "core.autocrlf", "false")
    return path


def write(repo: Path, name: str, text: str) -> Path:
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def commit(repo: Path, message: str = "change", *, add_all: bool = True) -> str:
    """Commit (everything, unless `add_all` is false); the new commit's sha."""
    if add_all:
        git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "--message", message)
    return git(repo, "rev-parse", "HEAD").strip()


def statement(
    actions: list[str] | str,
    resource: str | list[str] = "*",
    *,
    sid: str | None = None,
    effect: str = "Allow",
    **extra: Any,
) -> dict[str, Any]:
    result: dict[str, Any] = {"Effect": effect, "Action": actions, "Resource": resource}
    if sid is not None:
        result = {"Sid": sid, **result}
    result.update(extra)
    return result


def policy(*statements: dict[str, Any], indent: int | None = 2) -> str:
    """A bare policy document as JSON text."""
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return json.dumps(document, indent=indent) + "\n"


def github_event(folder: Path, payload: Mapping[str, object]) -> dict[str, str]:
    """The environment of a GitHub Actions run whose event payload is `payload`."""
    path = folder / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return {"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_PATH": str(path)}
