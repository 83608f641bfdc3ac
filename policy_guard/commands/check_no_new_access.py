"""`policy-guard check-no-new-access`: does the new policy grant access the existing one does not?

Named and shaped like `aws accessanalyzer check-no-new-access`.
"""

from __future__ import annotations

import argparse

from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import CheckResult
from policy_guard.commands.check_common import (
    add_common_arguments,
    engine_options,
    print_result,
    time_limit,
)
from policy_guard.commands.documents import (
    add_policy_type_argument,
    policy_type_from,
    reading_policy,
)
from policy_guard.commands.readings import decided_over_readings
from policy_guard.document.values import Decoded
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--existing-policy-document",
        required=True,
        metavar="PATH",
        help="the policy as it is (a path, file://path, or - for standard input)",
    )
    parser.add_argument(
        "--new-policy-document",
        required=True,
        metavar="PATH",
        help="the policy as it would become (a path, file://path, or -)",
    )
    add_policy_type_argument(parser, checks=True)
    add_common_arguments(parser, "check-no-new-access")


def load_pair(
    existing: Decoded, new: Decoded, policy_type: PolicyType | None, validate: bool = True
) -> tuple[Policy, Policy]:
    """Both documents, each refused as IAM would refuse it (when `validate`); without
    --policy-type, a pair in which either names principals is read as resource policies (the
    principal is then part of every request)."""
    documents = existing, new
    old, updated = (reading_policy(d, policy_type, validate) for d in documents)
    if policy_type is None and old.policy_type is not updated.policy_type:
        old, updated = (load_policy(d, PolicyType.RESOURCE) for d in documents)
    return old, updated


def run(args: argparse.Namespace) -> int:
    options = engine_options(args)
    policy_type = policy_type_from(args)

    def check(new: Decoded, existing: Decoded | None, validate: bool) -> tuple[CheckResult, Policy]:
        assert existing is not None
        old, updated = load_pair(existing, new, policy_type, validate)
        with time_limit(options.timeout):
            return check_no_new_access(old, updated, options, diff=True), updated

    result, new = decided_over_readings(
        args.new_policy_document, check, existing=args.existing_policy_document
    )
    return print_result(args, result, new)
