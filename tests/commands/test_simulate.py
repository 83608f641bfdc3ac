"""`policy-guard simulate`: output forms, exit codes, and bad input as one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policy_guard.cli import main

IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
        {
            "Sid": "NoSecrets",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::secrets/*",
        },
        {
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
        },
    ],
}
BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AccountReads",
            "Effect": "Allow",
            "Principal": {"AWS": "123456789012"},
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::shared",
        },
        {
            "Sid": "NoDeletes",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteObject",
            "Resource": "arn:aws:s3:::shared/*",
        },
    ],
}
ALICE = "arn:aws:iam::123456789012:user/alice"


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return str(path)


def simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["simulate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ask(action: str, resource: str) -> list[str]:
    return ["--action", action, "--resource", resource]


def assert_one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("policy-guard: error: ")
    assert "Traceback" not in err


def test_json_allow_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    code, out, err = simulate(
        capsys,
        "--policy-document",
        policy,
        *ask("s3:GetObject", "arn:aws:s3:::data/k"),
        "--output",
        "json",
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "decision": "allow",
        "matchedStatements": [
            {
                "source": "identity",
                "statementIndex": 0,
                "statementId": "ReadBuckets",
                "effect": "Allow",
            },
        ],
    }


def test_json_explicit_deny_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    code, out, _ = simulate(
        capsys,
        "--policy-document",
        f"file://{policy}",
        *ask("s3:GetObject", "arn:aws:s3:::secrets/k"),
        "--output",
        "json",
    )
    result = json.loads(out)
    assert code == 1
    assert result["decision"] == "explicitDeny"
    assert [m["statementIndex"] for m in result["matchedStatements"]] == [0, 1]


def test_text_implicit_deny_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    code, out, err = simulate(
        capsys,
        "--policy-document",
        policy,
        *ask("s3:PutObject", "arn:aws:s3:::data/k"),
    )
    assert (code, err) == (1, "")
    assert out.startswith("implicitDeny: `s3:PutObject` on `arn:aws:s3:::data/k`")
    assert "no statement matches" in out


def test_text_names_matching_statements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    _, out, _ = simulate(
        capsys,
        "--policy-document",
        policy,
        *ask("s3:GetObject", "arn:aws:s3:::secrets/k"),
        "--output",
        "text",
    )
    assert "explicitDeny" in out.splitlines()[0]
    assert "statement 0 (`ReadBuckets`): Allow" in out
    assert "statement 1 (`NoSecrets`): Deny" in out


def test_context_repeated_and_multi_valued(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--context` takes several pairs, may be repeated, and a repeated key is multi-valued."""
    policy = write(tmp_path, "identity.json", IDENTITY)
    base = ["--policy-document", policy, *ask("ec2:RunInstances", "*")]
    code, _, _ = simulate(capsys, *base, "--context", "aws:TagKeys=team", "AWS:tagkeys=env")
    assert code == 0
    code, _, _ = simulate(
        capsys, *base, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=cost"
    )
    assert code == 1  # `cost` is not in the ForAllValues list


def test_resource_policy_with_principal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(tmp_path, "bucket.json", BUCKET_POLICY)
    args = [
        "--policy-document",
        policy,
        *ask("s3:ListBucket", "arn:aws:s3:::shared"),
        "--output",
        "json",
    ]
    code, out, _ = simulate(capsys, *args, "--principal", ALICE)
    assert code == 0
    assert json.loads(out)["matchedStatements"][0]["source"] == "resource"
    code, _, _ = simulate(capsys, *args, "--principal", "arn:aws:iam::999999999999:user/eve")
    assert code == 1
    code, _, _ = simulate(capsys, *args, "--principal", "anonymous")
    assert code == 1


def test_resource_policy_needs_principal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = write(tmp_path, "bucket.json", BUCKET_POLICY)
    code, out, err = simulate(
        capsys,
        "--policy-document",
        policy,
        *ask("s3:ListBucket", "arn:aws:s3:::shared"),
    )
    assert (code, out) == (2, "")
    assert_one_line_error(err)
    assert f"{policy}:7" in err  # the line of the first `Principal`
    assert "--principal" in err


def test_identity_and_resource_policy_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    identity = write(
        tmp_path,
        "identity.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        },
    )
    bucket = write(tmp_path, "bucket.json", BUCKET_POLICY)
    args = [
        "--policy-document",
        identity,
        "--resource-policy",
        bucket,
        "--principal",
        ALICE,
        "--output",
        "json",
    ]
    code, out, _ = simulate(capsys, *args, *ask("s3:DeleteObject", "arn:aws:s3:::shared/k"))
    result = json.loads(out)
    assert code == 1
    assert result["decision"] == "explicitDeny"
    assert [(m["source"], m["effect"]) for m in result["matchedStatements"]] == [
        ("identity", "Allow"),
        ("resource", "Deny"),
    ]
    code, _, _ = simulate(capsys, *args, *ask("s3:GetObject", "arn:aws:s3:::shared/k"))
    assert code == 0


def test_resource_policy_type_with_resource_policy_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = write(tmp_path, "bucket.json", BUCKET_POLICY)
    code, _, err = simulate(
        capsys,
        "--policy-document",
        bucket,
        "--resource-policy",
        bucket,
        *ask("s3:X", "r"),
        "--policy-type",
        "RESOURCE_POLICY",
    )
    assert code == 2
    assert_one_line_error(err)


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.json")
    code, out, err = simulate(capsys, "--policy-document", missing, *ask("s3:X", "r"))
    assert (code, out) == (2, "")
    assert_one_line_error(err)
    assert "nope.json" in err


def test_invalid_json_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}\n', encoding="utf-8")
    code, _, err = simulate(capsys, "--policy-document", str(path), *ask("s3:X", "r"))
    assert code == 2
    assert_one_line_error(err)
    assert f"{path}:3" in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--context", "no-equals-sign"],
        ["--context", "=value"],
        ["--bogus-flag"],
        ["--output", "xml"],
        ["--principal", ""],
        ["--action", " "],
    ],
)
def test_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    code, out, err = simulate(capsys, "--policy-document", policy, *ask("s3:X", "r"), *extra)
    assert (code, out) == (2, "")
    assert_one_line_error(err)


def test_missing_required_argument(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = simulate(capsys, "--action", "s3:X")
    assert code == 2
    assert_one_line_error(err)
    assert "--policy-document" in err


def test_unknown_operator_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = write(
        tmp_path,
        "odd.json",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringEqualz": {"aws:username": "x"}},
                }
            ],
        },
    )
    code, out, err = simulate(capsys, "--policy-document", policy, *ask("s3:X", "r"))
    assert (code, out) == (2, "")
    assert_one_line_error(err)
    assert "`StringEqualz`" in err


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["simulate", "--help"])
    assert raised.value.code == 0
    out = capsys.readouterr().out
    assert "exit status: 0 when the request is allowed, 1 when it is denied" in out


def test_python_dash_m(tmp_path: Path) -> None:
    policy = write(tmp_path, "identity.json", IDENTITY)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "policy_guard",
            "simulate",
            "--policy-document",
            policy,
            *ask("s3:GetObject", "arn:aws:s3:::data/k"),
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["decision"] == "allow"
