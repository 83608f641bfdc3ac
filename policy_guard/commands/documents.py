"""Reading the policy documents that commands take as arguments, the way the AWS CLI does."""

from __future__ import annotations

import argparse
import os
import sys

from policy_guard.document.read import decode_text, read_document
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import is_policy_document, load_policy
from policy_guard.sources import FoundPolicy, find_policies, read_policies


def read_document_argument(argument: str, *, base: bool = False) -> Decoded:
    """A path, `file://path` (as the AWS CLI takes it), or `-` for standard input; a file that
    holds several policies (a Terraform `.tf` file or plan) as `PATH#POLICY_ID`, the id as
    `policy-guard` reports it (`main.tf#data.aws_iam_policy_document.app`). `base`: the
    document is the one compared against (its unknown values are others than the new one's)."""
    if argument == "-":
        try:
            text = sys.stdin.read()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"cannot read standard input: {error}", filename="<stdin>") from None
        return decode_text(text, "<stdin>")
    path = argument.removeprefix("file://")
    policy_id: str | None = None
    if "#" in path and not os.path.exists(path):
        path, policy_id = path.split("#", 1)
    from policy_guard.sources.terraform_resources import is_terraform

    if policy_id is None and not is_terraform(path):
        document = read_document(path)
        if is_policy_document(document.value):
            return document
        return _policy_in(path, policy_id, find_policies(document), base)
    return _policy_in(path, policy_id, _read_policies(path), base)


def _read_policies(path: str) -> tuple[FoundPolicy, ...]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", filename=path) from None
    return read_policies(data, path)


def _policy_in(
    path: str, policy_id: str | None, found: tuple[FoundPolicy, ...], base: bool
) -> Decoded:
    """The policy `policy_id` of a file (the only one when no id is given), its unknown values
    encoded as the workflow does; InputError listing the file's policies otherwise."""
    from policy_guard.sources.unknowns import Undecidable, encode

    if not found:
        raise InputError("the file holds no policy", filename=path)
    chosen = [f for f in found if f.policy_id == policy_id] if policy_id else list(found)
    if len(chosen) != 1:
        listing = ", ".join(f"{path}#{f.policy_id}" for f in found)
        what = f"no policy `{policy_id}`" if policy_id else "several policies"
        raise InputError(f"the file holds {what}; name one: {listing}", filename=path)
    policy = chosen[0]
    if policy.problem is not None:
        raise UndecidedError(f"{path}#{policy.policy_id}: {policy.problem}")
    if not is_policy_document(policy.document.value):
        raise UndecidedError(
            f"{path}#{policy.policy_id}: attaches `{policy.attaches}`, whose document is not "
            "in this file: the access it grants is not known here"
        )
    if not policy.unknowns:
        return policy.document
    try:
        value = encode(policy.document.value, policy.unknowns, base=base, same=frozenset())
    except Undecidable as error:
        raise UndecidedError(f"{path}#{policy.policy_id}: {error}") from None
    document = policy.document
    return Decoded(value, document.filename, document.spans, document.key_spans)


def read_policy_argument(argument: str, policy_type: PolicyType | None = None) -> Policy:
    return load_policy(read_document_argument(argument), policy_type)


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
