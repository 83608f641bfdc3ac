"""action.yml: inputs, outputs and steps refer to each other consistently, and the run step
passes the inputs on as policy-guard's flags and keeps its exit code."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from policy_guard.commands import workflow
from policy_guard.report.github import github_outputs
from policy_guard.workflow.results import RunReport

ACTION = Path(__file__).resolve().parents[2] / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT_REF = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def steps(action: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = action["runs"]["steps"]
    return found


def run_step(action: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in steps(action) if s.get("id") == "run")


def test_is_a_composite_action_with_a_shell_for_every_script(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    for step in steps(action):
        assert ("run" in step) != ("uses" in step), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")


def test_every_input_is_used_and_every_used_input_is_declared(action: dict[str, Any]) -> None:
    text = ACTION.read_text(encoding="utf-8")
    used = set(INPUT_REF.findall(" ".join(EXPRESSION.findall(text))))
    used |= {m for s in steps(action) if "if" in s for m in INPUT_REF.findall(s["if"])}
    assert used == set(action["inputs"])


def test_input_defaults(action: dict[str, Any]) -> None:
    inputs = action["inputs"]
    assert inputs["format"]["default"] == "github"
    assert inputs["sarif"]["default"] == "policy-guard.sarif"
    assert inputs["report-only"]["default"] == "false"
    assert inputs["base"]["default"] == ""
    assert all(not spec.get("required", False) for spec in inputs.values())


def test_outputs_are_the_counts_emit_writes(action: dict[str, Any]) -> None:
    written = set(github_outputs(RunReport((), None)))
    assert set(action["outputs"]) == written
    step_ids = {s.get("id") for s in steps(action)}
    for name, spec in action["outputs"].items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert "run" in step_ids


def test_inputs_reach_the_script_only_through_the_environment(action: dict[str, Any]) -> None:
    for step in steps(action):
        if "run" in step:
            assert not EXPRESSION.search(step["run"]), step.get("name")


def test_installs_from_the_actions_own_checkout(action: dict[str, Any]) -> None:
    install = next(s for s in steps(action) if s.get("name") == "Install policy-guard")
    variable = next(k for k, v in install["env"].items() if v == "${{ github.action_path }}")
    assert "pip install" in install["run"] and f'"${variable}"' in install["run"]


def _resolve(env: dict[str, str], inputs: dict[str, str], action: dict[str, Any]) -> dict[str, str]:
    """The step's environment as the runner would build it from these inputs (or defaults)."""

    def value(match: re.Match[str]) -> str:
        name = INPUT_REF.fullmatch(match.group(1))
        assert name, match.group(1)
        return inputs.get(name.group(1), str(action["inputs"][name.group(1)].get("default", "")))

    return {k: EXPRESSION.sub(value, str(v)) for k, v in env.items()}


def _run_script(
    action: dict[str, Any], inputs: dict[str, str], tmp_path: Path, exit_code: int
) -> tuple[int, list[str]]:
    """Run the step's script with a stand-in policy-guard that records its arguments."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    step = run_step(action)
    fake = tmp_path / "policy-guard-venv" / "bin" / "policy-guard"
    fake.parent.mkdir(parents=True, exist_ok=True)
    record = tmp_path / "args.txt"
    fake.write_text(
        f'#!{bash}\nprintf "%s\\n" "$@" > "{record}"\nexit {exit_code}\n', encoding="utf-8"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    environ = {"PATH": os.environ.get("PATH", ""), "RUNNER_TEMP": str(tmp_path)}
    environ.update(_resolve(step["env"], inputs, action))
    # the shell GitHub runs composite `shell: bash` steps with
    done = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=environ,
        check=False,
    )
    return done.returncode, record.read_text(encoding="utf-8").splitlines()


def test_defaults_run_the_github_format_with_a_sarif_copy(
    action: dict[str, Any], tmp_path: Path
) -> None:
    code, args = _run_script(action, {}, tmp_path, 0)
    assert code == 0
    assert args == ["--format", "github", "--sarif", "policy-guard.sarif"]


def test_every_input_becomes_its_flag_and_the_exit_code_is_kept(
    action: dict[str, Any], tmp_path: Path
) -> None:
    inputs = {
        "base": "origin/main",
        "config": "ci/policy guard.yaml",
        "format": "text",
        "sarif": "",
        "report-only": "true",
        "all": "true",
    }
    code, args = _run_script(action, inputs, tmp_path, 1)
    assert code == 1
    assert args == [
        "--format",
        "text",
        "--base",
        "origin/main",
        "--config",
        "ci/policy guard.yaml",
        "--report-only",
        "--all",
    ]


@pytest.mark.parametrize("exit_code", [0, 1, 2])
def test_step_result_is_the_tools_exit_code(
    action: dict[str, Any], tmp_path: Path, exit_code: int
) -> None:
    assert _run_script(action, {}, tmp_path, exit_code)[0] == exit_code


def test_the_workflow_command_takes_the_flags_the_action_passes(action: dict[str, Any]) -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    workflow.add_arguments(parser)
    flags = {
        "--format": ["--format", "github"],
        "--sarif": ["--sarif", "x.sarif"],
        "--base": ["--base", "main"],
        "--config": ["--config", "c.yaml"],
        "--report-only": ["--report-only"],
        "--all": ["--all"],
    }
    assert set(flags) == set(re.findall(r"--[a-z][a-z-]*", run_step(action)["run"]))
    refused = []
    for flag, argv in flags.items():
        try:
            _, unknown = parser.parse_known_args(argv)
        except argparse.ArgumentError:
            unknown = argv
        if unknown:
            refused.append(flag)
    assert refused == []
