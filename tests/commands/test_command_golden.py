"""Golden files for the single commands' output: every command, PASS and FAIL, text and JSON.

The commands are run in-process from the repository root on fixture policies (z3, so that the
counterexamples are the same from run to run), and their standard output must equal the files
in tests/fixtures/report/golden/commands/ byte for byte; the exit code is part of each case.
Regenerate after an intended change with `POLICY_GUARD_REGEN_GOLDEN=1 python -m pytest -q
tests/commands/test_command_golden.py`, then read the diff by eye.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from policy_guard.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "report" / "golden" / "commands"
REGENERATE = bool(os.environ.get("POLICY_GUARD_REGEN_GOLDEN"))

CHECKS = "tests/fixtures/checks"
ACCESS = "tests/fixtures/access"
OLD, NEW = f"{CHECKS}/bucket-old.json", f"{CHECKS}/bucket-new.json"
TOPIC = f"{ACCESS}/topic-policy.yaml"
GUIDE = f"{ACCESS}/user-guide"


class Case(NamedTuple):
    name: str
    argv: tuple[str, ...]
    exit_code: int


CASES = (
    Case(
        "no-new-access-fail",
        ("check-no-new-access", "--existing-policy-document", OLD, "--new-policy-document", NEW),
        1,
    ),
    Case(
        "no-new-access-pass",
        ("check-no-new-access", "--existing-policy-document", NEW, "--new-policy-document", OLD),
        0,
    ),
    Case(
        "access-not-granted-fail",
        (
            "check-access-not-granted",
            "--policy-document",
            NEW,
            "--access",
            '{"actions": ["s3:DeleteBucket"]}',
        ),
        1,
    ),
    Case(
        "access-not-granted-pass",
        (
            "check-access-not-granted",
            "--policy-document",
            NEW,
            "--access",
            '{"actions": ["iam:CreateUser"], "resources": ["*"]}',
        ),
        0,
    ),
    Case(
        "no-public-access-fail",
        ("check-no-public-access", "--policy-document", OLD, "--resource-type", "AWS::S3::Bucket"),
        1,
    ),
    Case(
        "no-public-access-pass",
        (
            "check-no-public-access",
            "--policy-document",
            f"{ACCESS}/bucket-policy-vpce.json",
            "--resource-type",
            "AWS::S3::Bucket",
        ),
        0,
    ),
    Case(
        "no-external-access-fail",
        (
            "check-no-external-access",
            "--policy-document",
            TOPIC,
            "--trusted-account",
            "123456789012",
        ),
        1,
    ),
    Case(
        "no-external-access-pass",
        (
            "check-no-external-access",
            "--policy-document",
            TOPIC,
            "--trusted-account",
            "123456789012",
            "--trusted-account",
            "444455556666",
        ),
        0,
    ),
    Case(
        "no-external-access-deny-only",
        (
            "check-no-external-access",
            "--policy-document",
            f"{GUIDE}/reference_policies_elements_principal-1.json",
            "--trusted-organization",
            "o-a1b2c3d4e5",
        ),
        0,
    ),
    Case(
        "validate-policy-fail",
        ("validate-policy", "--policy-document", f"{CHECKS}/unknown-operator.json"),
        1,
    ),
    Case(
        "validate-policy-no-effect",
        ("validate-policy", "--policy-document", f"{CHECKS}/no-effect.json"),
        1,
    ),
    Case(
        "validate-policy-warnings",
        ("validate-policy", "--policy-document", f"{CHECKS}/bad-number.json"),
        0,
    ),
    Case("validate-policy-pass", ("validate-policy", "--policy-document", OLD), 0),
    Case(
        "simulate-allow",
        (
            "simulate",
            "--policy-document",
            NEW,
            "--action",
            "s3:DeleteBucket",
            "--resource",
            "arn:aws:s3:::example-bucket",
            "--principal",
            "arn:aws:iam::123456789012:root",
        ),
        0,
    ),
    Case(
        "simulate-deny",
        (
            "simulate",
            "--policy-document",
            TOPIC,
            "--action",
            "sns:Publish",
            "--resource",
            "arn:aws:sns:us-east-1:123456789012:events",
            "--principal",
            "s3.amazonaws.com",
            "--context",
            "aws:SourceAccount=111122223333",
        ),
        1,
    ),
)


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_command_output_is_the_golden_file(
    case: Case, output: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    solver = ("--solver", "z3") if case.argv[0].startswith("check-") else ()
    code = main([*case.argv, *solver, "--output", output])
    captured = capsys.readouterr()
    assert (code, captured.err) == (case.exit_code, "")
    golden = GOLDEN / f"{case.name}.{'txt' if output == 'text' else 'json'}"
    if REGENERATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(captured.out.encode("utf-8"))
    assert captured.out.encode("utf-8") == golden.read_bytes()
