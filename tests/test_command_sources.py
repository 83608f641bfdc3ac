"""The single commands read their documents through `policy_guard.sources`, as the workflow
does: a kind of file that a source recognises works in every command without a change to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy_guard import sources
from policy_guard.cli import main
from policy_guard.document.values import Decoded
from policy_guard.policy.model import PolicyType
from policy_guard.sources.base import FoundPolicy

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Open",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::example-bucket/*",
        }
    ],
}


class WrapperSource:
    """A made-up kind of file: `{"Wrapped": {name: policy, ...}}`, each a resource policy."""

    name = "wrapper"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        value = document.value
        if not (isinstance(value, dict) and isinstance(value.get("Wrapped"), dict)):
            return None
        return tuple(
            FoundPolicy(
                f"Wrapped.{name}",
                document.sub(("Wrapped", name)),
                PolicyType.RESOURCE,
            )
            for name in value["Wrapped"]
        )


@pytest.fixture
def wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "SOURCES", (WrapperSource(), *sources.SOURCES))


def write(tmp_path: Path, document: object) -> str:
    path = tmp_path / "wrapped.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return str(path)


def test_a_command_checks_the_policy_a_source_finds(
    wrapper: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"Wrapped": {"Bucket": POLICY}})
    argv = ["check-no-public-access", "--policy-document", path, "--resource-type"]
    assert main([*argv, "AWS::S3::Bucket"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL no-public-access:")
    # the reason's line is the statement's line in the file, inside the wrapper
    assert f"{path}:6: statement 0 (`Open`)" in out
    assert main(["validate-policy", "--policy-document", path]) == 0
    assert capsys.readouterr().out == f"{path}: no findings\n"


def test_a_file_with_several_policies_is_an_input_error(
    wrapper: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"Wrapped": {"One": POLICY, "Two": POLICY}})
    assert main(["validate-policy", "--policy-document", path]) == 2
    err = capsys.readouterr().err
    assert "holds 2 policies (`Wrapped.One`, `Wrapped.Two`)" in err


def test_without_the_source_the_file_is_not_a_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"Wrapped": {"Bucket": POLICY}})
    assert main(["validate-policy", "--policy-document", path]) == 1
    assert "MISSING_STATEMENT" in capsys.readouterr().out
