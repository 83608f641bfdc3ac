"""The check registry: well-formed rules, and everything that lists checks derives from it and
agrees (configuration keys, SARIF rules, the JSON schema's enum, the workflow's loop)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policy_guard.checks import (
    access_not_granted,
    external_access,
    no_new_access,
    public_access,
    registry,
    validation,
)
from policy_guard.checks.common import EngineOptions
from policy_guard.checks.registry import CHECK_IDS, CHECKS
from policy_guard.checks.results import Flag
from policy_guard.checks.settings import Settings
from policy_guard.checks.spec import PROJECT_URL, Check, Rule, Severity, Stage, Target
from policy_guard.report.sarif import sarif_log
from policy_guard.workflow.config import CONFIG_KEYS, Config, parse_config, waivable
from policy_guard.workflow.file_checks import CheckContext, FileTask, check_file
from policy_guard.workflow.outcomes import OUTCOMES
from policy_guard.workflow.results import RunReport
from policy_guard.workflow.rules import RULES, rule_for, rule_index

PACKAGE = Path(__file__).resolve().parents[1] / "policy_guard"
SCHEMA = PACKAGE / "report" / "schema" / "run-report.schema.json"


def test_one_module_per_check_each_listed_once() -> None:
    modules = (no_new_access, access_not_granted, public_access, external_access, validation)
    assert tuple(m.CHECK for m in modules) == CHECKS
    assert tuple(m.CHECK_ID for m in modules) == CHECK_IDS
    assert all(m.CHECK.rule is m.RULE for m in modules)


def test_ids_and_names_are_unique_and_well_formed() -> None:
    ids = [r.id for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.id), rule.id
        assert re.fullmatch(r"(?:[A-Z][a-z]+)+", rule.name), rule.name


def test_summaries_are_one_sentence_and_help_links_point_at_the_readme() -> None:
    for rule in RULES:
        assert rule.summary[0].isupper() and rule.summary.endswith("."), rule.id
        assert ". " not in rule.summary.rstrip("."), rule.id
        assert len(rule.description) > len(rule.summary)
        assert rule.help_url == f"{PROJECT_URL}#{rule.id}"


def test_access_checks_and_failures_default_to_errors_and_are_security_rules() -> None:
    errors = {r.id for r in RULES if r.default_severity is Severity.ERROR}
    assert {"no-new-access", "critical-permission", "public-access", "undecided"} <= errors
    security = {r.id for r in RULES if r.security}
    assert security == {"no-new-access", "critical-permission", "public-access", "external-access"}


def test_outcomes_are_not_checks() -> None:
    outcome_ids = {r.id for r in OUTCOMES}
    assert outcome_ids == {
        "parse-error",
        "expired-waiver",
        "unused-waiver",
        "stale-baseline",
        "undecided",
    }
    assert not outcome_ids & set(CHECK_IDS)


def test_lookup() -> None:
    assert rule_for("public-access").name == "PublicAccess"
    assert RULES[rule_index("undecided")].id == "undecided"
    with pytest.raises(KeyError, match="`no-such-check`"):
        rule_for("no-such-check")


# --- everything that lists checks agrees with the registry ------------------------------------


def test_the_configuration_takes_every_check_and_the_keys_they_read() -> None:
    for check_id in CHECK_IDS:
        config = parse_config(f"checks:\n  {check_id}: warning\n", ".policy-guard.yaml")
        assert config.severity(check_id) is Severity.WARNING
    assert set(waivable()) == {*CHECK_IDS, "parse-error"}
    for check in CHECKS:
        assert set(check.settings) <= set(CONFIG_KEYS), check.id


def test_sarif_has_a_rule_per_check_then_per_outcome_with_the_security_tag() -> None:
    rules = sarif_log(RunReport((), None))["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [*CHECK_IDS, *(r.id for r in OUTCOMES)]
    for written, rule in zip(rules, RULES, strict=True):
        assert ("security" in written["properties"]["tags"]) is rule.security


def test_the_schema_file_lists_the_registered_checks_then_the_outcomes() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    enum = schema["$defs"]["issue"]["properties"]["check"]["enum"]
    assert enum == [*CHECK_IDS, *(r.id for r in OUTCOMES)]


POLICY = b'{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'  # noqa: E501


def _flag_everything(
    target: Target, settings: Settings, options: EngineOptions
) -> tuple[Flag, ...]:
    assert target.policy is not None  # a policy-stage check sees the parsed policy
    return (Flag("flagged", ("Statement", 0), 0),)


NEW_CHECK = Check(
    Rule(
        "new-check",
        "NewCheck",
        "A check added to the registry.",
        "Only a test has it.",
        Severity.ERROR,
    ),
    Stage.POLICY,
    _flag_everything,
)


def test_a_check_added_to_the_registry_runs_in_the_workflow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = CheckContext(Config(), compare=False, today=date(2025, 6, 1))
    task = FileTask("p.json", "added", POLICY)
    monkeypatch.setattr(registry, "CHECKS", (*CHECKS, NEW_CHECK))
    report = check_file(task, context)
    assert report is not None
    assert [(i.check, i.message, i.location.line) for i in report.issues] == [
        ("new-check", "flagged", 1)
    ]
    off = CheckContext(Config(checks={"new-check": None}), compare=False, today=date(2025, 6, 1))
    report = check_file(task, off)
    assert report is not None and report.issues == ()


# --- no check id is a string literal where issues are made ------------------------------------


def _issue_calls() -> list[tuple[str, ast.expr | None]]:
    """(file, first argument) of every `Issue(...)` written in the package, where `Issue` is
    the workflow run's."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(
            isinstance(node, ast.ImportFrom)
            and node.module == "policy_guard.workflow.results"
            and any(alias.name == "Issue" and alias.asname is None for alias in node.names)
            for node in ast.walk(tree)
        ):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue":
                first = (
                    node.args[0]
                    if node.args
                    else next((k.value for k in node.keywords if k.arg == "check"), None)
                )
                found.append((path.relative_to(PACKAGE).as_posix(), first))
    return found


def test_issues_take_their_check_id_from_a_constant_never_a_literal() -> None:
    calls = _issue_calls()
    literals = sorted((f, first.value) for f, first in calls if isinstance(first, ast.Constant))
    assert literals == []
    assert len(calls) >= 5  # the scan finds the workflow's issues (not a test that cannot fail)


def test_the_hooks_quick_look_does_not_load_the_checks() -> None:
    # The runner (what a hook run on a commit without policies imports) reads check ids only
    # when a configuration or a policy needs them: the check modules are not loaded.
    code = (
        "import sys, policy_guard.workflow.runner\n"
        "print(sorted(m for m in sys.modules if m.startswith('policy_guard.checks.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['policy_guard.checks.settings', 'policy_guard.checks.spec']"
