"""JSON report: valid against its own published schema, complete, and faithful to the report."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
from test_report_golden import sample_report

from policy_guard.checks.registry import CHECK_IDS
from policy_guard.report.json_report import render_json, run_report_schema
from policy_guard.semantics.request import Request
from policy_guard.workflow.outcomes import OUTCOMES
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport, Severity


def json_of(report: RunReport) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render_json(report))
    return loaded


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = run_report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "report",
    [
        sample_report(),
        RunReport(files=(), base=None),
        dataclasses.replace(sample_report(), report_only=True),
    ],
    ids=["sample", "empty", "report-only"],
)
def test_validates_against_the_published_schema(
    validator: jsonschema.Draft202012Validator, report: RunReport
) -> None:
    assert sorted(validator.iter_errors(json_of(report)), key=str) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["files"][0]["issues"][0].pop("fingerprint"), "fingerprint"),
        (lambda d: d["files"][0]["issues"][0].update(severity="fatal"), "severity"),
        (lambda d: d["files"][0]["issues"][0].update(check="made-up"), "check"),
        (lambda d: d["summary"].update(errors=-1), "errors"),
        (lambda d: d.update(extra=1), "extra"),
    ],
)
def test_schema_rejects_a_broken_document(
    validator: jsonschema.Draft202012Validator, change: Any, where: str
) -> None:
    document = json_of(sample_report())
    change(document)
    errors = list(validator.iter_errors(document))
    assert errors and any(where in str(e) for e in errors)


def test_schema_knows_exactly_the_registered_checks_and_the_workflows_outcomes() -> None:
    # The schema is a file shipped to readers: it lists the registry's ids, then the outcomes'.
    check_enum = run_report_schema()["$defs"]["issue"]["properties"]["check"]["enum"]
    assert check_enum == [*CHECK_IDS, *(rule.id for rule in OUTCOMES)]


def test_every_file_with_its_policies_and_issues() -> None:
    report = sample_report()
    document = json_of(report)
    assert [f["path"] for f in document["files"]] == [f.path for f in report.files]
    for written, file in zip(document["files"], report.files, strict=True):
        assert written["status"] == file.status
        assert written["oldPath"] == file.old_path
        assert [(p["policyId"], p["policyType"], p["line"]) for p in written["policies"]] == [
            (p.policy_id, p.policy_type, p.line) for p in file.policies
        ]
        assert sorted(i["message"] for i in written["issues"]) == sorted(
            i.message for i in file.issues
        )


def test_summary_and_exit_code_follow_the_report() -> None:
    document = json_of(sample_report())
    # the sample: 2 unwaived errors, 2 warnings, 1 note, 1 undecided, 1 waived, 5 files
    assert document["summary"] == {
        "files": 5,
        "errors": 2,
        "warnings": 2,
        "notes": 1,
        "undecided": 1,
        "waived": 1,
        "baselined": 0,
    }
    assert document["exitCode"] == 2
    assert document["base"] == "0123abcd"


def test_report_only_turns_findings_into_exit_zero() -> None:
    issue = Issue("no-new-access", Severity.ERROR, "new access", Location("p.json", 3))
    report = RunReport(
        (FileReport("p.json", "modified", None, (), (issue,)),), None, report_only=True
    )
    document = json_of(report)
    assert (document["reportOnly"], document["exitCode"]) == (True, 0)
    assert json_of(dataclasses.replace(report, report_only=False))["exitCode"] == 1


def test_counterexample_reads_back_as_the_same_request() -> None:
    report = sample_report()
    by_message = {i.message: i for i in report.issues}
    for file in json_of(report)["files"]:
        for written in file["issues"]:
            original = by_message[written["message"]].counterexample
            if original is None:
                assert written["counterexample"] is None
            else:
                assert Request.from_json(written["counterexample"]) == original


def test_waived_issue_keeps_its_reason() -> None:
    issues = [i for f in json_of(sample_report())["files"] for i in f["issues"]]
    waived = [i for i in issues if i["waived"]]
    assert [(i["check"], i["waiverReason"]) for i in waived] == [
        ("critical-permission", "CI deploys roles; ticket SEC-42, until 2031-01-01")
    ]
    assert all(i["waiverReason"] is None for i in issues if not i["waived"])


def test_non_ascii_is_kept_as_text() -> None:
    assert "naïve 100%" in render_json(sample_report())
