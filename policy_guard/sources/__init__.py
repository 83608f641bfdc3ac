"""Where policies live in files: each source recognises one kind of file and lists its policies.

A file is decoded once (JSON or YAML, positions kept), then the sources are asked in order; the
first that recognises the document lists its policies, each with an identity inside the file
(`policy_id`: `""` for a bare policy document, a logical path such as
`Resources.Role.Properties.Policies[0].PolicyDocument` for a template). The runner pairs old and
new versions by that identity, so a new source (CloudFormation, Terraform plan JSON, AWS CLI
output) is one module here and one entry in `SOURCES`, with no change to the runner.

A file in a language of its own is read by its reader instead, chosen by extension
(`read_policies`): Terraform HCL (`.tf`, `terraform_hcl`, python-hcl2 loaded only then). A
source may mark values the file does not fix (`unknowns`), carry the file's own base (a plan's
`before`), or say why a policy cannot be read (`FoundPolicy.problem`): the workflow decides the
first exactly or reports it undecided, and reports the last, never skipping it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from policy_guard.document.read import decode_file
from policy_guard.document.values import Decoded
from policy_guard.errors import InputError
from policy_guard.sources.aws_cli import AwsCliSource
from policy_guard.sources.base import FoundPolicy, Source
from policy_guard.sources.policy_file import PolicyFileSource
from policy_guard.sources.terraform_json import TerraformJsonSource
from policy_guard.sources.terraform_plan import TerraformPlanSource
from policy_guard.sources.terraform_resources import is_terraform
from policy_guard.sources.terraform_resources import may_hold_policy as terraform_may_hold_policy

__all__ = [
    "POLICY_LIKE",
    "SOURCES",
    "FoundPolicy",
    "Source",
    "decode_file",
    "find_policies",
    "is_own_format",
    "may_hold_policy",
    "read_policies",
]


class _CloudFormation:
    """`cloudformation.CloudFormationSource`, imported when a file that is not a bare policy
    is read (a hook run on bare policy files never loads the template machinery)."""

    name = "cloudformation"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        from policy_guard.sources.cloudformation import CloudFormationSource

        return CloudFormationSource().find(document)


SOURCES: tuple[Source, ...] = (
    PolicyFileSource(),
    TerraformPlanSource(),
    TerraformJsonSource(),
    _CloudFormation(),
    AwsCliSource(),
)

# A template (CloudFormation, SAM, CDK) names its resource types; a policy says `Statement`.
POLICY_LIKE = re.compile(rb"Statement|AWSTemplateFormatVersion|AWS::")


def read_policies(
    data: bytes, path: str, related: Mapping[str, bytes] | None = None
) -> tuple[FoundPolicy, ...]:
    """The policies in a file's bytes: a file in a language of its own (Terraform HCL) by its
    reader, any other decoded (JSON or YAML) and asked of `SOURCES`. `related`: files its
    values depend on (a `.tf` file's folder). InputError when the file cannot be read."""
    if is_terraform(path):
        from policy_guard.sources.terraform_hcl import read_terraform

        siblings = {}
        for name, content in (related or {}).items():
            try:
                siblings[name] = content.decode("utf-8")
            except UnicodeDecodeError:
                continue  # what refers to it is then not known to be unchanged
        return read_terraform(_text(data, path), path, siblings)
    return find_policies(decode_file(data, path))


def _text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"the file is not UTF-8 text (byte {error.start})", filename=path
        ) from None


def is_own_format(path: str) -> bool:
    """Is the file, by its name, of a kind that holds policies (a `.tf` or `.tf.json` file)?
    Such a file that does not parse is reported, never passed as "not a policy"; its policies
    follow Terraform's rules for unknown values."""
    return is_terraform(path) or path.lower().endswith(".tf.json")


def may_hold_policy(data: bytes | None, path: str) -> bool:
    """Can these bytes hold a policy at all (a `Statement` key, spelled out or behind an
    escape, a template's resource types, a Terraform policy argument)? Cheap, no decoding:
    most files cannot."""
    if data is None:
        return False
    if is_terraform(path) or path.lower().endswith(".tf.json"):
        return terraform_may_hold_policy(data)
    return POLICY_LIKE.search(data) is not None or b"\\" in data


def find_policies(document: Decoded) -> tuple[FoundPolicy, ...]:
    """The policies in a decoded file: the first source that recognises it decides; ()."""
    for source in SOURCES:
        found = source.find(document)
        if found is not None:
            return found
    return ()
