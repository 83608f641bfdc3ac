"""Reading the policy documents that commands take as arguments, the way the AWS CLI does.

A file is decoded, then its policy is found through `policy_guard.sources`, as the workflow
finds it: a bare policy file is one policy today, and a file kind that a new source recognises
(a template holding one policy) works here without a change to the commands."""

from __future__ import annotations

import argparse
import sys

from policy_guard.document.read import decode_text, read_document
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.sources import FoundPolicy, find_policies


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


def one_policy(document: Decoded) -> FoundPolicy:
    """The policy in a decoded file, found by the sources. A document that no source
    recognises is read as a policy as it is (the parser then says what is wrong with it);
    a file holding several policies is an input error (a command checks one)."""
    found = find_policies(document)
    if not found:
        return FoundPolicy("", document)
    if len(found) > 1:
        names = ", ".join(f"`{f.policy_id}`" for f in found)
        raise InputError(
            f"the file holds {len(found)} policies ({names}); give a file with one",
            filename=document.filename,
        )
    return found[0]


def read_found_argument(argument: str) -> FoundPolicy:
    """The one policy of the file that `argument` names (see `read_document_argument`)."""
    return one_policy(read_document_argument(argument))


def read_policy_argument(argument: str, policy_type: PolicyType | None = None) -> Policy:
    """The policy of the file, read as `policy_type` (else as its source says, else inferred
    from Principal/NotPrincipal)."""
    found = read_found_argument(argument)
    return load_policy(found.document, policy_type or found.policy_type)


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
