"""Validation of what each policy type allows, as Access Analyzer's ValidatePolicy does for
SCPs (and AWS Organizations does when an SCP or RCP is created): elements a type does not take,
and its size limit (`policy.limits`).

Each check yields `(issue code, details, path)`; `checks.validation` gives each code its type.

- SCPs and RCPs: `Version` `2012-10-17`, required.
- SCPs: no `Principal` or `NotPrincipal` (AWS Organizations User Guide, "SCP syntax",
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
  Since September 2025 SCPs take the rest of the IAM language in Allow statements too
  (conditions, `NotAction`, individual resources, wildcards anywhere in an action), which
  earlier were Deny-only; so none of those is reported.
- RCPs ("RCP syntax",
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html):
  `Effect` `Allow` only in the AWS managed RCPFullAWSAccess, `Principal` only `"*"` (and
  required), no `NotPrincipal`, no `NotAction`.
- Permissions boundaries: AWS validates a boundary as an identity policy, which
  `checks.validation` already does (no Principal); only its size is added here.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy_guard.document.values import Path
from policy_guard.policy import limits
from policy_guard.policy.model import VARIABLES_VERSION, Effect, Policy, PolicyType

Found = tuple[str, str, Path]

SIZE_CODES = {
    PolicyType.SERVICE_CONTROL: "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
    PolicyType.RESOURCE_CONTROL: "POLICY_SIZE_EXCEEDS_RCP_QUOTA",
    PolicyType.PERMISSIONS_BOUNDARY: "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
}


def _scp(policy: Policy) -> Iterator[Found]:
    for statement in policy.statements:
        for block, code in (
            (statement.principal, "SCP_SYNTAX_ERROR_PRINCIPAL"),
            (statement.not_principal, "SCP_SYNTAX_ERROR_NOT_PRINCIPAL"),
        ):
            if block is not None:
                element = block.path[-1] if block.path else "Principal"
                yield code, f"an SCP cannot have a `{element}` element: remove it", block.path


def _rcp(policy: Policy) -> Iterator[Found]:
    for statement in policy.statements:
        if statement.effect is Effect.ALLOW:
            yield (
                "RCP_SYNTAX_ERROR_ALLOW",
                f"statement {statement.label}: an RCP can only deny (`Allow` is reserved for "
                "the AWS managed RCPFullAWSAccess, which is attached anyway)",
                (*statement.path, "Effect"),
            )
        if statement.not_principal is not None:
            yield (
                "RCP_SYNTAX_ERROR_NOT_PRINCIPAL",
                'an RCP cannot have a `NotPrincipal` element: use `Principal: "*"` and a '
                "condition on `aws:PrincipalArn`",
                statement.not_principal.path,
            )
        elif statement.principal is None:
            yield (
                "RCP_SYNTAX_ERROR_PRINCIPAL",
                f"statement {statement.label} has no `Principal`: an RCP statement names "
                '`"Principal": "*"`',
                statement.path,
            )
        elif [e.text for e in statement.principal.entries] != ["*"]:
            yield (
                "RCP_SYNTAX_ERROR_PRINCIPAL",
                'an RCP\'s `Principal` can only be `"*"`: limit principals with a condition '
                "on `aws:PrincipalArn` or `aws:PrincipalOrgID`",
                statement.principal.path,
            )
        if statement.not_actions is not None:
            yield (
                "RCP_SYNTAX_ERROR_NOT_ACTION",
                "an RCP cannot have a `NotAction` element: list the actions in `Action`",
                (*statement.path, "NotAction"),
            )


def _version(policy: Policy, code: str, name: str) -> Iterator[Found]:
    """ "Every SCP/RCP must include a Version element with the value 2012-10-17" (the syntax
    pages above); an identity policy without one is only a warning."""
    if policy.version != VARIABLES_VERSION:
        written = "no `Version`" if policy.version is None else f"`Version` `{policy.version}`"
        where: Path = ("Version",) if policy.version is not None else ()
        yield code, f"an {name} must have `Version` `{VARIABLES_VERSION}`, not {written}", where


def _size(policy: Policy) -> Iterator[Found]:
    code = SIZE_CODES.get(policy.policy_type)
    if code is None:
        return
    details = limits.too_large(policy.document.value, policy.policy_type.value)
    if details is not None:
        yield code, details, ()


def type_findings(policy: Policy) -> Iterator[Found]:
    """Every finding about what the policy's type allows."""
    if policy.policy_type is PolicyType.SERVICE_CONTROL:
        yield from _version(policy, "SCP_SYNTAX_ERROR_VERSION", "SCP")
        yield from _scp(policy)
    elif policy.policy_type is PolicyType.RESOURCE_CONTROL:
        yield from _version(policy, "RCP_SYNTAX_ERROR_VERSION", "RCP")
        yield from _rcp(policy)
    yield from _size(policy)
