"""SARIF: valid against the official 2.1.0 schema, and shaped the way GitHub code scanning
reads it (rules from the registry, 1-based columns, repository-relative URIs, fingerprints
that survive moved lines, suppressions for waived issues)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from test_report_golden import ADMIN, ODD, TEMPLATE, sample_report

from policy_guard.report.sarif import FINGERPRINT_KEY, artifact_uri, render_sarif
from policy_guard.semantics.request import Request
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport, Severity
from policy_guard.workflow.rules import RULES

SCHEMA_FILE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "report" / "sarif-schema-2.1.0.json"
)
# RFC 3986 relative-path reference: unreserved, sub-delims, ':' '@', '/' and %XX escapes,
# and no ':' before the first '/' (it would read as a scheme).
URI_REFERENCE = re.compile(
    r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=@]|%[0-9A-F]{2})+(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})*)*$"
)


def sarif_of(report: RunReport) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render_sarif(report))
    return loaded


def results_of(report: RunReport) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = sarif_of(report)["runs"][0]["results"]
    return results


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize(
    "report",
    [
        sample_report(),
        RunReport(files=(), base=None),
        RunReport(files=(), base="main", report_only=True),
    ],
    ids=["sample", "empty", "empty-report-only"],
)
def test_validates_against_the_official_schema(
    validator: jsonschema.Draft4Validator, report: RunReport
) -> None:
    errors = sorted(validator.iter_errors(sarif_of(report)), key=str)
    assert errors == []


def test_schema_is_not_vacuous(validator: jsonschema.Draft4Validator) -> None:
    log = sarif_of(sample_report())
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(log))) == 2


def test_one_rule_per_registered_check_and_results_point_at_their_rule() -> None:
    log = sarif_of(sample_report())
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in RULES]
    for rule, info in zip(rules, RULES, strict=True):
        assert rule["shortDescription"]["text"] == info.summary
        assert rule["helpUri"].endswith("#" + info.id)
        assert rule["defaultConfiguration"]["level"] == info.default_severity.value
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_every_issue_is_a_result_with_its_level() -> None:
    report = sample_report()
    results = results_of(report)
    assert sorted(r["ruleId"] for r in results) == sorted(i.check for i in report.issues)
    levels = {(r["ruleId"], r["level"]) for r in results}
    assert ("validation", "note") in levels
    assert ("undecided", "error") in levels
    assert ("expired-waiver", "warning") in levels


def test_columns_become_one_based_and_spans_keep_their_end() -> None:
    report = RunReport(
        files=(
            FileReport(
                "p.json",
                "modified",
                None,
                (),
                (
                    Issue(
                        "validation", Severity.WARNING, "one line", Location("p.json", 3, 0, 3, 7)
                    ),
                    Issue("validation", Severity.WARNING, "lines", Location("p.json", 5, 4, 9, 1)),
                    Issue("validation", Severity.WARNING, "point", Location("p.json", 0, 2)),
                ),
            ),
        ),
        base=None,
    )
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results_of(report)]
    assert regions == [
        {"startLine": 1, "startColumn": 3},  # line 0 (whole file) is shown on line 1
        {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 8},
        {"startLine": 5, "startColumn": 5, "endLine": 9, "endColumn": 2},
    ]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("policies/admin role.json", "policies/admin%20role.json"),
        ("policies/naïve 100%.json", "policies/na%C3%AFve%20100%25.json"),
        ("a:b/c,d#e?.json", "a%3Ab/c%2Cd%23e%3F.json"),
        ("windows\\style.json", "windows/style.json"),
    ],
)
def test_artifact_uris_are_percent_encoded_relative_references(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
    assert URI_REFERENCE.match(uri)
    assert unquote(uri) == path.replace("\\", "/")


def test_every_location_is_relative_to_the_source_root() -> None:
    report = sample_report()
    for result, issue in zip(results_of(report), _in_result_order(report), strict=True):
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert URI_REFERENCE.match(artifact["uri"])
        assert unquote(artifact["uri"]) == issue.location.path


def _in_result_order(report: RunReport) -> list[Issue]:
    return [
        i
        for f in report.files
        for i in sorted(f.issues, key=lambda i: (i.location.line, i.location.column))
    ]


def _fingerprints(report: RunReport) -> list[str]:
    return [r["partialFingerprints"][FINGERPRINT_KEY] for r in results_of(report)]


def _map_issues(report: RunReport, change: Any) -> RunReport:
    files = tuple(
        dataclasses.replace(f, issues=tuple(change(i) for i in f.issues)) for f in report.files
    )
    return dataclasses.replace(report, files=files)


def test_fingerprints_survive_moved_lines() -> None:
    report = sample_report()

    def moved(issue: Issue) -> Issue:
        location = dataclasses.replace(issue.location, line=issue.location.line + 40, column=0)
        return dataclasses.replace(issue, location=location)

    assert _fingerprints(_map_issues(report, moved)) == _fingerprints(report)


def test_fingerprints_are_distinct_within_a_run() -> None:
    prints = _fingerprints(sample_report())
    assert len(set(prints)) == len(prints)


def test_a_statement_with_a_sid_keeps_its_fingerprint_when_its_index_moves() -> None:
    base = Issue(
        "no-new-access",
        Severity.ERROR,
        "new access",
        Location(ADMIN, 12, 4),
        statement_index=1,
        statement_id="AllowWrite",
        counterexample=Request("s3:PutObject", "arn:aws:s3:::b/k"),
    )
    without_sid = dataclasses.replace(base, statement_id=None)

    def fingerprint(issue: Issue) -> str:
        return _fingerprints(RunReport((FileReport(ADMIN, "modified", None, (), (issue,)),), None))[
            0
        ]

    assert fingerprint(dataclasses.replace(base, statement_index=3)) == fingerprint(base)
    assert fingerprint(dataclasses.replace(without_sid, statement_index=3)) != fingerprint(
        without_sid
    )
    other_action = dataclasses.replace(
        base, counterexample=Request("s3:GetObject", "arn:aws:s3:::b/k")
    )
    assert fingerprint(other_action) != fingerprint(base)
    other_resource = dataclasses.replace(
        base, counterexample=Request("s3:PutObject", "arn:aws:s3:::c/k")
    )
    assert fingerprint(other_resource) != fingerprint(base)
    other_file = dataclasses.replace(base, location=Location(TEMPLATE, 12, 4))
    assert fingerprint(other_file) != fingerprint(base)
    other_check = dataclasses.replace(base, check="critical-permission")
    assert fingerprint(other_check) != fingerprint(base)


def test_waived_issues_are_suppressed_with_the_reason_and_others_are_not() -> None:
    report = sample_report()
    for result, issue in zip(results_of(report), _in_result_order(report), strict=True):
        if issue.waived_by is None:
            assert "suppressions" not in result
        else:
            assert result["suppressions"] == [
                {"kind": "external", "status": "accepted", "justification": issue.waived_by}
            ]


def test_message_carries_statement_and_counterexample() -> None:
    results = {r["ruleId"]: r for r in results_of(sample_report())}
    text = results["public-access"]["message"]["text"]
    assert "statement 0 (`Public, Read: all`)" in text
    assert "principal `anonymous`" in text
    assert "resource `arn:aws:s3:::public-bucket/100%,a:b`" in text
    assert results["public-access"]["properties"]["counterexample"]["principal"] == "anonymous"
    assert results["undecided"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "policies/na%C3%AFve%20100%25.json"
    )
    assert unquote("policies/na%C3%AFve%20100%25.json") == ODD


def test_an_unknown_check_id_is_refused() -> None:
    issue = Issue("no-such-check", Severity.ERROR, "x", Location("p.json", 1))
    with pytest.raises(KeyError, match="no-such-check"):
        render_sarif(RunReport((FileReport("p.json", "modified", None, (), (issue,)),), None))
