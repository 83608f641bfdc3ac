"""`policy-guard check-access-not-granted`: does the policy grant any of the listed access?

Named and shaped like `aws accessanalyzer check-access-not-granted`; `--access` is the JSON
object `{"actions": [...], "resources": [...]}` (or `file://path` holding it).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.checks.common import Access
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
from policy_guard.errors import InputError
from policy_guard.policy.model import Policy

ACCESS_FIELDS = ("actions", "resources")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-document",
        required=True,
        metavar="PATH",
        help="the policy (a path, file://path, or - for standard input)",
    )
    parser.add_argument(
        "--access",
        required=True,
        metavar="JSON",
        help='what must not be granted: \'{"actions": [...], "resources": [...]}\' '
        "(either or both; patterns as in a policy), or file://path",
    )
    add_policy_type_argument(parser, checks=True)
    add_common_arguments(parser, "check-access-not-granted")


def _read_access_text(argument: str) -> tuple[str, str]:
    if not argument.startswith("file://"):
        return argument, "--access"
    path = argument.removeprefix("file://")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), path
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the access file: {error}", filename=path) from None


def _strings(value: Any, field: str, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise InputError(f"`{field}` must be a list of non-empty strings", filename=where)
    return tuple(items)


def parse_access(argument: str) -> Access:
    """The `--access` JSON: an object (or a one-element list, as AWS takes it) with `actions`
    and/or `resources`."""
    text, where = _read_access_text(argument)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"`--access` is not valid JSON: {error.msg}", filename=where, line=error.lineno
        ) from None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise InputError(
            '`--access` must be a JSON object like {"actions": ["s3:DeleteBucket"]}',
            filename=where,
        )
    unknown = sorted(set(value) - set(ACCESS_FIELDS))
    if unknown:
        raise InputError(
            f"`--access` has unknown field `{unknown[0]}` (expected actions, resources)",
            filename=where,
        )
    access = Access(
        _strings(value.get("actions", []), "actions", where),
        _strings(value.get("resources", []), "resources", where),
    )
    if not access.actions and not access.resources:
        raise InputError("`--access` must list `actions`, `resources` or both", filename=where)
    return access


def run(args: argparse.Namespace) -> int:
    options = engine_options(args)
    access = parse_access(args.access)
    policy_type = policy_type_from(args)

    def check(document: Decoded, _: Decoded | None, validate: bool) -> tuple[CheckResult, Policy]:
        policy = reading_policy(document, policy_type, validate)
        with time_limit(options.timeout):
            return check_access_not_granted(policy, access, options), policy

    return print_result(args, *decided_over_readings(args.policy_document, check))
