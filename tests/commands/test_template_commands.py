"""The `check-*` commands on a policy inside a template (`FILE#ID`) whose parameter a deployer
may set to `*`: decided over the same readings as the workflow (exact, then abstract), with
both solvers — a FAIL under an exact reading, a PASS under all, undecided when only the
abstract reading fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from templates import role_template

from policy_guard.cli import main

POLICY = "Resources.AppRole.Properties.Policies[0].PolicyDocument"
BUCKET_POLICY = "Resources.DataPolicy.Properties.PolicyDocument"


@pytest.fixture(params=["z3", "cvc5"])
def solver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def template(actions: str, deny_resource: str | None = None) -> str:
    deny = (
        "              - Effect: Deny\n"
        "                Action: s3:GetObject\n"
        f'                Resource: !Sub "{deny_resource}"\n'
        if deny_resource
        else ""
    )
    statements = f"""\
              - Effect: Allow
                Action: [{actions}]
                Resource: !Sub "arn:aws:s3:::${{Bucket}}/*"
{deny}"""
    bucket_policy = """\
  DataPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Bucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: s3:GetObject
            Resource: !Sub "arn:aws:s3:::${Bucket}/public/*"
"""
    bucket = "Parameters:\n  Bucket:\n    Type: String\n"
    return role_template("AppRole", statements, head=bucket, more=bucket_policy)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def no_new_access(old: str, new: str, solver: str) -> list[str]:
    return ["check-no-new-access", "--existing-policy-document", f"{old}#{POLICY}",
            "--new-policy-document", f"{new}#{POLICY}", "--solver", solver,
            "--output", "json"]  # fmt: skip


def test_an_added_action_fails_for_every_bucket_value(
    tmp_path: Path, solver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path, "old.yaml", template("s3:GetObject"))
    new = write(tmp_path, "new.yaml", template("s3:GetObject, s3:PutObject"))
    code, out, err = run(no_new_access(old, new, solver), capsys)
    assert code == 1, err
    result = json.loads(out)
    assert result["result"] == "FAIL"
    assert "s3:PutObject" in json.dumps(result)


def test_a_narrowing_passes_under_every_reading(
    tmp_path: Path, solver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path, "old.yaml", template("s3:GetObject, s3:PutObject"))
    new = write(tmp_path, "new.yaml", template("s3:GetObject"))
    code, out, err = run(no_new_access(old, new, solver), capsys)
    assert (code, json.loads(out)["result"]) == (0, "PASS"), err


def test_a_pass_only_for_values_without_wildcards_is_undecided(
    tmp_path: Path, solver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old: Deny `${Bucket}a/*`; new: Deny `a/*`. No literal bucket name gives the new policy
    more (an object of `B/` is never one of `Ba/`), but `Bucket` = `*` makes the old Deny cover
    every bucket name ending in `a`: the workflow's rule, undecided (exit 2), never a PASS."""
    old = write(tmp_path, "old.yaml", template("s3:GetObject", "arn:aws:s3:::${Bucket}a/*"))
    new = write(tmp_path, "new.yaml", template("s3:GetObject", "arn:aws:s3:::a/*"))
    code, out, err = run(no_new_access(old, new, solver), capsys)
    assert code == 2 and out == ""
    assert "holds for every value of `Bucket` without wildcards" in err


def test_single_policy_checks_decide_a_template_parameter(
    tmp_path: Path, solver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "app.yaml", template("s3:GetObject"))
    inline, bucket = f"{path}#{POLICY}", f"{path}#{BUCKET_POLICY}"
    secret = json.dumps({"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::secret/*"]})
    put = '{"actions": ["s3:PutObject"]}'
    for argv, expected in (
        (["check-access-not-granted", "--policy-document", inline, "--access", secret], 1),
        (["check-access-not-granted", "--policy-document", inline, "--access", put], 0),
        (
            [
                "check-no-public-access",
                "--policy-document",
                bucket,
                "--resource-type",
                "AWS::S3::Bucket",
            ],
            1,
        ),
    ):
        code, _, err = run([*argv, "--solver", solver], capsys)
        assert code == expected, (argv, err)
