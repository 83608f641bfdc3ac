"""`policy-guard check-no-external-access`: can a principal outside the trusted accounts get in?

No AWS CLI twin; shaped like the other checks. `--trusted-account` may be repeated;
`--trusted-organization` adds principals whose requests carry that `aws:PrincipalOrgID`
(`policy_guard.semantics.exposure` says who counts as external).
"""

from __future__ import annotations

import argparse

from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.results import CheckResult
from policy_guard.commands.check_common import (
    add_common_arguments,
    engine_options,
    print_result,
)
from policy_guard.commands.check_no_public_access import add_resource_policy_argument
from policy_guard.commands.documents import reading_policy
from policy_guard.commands.readings import decided_over_readings
from policy_guard.document.values import Decoded
from policy_guard.policy.model import Policy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_resource_policy_argument(parser)
    parser.add_argument(
        "--trusted-account",
        action="append",
        default=[],
        metavar="ACCOUNT",
        help="a 12-digit account whose principals are inside (repeat for several)",
    )
    parser.add_argument(
        "--trusted-organization",
        metavar="ORG",
        help="an organization id (o-...): requests with this aws:PrincipalOrgID are inside",
    )
    add_common_arguments(parser, "check-no-external-access")


def run(args: argparse.Namespace) -> int:
    options = engine_options(args)

    def check(document: Decoded, _: Decoded | None, validate: bool) -> tuple[CheckResult, Policy]:
        policy = reading_policy(document, None, validate)
        result = check_no_external_access(
            policy, tuple(args.trusted_account), args.trusted_organization, options
        )
        return result, policy

    return print_result(args, *decided_over_readings(args.policy_document, check))
