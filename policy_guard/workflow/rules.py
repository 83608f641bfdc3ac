"""Every rule a run can report, for reporters: the checks' rules (from the registry), then the
workflow's outcomes, in the order SARIF numbers its rules."""

from __future__ import annotations

from policy_guard.checks.registry import CHECKS
from policy_guard.checks.spec import Rule
from policy_guard.workflow.outcomes import OUTCOMES

RULES: tuple[Rule, ...] = (*(check.rule for check in CHECKS), *OUTCOMES)


def rule_index(rule_id: str) -> int:
    """The place of `rule_id` in `RULES`; an unknown id is a programming error (KeyError)."""
    for index, rule in enumerate(RULES):
        if rule.id == rule_id:
            return index
    known = ", ".join(r.id for r in RULES)
    raise KeyError(f"unknown check id `{rule_id}` (known: {known})")


def rule_for(rule_id: str) -> Rule:
    """The rule of `rule_id` (KeyError for an unknown id)."""
    return RULES[rule_index(rule_id)]
