"""Reading the policy documents that commands take as arguments, the way the AWS CLI does."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from policy_guard.document.read import decode_text, read_document
from policy_guard.document.values import Decoded
from policy_guard.encode.budget import DEFAULT_TIMEOUT
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import is_policy_document, load_policy
from policy_guard.sources.base import FoundPolicy


def read_document_argument(argument: str, *, base: bool = False) -> Decoded:
    """A path, `file://path` (as the AWS CLI takes it), or `-` for standard input; a policy
    inside a file (a template, AWS CLI output, a Terraform `.tf` file or plan) as
    `FILE#POLICY-ID`. `base`: the document is the one compared against (a Terraform unknown
    there is another value than the new one's)."""
    return read_policy_in_file(argument, base=base).document


def read_policy_in_file(argument: str, *, base: bool = False) -> FoundPolicy:
    """The policy `argument` names: a bare policy file, or `FILE#ID` for one of the policies a
    file holds (the only one needs no id). A policy with values known only at deployment is
    read when one reading decides it (the `check-*` commands decide over every reading:
    `commands.readings`)."""
    found, name = found_policy(argument)
    return one_reading(found, name, base)


def found_policy(argument: str) -> tuple[FoundPolicy, str]:
    """The policy `argument` names as its source found it (values known at deployment left
    open), and the file's name."""
    name, policy_id = _split_policy_id(argument)
    from policy_guard.sources.terraform_resources import is_terraform

    document: Decoded | None = None
    if is_terraform(name):
        every = _read_policies(name)
    else:
        document = _read_file_argument(name)
        if policy_id is None and is_policy_document(document.value):
            return FoundPolicy("", document), name
        from policy_guard.sources import find_policies

        every = find_policies(document)
    found = [f for f in every if not f.only_when_new]
    if not found:
        if policy_id is not None:
            raise InputError(f"the file holds no policy `{policy_id}`", filename=name)
        if document is None:
            raise InputError("the file holds no policy", filename=name)
        return FoundPolicy("", document), name  # not a policy: the parser says why
    chosen = [f for f in found if f.policy_id == policy_id] if policy_id else found
    if len(chosen) != 1:
        listed = "; ".join(f.policy_id for f in found)
        what = f"no policy `{policy_id}`" if policy_id else f"{len(found)} policies"
        raise InputError(
            f"the file holds {what}: name one as FILE#ID, one of: {listed}", filename=name
        )
    return chosen[0], name


def _read_policies(path: str) -> tuple[FoundPolicy, ...]:
    """The policies of a file in a language of its own (Terraform HCL)."""
    from policy_guard.sources import read_policies

    try:
        with open(path.removeprefix("file://"), "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", filename=path) from None
    return read_policies(data, path)


def one_reading(
    found: FoundPolicy, name: str, base: bool, *, every_reading: bool = False
) -> FoundPolicy:
    """The policy with its values known at deployment read the one way that decides it;
    UndecidedError when it cannot be read, or when one reading is not enough. `every_reading`:
    a template's unknown values are left for the caller to read every way
    (`commands.readings`)."""
    if found.problem is not None:
        raise UndecidedError(f"{name}#{found.policy_id}: {found.problem}")
    if found.attaches is not None and not is_policy_document(found.document.value):
        raise UndecidedError(
            f"{name}#{found.policy_id}: attaches `{found.attaches}`, whose document is not "
            "in this file: the access it grants is not known here"
        )
    if found.terraform_unknowns:
        from policy_guard.sources.terraform_unknowns import Undecidable, encode

        try:
            value = encode(
                found.document.value, found.terraform_unknowns, base=base, same=frozenset()
            )
        except Undecidable as error:
            raise UndecidedError(f"{name}#{found.policy_id}: {error}") from None
        return replace(found, document=replace(found.document, value=value))
    if not found.unknowns or every_reading:
        return found
    from policy_guard.sources.template_unknowns import readings

    ways = readings((found.document,), found.unknowns)
    if isinstance(ways, str) or len(ways) != 1:
        names = ", ".join(f"`{u.name}`" for u in found.unknowns)
        raise UndecidedError(
            f"{name}#{found.policy_id} holds values known only at deployment ({names}) that "
            "one reading cannot decide; the `check-*` commands and `policy-guard FILE` decide "
            "over every value"
        )
    return replace(found, document=ways[0].documents[0])


def _split_policy_id(argument: str) -> tuple[str, str | None]:
    """`FILE#ID` -> (FILE, ID); a path that exists as written has no id."""
    path = argument.removeprefix("file://")
    if "#" not in argument or argument == "-" or os.path.exists(path):
        return argument, None
    name, _, policy_id = argument.rpartition("#")
    return name, policy_id or None


def _read_file_argument(argument: str) -> Decoded:
    if argument == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read standard input: {error}", filename="<stdin>") from None
        return decode_text(text, "<stdin>")
    return read_document(argument.removeprefix("file://"))


def read_policy_argument(argument: str, policy_type: PolicyType | None = None) -> Policy:
    found = read_policy_in_file(argument)
    return load_policy(found.document, policy_type or found.policy_type)


def reading_policy(document: Decoded, policy_type: PolicyType | None, validate: bool) -> Policy:
    """One reading of a policy for a `check-*` command: refused as IAM would refuse it when
    `validate` (the first reading), else read as it is (`commands.readings`)."""
    return (
        checkable_policy(document, policy_type) if validate else load_policy(document, policy_type)
    )


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


def add_policy_type_argument(parser: argparse.ArgumentParser, checks: bool = False) -> None:
    """`--policy-type`; for the checks also `--without-full-aws-access` (`policy.guardrails`)."""
    parser.add_argument(
        "--policy-type",
        choices=[t.value for t in PolicyType],
        help="default: RESOURCE_POLICY when any statement has Principal or "
        "NotPrincipal, else IDENTITY_POLICY",
    )
    if checks:
        parser.add_argument(
            "--without-full-aws-access",
            action="store_true",
            help="an SCP or RCP is deployed without the implicit FullAWSAccess / "
            "RCPFullAWSAccess beside it (default: with it, as AWS attaches it)",
        )


def policy_type_from(args: argparse.Namespace) -> PolicyType | None:
    value = getattr(args, "policy_type", None)
    return PolicyType(value) if value else None


def add_timeout_argument(parser: argparse.ArgumentParser) -> None:
    """--timeout: the command's whole budget (`policy_guard.encode.budget`; the CLI applies it)."""
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="give up (undecided, exit 2) after this many seconds, reading the files included "
        f"(default: {DEFAULT_TIMEOUT:g})",
    )


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", choices=["json", "text"], default="text", help="output format (default: text)"
    )
