"""Reading the policy documents that commands take as arguments, the way the AWS CLI does."""

from __future__ import annotations

import argparse
import sys

from policy_guard.document.read import decode_text, read_document
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy


def read_document_argument(argument: str) -> Decoded:
    """A path, `file://path` (as the AWS CLI takes it), or `-` for standard input."""
    if argument == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read standard input: {error}", filename="<stdin>") from None
        return decode_text(text, "<stdin>")
    path = argument.removeprefix("file://")
    return read_document(path)


def read_policy_argument(argument: str, policy_type: PolicyType | None = None) -> Policy:
    return load_policy(read_document_argument(argument), policy_type)


def read_checkable_policy_argument(argument: str, policy_type: PolicyType | None = None) -> Policy:
    """A policy for a `check-*` command: refused as IAM would refuse it (see `checkable_policy`)."""
    return checkable_policy(read_document_argument(argument), policy_type)


def checkable_policy(document: Decoded, policy_type: PolicyType | None = None) -> Policy:
    """The policy of a document IAM would accept. A document with an ERROR-level validation
    finding (an unknown condition operator, an element of the wrong type, a malformed ARN ...)
    is refused at its first such finding, with its line and column, as Access Analyzer refuses a
    malformed document: checked anyway, it would be answered about a policy IAM never runs."""
    from policy_guard.checks.validation import validate_document

    first = validate_document(document, policy_type).first_error
    if first is not None:
        span = document.span_of(first.path)
        raise InputError(
            f"IAM would refuse this policy: {first.issue_code} {first.details}",
            filename=document.filename,
            line=span.line,
            column=span.column + 1,
        )
    return load_policy(document, policy_type)


def add_policy_type_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-type",
        choices=[t.value for t in PolicyType],
        help="default: RESOURCE_POLICY when any statement has Principal or "
        "NotPrincipal, else IDENTITY_POLICY",
    )


def policy_type_from(args: argparse.Namespace) -> PolicyType | None:
    value = getattr(args, "policy_type", None)
    return PolicyType(value) if value else None


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", choices=["json", "text"], default="text", help="output format (default: text)"
    )
