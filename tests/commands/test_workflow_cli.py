"""`policy-guard [FILES] [--all]` through `cli.main`: exit codes, outputs, one-line errors, the
environment (pre-commit, GitHub Actions), speed of the no-policy path, the bundled example."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import (
    commit,
    git,
    github_event,
    isolated_git,
    make_repo,
    policy,
    statement,
    write,
)

from policy_guard.cli import main
from policy_guard.commands.workflow import _ProgressBar

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

PROJECT = Path(__file__).resolve().parents[2]
READ = statement(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::data*", sid="Read")
DELETE = statement("s3:DeleteBucket", "arn:aws:s3:::data", sid="Delete")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", policy(READ))
    write(path, "package.json", '{"name": "app"}\n')
    commit(path, "first")
    monkeypatch.chdir(path)
    return path


def run_json(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_nothing_changed_exits_zero(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out, err = capsys.readouterr()
    assert "0 errors" in out and err == ""


def test_a_broken_policy_exits_one_with_its_position(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "iam/app.json", '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {,\n')
    assert main(["iam/app.json"]) == 1
    assert "iam/app.json:4:" in capsys.readouterr().out


def test_json_output_file_and_sarif(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "iam/app.json", '{"Statement": [}\n')
    code = main(["--format", "json", "--output", "out/report.json", "--sarif", "r.sarif"])
    assert code == 1 and capsys.readouterr().out == ""
    report = json.loads((repo / "out/report.json").read_text(encoding="utf-8"))
    assert report["exitCode"] == 1
    assert report["base"] == git(repo, "rev-parse", "HEAD").strip()
    assert [i["check"] for f in report["files"] for i in f["issues"]] == ["parse-error"]
    sarif = json.loads((repo / "r.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"


def test_report_only_exits_zero(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "iam/app.json", '{"Statement": [}\n')
    assert main(["--report-only"]) == 0
    assert "parse-error" in capsys.readouterr().out


def test_a_base_missing_from_a_shallow_clone_is_a_one_line_error(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo, "iam/app.json", policy(READ, DELETE))
    commit(repo)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    for name, value in github_event(tmp_path, {"pull_request": {"base": {"sha": first}}}).items():
        monkeypatch.setenv(name, value)
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "fetch-depth: 0" in err and "Traceback" not in err


def test_configuration_errors_name_the_file_key_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, ".policy-guard.yaml", "solver: z3\nsolvr: cvc5\n")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert ".policy-guard.yaml:2:" in err and "`solvr`" in err
    assert main(["--config", "missing.yaml"]) == 2
    assert "missing.yaml: the configuration file does not exist" in capsys.readouterr().err


def test_bad_arguments(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--all", "iam/app.json"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["--jobs", "0"]) == 2  # one line, not argparse's usage dump
    err = capsys.readouterr().err
    assert err.strip() == (
        "policy-guard: error: argument --jobs: `0` is not a positive number "
        "(see `policy-guard --help`)"
    )
    assert main(["no/such.json"]) == 2
    assert "no/such.json: no such file" in capsys.readouterr().err


def test_github_pull_request_compares_with_the_merge_base(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fork_point = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "--quiet", "-b", "topic")
    write(repo, "iam/app.json", '{"Statement": [}\n')
    commit(repo)
    git(repo, "checkout", "--quiet", "main")
    write(repo, "package.json", '{"name": "moved on"}\n')
    main_tip = commit(repo)
    git(repo, "checkout", "--quiet", "topic")
    for name, value in github_event(
        tmp_path, {"pull_request": {"base": {"sha": main_tip}}}
    ).items():
        monkeypatch.setenv(name, value)
    code, report = run_json(capsys=capsys)
    assert code == 1 and report["base"] == fork_point
    assert [f["path"] for f in report["files"]] == ["iam/app.json"]


def test_the_hook_without_policy_changes_does_not_load_the_solver(repo: Path) -> None:
    write(repo, "package.json", '{"name": "changed"}\n')
    write(repo, "iam/app.json", policy(READ, indent=None))  # reformatted only
    git(repo, "add", "--all")
    script = (
        "import sys\nfrom policy_guard.cli import main\n"
        "code = main(['package.json', 'iam/app.json'])\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pysmt', 'z3', 'cvc5')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PRE_COMMIT": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "0 []"


def test_the_progress_bar_is_only_for_terminals() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert _ProgressBar.on(io.StringIO(), {}) is None
    assert _ProgressBar.on(Terminal(), {"CI": "true"}) is None
    assert _ProgressBar.on(Terminal(), {"PRE_COMMIT": "1"}) is None
    stream = Terminal()
    bar = _ProgressBar.on(stream, {})
    assert bar is not None
    for done in range(1, 61):
        bar(done, 60)
    bar.finish()
    assert "60/60 files" in stream.getvalue() and stream.getvalue().endswith("\r\x1b[K")


def test_the_bundled_example(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (PROJECT / "examples" / "policy-guard.yaml").exists():
        pytest.skip("needs the project's examples folder")
    monkeypatch.chdir(PROJECT)
    code, report = run_json("--all", "--config", "examples/policy-guard.yaml", capsys=capsys)
    issues = {
        (i["location"]["path"], i["check"], i["statementId"])
        for f in report["files"]
        for i in f["issues"]
    }
    assert ("examples/identity-policy.json", "critical-permission", "ManageBuckets") in issues
    assert ("examples/workflow/deployer-policy.json", "validation", "ReadArtifacts") in issues
    assert code == report["exitCode"] and code >= 1


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_workflow_demo_script() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", str(PROJECT / "examples" / "workflow-demo.sh")],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    first, second = done.stdout.split("== 2.")
    assert "exit code: 0" in first and "no-new-access" not in first
    assert "no-new-access" in second and "CleanUp" in second and "exit code: 1" in second
