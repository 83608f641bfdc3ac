"""The Action's supply chain and its shell steps: every third-party action pinned by commit, every
runtime dependency pinned by constraints.txt (and the pip cache keyed on it), the job's Python left
alone, Windows refused clearly, and the self-test workflow's fixture giving the outputs it expects.

The composite action itself can only run on GitHub; its shell steps are run here as the runner
runs them (`bash --noprofile --norc -eo pipefail`), with the environment it would give them."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)", re.M)
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")


def _action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _action()["runs"]["steps"] if s.get("name") == name)


def _bash() -> str:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    return bash


def _run(
    script: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_bash(), "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "path",
    [ACTION, *sorted((ROOT / ".github" / "workflows").glob("*.yml")), ROOT / "README.md"],
    ids=lambda p: p.name,
)
def test_every_third_party_action_is_pinned_by_commit(path: Path) -> None:
    used = USES.findall(path.read_text(encoding="utf-8"))
    assert used, path
    for reference in used:
        if reference == "./" or reference == "policy-guard/policy-guard@FULL-COMMIT-SHA":
            continue  # the repository itself; the README's placeholder for the user's pin
        assert PINNED.match(reference), f"{path.name}: `{reference}` is not pinned by commit"


def test_setup_python_leaves_the_jobs_python_alone() -> None:
    step = _step("Set up Python")
    assert step["uses"].startswith("actions/setup-python@")
    assert str(step["with"]["update-environment"]).lower() == "false"


def _runtime_requirements() -> list[Requirement]:
    """pyproject's `dependencies`, as the installed package declares them (extras left out)."""
    declared = [Requirement(r) for r in distribution("policy-guard").requires or ()]
    return [r for r in declared if not r.marker or r.marker.evaluate({"extra": ""})]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: `{line}` is not pinned with =="
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_constraints_pin_every_runtime_dependency_and_theirs() -> None:
    pins = _pins()
    seen: set[str] = set()
    todo = list(_runtime_requirements())
    while todo:
        requirement = todo.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        assert name in pins, f"constraints.txt does not pin `{name}`"
        with contextlib.suppress(PackageNotFoundError):  # another platform's: the pin counts
            todo += [Requirement(r) for r in distribution(name).requires or ()]


def test_install_uses_the_constraints_and_the_cached_folder() -> None:
    install = _step("Install policy-guard")
    assert '--constraint "$PG_ACTION_PATH/constraints.txt"' in install["run"]
    cache = _step("Cache the downloaded packages")
    assert install["env"]["PIP_CACHE_DIR"] == cache["with"]["path"]
    assert cache["with"]["key"] == "${{ steps.prepare.outputs.key }}"


def _prepare(action_path: Path, tmp_path: Path) -> dict[str, str]:
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    done = _run(
        _step("Choose Python and the cache key")["run"],
        {
            "PG_ACTION_PATH": str(action_path),
            "PG_SETUP_PYTHON": sys.executable,
            "GITHUB_OUTPUT": str(output),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
        },
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())


def test_cache_key_follows_the_constraints_and_the_python(tmp_path: Path) -> None:
    outputs = _prepare(ROOT, tmp_path)
    version = "{}.{}".format(*sys.version_info[:2])
    assert outputs["python"] == sys.executable
    assert outputs["key"].startswith(f"policy-guard-pip-Linux-X64-py{version}-")
    copy = tmp_path / "action"
    copy.mkdir()
    for name in ("constraints.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    assert _prepare(copy, tmp_path)["key"] == outputs["key"]
    with (copy / "constraints.txt").open("a", encoding="utf-8") as handle:
        handle.write("extra-package==1.0\n")
    assert _prepare(copy, tmp_path)["key"] != outputs["key"]


@pytest.mark.parametrize(("runner", "code"), [("Linux", 0), ("macOS", 0), ("Windows", 2)])
def test_windows_runners_get_a_clear_error(runner: str, code: int) -> None:
    done = _run(_step("Check the runner")["run"], {"RUNNER_OS": runner})
    assert done.returncode == code
    if code:
        assert "Linux and macOS" in done.stdout


def test_self_test_fixture_gives_the_outputs_the_workflow_expects(tmp_path: Path) -> None:
    """What .github/workflows/action.yml asserts, checked here on the same fixture repository."""
    fixture = tmp_path / "fixture"
    done = _run(f'bash .github/scripts/make-fixture-repository.sh "{fixture}"', {}, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    output = tmp_path / "github_output"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PRE_COMMIT"))}
    environ.update(GITHUB_OUTPUT=str(output), GITHUB_ACTIONS="true")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "policy_guard",
            "--format",
            "github",
            "--base",
            "HEAD~1",
            "--sarif",
            "policy-guard.sarif",
        ],
        cwd=fixture,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    assert (outputs["errors"], outputs["undecided"], outputs["files"]) == ("1", "0", "1")
    assert (fixture / "policy-guard.sarif").stat().st_size > 0
    workflow = (ROOT / ".github" / "workflows" / "action.yml").read_text(encoding="utf-8")
    for expected in ('test "$ERRORS" = 1', 'test "$UNDECIDED" = 0', 'test "$FILES" = 1'):
        assert expected in workflow
