"""Adoption in a real repository: `policy-guard init` writes the configuration and the baseline
so that an existing repository passes on day one; from then on only new findings fail, and the
baseline keeps matching through reformatting, reordering, Sid renames and `git mv`, reports
what has been paid off, and never hides the same grant in another file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gitrepo import commit, git, isolated_git, make_repo, write

from policy_guard.cli import main
from policy_guard.report.describe import fingerprint
from policy_guard.workflow.baseline import BASELINE_FILE
from policy_guard.workflow.config import CONFIG_FILE

pytestmark = pytest.mark.usefixtures("isolated_git")
__all__ = ["isolated_git"]

ADMIN = {"Sid": "Admin", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}
READ = {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def document(*statements: dict[str, Any], indent: int | None = 2) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def sweep(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--all", "--format", "json", "--jobs", "1", *args])
    return code, json.loads(capsys.readouterr().out)


def failing(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (i["location"]["path"], i["check"])
        for f in report["files"]
        for i in f["issues"]
        if not i["waived"] and not i["baselined"] and i["severity"] == "error"
    ]


@pytest.fixture
def adopted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    repo = make_repo(tmp_path / "repo")
    write(repo, "iam/admin.json", document(ADMIN))
    write(repo, "iam/app.json", document(READ))
    commit(repo, "before policy-guard")
    monkeypatch.chdir(repo)
    assert main(["--all", "--jobs", "1"]) == 0  # nothing configured: nothing critical yet
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {CONFIG_FILE}" in out and f"wrote {BASELINE_FILE}" in out
    commit(repo, "adopt policy-guard")
    return repo


def test_init_lets_an_existing_repository_pass_and_refuses_to_overwrite(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = sweep(capsys)
    assert code == 0 and failing(report) == []
    assert report["summary"]["baselined"] >= 2  # two critical permissions of iam:* on *
    assert report["summary"]["waived"] == 0 and report["baseline"] == BASELINE_FILE
    baselined = [i for f in report["files"] for i in f["issues"] if i["baselined"]]
    assert baselined and all(not i["waived"] and i["waiverReason"] is None for i in baselined)
    assert main(["init"]) == 2
    assert "pass `--force`" in capsys.readouterr().err
    assert main(["init", "--force"]) == 0


def test_a_new_grant_fails_while_the_baselined_one_stays_baselined(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(adopted, "iam/app.json", document(READ, {**ADMIN, "Sid": "AlsoAdmin"}))
    code, report = sweep(capsys)
    assert code == 1
    assert set(failing(report)) == {("iam/app.json", "critical-permission")}


def test_every_format_labels_baselined_findings_apart_from_new_ones(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(adopted, "iam/app.json", document(READ, {**ADMIN, "Sid": "AlsoAdmin"}))
    assert main(["--all", "--jobs", "1"]) == 1
    text = capsys.readouterr().out
    old = [line for line in text.splitlines() if line.strip().startswith("iam/admin.json:")]
    assert any(" baselined [critical-permission]" in line for line in old)
    assert all(": baselined [" in line for line in old)
    assert all(line.endswith(f"(in {BASELINE_FILE})") for line in old)
    assert "baselined)" in text.splitlines()[-1]  # the summary line counts them

    assert main(["--all", "--jobs", "1", "--format", "sarif"]) == 1
    run = json.loads(capsys.readouterr().out)["runs"][0]
    states = {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["baselineState"])
        for r in run["results"]
        if r["ruleId"] == "critical-permission"
    }
    assert states == {("iam/admin.json", "unchanged"), ("iam/app.json", "new")}
    assert run["properties"]["baseline"] == BASELINE_FILE

    assert main(["--all", "--jobs", "1", "--format", "github"]) == 1
    annotations = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::")]
    assert annotations and all("file=iam/app.json" in line for line in annotations)


def test_without_a_baseline_sarif_results_have_no_baseline_state(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (adopted / BASELINE_FILE).unlink()
    assert main(["--all", "--jobs", "1", "--format", "sarif"]) == 1
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert results and all("baselineState" not in r for r in results)


def test_reformatting_reordering_a_sid_rename_and_a_git_mv_keep_the_baseline(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(adopted, "mv", "iam/admin.json", "iam/administrators.json")
    assert main([]) == 0  # the hook's view: a rename git detects, compared with its old path
    commit(adopted, "rename")
    renamed = {**ADMIN, "Sid": "Administrators", "Action": ["iam:*"]}
    deny = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}  # moves Admin to 1
    write(adopted, "iam/administrators.json", document(deny, renamed, indent=None))
    assert main([]) == 0  # reformatted, reordered, Sid renamed: nothing new, nothing failing
    capsys.readouterr()
    commit(adopted, "reformat, reorder, rename the Sid")
    code, report = sweep(capsys)
    assert code == 0 and failing(report) == []
    stale = [i for f in report["files"] for i in f["issues"] if i["check"] == "stale-baseline"]
    assert stale == []


def test_the_same_grant_in_another_file_is_new(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(adopted, "iam/copy.json", document(ADMIN))
    code, report = sweep(capsys)
    assert code == 1 and {p for p, _ in failing(report)} == {"iam/copy.json"}


def test_a_paid_off_entry_is_a_note_until_the_baseline_is_rewritten(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(adopted, "iam/admin.json", document(READ))
    code, report = sweep(capsys)
    notes = [i for f in report["files"] for i in f["issues"] if i["check"] == "stale-baseline"]
    assert code == 0 and notes and all(n["severity"] == "note" for n in notes)
    assert {n["location"]["path"] for n in notes} == {BASELINE_FILE}
    assert main(["baseline"]) == 0
    assert "wrote 0 finding(s)" in capsys.readouterr().out
    code, report = sweep(capsys)
    assert not [i for f in report["files"] for i in f["issues"] if i["check"] == "stale-baseline"]


def test_the_sarif_fingerprint_survives_a_sid_rename(
    adopted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from policy_guard.workflow.runner import RunOptions, run

    def keys() -> set[str]:
        options = RunOptions(all_files=True, jobs=1, baseline=None)
        report = run(options, cwd=str(adopted), environ={}, today=date.today())
        return {fingerprint(i) for i in report.issues if i.check == "critical-permission"}

    before = keys()
    write(adopted, "iam/admin.json", document({**ADMIN, "Sid": "Other"}, indent=None))
    assert keys() == before and before
