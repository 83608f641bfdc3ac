"""What a workflow run reports besides the checks' findings: its own outcomes, and every rule.

`parse-error` (a file that should hold a policy does not), `expired-waiver` (a waiver past its
date), `unused-waiver` (a waiver that covered no finding of a sweep) and `undecided` (a policy
that could not be checked exactly) are outcomes of the workflow, not checks: nothing can switch
them off, and only a parse error can be waived. Reporters describe them like the checks
(`policy_guard.workflow.rules`). Cheap to import: the hook's quick look needs the ids only.
"""

from __future__ import annotations

from policy_guard.checks.spec import Rule, Severity

PARSE_ERROR = "parse-error"
EXPIRED_WAIVER = "expired-waiver"
UNUSED_WAIVER = "unused-waiver"
STALE_BASELINE = "stale-baseline"
UNDECIDED = "undecided"

OUTCOMES: tuple[Rule, ...] = (
    Rule(
        PARSE_ERROR,
        "ParseError",
        "The file cannot be read as a policy, so it was not checked.",
        "The file is not valid JSON or YAML, or its content does not fit the policy grammar. "
        "Nothing in it was checked; fix the problem at the position given.",
        Severity.ERROR,
    ),
    Rule(
        EXPIRED_WAIVER,
        "ExpiredWaiver",
        "A waiver in the configuration has passed its expiry date and no longer applies.",
        "The findings it covered are reported again. Renew the waiver with a new date, or fix "
        "the findings and remove it.",
        Severity.WARNING,
    ),
    Rule(
        UNUSED_WAIVER,
        "UnusedWaiver",
        "A waiver in the configuration matched no finding in a sweep of every policy file.",
        "The finding it accepted is gone, or its path or Sid no longer matches. Remove the "
        "waiver so that it cannot hide a new finding later.",
        Severity.NOTE,
    ),
    Rule(
        STALE_BASELINE,
        "StaleBaseline",
        "A finding the baseline accepted is gone from a file the run checked.",
        "The debt it recorded has been paid. Run `policy-guard baseline` to rewrite the "
        "baseline without it, so that the file shrinks as findings are fixed.",
        Severity.NOTE,
    ),
    Rule(
        UNDECIDED,
        "Undecided",
        "The policy could not be checked exactly, so no answer is given for it.",
        "policy-guard never passes a policy on a guess: a timeout, an unsupported construct or "
        "a counterexample the reference evaluator did not confirm leaves the file undecided, "
        "and the run exits with code 2. The message gives the reason.",
        Severity.ERROR,
    ),
)
