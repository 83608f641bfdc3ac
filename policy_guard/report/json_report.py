"""Machine-readable JSON: every file examined, its policies and issues, and the counts.

The shape is stable and described by `schema/run-report.schema.json` (JSON Schema 2020-12,
shipped with the package; `run_report_schema()` loads it). A change that could break a reader
bumps `schemaVersion`'s major number; adding a field bumps the minor one. Every field is always
present (`null` when it has no value), so readers need no defaults.

    schemaVersion   "1.1" (1.1 added `baseline`, `summary.baselined`, `issues[].baselined`,
                    `issues[].accessDiff`)
    tool            {name, version}
    base            the commit compared against, or null (`--all`, no base)
    reportOnly      true when findings do not fail the run
    exitCode        what the run exits with: 0 nothing found, 1 findings, 2 undecided
    baseline        the baseline file findings were matched with, or null (1.1)
    summary         {files, errors, warnings, notes, undecided, waived, baselined}: issues
                    neither waived nor baselined by severity (undecided ones apart), waived
                    ones, baselined ones (1.1), files examined
    files[]         every file examined, in the runner's order:
      path, status ("modified" | "added" | "renamed" | "unchanged"), oldPath (or null)
      policies[]    {policyId ("" for a bare policy file, else its place in the file, e.g.
                    `Resources.Role.Properties.Policies[0]`), policyType, line}
      issues[]      in reading order:
        check           a rule id: a check's (`policy_guard.checks.registry`) or an outcome's
                        (`policy_guard.workflow.outcomes`)
        severity        "error" | "warning" | "note"
        message         one line
        awsMessage      IAM Access Analyzer's wording where the check mirrors it, or null
        location        {path, line (from 1), column (from 0, as Access Analyzer counts),
                        endLine, endColumn (or null)}
        policyId, statementIndex (or null), statementId (or null)
        counterexample  a request the reference evaluator confirmed, or null:
                        {principal (or null), action, resource, context {key: value | [values]}}
        waived          true when a waiver covers the issue; waiverReason is then its reason
        baselined       true when the baseline holds the finding (1.1): it fails nothing
        fingerprint     sha256 hex that identifies the finding across commits (not its line)
        accessDiff      no-new-access: {gained[], lost[], newPolicy, undecided?}, every action
                        the policy gains and loses (`report.access_diff.diff_json`), or null
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from policy_guard import __version__
from policy_guard.report.access_diff import diff_json
from policy_guard.report.describe import fingerprint, ordered
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport

SCHEMA_VERSION = "1.1"


def render_json(report: RunReport, color: bool = False) -> str:
    """The report as indented JSON ending in a newline (`color` is accepted and ignored)."""
    return json.dumps(report_to_json(report), indent=2, ensure_ascii=False) + "\n"


def report_to_json(report: RunReport) -> dict[str, Any]:
    counts = report.counts()
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "policy-guard", "version": __version__},
        "base": report.base,
        "reportOnly": report.report_only,
        "baseline": report.baseline,
        "exitCode": report.exit_code,
        "summary": {
            "files": counts["files"],
            "errors": counts["error"],
            "warnings": counts["warning"],
            "notes": counts["note"],
            "undecided": counts["undecided"],
            "waived": counts["waived"],
            "baselined": counts["baselined"],
        },
        "files": [_file(f) for f in report.files],
    }


def run_report_schema() -> dict[str, Any]:
    """The JSON Schema of `render_json`'s output, from the package data."""
    text = resources.files("policy_guard.report").joinpath("schema/run-report.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def _file(file: FileReport) -> dict[str, Any]:
    return {
        "path": file.path,
        "status": file.status,
        "oldPath": file.old_path,
        "policies": [
            {"policyId": p.policy_id, "policyType": p.policy_type, "line": p.line}
            for p in file.policies
        ],
        "issues": [_issue(i) for i in ordered(file.issues)],
    }


def _issue(issue: Issue) -> dict[str, Any]:
    return {
        "check": issue.check,
        "severity": issue.severity.value,
        "message": issue.message,
        "awsMessage": issue.aws_message,
        "location": _location(issue.location),
        "policyId": issue.policy_id,
        "statementIndex": issue.statement_index,
        "statementId": issue.statement_id,
        "counterexample": None if issue.counterexample is None else issue.counterexample.to_json(),
        "waived": issue.waived_by is not None,
        "waiverReason": issue.waived_by,
        "baselined": issue.baselined_in is not None,
        "fingerprint": fingerprint(issue),
        "accessDiff": None if issue.access_diff is None else diff_json(issue.access_diff),
    }


def _location(location: Location) -> dict[str, Any]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "endLine": location.end_line,
        "endColumn": location.end_column,
    }
