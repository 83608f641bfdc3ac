"""`policy-guard validate-policy` through `cli.main`: output formats and exit codes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from policy_guard.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "validate"
LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): (?P<type>[A-Z_]+) (?P<code>[A-Z_]+) ")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate-policy", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_has_the_validate_policy_shape(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "problems.json")
    code, out, err = run(capsys, "--policy-document", path, "--output", "json")
    assert (code, err) == (1, "")
    findings = json.loads(out)["findings"]
    assert findings
    for finding in findings:
        assert finding["findingType"] in ("ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION")
        assert re.fullmatch(r"[A-Z_]+", finding["issueCode"])
        assert finding["findingDetails"]
        assert finding["learnMoreLink"].startswith("https://docs.aws.amazon.com/")
        [location] = finding["locations"]
        for element in location["path"]:
            assert list(element) in (["value"], ["index"])
        assert set(location["span"]) == {"start", "end"}
        assert set(location["span"]["start"]) == {"line", "column"}
    by_code = {f["issueCode"]: f for f in findings}
    duplicate_sid = by_code["UNIQUE_SIDS_REQUIRED"]["locations"][0]
    assert duplicate_sid["path"] == [{"value": "Statement"}, {"index": 1}, {"value": "Sid"}]
    assert duplicate_sid["span"]["start"] == {"line": 17, "column": 13}
    assert duplicate_sid["span"]["end"] == {"line": 17, "column": 25}


def test_text_output_one_line_per_finding_then_a_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(FIXTURES / "problems.json")
    code, out, _ = run(capsys, "--policy-document", path, "--policy-type", "IDENTITY_POLICY")
    assert code == 1
    *lines, summary = out.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert {m.group("file") for m in parsed if m} == {path}
    # the column is 1-based in text (as compilers print it); JSON keeps AWS's 0-based column
    assert f"{path}:17:14: ERROR UNIQUE_SIDS_REQUIRED " in out
    errors = sum(1 for m in parsed if m and m.group("type") == "ERROR")
    assert summary.startswith(f"{path}: {errors} errors, ")


def test_no_error_finding_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--policy-document", str(FIXTURES / "clean.json"))
    assert code == 0
    assert out.strip().endswith(": no findings")
    code, out, _ = run(capsys, "--policy-document", str(FIXTURES / "warnings-only.json"))
    assert code == 0
    assert " WARNING MISSING_VERSION " in out and " WARNING INVALID_ACTION " in out
    code, out, _ = run(
        capsys, "--policy-document", str(FIXTURES / "clean.json"), "--output", "json"
    )
    assert (code, json.loads(out)) == (0, {"findings": []})


def test_policy_type_decides_principal_findings(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "warnings-only.json")
    code, out, _ = run(capsys, "--policy-document", path, "--policy-type", "RESOURCE_POLICY")
    assert code == 1
    assert " ERROR MISSING_PRINCIPAL " in out


def test_file_url_and_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = FIXTURES / "clean.json"
    assert run(capsys, "--policy-document", f"file://{path}")[0] == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(path.read_text()))
    code, out, _ = run(capsys, "--policy-document", "-")
    assert code == 0
    assert out.startswith("<stdin>: no findings")


@pytest.mark.parametrize(
    ("name", "line"),
    [("syntax-error.json", 4), ("syntax-error.yaml", 5), ("not-utf8.json", None)],
)
def test_unreadable_documents_exit_two_with_one_line(
    capsys: pytest.CaptureFixture[str], name: str, line: int | None
) -> None:
    path = str(FIXTURES / name)
    code, out, err = run(capsys, "--policy-document", path)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err
    where = path if line is None else f"{path}:{line}:"
    assert where in err


def test_missing_file_exits_two(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.json")
    code, out, err = run(capsys, "--policy-document", missing)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and missing in err


def test_duplicate_keys_are_findings_not_read_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(FIXTURES / "user-guide" / "troubleshoot_policies-9.json")
    code, out, _ = run(capsys, "--policy-document", path, "--output", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["issueCode"] == "DUPLICATE_KEY"
    assert finding["locations"][0]["path"] == [{"value": "Statement"}]
    assert finding["locations"][0]["span"]["start"]["line"] == 8
