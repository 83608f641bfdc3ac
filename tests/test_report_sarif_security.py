"""SARIF for GitHub code scanning: every security rule carries a `security-severity` GitHub
ranks as critical or high, with `precision` and the `security` tag; the log stays valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from policy_guard.report.sarif import sarif_log
from policy_guard.workflow.results import RunReport

SCHEMA = Path(__file__).resolve().parent / "fixtures" / "report" / "sarif-schema-2.1.0.json"


def test_security_rules_are_ranked_critical_or_high_and_the_log_is_valid() -> None:
    log = sarif_log(RunReport((), None))
    jsonschema.validate(log, json.loads(SCHEMA.read_text(encoding="utf-8")))
    rules = {r["id"]: r["properties"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    ranked = {
        rule: float(p["security-severity"]) for rule, p in rules.items() if "security-severity" in p
    }
    assert set(ranked) == {
        "no-new-access",
        "critical-permission",
        "public-access",
        "external-access",
    }
    assert all(score >= 7.0 for score in ranked.values())  # GitHub: 7.0-8.9 high, 9.0+ critical
    assert ranked["critical-permission"] >= 9.0 and ranked["public-access"] >= 9.0
    for rule in ranked:
        assert "security" in rules[rule]["tags"] and rules[rule]["precision"] == "very-high"
