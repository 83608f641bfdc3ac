"""The words every format shares: labels, statement references, requests, the summary line.

Kept in one place so the text, Markdown and annotation outputs say the same thing the same way,
and so the fingerprint that identifies a finding across commits is computed once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from policy_guard.semantics.request import Request
from policy_guard.workflow.outcomes import UNDECIDED
from policy_guard.workflow.results import Issue, RunReport

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters written as escapes.

    A finding stays on one line, and a message cannot smuggle terminal escape sequences.
    """
    return _CONTROL.sub(lambda m: _NAMED_ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def label(issue: Issue) -> str:
    """`waived`, `baselined`, `undecided`, or the severity: what the reader should make of
    the issue."""
    if issue.waived_by is not None:
        return "waived"
    if issue.baselined_in is not None:
        return "baselined"
    if issue.check == UNDECIDED:
        return "undecided"
    return issue.severity.value


def statement_ref(issue: Issue, quote: str = "`") -> str:
    """`statement 1 (`AllowWrite`)`, `statement 1`, or `` when no statement is concerned."""
    if issue.statement_index is None:
        return ""
    ref = f"statement {issue.statement_index}"
    if issue.statement_id:
        ref += f" ({quote}{issue.statement_id}{quote})"
    return ref


def place(issue: Issue, quote: str = "`") -> str:
    """The policy inside the file (when the file holds several) and the statement."""
    parts = []
    if issue.policy_id:
        parts.append(f"policy {quote}{issue.policy_id}{quote}")
    statement = statement_ref(issue, quote)
    if statement:
        parts.append(statement)
    return ", ".join(parts)


def headline(issue: Issue) -> str:
    """The message, led by the policy and statement it is about."""
    where = place(issue)
    return f"{where}: {issue.message}" if where else issue.message


def request_fields(request: Request) -> list[tuple[str, str]]:
    """The request as (field, value) pairs in reading order; an absent principal is left out.

    Context values are `key=value`, a multi-valued key `key=[a, b]`, keys joined by `; `.
    """
    fields = []
    if request.principal is not None:
        fields.append(("principal", request.principal))
    fields.append(("action", request.action))
    fields.append(("resource", request.resource))
    if request.context:
        entries = (_context_entry(k, v) for k, v in request.context.items())
        fields.append(("context", "; ".join(entries)))
    if not request.reading.usual:
        fields.append(("reading", f"if {request.reading.describe()}"))
    return fields


def _context_entry(key: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{key}={values[0]}"
    return f"{key}=[{', '.join(values)}]"


def request_sentence(request: Request, quote: str = "`") -> str:
    """The request on one line: principal `…`, action `…`, resource `…`, context `…`."""
    return ", ".join(f"{name} {quote}{value}{quote}" for name, value in request_fields(request))


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def summary_line(report: RunReport) -> str:
    """`2 errors, 1 warning, 1 undecided in 3 files, 4 policies` (notes, waived and baselined
    issues when there are): the policies found say what was read, so a run that found none
    says so."""
    counts = report.counts()
    parts = [_plural(counts["error"], "error"), _plural(counts["warning"], "warning")]
    if counts["note"]:
        parts.append(_plural(counts["note"], "note"))
    parts.append(f"{counts['undecided']} undecided")
    policies = sum(len(file.policies) for file in report.files)
    found = "no policy found" if not policies else _plural(policies, "policy", "policies")
    line = f"{', '.join(parts)} in {_plural(counts['files'], 'file')}, {found}"
    accepted = [f"{counts[kind]} {kind}" for kind in ("waived", "baselined") if counts[kind]]
    if accepted:
        line += f" ({', '.join(accepted)})"
    return line


def ordered(issues: Iterable[Issue]) -> list[Issue]:
    """Issues of one file in reading order (line, column), ties kept as the runner gave them."""
    return sorted(issues, key=lambda i: (i.location.line, i.location.column))


def fingerprint(issue: Issue) -> str:
    """A hash that identifies the finding across commits: not its line, which moves.

    The file and the finding's own key (`workflow.baseline.finding_key`: the check, the
    policy, the subject and the element flagged) where it has one; else the check id, the file,
    the policy inside it, the statement (its Sid, else its index) and the counterexample's
    action and resource, or the message when there is none (parse error, undecided).
    """
    if issue.finding_key:  # stable across reformatting, reordering, Sid renames
        return hashlib.sha256(f"{issue.location.path}\0{issue.finding_key}".encode()).hexdigest()
    statement = issue.statement_id or (
        "" if issue.statement_index is None else str(issue.statement_index)
    )
    example = issue.counterexample
    what = (example.action, example.resource) if example else (issue.message,)
    parts = (issue.check, issue.location.path, issue.policy_id, statement, *what)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
