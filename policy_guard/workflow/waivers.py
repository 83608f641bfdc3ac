"""Waivers: findings the team accepted, with a reason and maybe an end date.

A waived issue stays in the report (with `waived_by`), it just does not fail the run. An expired
waiver waives nothing, and is a warning itself (`expired-waiver`) pointing at its line in the
configuration, so that accepting a risk is never silently permanent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from policy_guard.workflow.config import Config, Waiver, path_matches
from policy_guard.workflow.outcomes import EXPIRED_WAIVER, UNDECIDED
from policy_guard.workflow.results import Issue, Location, Severity

UNWAIVABLE = (UNDECIDED, EXPIRED_WAIVER)


def is_expired(waiver: Waiver, today: date) -> bool:
    """A waiver holds through its `expires` day."""
    return waiver.expires is not None and waiver.expires < today


def waiver_for(issue: Issue, waivers: Iterable[Waiver], today: date) -> Waiver | None:
    """The first live waiver that covers `issue`."""
    if issue.check in UNWAIVABLE:
        return None
    for waiver in waivers:
        if (
            waiver.check == issue.check
            and not is_expired(waiver, today)
            and path_matches(waiver.path, issue.location.path)
            and (waiver.statement is None or waiver.statement == issue.statement_id)
        ):
            return waiver
    return None


def apply_waivers(
    issues: Iterable[Issue], waivers: tuple[Waiver, ...], today: date
) -> tuple[Issue, ...]:
    result = []
    for issue in issues:
        waiver = waiver_for(issue, waivers, today)
        result.append(issue if waiver is None else replace(issue, waived_by=waiver.reason))
    return tuple(result)


def expired_waiver_issues(config: Config, today: date) -> tuple[Issue, ...]:
    """A warning for each expired waiver, at its line in the configuration (the findings it
    covered are reported again, and fail the run on their own)."""
    path = config.path or ".policy-guard.yaml"
    return tuple(
        Issue(
            EXPIRED_WAIVER,
            Severity.WARNING,
            f"the waiver of `{w.check}` for `{w.path}` expired on {w.expires}: fix the "
            f"finding, or renew the waiver with a new reason",
            Location(path, w.line),
        )
        for w in config.waivers
        if is_expired(w, today)
    )
