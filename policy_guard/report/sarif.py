"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and other viewers.

One run; one rule per check of the registry and per outcome of the workflow
(`policy_guard.workflow.rules.RULES`: the rule's index is its place there); one result
per issue. Locations are relative to the repository root (`uriBaseId` `%SRCROOT%`), with
1-based columns (our `Location.column` counts from 0). Waived issues carry an `external`
suppression with the waiver's reason; when the run matched a baseline file, every result has a
`baselineState` (`unchanged` for a finding the baseline holds, which is also suppressed as
accepted there, `new` for the others), as SARIF defines it for a comparison with a baseline.
`partialFingerprints` holds our own key only: GitHub computes `primaryLocationLineHash`
itself from the file and warns when a tool sends a different one, and ours leaves lines out on
purpose, so that a finding keeps its identity when the lines above it change.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from policy_guard import __version__
from policy_guard.checks.spec import PROJECT_URL, Rule
from policy_guard.report.access_diff import summary
from policy_guard.report.describe import fingerprint, headline, ordered, request_sentence
from policy_guard.workflow.results import Issue, Location, RunReport, Severity
from policy_guard.workflow.rules import RULES, rule_index

SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "policyGuardFinding/v1"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def render_sarif(report: RunReport, color: bool = False) -> str:
    """The report as a SARIF 2.1.0 log ending in a newline (`color` is accepted and ignored)."""
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def sarif_log(report: RunReport) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "policy-guard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_rule(rule) for rule in RULES],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(i, report.baseline is not None) for f in report.files for i in ordered(f.issues)
        ],
    }
    properties: dict[str, Any] = {"reportOnly": report.report_only}
    if report.base is not None:
        properties["base"] = report.base
    if report.baseline is not None:
        properties["baseline"] = report.baseline
    run["properties"] = properties
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference that resolves against `%SRCROOT%`:
    `/`-separated, everything but unreserved characters percent-encoded as UTF-8 (spaces, `%`,
    `#`, non-ASCII; `:` too, which in a first segment would read as a URI scheme)."""
    return quote(path.replace("\\", "/"), safe="/")


def _rule(info: Rule) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.description},
        "helpUri": info.help_url,
        "help": {
            "text": f"{info.description} See {info.help_url}",
            "markdown": f"{info.description}\n\n[policy-guard: `{info.id}`]({info.help_url})",
        },
        "defaultConfiguration": {"level": _LEVELS[info.default_severity]},
        "properties": _rule_properties(info),
    }


def _rule_properties(info: Rule) -> dict[str, Any]:
    """Tags, precision (every finding is a confirmed request, or a documented grammar rule),
    and for security rules the `security-severity` GitHub code scanning ranks results by."""
    properties: dict[str, Any] = {"tags": list(info.tags), "precision": "very-high"}
    if info.security_severity is not None:
        properties["security-severity"] = info.security_severity
    return properties


def _result(issue: Issue, compared_with_baseline: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": issue.check,
        "ruleIndex": rule_index(issue.check),
        "level": _LEVELS[issue.severity],
        "message": {"text": _message(issue)},
        "locations": [{"physicalLocation": _physical_location(issue.location)}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(issue)},
    }
    properties = _properties(issue)
    if properties:
        result["properties"] = properties
    if compared_with_baseline:
        result["baselineState"] = "new" if issue.baselined_in is None else "unchanged"
    accepted_because = issue.waived_by or (
        None if issue.baselined_in is None else f"in the baseline ({issue.baselined_in})"
    )
    if accepted_because is not None:
        result["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": accepted_because}
        ]
    return result


def _message(issue: Issue) -> str:
    """Sentences: the statement and the message, AWS's wording, then the counterexample."""
    sentences = [headline(issue)]
    if issue.aws_message:
        sentences.append(f"AWS: {issue.aws_message}")
    if issue.counterexample is not None:
        sentences.append(f"Request: {request_sentence(issue.counterexample)}")
    if issue.access_diff is not None:
        sentences.append(f"Access: {summary(issue.access_diff, statement=issue.statement_index)}")
    return " ".join(s if s.endswith((".", "!", "?")) else s + "." for s in sentences)


def _physical_location(location: Location) -> dict[str, Any]:
    start_line = max(1, location.line)
    region: dict[str, Any] = {"startLine": start_line, "startColumn": location.column + 1}
    if location.end_line is not None and location.end_line >= start_line:
        region["endLine"] = location.end_line
        if location.end_column is not None:
            region["endColumn"] = location.end_column + 1
    return {
        "artifactLocation": {"uri": artifact_uri(location.path), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }


def _properties(issue: Issue) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if issue.policy_id:
        found["policyId"] = issue.policy_id
    if issue.statement_index is not None:
        found["statementIndex"] = issue.statement_index
    if issue.statement_id is not None:
        found["statementId"] = issue.statement_id
    if issue.aws_message is not None:
        found["awsMessage"] = issue.aws_message
    if issue.counterexample is not None:
        found["counterexample"] = issue.counterexample.to_json()
    return found
