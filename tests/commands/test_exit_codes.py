"""The README's exit-code table, row by row, against what the commands do: each row names a
situation, built here in a real git repository, and the codes the workflow and a single command
give for it (`-` where the situation does not arise)."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from gitrepo import commit, isolated_git, make_repo, write

from policy_guard.cli import main

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (.+?) \| (\d|-) \| (\d|-) \|$")

READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
DELETE = {"Effect": "Allow", "Action": "s3:DeleteBucket", "Resource": "*"}
WILD = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*", "Sid": "a b"}


def text(*statements: Mapping[str, object]) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}, indent=2
    )


def table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            rows[found.group(1)] = (found.group(2), found.group(3))
    return rows


# Each situation: what to write over the committed `iam/app.json` (READ), the workflow's extra
# arguments, and whether a single command can be asked about it.
SITUATIONS: dict[str, tuple[str | None, list[str]]] = {
    "nothing found": (text(READ), []),
    "a finding (new access, a critical permission)": (text(READ, DELETE), []),
    "only warnings or notes": (  # narrower: a Deny of an action the catalogue does not know
        text(READ, {**READ, "Effect": "Deny", "Action": "s3:GetObjekt"}),
        [],
    ),
    "a finding with `--report-only`": (text(READ, DELETE), ["--report-only"]),
    "a file that was a policy and no longer parses": (
        '{"Version": "2012-10-17", "Statement": [',
        [],
    ),
    "a policy IAM would refuse (an ERROR-level validation finding)": (text(WILD), []),
    "a FILE that does not exist": (None, []),
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = make_repo(tmp_path / "repo")
    write(path, "iam/app.json", text(READ))
    commit(path, "first")
    monkeypatch.chdir(path)
    return path


def test_the_table_lists_every_situation_tested() -> None:
    assert set(table()) == set(SITUATIONS)


@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_each_row_is_what_the_commands_do(
    repo: Path, situation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_code, single_code = table()[situation]
    content, extra = SITUATIONS[situation]
    name = "iam/app.json" if content is not None else "iam/missing.json"
    if content is not None:
        write(repo, name, content)
    run: Callable[[list[str]], int] = main
    assert str(run([name, "--no-progress", *extra])) == workflow_code, situation
    if single_code != "-":
        single = ["check-no-new-access", "--existing-policy-document", "iam/base.json"]
        write(repo, "iam/base.json", text(READ))
        code = run([*single, "--new-policy-document", name])
        assert str(code) == single_code, situation
    capsys.readouterr()


def test_a_finaliser_that_fails_during_a_command_adds_nothing_to_standard_error() -> None:
    """A z3 object whose construction the budget's backstop interrupted fails in `__del__`;
    Python would report it over several lines, breaking the one-line reason."""
    import subprocess

    script = """
import policy_guard.cli as cli

class Broken:
    def __del__(self):
        raise AttributeError("'BoolRef' object has no attribute 'ctx'")

def dispatch(args):
    Broken()  # collected at once: its finaliser fails
    return 0

cli._dispatch = dispatch
raise SystemExit(cli.main([]))
"""
    env = {k: v for k, v in os.environ.items() if k != "POLICY_GUARD_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0
    assert done.stderr == ""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_a_command_past_its_memory_cap_is_undecided_in_one_line(tmp_path: Path) -> None:
    """A single command runs within the memory cap (`encode.memory`): with the cap lowered to
    150 MB, the 100,000-character wildcard resource of the hostile catalogue runs out of
    memory, and the answer is undecided, naming the documents (not an internal error)."""
    import subprocess

    from hostile_inputs import GOOD_JSON, catalogue

    (starry,) = [h for h in catalogue() if h.name == "resource-100k-33k-wildcards.json"]
    good, bad = tmp_path / "good.json", tmp_path / starry.name
    good.write_bytes(GOOD_JSON)
    bad.write_bytes(starry.data)
    script = f"""
from policy_guard.encode import memory
memory.MEMORY_CAP_MB = 150
from policy_guard.cli import main
raise SystemExit(main(["check-no-new-access", "--existing-policy-document", {str(good)!r},
                       "--new-policy-document", {str(bad)!r}]))
"""
    env = {k: v for k, v in os.environ.items() if k != "POLICY_GUARD_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"policy-guard: error: {good}, {bad}: out of memory (the cap is 150 MB per check)"
    ]
