"""Where policies live in files: each source recognises one kind of file and lists its policies.

A file is decoded once (JSON or YAML, positions kept), then the sources are asked in order; the
first that recognises the document lists its policies, each with an identity inside the file
(`policy_id`: `""` for a bare policy document, a logical path such as
`Resources.Role.Properties.Policies[0].PolicyDocument` for a template). The runner pairs old and
new versions by that identity, so a new source (CloudFormation, Terraform plan JSON, AWS CLI
output) is one module here and one entry in `SOURCES`, with no change to the runner.
"""

from __future__ import annotations

from policy_guard.document.read import decode_file
from policy_guard.document.values import Decoded
from policy_guard.sources.aws_cli import AwsCliSource
from policy_guard.sources.base import FoundPolicy, Source
from policy_guard.sources.policy_file import PolicyFileSource

__all__ = ["SOURCES", "FoundPolicy", "Source", "decode_file", "find_policies"]


class _CloudFormation:
    """`cloudformation.CloudFormationSource`, imported when a file that is not a bare policy
    is read (a hook run on bare policy files never loads the template machinery)."""

    name = "cloudformation"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        from policy_guard.sources.cloudformation import CloudFormationSource

        return CloudFormationSource().find(document)


SOURCES: tuple[Source, ...] = (PolicyFileSource(), _CloudFormation(), AwsCliSource())


def find_policies(document: Decoded) -> tuple[FoundPolicy, ...]:
    """The policies in a decoded file: the first source that recognises it decides; ()."""
    for source in SOURCES:
        found = source.find(document)
        if found is not None:
            return found
    return ()
