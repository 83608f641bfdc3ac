"""`policy-guard check-no-new-access`: does the new policy grant access the existing one does not?

Named and shaped like `aws accessanalyzer check-no-new-access`.
"""

from __future__ import annotations

import argparse

from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.commands.check_common import (
    add_common_arguments,
    engine_options,
    print_result,
    time_limit,
)
from policy_guard.commands.documents import (
    add_policy_type_argument,
    checkable_policy,
    policy_type_from,
    read_document_argument,
)
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


def load_pair(existing: str, new: str, policy_type: PolicyType | None) -> tuple[Policy, Policy]:
    """Both documents, each refused as IAM would refuse it; without --policy-type, a pair in
    which either names principals is read as resource policies (the principal is then part of
    every request)."""
    documents = read_document_argument(existing, base=True), read_document_argument(new)
    old, updated = (checkable_policy(d, policy_type) for d in documents)
    if policy_type is None and old.policy_type is not updated.policy_type:
        old, updated = (load_policy(d, PolicyType.RESOURCE) for d in documents)
    return old, updated


def run(args: argparse.Namespace) -> int:
    options = engine_options(args)
    existing, new = load_pair(
        args.existing_policy_document, args.new_policy_document, policy_type_from(args)
    )
    with time_limit(options.timeout):
        result = check_no_new_access(existing, new, options, diff=True)
    return print_result(args, result, new)
