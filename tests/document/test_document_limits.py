"""Hostile documents are refused with their position, before they can exhaust the stack or the
memory: nesting deeper than MAX_DEPTH (JSON and YAML), and YAML aliases that expand past
MAX_ALIAS_NODES (a "billion laughs" file), in policies and in the configuration alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policy_guard.document.read import decode_text
from policy_guard.document.values import MAX_ALIAS_NODES, MAX_DEPTH
from policy_guard.errors import InputError


def laughs(levels: int = 9) -> str:
    """Each level refers to the one before nine times: 9**levels values from a few lines."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    return "\n".join(lines) + "\n"


def refused(text: str, name: str) -> InputError:
    with pytest.raises(InputError) as raised:
        decode_text(text, name)
    return raised.value


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("deep.json", "[" * 5000 + "]" * 5000, 1),
        ("deep.json", '{"a":\n' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", 2),
        ("deep.yaml", "[" * 5000 + "]" * 5000, 1),
        ("deep.yaml", "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n", 101),
    ],
)
def test_nesting_deeper_than_the_limit_is_refused_at_its_line(
    name: str, text: str, line: int
) -> None:
    error = refused(text, name)
    assert f"nests more than {MAX_DEPTH} levels deep" in str(error)
    assert error.line == line


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1
    assert decode_text("[" * depth + "]" * depth, "ok.json").value is not None
    assert decode_text("[" * depth + "]" * depth, "ok.yaml").value is not None


def test_a_yaml_bomb_is_refused_and_ordinary_aliases_are_read() -> None:
    error = refused(laughs(), "bomb.yaml")
    assert f"more than {MAX_ALIAS_NODES:,} values" in str(error) and error.line is not None
    ordinary = decode_text("a: &x [1, 2]\nb: *x\nc: *x\n", "ok.yaml")
    assert ordinary.value == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


def test_a_configuration_bomb_stops_the_run_with_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / ".policy-guard.yaml").write_text(laughs() + "include: ['*.json']\n")
    done = subprocess.run(
        [sys.executable, "-m", "policy_guard", "--all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "YAML bomb" in done.stderr and "Traceback" not in done.stderr
