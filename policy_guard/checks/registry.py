"""Every check, listed once: a new check is one module in `policy_guard.checks` and one line here.

Each check module declares its `CHECK` (`spec.Check`: the rule reporters describe, the stage it
runs at, the configuration keys it reads, and its workflow adapter `run`). From this list come
the configuration's check keys (`checks:` in `.policy-guard.yaml`), the workflow's loop (in this
order, document-stage checks first), the SARIF rules and the JSON schema's enum (a test checks
that the schema file agrees). The ids are what users see: SARIF `ruleId`, GitHub annotation
titles, waivers. The workflow's own outcomes (`parse-error`, `expired-waiver`, `undecided`) are
not checks: `policy_guard.workflow.outcomes` describes them.
"""

from __future__ import annotations

from policy_guard.checks import (
    access_not_granted,
    external_access,
    no_new_access,
    public_access,
    validation,
)
from policy_guard.checks.spec import Check

CHECKS: tuple[Check, ...] = (
    no_new_access.CHECK,
    access_not_granted.CHECK,
    public_access.CHECK,
    external_access.CHECK,
    validation.CHECK,
)
CHECK_IDS: tuple[str, ...] = tuple(check.id for check in CHECKS)
