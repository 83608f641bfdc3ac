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
from policy_guard.workflow.outcomes import EXPIRED_WAIVER, UNDECIDED, UNUSED_WAIVER
from policy_guard.workflow.results import Issue, Location, Severity

UNWAIVABLE = (UNDECIDED, EXPIRED_WAIVER, UNUSED_WAIVER)


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


def unused_waiver_issues(config: Config, issues: Iterable[Issue], today: date) -> tuple[Issue, ...]:
    """A note for each live waiver that covers none of `issues`, at its line: the debt it
    accepted has been paid (or its path or Sid no longer matches), so it can go. Only a sweep
    of every file (`--all`) can tell, and it never runs no-new-access, so those waivers and the
    waivers of checks that are off are not judged."""

    from policy_guard.checks.no_new_access import CHECK_ID as NO_NEW_ACCESS

    path = config.path or ".policy-guard.yaml"
    found = tuple(issues)
    return tuple(
        Issue(
            UNUSED_WAIVER,
            Severity.NOTE,
            f"the waiver of `{w.check}` for `{w.path}` matched no finding: remove it",
            Location(path, w.line),
        )
        for w in config.waivers
        if w.check != NO_NEW_ACCESS
        and config.severity(w.check) is not None
        and not is_expired(w, today)
        and not any(waiver_for(issue, (w,), today) for issue in found)
    )
