"""The baseline: findings a repository had when it adopted policy-guard, accepted until paid off.

`.policy-guard-baseline.json` at the repository root (or `--baseline FILE`) lists findings of
the checks that need no base (critical permission, public and external access, validation), each
by an identity that survives what does not change access: reformatting, statement reordering, a
Sid renamed, a `git mv` (a file renamed in the change matches its old path), a new
counterexample. The identity (`finding_key`) is the check, the policy inside the file, the
check's subject (the critical permission's id, the validation issue code) and the element
flagged, with Sids left out and lists sorted; the file's path is kept beside it, so the same
grant in another file or policy is a new finding. A finding the baseline holds is reported as
baselined (its own label in every report, SARIF's `baselineState`) and fails nothing; an entry
that matched nothing in a file the run checked is a note (`stale-baseline`), so the file
shrinks as the debt is paid. No-new-access answers are never baselined: they are about a
change, not a state.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from policy_guard.document.read import read_document
from policy_guard.errors import InputError
from policy_guard.workflow.outcomes import STALE_BASELINE
from policy_guard.workflow.results import FileReport, Issue, Location, RunReport, Severity

BASELINE_FILE = ".policy-guard-baseline.json"
BASELINED_CHECKS = ("critical-permission", "public-access", "external-access", "validation")


def finding_key(
    check: str, policy_id: str, subject: str, document: Any, path: tuple[str | int, ...]
) -> str:
    """The identity of a finding: `check`, the policy, the check's subject and the element at
    `path` of the policy's `document` (its statement, or the entry it names), normalised."""
    element = document
    for step in path:
        try:
            element = element[step]
        except (KeyError, IndexError, TypeError):
            break
    parts = [check, policy_id, subject, json.dumps(_normal(element), sort_keys=True)]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def _normal(value: Any) -> Any:
    """A value with Sids left out and lists in a fixed order (their order grants nothing); a
    list of one value is that value (IAM reads `"iam:*"` and `["iam:*"]` alike)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items() if k != "Sid"}
    if isinstance(value, list):
        items = sorted((_normal(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return value


@dataclass(frozen=True)
class Entry:
    """One accepted finding: where it was, what it is (`key`), and its message for readers."""

    path: str
    check: str
    policy_id: str
    key: str
    message: str
    line: int = 0  # of the entry in the baseline file


@dataclass(frozen=True)
class Baseline:
    path: str  # as shown in messages
    entries: tuple[Entry, ...]


def load_baseline(full_path: str, shown: str) -> Baseline | None:
    """The baseline at `full_path`, None when there is none; InputError (file and line) when
    it is not one this version wrote."""
    if not os.path.exists(full_path):
        return None
    document = read_document(full_path, shown)
    value = document.value
    if not isinstance(value, dict) or not isinstance(value.get("findings"), list):
        raise InputError("not a policy-guard baseline (no `findings` list)", filename=shown)
    entries = []
    for index, raw in enumerate(value["findings"]):
        line = document.span_of(("findings", index)).line
        fields = ("path", "check", "policyId", "key", "message")
        if not isinstance(raw, dict) or not all(isinstance(raw.get(f), str) for f in fields):
            raise InputError(
                f"a baseline entry needs the strings {', '.join(fields)}",
                filename=shown,
                line=line,
            )
        entries.append(
            Entry(raw["path"], raw["check"], raw["policyId"], raw["key"], raw["message"], line)
        )
    return Baseline(shown, tuple(entries))


def baseline_entries(report: RunReport) -> tuple[Entry, ...]:
    """What a baseline of `report` holds: its findings of the baselined checks that no waiver
    covers (those the current baseline holds among them: rewriting keeps what is still there
    and drops what is gone)."""
    return tuple(
        Entry(issue.location.path, issue.check, issue.policy_id, issue.finding_key, issue.message)
        for issue in report.issues
        if issue.check in BASELINED_CHECKS and issue.finding_key and issue.waived_by is None
    )


def render_baseline(entries: Iterable[Entry]) -> str:
    """The baseline file's text: sorted, one entry per finding, stable across runs."""
    ordered = sorted(entries, key=lambda e: (e.path, e.policy_id, e.check, e.key, e.message))
    document = {
        "about": "Findings accepted when policy-guard was adopted; `policy-guard baseline` "
        "rewrites this file. Each stops failing the run while it is here.",
        "version": 1,
        "findings": [
            {
                "path": e.path,
                "check": e.check,
                "policyId": e.policy_id,
                "key": e.key,
                "message": e.message,
            }
            for e in ordered
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _take(unused: Counter[tuple[str, str, str, str]], paths: list[str], issue: Issue) -> bool:
    """Use up the first entry for `issue` among `paths`, in their order; False when none."""
    for path in paths:
        entry = (path, issue.check, issue.policy_id, issue.finding_key)
        if unused[entry] > 0:
            unused[entry] -= 1
            return True
    return False


def apply_baseline(
    report: RunReport, baseline: Baseline, every_file: bool, exists: Callable[[str], bool]
) -> RunReport:
    """`report` with the findings `baseline` holds marked as baselined, and a note for
    each entry that matched nothing in a file the run checked (every file, with `--all`).

    A finding matches an entry of its own file (or of its old path, when the change renames
    it); failing that, an entry of a file that no longer `exists` (renamed in a commit the
    baseline has not seen since). The same grant in a file that still exists is new."""
    unused = Counter((e.path, e.check, e.policy_id, e.key) for e in baseline.entries)
    gone = sorted({e.path for e in baseline.entries if not exists(e.path)})  # one look each
    files = []
    for file in report.files:
        names = [name for name in (file.path, file.old_path) if name is not None]
        issues = []
        for issue in file.issues:
            if (
                issue.check in BASELINED_CHECKS
                and not issue.accepted
                and _take(unused, [*names, *gone], issue)
            ):
                issue = replace(issue, baselined_in=baseline.path)
            issues.append(issue)
        files.append(replace(file, issues=tuple(issues)))
    checked = {name for file in report.files for name in (file.path, file.old_path) if name}
    stale = []
    for entry in baseline.entries:
        found = (entry.path, entry.check, entry.policy_id, entry.key)
        judged = every_file or entry.path in checked
        if unused[found] > 0 and judged:
            unused[found] -= 1
            stale.append(
                Issue(
                    STALE_BASELINE,
                    Severity.NOTE,
                    f"the baselined `{entry.check}` finding in `{entry.path}` is gone: "
                    "run `policy-guard baseline` to drop it",
                    Location(baseline.path, entry.line),
                )
            )
    if stale:
        files.append(FileReport(baseline.path, "unchanged", None, (), tuple(stale)))
    return replace(report, files=tuple(files), baseline=baseline.path)
