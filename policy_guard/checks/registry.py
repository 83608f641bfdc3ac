"""Every check a workflow run can report, listed once: id, name, summary, help link, severity.

The ids are what `Issue.check` holds and what users see (SARIF `ruleId`, GitHub annotation
titles, waivers in `.policy-guard.yaml`). Reporters look checks up here instead of keeping their
own descriptions, so a new check is added in one place. The help links point at the README's
"Checks" section, one heading per check id (GitHub turns a heading `` `no-new-access` `` into the
anchor `#no-new-access`).
"""

from __future__ import annotations

from dataclasses import dataclass

from policy_guard.workflow.results import Severity

PROJECT_URL = "https://github.com/policy-guard/policy-guard"


@dataclass(frozen=True)
class CheckInfo:
    """What a reporter needs to describe a check, whatever the output format."""

    id: str
    name: str  # PascalCase, as SARIF rule names are usually written
    summary: str  # one sentence
    description: str  # a few sentences: what it means and what to do about it
    default_severity: Severity

    @property
    def help_url(self) -> str:
        return f"{PROJECT_URL}#{self.id}"


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo(
        "no-new-access",
        "NoNewAccess",
        "The changed policy grants access that its version at the base commit did not grant.",
        "Some request is allowed by the new version of the policy and denied by the old one. "
        "The finding names the statement responsible and a request that proves it, confirmed "
        "by the reference evaluator. Narrow the statement, or waive the finding if the new "
        "access is intended.",
        Severity.ERROR,
    ),
    CheckInfo(
        "critical-permission",
        "CriticalPermission",
        "The policy grants an action or resource listed as critical in the configuration.",
        "Some request for one of the configured critical actions or resources is allowed by "
        "the policy. The finding names the statement responsible and a request that proves it. "
        "Remove the grant, add a condition that excludes it, or waive the finding.",
        Severity.ERROR,
    ),
    CheckInfo(
        "public-access",
        "PublicAccess",
        "The resource policy grants access to everyone, anonymous principals included.",
        "A statement allows a principal of `*` without a condition that pins the caller to a "
        "fixed account, organization, network or source (S3's definition of public, which IAM "
        "Access Analyzer follows). Restrict the principal or add such a condition.",
        Severity.ERROR,
    ),
    CheckInfo(
        "external-access",
        "ExternalAccess",
        "The resource policy grants access to a principal outside the trusted accounts.",
        "Some principal that is not in the configured trusted accounts or organization is "
        "allowed by the policy. The finding names the statement and a request that proves it.",
        Severity.ERROR,
    ),
    CheckInfo(
        "validation",
        "PolicyValidation",
        "The policy document has a problem of its own, as IAM Access Analyzer's policy "
        "validation would report it.",
        "An element of the policy is invalid, has no effect, or is risky on its own (for "
        "example an unknown condition operator, or a NotPrincipal with Allow). The message "
        "says which element and why.",
        Severity.WARNING,
    ),
    CheckInfo(
        "parse-error",
        "ParseError",
        "The file cannot be read as a policy, so it was not checked.",
        "The file is not valid JSON or YAML, or its content does not fit the policy grammar. "
        "Nothing in it was checked; fix the problem at the position given.",
        Severity.ERROR,
    ),
    CheckInfo(
        "expired-waiver",
        "ExpiredWaiver",
        "A waiver in the configuration has passed its expiry date and no longer applies.",
        "The findings it covered are reported again. Renew the waiver with a new date, or fix "
        "the findings and remove it.",
        Severity.WARNING,
    ),
    CheckInfo(
        "unused-waiver",
        "UnusedWaiver",
        "A waiver in the configuration matched no finding in a sweep of every policy file.",
        "The finding it accepted is gone, or its path or Sid no longer matches. Remove the "
        "waiver so that it cannot hide a new finding later.",
        Severity.NOTE,
    ),
    CheckInfo(
        "undecided",
        "Undecided",
        "The policy could not be checked exactly, so no answer is given for it.",
        "policy-guard never passes a policy on a guess: a timeout, an unsupported construct or "
        "a counterexample the reference evaluator did not confirm leaves the file undecided, "
        "and the run exits with code 2. The message gives the reason.",
        Severity.ERROR,
    ),
)


def check_index(check_id: str) -> int:
    """The place of `check_id` in `CHECKS`; an unknown id is a programming error (KeyError)."""
    for index, info in enumerate(CHECKS):
        if info.id == check_id:
            return index
    known = ", ".join(c.id for c in CHECKS)
    raise KeyError(f"unknown check id `{check_id}` (known: {known})")


def check_info(check_id: str) -> CheckInfo:
    """The registry entry for `check_id` (KeyError for an unknown id)."""
    return CHECKS[check_index(check_id)]
