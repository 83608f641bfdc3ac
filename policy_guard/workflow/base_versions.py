"""What a change is compared with, where the base alone would let it past the hook.

Two holes closed here (issue 9):
- A policy file whose base version IAM would refuse (it does not parse, or has an ERROR-level
  validation finding) granted nothing at the base, so comparing with it would pass anything.
  Such a version is replaced by the last readable version of the path in the base's history;
  with none, the comparison is undecided, with the reason.
- A change that removes a policy file (a delete, or a rename git does not detect because the
  content changed too much) could bring the same policy back under a new name, wider: every
  file added beside it is compared with nothing, whatever `new_files` says.

The runner asks; `file_checks` uses the answers (`FileTask.unreadable_base`,
`FileTask.compare_with_empty`). Comparing an added file with the removed files taken together
would not do: a deleted broad policy would then hide any addition.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from policy_guard.errors import InputError
from policy_guard.sources import FoundPolicy, is_own_format, may_hold_policy, read_policies

HISTORY_LIMIT = 100  # versions looked at, at most, for the last readable one


@dataclass(frozen=True)
class UnreadableBase:
    """The base version of a file, or of some of its policies, is one IAM would refuse.

    `policy_ids` are the policies refused at the base (None: the whole file, which does not
    decode). `earlier` is the last readable version of the path in the base's history and its
    commit; when there is none, `why_none` says so (and what to fetch in a shallow clone)."""

    problem: str
    policy_ids: frozenset[str] | None
    earlier: bytes | None = None
    earlier_commit: str | None = None
    why_none: str = ""

    def covers(self, policy_id: str) -> bool:
        return self.policy_ids is None or policy_id in self.policy_ids


def policy_problem(found: FoundPolicy) -> str | None:
    """Why IAM would refuse this policy (its first ERROR-level finding, with its line), or
    None when it would accept it. An attachment, a Terraform policy with unknown values (whose
    form is known only when Terraform runs) and a plan's policy (compared with the plan's own
    `before`, never with git's base) are not judged here: the workflow decides them on their
    own terms."""
    if found.attaches is not None or found.terraform_unknowns or found.carries_base:
        return None
    from policy_guard.checks.validation import validate_document

    first = validate_document(found.document, found.policy_type).first_error
    if first is None:
        return None
    line = found.document.span_of(first.path).line
    return f"{first.issue_code} {first.details} (line {line})"


def base_problems(data: bytes, path: str) -> tuple[str, frozenset[str] | None] | None:
    """What IAM would refuse in this version of a file: (the first problem, the policies
    refused, or None for the whole file); None when every policy in it is readable (or it never
    was a policy: a text without `Statement` that does not decode)."""
    try:
        found = read_policies(data, path)
    except InputError as error:
        if not may_hold_policy(data, path):
            return None
        where = f" (line {error.line})" if error.line else ""
        return f"it does not parse: {error.problem}{where}", None
    own = is_own_format(path)  # a `.tf` policy a source cannot read is reported as such
    problems = [
        (f.policy_id, problem)
        for f in found
        if not (own and f.problem is not None) and (problem := policy_problem(f))
    ]
    if not problems:
        return None
    return problems[0][1], frozenset(policy_id for policy_id, _ in problems)


def unreadable_base(
    data: bytes,
    path: str,
    history: Iterable[tuple[str, bytes]],
    shallow_hint: str | None,
) -> UnreadableBase | None:
    """None when the base version `data` of `path` is readable; else what to compare with
    instead: the first readable version in `history` (newest first, as `gitbase` lists them),
    or the reason there is none (`shallow_hint`: what to fetch when the history is cut)."""
    problems = base_problems(data, path)
    if problems is None:
        return None
    problem, policy_ids = problems
    for commit, earlier in _limited(history):
        if earlier != data and base_problems(earlier, path) is None:
            return UnreadableBase(problem, policy_ids, earlier, commit)
    why = f"no earlier version of `{path}` in the base's history can be read"
    if shallow_hint is not None:
        why += f" (this is a shallow clone: {shallow_hint})"
    return UnreadableBase(problem, policy_ids, why_none=why)


def _limited(history: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    for count, version in enumerate(history):
        if count >= HISTORY_LIMIT:
            return
        yield version


def holds_policy(data: bytes | None, path: str, named: bool) -> bool:
    """Was this (removed) file a policy file: named in `policies`, or a text that decodes to
    at least one policy (or mentions `Statement` and does not decode: counted, to be safe)?"""
    if data is None:
        return False
    if named:
        return True
    if not may_hold_policy(data, path):
        return False
    try:
        return bool(read_policies(data, path))
    except InputError:
        return True
