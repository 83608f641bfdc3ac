"""What a change is compared with, where the base alone would let it past the hook.

Three holes closed here (issue 9):
- A policy file whose base version IAM would refuse (it does not parse, or has an ERROR-level
  validation finding) granted nothing at the base, so comparing with it would pass anything.
  Such a version is replaced by the last readable version of the path in the base's history;
  with none, the comparison is undecided, with the reason.
- A change that removes a policy file (a delete, or a rename git does not detect because the
  content changed too much) could bring the same policy back under a new name, wider: every
  file added beside it is compared with nothing, whatever `new_files` says.

- The same inside a file: a policy whose identity is new (a CloudFormation logical id, a
  Terraform address) in a file whose base had identities the change removes may be one of them
  renamed, wider: it is compared with nothing, unless it is a rename the file declares (a
  Terraform `moved` block) or one detected as git detects a file's (`pair_policies`).

The runner asks; `file_checks` uses the answers (`FileTask.unreadable_base`,
`FileTask.compare_with_empty`, `pair_policies`). Comparing an added file or policy with the
removed ones taken together would not do: a deleted broad policy would then hide any addition.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from policy_guard.errors import InputError
from policy_guard.sources import FoundPolicy, is_own_format, may_hold_policy, read_policies
from policy_guard.sources.base import BOUNDARY_PREFIX

HISTORY_LIMIT = 100  # versions looked at, at most, for the last readable one
# How alike a policy's elements must be to be a rename: stricter than git's 50% for files, since
# a policy has few elements and siblings share many (the same bucket, the same log group)
RENAME_SIMILARITY = 0.75


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


# --- policies renamed inside a file -----------------------------------------------------------


@dataclass(frozen=True)
class PolicyPairs:
    """What each policy of the new version of a file is compared with: `old` maps its
    identity to the base's policy (its own identity's, or the one it renames: then the new
    policy's `renamed_from` names it); `from_nothing` are the identities compared with
    nothing (new beside removed ones), with the removed identities to name."""

    old: dict[str, FoundPolicy]
    from_nothing: frozenset[str] = frozenset()
    removed: tuple[str, ...] = ()

    def new_policy(self, found: FoundPolicy) -> FoundPolicy:
        """`found` with the identity it renames when it does, and none when it does not (a
        `moved` block left in place after the rename, or naming what the base did not have)."""
        old = self.old.get(found.policy_id)
        renamed_from = None if old is None or old.policy_id == found.policy_id else old.policy_id
        if renamed_from == found.renamed_from:
            return found
        return replace(found, renamed_from=renamed_from)


def pair_policies(old: Sequence[FoundPolicy], new: Sequence[FoundPolicy]) -> PolicyPairs:
    """Old and new policies of one file paired by identity; when the change removes identities
    that held a policy, a new identity is paired with a removed one only as a rename:

    - declared by the file (`renamed_from`, a Terraform `moved` block: Terraform itself
      treats the object as the same one, so the comparison is Terraform's own reading);
    - detected, as git detects a renamed file (but stricter): the same kind of policy (type,
      resource type, attachment; both readable, or attaching the same policy whose text is
      not here), whose elements (each Action, Resource, principal, condition value, ... with
      its statement's key and effect; `Sid` aside) are at least `RENAME_SIMILARITY` alike
      (identical documents are 1), one to one, the most alike first.

    Every other new identity is compared with nothing: all it grants is new access. Why
    pairing a near-identical document is safe: a pair is compared exactly, so whatever the new
    document grants beyond the removed one is new access, at its own statement; what a pair
    accepts is access the removed document granted already, and the same end state is two
    changes that each pass anyway (rename unchanged, which compares equal; then edit under the
    new identity, compared with the renamed one). So no pairing lets a widening pass that
    identical renames would not; the threshold only keeps unrelated policies from pairing, so a
    reviewer is told "new" of what is new. Pairing with the removed policies taken together
    (a union) would not be safe: a deleted broad policy would hide any addition."""
    new_ids = {found.policy_id for found in new}
    by_id = {found.policy_id: found for found in old}
    pairs = {found.policy_id: by_id[found.policy_id] for found in new if found.policy_id in by_id}
    removed = [found for found in old if found.policy_id not in new_ids and _grants(found)]
    if not removed:
        return PolicyPairs(pairs)
    # a plan's policy carries its own base (`before`): not paired with git's
    added = [found for found in new if found.policy_id not in by_id and not found.carries_base]
    free = {found.policy_id: found for found in removed}
    for found in added:  # declared first: the file says which is which
        declared = free.get(found.renamed_from or "")
        if declared is not None:
            pairs[found.policy_id] = free.pop(declared.policy_id)
    # identical documents first (by their text: linear in the policies), then the most alike
    identical: dict[str, list[FoundPolicy]] = {}
    for gone in removed:
        identical.setdefault(_text(gone), []).append(gone)
    for found in added:
        if found.policy_id in pairs:
            continue
        twins = [g for g in identical.get(_text(found), ()) if g.policy_id in free]
        twin = next((g for g in twins if _same_kind(found, g)), None)
        if twin is not None:
            pairs[found.policy_id] = free.pop(twin.policy_id)
    unpaired = [found for found in added if found.policy_id not in pairs]
    remaining = list(free.values())
    elements = {id(f): _elements(f.document.value) for f in (*unpaired, *remaining)}
    holding: dict[str, set[int]] = {}  # element -> the removed policies that hold it
    for r, gone in enumerate(remaining):
        for element in elements[id(gone)]:
            holding.setdefault(element, set()).add(r)
    candidates = sorted(
        (-similarity, a, r)
        for a, found in enumerate(unpaired)
        for r in sorted(set().union(*(holding.get(e, ()) for e in elements[id(found)])))
        if _same_kind(found, remaining[r])
        and (similarity := _similarity(elements[id(found)], elements[id(remaining[r])]))
        >= RENAME_SIMILARITY
    )
    for _, a, r in candidates:
        found, gone = unpaired[a], remaining[r]
        if found.policy_id not in pairs and gone.policy_id in free:
            pairs[found.policy_id] = free.pop(gone.policy_id)
    from_nothing = frozenset(
        found.policy_id for found in added if found.policy_id not in pairs and _grants(found)
    )
    return PolicyPairs(pairs, from_nothing, tuple(found.policy_id for found in removed))


def _grants(found: FoundPolicy) -> bool:
    """Does the policy grant access of its own (a document, or one that cannot be read)? A
    permissions boundary only limits."""
    if (found.attaches or "").startswith(BOUNDARY_PREFIX):
        return False
    value = found.document.value
    return found.problem is not None or (isinstance(value, dict) and "Statement" in value)


def _same_kind(new: FoundPolicy, old: FoundPolicy) -> bool:
    """Policies that may be one renamed: of one type, for one resource type, attaching the
    same policy. What cannot be read cannot be told alike, except an attachment of a policy
    whose text is not here (the same ARN: the same problem)."""
    if new.problem is not None or old.problem is not None:
        same_attachment = new.only_when_new and old.only_when_new and new.problem == old.problem
        if not same_attachment:
            return False
    return (
        new.policy_type == old.policy_type
        and new.resource_type == old.resource_type
        and new.attaches == old.attaches
    )


def _text(found: FoundPolicy) -> str:
    return json.dumps(found.document.value, sort_keys=True, default=str)


def _similarity(mine: Counter[str], theirs: Counter[str]) -> float:
    """How alike two documents' elements are (Dice's coefficient on their multisets): 1 for
    the same elements, whatever the layout or order; 0 for none in common."""
    total = sum(mine.values()) + sum(theirs.values())
    return 2 * sum((mine & theirs).values()) / total if total else 0.0


def _elements(document: Any) -> Counter[str]:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    counts: Counter[str] = Counter()
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict):
            effect = statement.get("Effect")
            for key, value in statement.items():
                if key not in ("Sid", "Effect"):  # each element with its effect, not alone
                    counts.update(_leaves(f"{effect}.{key}", value))
        else:
            counts[repr(statement)] += 1
    return counts


def _leaves(prefix: str, value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(f"{prefix}.{key}", inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _leaves(prefix, inner)
    else:
        yield f"{prefix}={value!r}"
