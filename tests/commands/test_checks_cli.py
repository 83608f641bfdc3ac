"""`policy-guard check-no-new-access` and `check-access-not-granted`: arguments, outputs, exit
codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policy_guard.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "checks"


@pytest.fixture(params=["z3", "cvc5"])
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def no_new_access(old: str, new: str, *more: str) -> list[str]:
    return ["check-no-new-access", "--existing-policy-document", old,
            "--new-policy-document", new, *more]  # fmt: skip


OLD = str(FIXTURES / "bucket-old.json")
NEW = str(FIXTURES / "bucket-new.json")


def test_new_access_fails_with_the_statement_and_a_request(
    solver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(no_new_access(OLD, NEW, "--solver", solver), capsys)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == (
        "FAIL no-new-access: The modified permissions grant new access compared to your "
        "existing policy."
    )
    assert lines[1].startswith("  relation: wider")
    # at the Action entry the counterexample matches (line 15; which one depends on the solver)
    assert f"{NEW}:15:" in lines[2] and "statement 1 (`PartnerWrites`)" in lines[2]
    assert "principal `arn:aws:" in lines[3] and ":123456789012:" in lines[3]


def test_json_output_is_the_check_result(solver: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(no_new_access(OLD, "file://" + NEW, "--output", "json", "--solver", solver),
                       capsys)  # fmt: skip
    assert code == 1
    result = json.loads(out)
    assert set(result) == {"result", "message", "reasons", "relation", "accessDiff"}
    gained = [c["action"] for c in result["accessDiff"]["gained"]]
    assert gained == ["s3:DeleteBucket", "s3:PutObject"] and result["accessDiff"]["lost"] == []
    assert result["result"] == "FAIL" and result["relation"] == "wider"
    (reason,) = result["reasons"]
    assert reason["description"] == "New access in the statement with sid: PartnerWrites."
    assert (reason["statementIndex"], reason["statementId"]) == (1, "PartnerWrites")
    assert reason["counterexample"]["action"] in ("s3:PutObject", "s3:DeleteBucket")


def test_no_new_access_passes_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(no_new_access(NEW, OLD, "--output", "json"), capsys)
    assert code == 0
    result = json.loads(out)
    diff = result.pop("accessDiff")
    assert result == {
        "result": "PASS",
        "message": "The modified permissions do not grant new access compared to your existing "
        "policy.",
        "reasons": [],
        "relation": "narrower",
    }
    assert diff["gained"] == [] and [c["action"] for c in diff["lost"]] == [
        "s3:DeleteBucket",
        "s3:PutObject",
    ]


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


EC2_TRUST = {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ec2.amazonaws.com"}}  # fmt: skip
ACCOUNT_TRUST = {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}  # fmt: skip
READ = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def test_standard_input_and_policy_type(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path, "old.json", document(EC2_TRUST))
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(document(ACCOUNT_TRUST))))
    code, out, _ = run(no_new_access(old, "-", "--policy-type", "RESOURCE_POLICY"), capsys)
    assert code == 1
    assert "<stdin>:" in out and "principal `arn:aws:" in out


def test_identity_becoming_resource_policy_is_read_as_resource_policies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path, "old.json", document(READ))
    new = write(tmp_path, "new.json", document({**READ, "Principal": "*"}))
    code, out, _ = run(no_new_access(old, new, "--output", "json"), capsys)
    assert code == 0 and json.loads(out)["relation"] == "equivalent"


def access(policy: str, value: str, *more: str) -> list[str]:
    return ["check-access-not-granted", "--policy-document", policy, "--access", value, *more]


IDENTITY = str(EXAMPLES / "identity-policy.json")


def test_access_not_granted_text_and_json(solver: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(access(IDENTITY, '{"actions": ["s3:DeleteBucket"]}', "--solver", solver),
                       capsys)  # fmt: skip
    assert code == 1
    assert out.splitlines()[0] == (
        "FAIL access-not-granted: The policy document grants access to perform one or more of "
        "the listed actions."
    )
    # at the `s3:Delete*` entry (line 13), the matching Resource listed after it
    assert f"{IDENTITY}:13:34: statement 1 (`ManageBuckets`)" in out
    assert "also matching: 14:19" in out
    code, out, _ = run(access(IDENTITY, '[{"actions": ["iam:*"]}]', "--output", "json"), capsys)
    assert code == 0
    assert json.loads(out) == {
        "result": "PASS",
        "message": "The policy document does not grant access to perform one or more of the "
        "listed actions.",
        "reasons": [],
    }


def test_access_from_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = write(tmp_path, "access.json", {"resources": ["arn:aws:s3:::example-bucket"]})
    code, out, _ = run(access(IDENTITY, "file://" + listed, "--output", "json"), capsys)
    assert code == 1
    result = json.loads(out)
    assert result["message"].endswith("listed resources.")
    assert [r["statementIndex"] for r in result["reasons"]] == [0, 1]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (access(IDENTITY, '{"actions": ["s3:DeleteBucket"'), "--access:1: `--access` is not valid"),
        (access(IDENTITY, '{"verbs": ["s3:*"]}'), "unknown field `verbs`"),
        (access(IDENTITY, '{"actions": []}'), "must list `actions`, `resources` or both"),
        (access(IDENTITY, '{"actions": [5]}'), "`actions` must be a list of non-empty strings"),
        (access(IDENTITY, "file://missing.json"), "cannot read the access file"),
        (access(IDENTITY, '{"actions": ["s3:*"]}', "--timeout", "0"), "`--timeout` must be"),
        (access(IDENTITY, '{"actions": ["s3:*"]}', "--timeout", "soon"), "invalid float value"),
        (access(IDENTITY, '{"actions": ["s3:*"]}', "--solver", "yices"), "invalid choice"),
        (access("missing.json", '{"actions": ["s3:*"]}'), "missing.json"),
        (no_new_access(OLD, str(FIXTURES / "unknown-operator.json")), "StringSortOf"),
        (no_new_access(OLD, str(FIXTURES / "bad-number.json")), "bad-number.json:9: `ten`"),
        (no_new_access(OLD, str(FIXTURES / "no-effect.json")), "no-effect.json:4:"),
    ],
)
def test_what_cannot_be_used_is_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("policy-guard: error: ") and err.count("\n") == 1
    assert expected in err


REFUSED = {
    # a version IAM does not know (ERROR INVALID_VERSION): was checked as if it were valid
    "version": ('"2012-10-18"', "INVALID_VERSION", (2, 14)),
    # an unknown condition operator
    "operator": ('"2012-10-17"', "INVALID_CONDITION_OPERATOR", (9, 25)),
    # an element of the wrong type (a number for a Sid)
    "type": ('"2012-10-17"', "DATA_TYPE_MISMATCH", (5, 14)),
}


def refused_document(tmp_path: Path, case: str) -> str:
    version, _, _ = REFUSED[case]
    sid = "5" if case == "type" else '"Public"'
    operator = "StringEqualz" if case == "operator" else "StringEquals"
    text = (
        "{\n"
        f'  "Version": {version},\n'
        '  "Statement": [\n'
        "    {\n"
        f'      "Sid": {sid},\n'
        '      "Effect": "Allow", "Principal": "*",\n'
        '      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*",\n'
        '      "Condition": {\n'
        f'        "{operator}": {{"aws:SourceAccount": "111122223333"}}\n'
        "      }\n"
        "    }\n"
        "  ]\n"
        "}\n"
    )
    path = tmp_path / f"{case}.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("case", sorted(REFUSED))
@pytest.mark.parametrize(
    "command",
    ["check-no-new-access", "check-access-not-granted", "check-no-public-access",
     "check-no-external-access"],
)  # fmt: skip
def test_a_document_iam_would_refuse_is_not_checked(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Access Analyzer refuses a malformed document: exit 2 at the first ERROR-level
    validation finding, with its line and column, whichever check was asked."""
    path = refused_document(tmp_path, case)
    argv = {
        "check-no-new-access": no_new_access(path, path),
        "check-access-not-granted": access(path, '{"actions": ["s3:DeleteBucket"]}'),
        "check-no-public-access": [command, "--policy-document", path, "--resource-type",
                                   "AWS::S3::Bucket"],
        "check-no-external-access": [command, "--policy-document", path,
                                     "--trusted-account", "111122223333"],
    }[command]  # fmt: skip
    code, out, err = run(argv, capsys)
    _, issue_code, (line, column) = REFUSED[case]
    assert code == 2 and out == "", err
    assert err.startswith(f"policy-guard: error: {path}:{line}:{column}: IAM would refuse")
    assert issue_code in err and err.count("\n") == 1


def test_console_entry_point_runs_the_check() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "policy_guard", *no_new_access(OLD, NEW, "--output", "json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["result"] == "FAIL"
