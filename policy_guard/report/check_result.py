"""`policy-guard check-*` output: a CheckResult as JSON (AWS's response shape) or for a reader.

JSON keeps the field names of IAM Access Analyzer's custom policy checks (`result`, `message`,
`reasons[]` with `description`, `statementIndex`, `statementId`), plus our `counterexample` and,
for no-new-access, `relation`. Text reads:

FAIL no-new-access: The modified permissions grant new access compared to your existing policy.
  relation: wider (the new policy allows everything the existing one does, and more)
  new.json:9: statement 1 (`AllowWrite`): New access in the statement with sid: AllowWrite.
    for example: action `s3:DeleteBucket`, resource `arn:aws:s3:::b`
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from policy_guard.checks.results import CheckResult, Reason, Relation
from policy_guard.policy.model import Policy
from policy_guard.report.access_diff import diff_json, text_lines
from policy_guard.semantics.request import Request

_RELATIONS = {
    Relation.EQUIVALENT: "equivalent (both allow exactly the same requests)",
    Relation.NARROWER: "narrower (the new policy allows a subset of what the existing one does)",
    Relation.WIDER: "wider (the new policy allows everything the existing one does, and more)",
    Relation.INCOMPARABLE: "incomparable (each allows requests the other does not)",
}


def _request(request: Request) -> str:
    parts = []
    if request.principal is not None:
        parts.append(f"principal `{request.principal}`")
    parts.append(f"action `{request.action}`")
    parts.append(f"resource `{request.resource}`")
    for key, values in request.context.items():
        shown = ", ".join(f"`{v}`" for v in values) if values else "no values"
        parts.append(f"context `{key}` = {shown}")
    text = ", ".join(parts)
    if not request.reading.usual:
        text += f" (if {request.reading.describe()})"
    return text


def _reason(reason: Reason, policy: Policy | None) -> list[str]:
    statement = f"statement {reason.statement_index}"
    if reason.statement_id is not None:
        statement += f" (`{reason.statement_id}`)"
    where = ""
    also: list[str] = []
    if policy is not None:
        span = policy.span_of(reason.located)
        where = f"{policy.filename}:{span.line}:{span.column + 1}: "
        others = [policy.span_of(path) for path in reason.elements[1:]]
        if others:
            listed = ", ".join(f"{s.line}:{s.column + 1}" for s in others)
            also.append(f"    also matching: {listed}")
    return [
        f"  {where}{statement}: {reason.description}",
        f"    for example: {_request(reason.counterexample)}",
        *also,
    ]


def format_text(result: CheckResult, policy: Policy | None = None) -> str:
    """The text form of one result, ending in a newline; `policy` locates the reasons."""
    lines = [f"{result.outcome.value} {result.check}: {result.message}"]
    if result.relation is not None:
        lines.append(f"  relation: {_RELATIONS[result.relation]}")
    for reason in result.reasons:
        lines.extend(_reason(reason, policy))
    if result.access_diff is not None:
        lines.extend(text_lines(result.access_diff))
    return "\n".join(lines) + "\n"


def reason_json(reason: Reason) -> dict[str, Any]:
    result: dict[str, Any] = {
        "description": reason.description,
        "statementIndex": reason.statement_index,
    }
    if reason.statement_id is not None:
        result["statementId"] = reason.statement_id
    result["counterexample"] = reason.counterexample.to_json()
    return result


def result_json(result: CheckResult) -> dict[str, Any]:
    """The result in AWS's response shape (plus counterexamples, and the relation)."""
    written: dict[str, Any] = {
        "result": result.outcome.value,
        "message": result.message,
        "reasons": [reason_json(r) for r in result.reasons],
    }
    if result.relation is not None:
        written["relation"] = result.relation.value
    if result.access_diff is not None:
        written["accessDiff"] = diff_json(result.access_diff)
    return written


def format_json(result: CheckResult, policy: Policy | None = None) -> str:
    """`result_json` indented, ending in a newline (`policy` is not needed)."""
    return json.dumps(result_json(result), indent=2) + "\n"


FORMATTERS: Mapping[str, Callable[[CheckResult, Policy | None], str]] = MappingProxyType(
    {"json": format_json, "text": format_text}
)
