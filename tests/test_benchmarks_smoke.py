"""The benchmark scripts run in their tiny mode and print their tables (no time is asserted);
the strings peer they compare against gives exact answers for `*`, checked by enumeration."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.policy.globs import Kind, compile_pattern

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared data is absent")
pytestmark = pytest.mark.slow  # each script runs as its own process, solvers included


def _module(name: str) -> ModuleType:
    """A benchmark module, imported from its file (the folder is not a package)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quick(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_data
def test_engine_bench_prints_every_case_with_both_peers() -> None:
    out = _quick("engine_bench.py")
    assert "strings/cli" in out and "brute/lib" in out
    rows = [line for line in out.splitlines() if "XObject*" in line or "->" in line]
    assert len(rows) >= 3
    refactor = next(line for line in rows if "XObject*" in line and "GetBucketPolicy" not in line)
    assert " PASS (0 stmt)" in refactor
    assert "DISAGREE" not in out and "UNEXPECTED" not in out


@needs_data
def test_sweep_bench_prints_the_distribution_and_the_identical_pairs() -> None:
    out = _quick("sweep_bench.py")
    assert "pairs 20;" in out and "median" in out and "p95" in out
    assert "of which not PASS: 0" in out


@needs_data
def test_hook_bench_prints_ratios_and_the_sweep() -> None:
    out = _quick("hook_bench.py")
    assert "hook, one policy narrowed" in out and "hook, no policy changed" in out
    assert "--all, 30 policies, no configuration" in out
    assert "files 30" in out


def test_wildcard_bench_decides_both_examples() -> None:
    out = _quick("wildcard_bench.py")
    assert "simulate, 12 x `*-` against a 12-part resource" in out
    assert "Resource 35 x `*a`" in out and ">=" not in out  # no run was killed
    rows = [line.split() for line in out.splitlines() if "x `*" in line]
    exits = [row[row.index("<") - 1] for row in rows]
    assert exits == ["1", "1"]  # denied; FAIL: answered, not refused (exit 2)


def test_hostile_bench_prints_every_class_without_crash_or_hang() -> None:
    out = _quick("hostile_bench.py")
    assert "hostile catalogue: 8 inputs" in out
    assert "crashes or hangs: 0" in out and "realistic inputs not decided: 0" in out


def test_parallel_hook_bench_prints_the_speed_up() -> None:
    out = _quick("parallel_hook_bench.py")
    assert "hook on 40 changed policies" in out and "speed-up of --jobs 2:" in out


def test_variables_campaign_prints_its_figures() -> None:
    out = _quick("variables_campaign.py")
    assert "pairs 6 (seed" in out and "undecided" in out
    assert "false PASS 0, unconfirmed counterexamples 0, z3/cvc5 disagreements 0" in out


def test_missing_data_is_a_note() -> None:
    common: Any = _module("common")
    assert common.missing_data(common.DATA / "no-such-folder").startswith("note:")
    assert common.missing_data(BENCHMARKS) is None


def test_narrowed_documents_only_lengthen_trailing_star_patterns() -> None:
    common: Any = _module("common")
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:Get*", "*", "ec2:DescribeX"], "Resource": "*"},
            {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
        ]
    }
    result = common.narrowed(document, "*:GetBucketPolicy")
    assert result["Statement"][0]["Action"] == [
        "s3:GetObject*",
        "*",
        "ec2:DescribeX",
        "*:GetBucketPolicy",
    ]
    assert result["Statement"][1] == document["Statement"][1]


_PATTERN = st.text(alphabet="ab*", min_size=1, max_size=5)
_STRINGS = ["".join(t) for n in range(8) for t in itertools.product("ab", repeat=n)]


def _allowed(patterns: list[str], action: str) -> bool:
    return any(compile_pattern(p, Kind.ACTION).matches(action) for p in patterns)


@given(st.lists(_PATTERN, min_size=1, max_size=2), st.lists(_PATTERN, min_size=1, max_size=2))
def test_strings_peer_agrees_with_enumeration(old: list[str], new: list[str]) -> None:
    """A FAIL carries a witness the evaluator's glob matching confirms; a PASS must hold on
    every short string; a difference found among them must be a FAIL."""
    peer: Any = _module("strings_peer")

    def document(patterns: list[str]) -> dict[str, Any]:
        return {"Statement": [{"Effect": "Allow", "Action": patterns, "Resource": "*"}]}

    outcome = peer.no_new_access(document(old), document(new), 10.0)
    gained = [s for s in _STRINGS if _allowed(new, s) and not _allowed(old, s)]
    assert outcome.result in ("PASS", "FAIL")
    if outcome.result == "FAIL":
        assert _allowed(new, outcome.witness) and not _allowed(old, outcome.witness)
    else:
        assert not gained


def test_strings_peer_declines_what_it_cannot_express() -> None:
    peer: Any = _module("strings_peer")
    plain = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
    question = {"Statement": [{"Effect": "Allow", "Action": "s3:Get?", "Resource": "*"}]}
    bucket = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:x"}]}
    assert peer.no_new_access(plain, question, 5.0).result == "unsupported"
    assert peer.no_new_access(bucket, plain, 5.0).result == "unsupported"


def test_terraform_bench_prints_the_import_floor_and_the_hook() -> None:
    out = _quick("terraform_bench.py")
    assert "import hcl2" in out and "hook, one statement widened" in out
    widened = next(
        line for line in out.splitlines() if line.startswith("hook, one statement widened")
    )
    assert widened.split()[-2] == "1"  # the widening is found (exit 1)
    assert "read_terraform, 20 policies" in out


@needs_data
def test_access_diff_bench_prints_check_diff_and_brute_force() -> None:
    out = _quick("access_diff_bench.py")
    assert "check+diff" in out and "brute/(check+diff)" in out
    rows = [line for line in out.splitlines() if line.startswith("ReadOnlyAccess")]
    assert len(rows) == 2 and all(line.rstrip().endswith("yes") for line in rows)
