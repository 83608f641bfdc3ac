"""`policy-guard check-no-public-access`: can the resource policy grant public access?

Named and shaped like `aws accessanalyzer check-no-public-access`: the document is read as the
policy of `--resource-type` (one of the types AWS lists); "public" is S3's definition
(`policy_guard.semantics.exposure`).
"""

from __future__ import annotations

import argparse

from policy_guard.checks.public_access import check_no_public_access
from policy_guard.checks.results import CheckResult
from policy_guard.commands.check_common import (
    add_common_arguments,
    engine_options,
    print_result,
)
from policy_guard.commands.documents import reading_policy
from policy_guard.commands.readings import decided_over_readings
from policy_guard.document.values import Decoded
from policy_guard.policy.model import Policy


def add_resource_policy_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-document",
        required=True,
        metavar="PATH",
        help="the resource policy (a path, file://path, or - for standard input)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_resource_policy_argument(parser)
    parser.add_argument(
        "--resource-type",
        required=True,
        metavar="TYPE",
        help="the type of resource the policy is attached to, as AWS names it "
        "(AWS::S3::Bucket, AWS::KMS::Key, AWS::IAM::AssumeRolePolicyDocument, ...)",
    )
    add_common_arguments(parser, "check-no-public-access")


def run(args: argparse.Namespace) -> int:
    options = engine_options(args)

    def check(document: Decoded, _: Decoded | None, validate: bool) -> tuple[CheckResult, Policy]:
        policy = reading_policy(document, None, validate)
        return check_no_public_access(policy, args.resource_type, options), policy

    return print_result(args, *decided_over_readings(args.policy_document, check))
