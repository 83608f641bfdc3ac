"""`policy-guard check-no-public-access` and `check-no-external-access` through `cli.main`.

JSON output is exactly `report.check_result.result_json` of the library's result; exit codes 0
PASS, 1 FAIL, 2 bad input or undecided (one line on stderr, no traceback).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.public_access import check_no_public_access
from policy_guard.cli import main
from policy_guard.document.read import read_document
from policy_guard.policy.parse import load_policy
from policy_guard.report.check_result import result_json

ROOT = Path(__file__).resolve().parents[2]
BUCKET_POLICY = str(ROOT / "examples" / "bucket-policy.json")
TRUST_POLICY = str(ROOT / "examples" / "workflow" / "trust-policy.json")
IDENTITY_POLICY = str(ROOT / "examples" / "identity-policy.json")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "access"
VPCE_POLICY = str(FIXTURES / "bucket-policy-vpce.json")
TOPIC_POLICY = str(FIXTURES / "topic-policy.yaml")
BUCKET = "AWS::S3::Bucket"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def public_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, err = run(capsys, "check-no-public-access", *argv, "--output", "json")
    assert err == ""
    return code, json.loads(out)


# --- check-no-public-access -------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_public_bucket_policy_fails_with_awss_response(
    capsys: pytest.CaptureFixture[str], solver: str
) -> None:
    code, output = public_json(
        capsys, "--policy-document", BUCKET_POLICY, "--resource-type", BUCKET, "--solver", solver
    )
    assert code == 1
    assert output["result"] == "FAIL"
    assert (
        output["message"] == "The resource policy grants public access for the given resource type."
    )
    (reason,) = output["reasons"]
    assert reason["description"] == (
        "Public access granted in the following statement with sid: PublicRead."
    )
    assert (reason["statementIndex"], reason["statementId"]) == (0, "PublicRead")
    assert reason["counterexample"]["principal"] == "anonymous"
    policy = load_policy(read_document(BUCKET_POLICY))
    assert output == result_json(check_no_public_access(policy, BUCKET, EngineOptions(solver)))


def test_pinned_bucket_policy_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = public_json(
        capsys, "--policy-document", f"file://{VPCE_POLICY}", "--resource-type", BUCKET
    )
    assert code == 0
    assert output == {
        "result": "PASS",
        "message": "The resource policy does not grant public access for the given resource type.",
        "reasons": [],
    }


def test_text_output_locates_the_statement(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check-no-public-access",
        "--policy-document",
        BUCKET_POLICY,
        "--resource-type",
        BUCKET,
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("FAIL no-public-access: The resource policy grants public access")
    # the finding points at the Action entry that matches (line 8, column 17), not the statement
    assert f"{BUCKET_POLICY}:8:17: statement 0 (`PublicRead`)" in lines[1]
    assert "principal `anonymous`" in lines[2]


def test_policy_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(VPCE_POLICY).read_text()))
    code, output = public_json(capsys, "--policy-document", "-", "--resource-type", BUCKET)
    assert (code, output["result"]) == (0, "PASS")


def test_the_resource_type_decides_which_actions_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = public_json(
        capsys, "--policy-document", BUCKET_POLICY, "--resource-type", "AWS::SQS::Queue"
    )
    assert code == 0


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (
            ["--policy-document", BUCKET_POLICY, "--resource-type", "AWS::S3::Bucketz"],
            "AWS::S3::Bucketz",
        ),
        (["--policy-document", BUCKET_POLICY], "--resource-type"),
        (["--policy-document", IDENTITY_POLICY, "--resource-type", BUCKET], "resource policy"),
        (
            ["--policy-document", "no/such/file.json", "--resource-type", BUCKET],
            "no/such/file.json",
        ),
        (
            ["--policy-document", BUCKET_POLICY, "--resource-type", BUCKET, "--timeout", "0"],
            "--timeout",
        ),
        (
            ["--policy-document", BUCKET_POLICY, "--resource-type", BUCKET, "--solver", "yices"],
            "--solver",
        ),
    ],
)
def test_bad_public_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    code, out, err = run(capsys, "check-no-public-access", *argv)
    assert code == 2 and out == ""
    assert err.startswith("policy-guard: error: ") and err.count("\n") == 1
    assert problem in err


def test_unknown_resource_type_lists_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(
        capsys,
        "check-no-public-access",
        "--policy-document",
        BUCKET_POLICY,
        "--resource-type",
        "S3",
    )
    assert "AWS::S3::Bucket" in err and "AWS::IAM::AssumeRolePolicyDocument" in err


# --- check-no-external-access -----------------------------------------------------------------


def external_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code, out, err = run(capsys, "check-no-external-access", *argv, "--output", "json")
    assert err == ""
    return code, json.loads(out)


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_trust_policy_with_an_untrusted_vendor_fails(
    capsys: pytest.CaptureFixture[str], solver: str
) -> None:
    argv = ["--policy-document", TRUST_POLICY, "--trusted-account", "111122223333"]
    code, output = external_json(capsys, *argv, "--solver", solver)
    assert code == 1
    (reason,) = output["reasons"]
    assert (reason["statementIndex"], reason["statementId"]) == (1, "VendorAssumesRole")
    assert reason["counterexample"]["principal"] == "arn:aws:iam::999988887777:root"
    policy = load_policy(read_document(TRUST_POLICY))
    expected = check_no_external_access(policy, ("111122223333",), None, EngineOptions(solver))
    assert output == result_json(expected)


def test_trusting_both_accounts_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = external_json(
        capsys,
        "--policy-document",
        TRUST_POLICY,
        "--trusted-account",
        "111122223333",
        "--trusted-account",
        "999988887777",
    )
    assert code == 0
    assert output == {
        "result": "PASS",
        "message": "The resource policy does not grant access to any principal outside the "
        "trusted accounts.",
        "reasons": [],
    }


def test_yaml_topic_policy(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--policy-document", TOPIC_POLICY, "--trusted-account", "123456789012"]
    code, output = external_json(capsys, *argv)
    assert code == 1
    assert [r["statementId"] for r in output["reasons"]] == ["PartnerSubscribes"]
    code, output = external_json(capsys, *argv, "--trusted-account", "444455556666")
    assert code == 0


def test_trusted_organization(capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(FIXTURES / "user-guide" / "reference_policies_condition-keys-8.json")
    code, output = external_json(
        capsys, "--policy-document", policy, "--trusted-organization", "o-xxxxxxxxxxx"
    )
    assert code == 0
    assert output["message"].endswith("outside the trusted organization.")


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "check-no-external-access",
        "--policy-document",
        BUCKET_POLICY,
        "--trusted-account",
        "123456789012",
    )
    assert code == 1
    assert out.startswith("FAIL no-external-access: The resource policy grants access")


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--policy-document", TRUST_POLICY], "trusted"),
        (["--policy-document", TRUST_POLICY, "--trusted-account", "1111"], "`1111`"),
        (["--policy-document", TRUST_POLICY, "--trusted-organization", "org"], "`org`"),
        (
            ["--policy-document", IDENTITY_POLICY, "--trusted-account", "111122223333"],
            "resource policy",
        ),
        (["--trusted-account", "111122223333"], "--policy-document"),
    ],
)
def test_bad_external_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    code, out, err = run(capsys, "check-no-external-access", *argv)
    assert code == 2 and out == ""
    assert err.startswith("policy-guard: error: ") and err.count("\n") == 1
    assert problem in err
