"""AWS's size limits (`policy.limits`): a policy over its type's limit is flagged with the limit
by validation, and still checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policy_guard.checks.validation import validate_document
from policy_guard.cli import main
from policy_guard.document.read import decode_text
from policy_guard.policy.limits import LIMITS, measure, over_limit


def identity(resources: int) -> dict[str, Any]:
    arns = [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(resources)]
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": arns}],
    }


def test_identity_policies_are_measured_without_whitespace() -> None:
    document = identity(3)
    document["Statement"][0]["Condition"] = {"StringEquals": {"aws:username": "a b"}}
    spaced = json.dumps(document, indent=4)
    assert measure(document, LIMITS["managed"]) == len("".join(spaced.split()))
    assert measure(document, LIMITS["AWS::S3::Bucket"]) == len(
        json.dumps(document, separators=(",", ":"))
    )


def test_measuring_stops_past_the_limit() -> None:
    """YAML aliases can repeat one large string: the count stops, it is not written out."""
    big = "x" * 1_000_000
    document = {"Version": "2012-10-17", "Statement": [big] * 2_000}
    size = measure(document, LIMITS["managed"], stop=6_144)
    assert 6_144 < size < 2_100_000


def test_the_table_holds_iams_identity_limits() -> None:
    assert LIMITS["managed"].size == 6_144
    assert (LIMITS["inline-user"].size, LIMITS["inline-group"].size) == (2_048, 5_120)
    assert LIMITS["inline-role"].size == 10_240
    assert LIMITS["AWS::S3::Bucket"].size == 20_480


@pytest.mark.parametrize(("count", "flagged"), [(150, False), (400, True)])
def test_validation_flags_a_policy_over_the_managed_policy_limit(count: int, flagged: bool) -> None:
    document = decode_text(json.dumps(identity(count)), "big.json")
    codes = [f.issue_code for f in validate_document(document).findings]
    assert ("POLICY_SIZE_EXCEEDS_LIMIT" in codes) is flagged
    assert (over_limit(identity(count), "managed") is not None) is flagged
    if flagged:
        finding = next(
            f
            for f in validate_document(document).findings
            if f.issue_code == "POLICY_SIZE_EXCEEDS_LIMIT"
        )
        assert "over 6,144 characters without whitespace" in finding.details
        assert "the most AWS allows in a managed policy" in finding.details


def test_an_oversized_policy_is_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A warning, not a refusal: the access check still answers (FAIL: it grants s3:GetObject)."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps(identity(400)), encoding="utf-8")
    access = '{"actions": ["s3:GetObject"]}'
    code = main(["check-access-not-granted", "--policy-document", str(path), "--access", access])
    assert code == 1, capsys.readouterr()


def test_a_run_of_stars_is_one_wildcard_to_the_matcher_and_the_engine() -> None:
    """`s3:Get` and 5,000 `*` matched what `s3:Get*` does, as 5,000 tokens: the engine's
    automaton took 1.1 GB. A run is one token; what it matches is unchanged."""
    from policy_guard.policy.globs import Kind, compile_pattern

    starry = compile_pattern("s3:Get" + "*" * 5_000, Kind.ACTION)
    assert starry.tokens == compile_pattern("s3:Get*", Kind.ACTION).tokens
    resource = compile_pattern("arn:aws:s3:::b/**?**x", Kind.RESOURCE)
    assert resource.tokens == compile_pattern("arn:aws:s3:::b/*?*x", Kind.RESOURCE).tokens
    assert resource.matches("arn:aws:s3:::b/zx") and not resource.matches("arn:aws:s3:::b/x")


def test_the_engine_refuses_a_question_past_its_size_before_building_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Undecided at once, naming the file and the limit: 25,000 ARNs (AWS stores no such
    policy) took the engine past its budget and 1.6 GB at 80,000."""
    from policy_guard.checks.common import ENGINE_ENTRIES_LIMIT

    old, path = tmp_path / "old.json", tmp_path / "huge.json"
    old.write_text(json.dumps(identity(1)), encoding="utf-8")
    path.write_text(json.dumps(identity(25_000)), encoding="utf-8")
    code = main(["check-no-new-access", "--existing-policy-document", str(old),
                 "--new-policy-document", str(path)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err
    assert f"more than the {ENGINE_ENTRIES_LIMIT:,} the engine takes" in err
