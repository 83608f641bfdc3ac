"""`policy-guard simulate --output text`: the decision and the statements behind it, readably."""

from __future__ import annotations

from collections.abc import Sequence

from policy_guard.semantics.evaluate import Decision, Evaluation
from policy_guard.semantics.reading import Reading
from policy_guard.semantics.request import Request

_VERDICTS = {
    Decision.ALLOW: "allowed",
    Decision.IMPLICIT_DENY: "denied (no statement allows it: implicit deny)",
    Decision.EXPLICIT_DENY: "denied (a Deny statement matches: explicit deny)",
}


def format_simulation(
    evaluation: Evaluation,
    request: Request,
    others: Sequence[tuple[Reading, Evaluation]] = (),
) -> str:
    """Pure: the text form of one evaluation (no trailing newline); `others`: the decisions
    of readings AWS leaves to the service, where they differ."""
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
    return "\n".join(lines)
