"""`policy-guard simulate`: decide one concrete request with the reference evaluator."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from typing import NoReturn

from policy_guard.commands.documents import (
    add_output_argument,
    add_policy_type_argument,
    add_timeout_argument,
    policy_type_from,
    read_policy_argument,
)
from policy_guard.errors import InputError
from policy_guard.policy.guardrails import with_full_access
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.report.simulation import FORMATTERS
from policy_guard.semantics.evaluate import Decision, Evaluation, evaluate, evaluate_policies
from policy_guard.semantics.organization import AccountPolicies, evaluate_account
from policy_guard.semantics.reading import Reading, every_reading
from policy_guard.semantics.request import Request, parse_context_arguments

EXIT_ALLOW, EXIT_DENY = 0, 1

EPILOG = """\
exit status: 0 when the request is allowed, 1 when it is denied (implicitly or explicitly),
2 when an input cannot be used (missing file, invalid document, bad argument) or the request
cannot be decided (an unknown condition operator).

With one policy, the decision is that policy's alone: an identity policy decides for the identity it
is attached to (--principal is optional); an SCP or RCP (--policy-type) allows what it lets through,
beside the implicit FullAWSAccess / RCPFullAWSAccess; a resource policy decides for --principal
(required when the policy names principals); a grant to an account counts for every principal of
that account. With --resource-policy, both decide together: a Deny in either denies, otherwise an
Allow in either allows (same account). With --scp, --rcp or --permissions-boundary, every policy
given decides together in AWS's evaluation order: a Deny anywhere denies; an SCP or RCP that applies
must let the request through (beside the implicit FullAWSAccess / RCPFullAWSAccess unless
--without-full-aws-access); a resource policy's grant to the caller's own ARN is not limited by the
boundary; otherwise an identity or resource grant allows if the boundary lets it through. The caller
and the resource are taken to be in member accounts of the organization.
"""


def _argument_error(message: str) -> NoReturn:
    """Bad arguments are bad input: one line and exit 2 through the CLI boundary, no usage dump."""
    raise InputError(f"{message} (see `policy-guard simulate --help`)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.error = _argument_error  # type: ignore[method-assign]
    parser.add_argument(
        "--policy-document",
        required=True,
        metavar="PATH",
        help="the policy (a path, file://path, or - for standard input); with "
        "--resource-policy, the identity policy",
    )
    parser.add_argument(
        "--resource-policy",
        metavar="PATH",
        help="a resource policy that decides together with --policy-document",
    )
    parser.add_argument("--action", required=True, help="the action, e.g. s3:GetObject")
    parser.add_argument("--resource", required=True, metavar="ARN", help="the resource ARN")
    parser.add_argument(
        "--principal",
        help="who makes the request: an ARN, a service principal (s3.amazonaws.com) or `anonymous`",
    )
    parser.add_argument(
        "--context",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="request context; may be repeated; a key given more than once is multi-valued",
    )
    for flag, what in (
        ("--scp", "a service control policy that applies to the caller's account"),
        ("--rcp", "a resource control policy that applies to the resource's account"),
        ("--permissions-boundary", "the caller's permissions boundary"),
    ):
        parser.add_argument(flag, metavar="PATH", help=f"{what} (decides with the others)")
    parser.add_argument(
        "--without-full-aws-access",
        action="store_true",
        help="the SCP or RCP is deployed without the implicit FullAWSAccess / RCPFullAWSAccess",
    )
    add_policy_type_argument(parser)
    add_output_argument(parser)
    add_timeout_argument(parser)


def _account_policies(
    args: argparse.Namespace, first: Policy, resource: Policy | None
) -> AccountPolicies | None:
    """The policies of `--scp`, `--rcp` and `--permissions-boundary` with the others (None when
    none of the three is given)."""
    if args.scp is None and args.rcp is None and args.permissions_boundary is None:
        return None

    def read(argument: str | None, kind: PolicyType) -> Policy | None:
        return None if argument is None else read_policy_argument(argument, kind)

    identity = first if first.policy_type is not PolicyType.RESOURCE else None
    if first.policy_type is PolicyType.RESOURCE:
        resource = first
    return AccountPolicies(
        identity,
        resource,
        read(args.scp, PolicyType.SERVICE_CONTROL),
        read(args.rcp, PolicyType.RESOURCE_CONTROL),
        read(args.permissions_boundary, PolicyType.PERMISSIONS_BOUNDARY),
        not args.without_full_aws_access,
    )


def _load(args: argparse.Namespace) -> tuple[Policy, Policy | None]:
    policy_type = policy_type_from(args)
    if args.resource_policy is None:
        return read_policy_argument(args.policy_document, policy_type), None
    if policy_type is PolicyType.RESOURCE:
        raise InputError(
            "with `--resource-policy`, `--policy-document` is the identity policy: "
            "`--policy-type RESOURCE_POLICY` does not fit"
        )
    identity = read_policy_argument(args.policy_document, PolicyType.IDENTITY)
    return identity, read_policy_argument(args.resource_policy, PolicyType.RESOURCE)


def _require_principal(policy: Policy, principal: str | None) -> None:
    """A policy that names principals cannot decide without one."""
    if principal is not None:
        return
    for statement in policy.statements:
        if statement.principal is not None or statement.not_principal is not None:
            element = "Principal" if statement.principal is not None else "NotPrincipal"
            line = policy.span_of((*statement.path, element)).line
            raise InputError(
                f"statement {statement.label} has `{element}`: give `--principal` "
                "(an ARN, a service principal or `anonymous`)",
                filename=policy.filename,
                line=line,
            )


def run(args: argparse.Namespace) -> int:
    for flag, value in (
        ("--action", args.action),
        ("--resource", args.resource),
        ("--principal", args.principal),
    ):
        if value is not None and not value.strip():
            raise InputError(f"`{flag}` must not be empty")
    context = parse_context_arguments(args.context)
    first, resource = _load(args)
    for policy in (first, resource):
        if policy is not None:
            _require_principal(policy, args.principal)
    request = Request(args.action, args.resource, args.principal, context)
    together = _account_policies(args, first, resource)

    def decide(request: Request) -> Evaluation:
        if together is not None:
            return evaluate_account(request, together)
        if resource is None:  # an SCP or RCP alone: does it let the request through?
            return evaluate(with_full_access(first, not args.without_full_aws_access), request)
        return evaluate_policies(request, identity=first, resource=resource)

    evaluation = decide(request)
    others = other_decisions(decide, request, evaluation)
    sys.stdout.write(FORMATTERS[args.output](evaluation, request, others))
    return EXIT_ALLOW if evaluation.decision is Decision.ALLOW else EXIT_DENY


def other_decisions(
    decide: Callable[[Request], Evaluation], request: Request, usual: Evaluation
) -> list[tuple[Reading, Evaluation]]:
    """The decisions other readings give when they differ from the usual one's: one reading
    per other decision (AWS documents these choices as depending on the service)."""
    found: dict[Decision, tuple[Reading, Evaluation]] = {}
    for reading in every_reading():
        if reading.usual:
            continue
        evaluation = decide(dataclasses.replace(request, reading=reading))
        if evaluation.decision is not usual.decision:
            found.setdefault(evaluation.decision, (reading, evaluation))
    return list(found.values())
