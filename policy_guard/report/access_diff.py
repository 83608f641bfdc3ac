"""The access diff for readers: JSON (every action), and a summary grouped by service with a cap.

    newly grants 31 actions in 9 services: s3:DeleteBucket, s3:PutBucketPolicy, … (+29 more);
    removes 4 actions in 1 service: ec2:RunInstances, …

An action whose granting statements limit it is named with those limits (`s3:GetObject (granted
by Read on arn:aws:s3:::b/*)`): what the engine decided is that some request of the action is
new, not which of the statements' requests are (the old version may have allowed others).

Annotations and SARIF messages show at most `ANNOTATION_CAP` actions; text output at most
`TEXT_CAP`; JSON lists everything. Access outside the catalogue is named by the patterns that
open it (`actions outside the catalogue matching s3:Future*`), never dropped, and an undecided
direction says so. Pure functions of `checks.access_diff.AccessDiff`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from policy_guard.checks.access_diff import AccessDiff, ActionChange, ActionChanges

ANNOTATION_CAP = 10
TEXT_CAP = 60


def service_groups(changes: Iterable[ActionChange]) -> list[tuple[str, list[ActionChange]]]:
    """Catalogued changes by service: services with the most actions first (then by name),
    actions by name within each."""
    groups: dict[str, list[ActionChange]] = {}
    for change in changes:
        if change.catalogued:
            groups.setdefault(change.service, []).append(change)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [(service, sorted(found, key=lambda c: c.action.lower())) for service, found in ordered]


def _count(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def listed(changes: Sequence[ActionChange], cap: int) -> str:
    """`N actions in M services: a, b, … (+K more)` (at most `cap` named, in service groups),
    then the access outside the catalogue; `nothing` when empty."""
    groups = service_groups(changes)
    total = sum(len(found) for _, found in groups)
    parts: list[str] = []
    if total:
        counted = f"{_count(total, 'action')} in {_count(len(groups), 'service')}"
        if cap > 0:
            names = [_named(c) for _, found in groups for c in found]
            more = f", … (+{total - cap} more)" if total > cap else ""
            counted += f": {', '.join(names[:cap])}{more}"
        parts.append(counted)
    outside = [c for c in changes if not c.catalogued]
    if outside:
        patterns = sorted({p for c in outside for p in c.patterns} or {c.action for c in outside})
        parts.append("actions outside the catalogue matching " + ", ".join(patterns))
    return "; and ".join(parts) if parts else "nothing"


def _named(change: ActionChange) -> str:
    """The action, with what its granting statements limit it to: `s3:GetObject (granted by
    Read on arn:aws:s3:::b/* when ...)`. Said as the statements' limits, not as the part that
    is new: the gain is some of the requests they allow (each listed action is backed by a
    confirmed one), and the old version may already have allowed others of them."""
    if not change.limited:
        return change.action
    limits = []
    if change.resources:
        limits.append("on " + " or ".join(change.resources))
    if change.not_resources:
        limits.append("except on " + " or ".join(change.not_resources))
    if change.conditions:
        limits.append("when " + " and ".join(change.conditions))
    granting = ", ".join(s.sid or f"statement {s.index}" for s in change.statements)
    return f"{change.action} (granted by {granting} {' '.join(limits)})"


def _direction(changes: ActionChanges, verb: str, cap: int) -> str:
    text = f"{verb} {listed(changes.changes, cap)}"
    if changes.undecided is not None:
        text += f" (possibly more: undecided, {changes.undecided})"
    return text


def summary(diff: AccessDiff, cap: int = ANNOTATION_CAP, statement: int | None = None) -> str:
    """One line: what NEW newly grants (for a new policy: what it grants) and what it removes.
    With `statement`, the gains are those that statement grants (all, if it grants none)."""
    gained = diff.gained
    if statement is not None:
        own = tuple(c for c in gained.changes if any(s.index == statement for s in c.statements))
        if own and len(own) < len(gained.changes):
            gained = ActionChanges(own, gained.undecided)
            verb = f"statement {statement} newly grants"
        else:
            verb = "newly grants"
    else:
        verb = "newly grants"
    if diff.new_policy:
        verb = verb.replace("newly grants", "grants")
        return _direction(gained, verb, cap)
    text = _direction(gained, verb, cap)
    lost = diff.lost
    if lost.changes or lost.undecided is not None:
        text += "; " + _direction(lost, "removes", cap)
    else:
        text += "; removes nothing"
    return text


def text_lines(diff: AccessDiff, indent: str = "  ", cap: int = TEXT_CAP) -> list[str]:
    """The summary, then each direction's actions, a line per service (at most `cap` actions
    per direction, then how many more), then its access outside the catalogue."""
    lines = [f"{indent}access: {summary(diff, cap=0)}"]
    gains = "grants" if diff.new_policy else "gains"
    for verb, changes in ((gains, diff.gained), ("loses", diff.lost)):
        groups = service_groups(changes.changes)
        total = sum(len(found) for _, found in groups)
        shown = 0
        for service, found in groups:
            names = [_named(c).partition(":")[2] for c in found[: max(0, cap - shown)]]
            if not names:
                break
            lines.append(f"{indent}  {verb} {service}: {', '.join(names)}")
            shown += len(names)
        if shown < total:
            lines.append(f"{indent}  … {verb} {total - shown} more (JSON output lists every one)")
        for change in changes.outside:
            lines.append(
                f"{indent}  {verb} actions outside the catalogue matching "
                f"{', '.join(change.patterns)} (e.g. `{change.action}`)"
            )
    return lines


def diff_json(diff: AccessDiff) -> dict[str, Any]:
    """`{"gained": [...], "lost": [...]}`, every action; `newPolicy` when the existing side is
    no policy; `undecided` by direction when a list may be incomplete."""
    written: dict[str, Any] = {
        "gained": [change_json(c) for c in diff.gained.changes],
        "lost": [change_json(c) for c in diff.lost.changes],
        "newPolicy": diff.new_policy,
    }
    undecided = {
        name: changes.undecided
        for name, changes in (("gained", diff.gained), ("lost", diff.lost))
        if changes.undecided is not None
    }
    if undecided:
        written["undecided"] = undecided
    return written


def change_json(change: ActionChange) -> dict[str, Any]:
    """One action: `statements` grant it; `resources`, `notResources` and `conditions` are
    what those statements limit it to (not the part that is new: the old version may already
    have allowed some of those requests)."""
    written: dict[str, Any] = {
        "action": change.action,
        "catalogued": change.catalogued,
        "statements": [
            {"statementIndex": s.index, "statementId": s.sid} for s in change.statements
        ],
        "resources": list(change.resources),
        "notResources": list(change.not_resources),
        "conditions": list(change.conditions),
    }
    if not change.catalogued:
        written["patterns"] = list(change.patterns)
    return written
