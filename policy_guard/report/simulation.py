"""`policy-guard simulate` output: the decision and the statements behind it, as JSON or text."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from policy_guard.semantics.evaluate import Decision, Evaluation
from policy_guard.semantics.reading import Reading
from policy_guard.semantics.request import Request

_VERDICTS = {
    Decision.ALLOW: "allowed",
    Decision.IMPLICIT_DENY: "denied (no statement allows it: implicit deny)",
    Decision.EXPLICIT_DENY: "denied (a Deny statement matches: explicit deny)",
}


Others = Sequence[tuple[Reading, Evaluation]]
"""The decisions of readings AWS leaves to the service, where they differ from the usual one."""


def format_text(evaluation: Evaluation, request: Request, others: Others = ()) -> str:
    """The text form of one evaluation (and of `others`), ending in a newline."""
    who = f" by `{request.principal}`" if request.principal is not None else ""
    lines = [
        f"{evaluation.decision.value}: `{request.action}` on `{request.resource}`{who} is "
        f"{_VERDICTS[evaluation.decision]}"
    ]
    for key, values in request.context.items():
        lines.append(f"  context `{key}` = " + ", ".join(f"`{v}`" for v in values))
    if not evaluation.matched_statements:
        lines.append("  no statement matches")
    for matched in evaluation.matched_statements:
        label = f"{matched.statement_index}"
        if matched.statement_id is not None:
            label += f" (`{matched.statement_id}`)"
        lines.append(f"  matches {matched.source} policy statement {label}: {matched.effect.value}")
    for reading, other in others:
        lines.append(f"  but {other.decision.value} if {reading.describe()}")
    return "\n".join(lines) + "\n"


def format_json(evaluation: Evaluation, request: Request, others: Others = ()) -> str:
    """The evaluation's JSON, indented, ending in a newline (the request is in the command);
    `otherReadings` lists `others`."""
    found = evaluation.to_json()
    if others:
        found["otherReadings"] = [
            {"decision": e.decision.value, **r.to_json(), "readingNote": f"if {r.describe()}"}
            for r, e in others
        ]
    return json.dumps(found, indent=2) + "\n"


FORMATTERS: Mapping[str, Callable[[Evaluation, Request, Others], str]] = MappingProxyType(
    {"json": format_json, "text": format_text}
)
