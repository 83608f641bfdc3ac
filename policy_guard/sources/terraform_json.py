"""Terraform's JSON syntax (`*.tf.json`): recognised, and each block that would hold a policy
reported as not read (undecided, at its line) — never passed as "not a policy".

Reading it would mean evaluating each string as an HCL template; until then a `.tf.json` file
whose resources or data sources are of the kinds `terraform_resources` lists is undecided.
"""

from __future__ import annotations

from typing import Any

from policy_guard.document.values import Decoded
from policy_guard.sources.base import FoundPolicy
from policy_guard.sources.terraform_resources import (
    ATTACHMENTS,
    LAMBDA_PERMISSIONS,
    POLICY_ARGUMENTS,
)

_TOP_LEVEL = frozenset(
    {"resource", "data", "module", "variable", "locals", "output", "provider", "terraform"}
)
_PROBLEM = "Terraform's JSON syntax (`.tf.json`) is not read yet: convert the file to `.tf`"


def is_terraform_json(value: Any, filename: str) -> bool:
    return (
        filename.lower().endswith(".tf.json")
        and isinstance(value, dict)
        and bool(value)
        and set(value) <= _TOP_LEVEL
    )


class TerraformJsonSource:
    name = "terraform-json"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        if not is_terraform_json(document.value, document.filename):
            return None
        found: list[FoundPolicy] = []
        for kind, types in (
            ("resource", document.value.get("resource")),
            ("data", document.value.get("data")),
        ):
            for type_name, blocks in _items(types):
                holds = (
                    type_name in POLICY_ARGUMENTS
                    or type_name in ATTACHMENTS
                    or type_name in LAMBDA_PERMISSIONS
                    or (kind == "data" and type_name == "aws_iam_policy_document")
                )
                if not holds:
                    continue
                for name, _ in _items(blocks):
                    prefix = "data." if kind == "data" else ""
                    span = document.key_span_of((kind, type_name, name))
                    found.append(
                        FoundPolicy(
                            f"{prefix}{type_name}.{name}",
                            Decoded({}, document.filename, {(): span}),
                            problem=_PROBLEM,
                        )
                    )
        for name, body in _items(document.value.get("module")):
            if isinstance(body, dict) and "Statement" in str(body):
                span = document.key_span_of(("module", name))
                found.append(
                    FoundPolicy(
                        f"module.{name}",
                        Decoded({}, document.filename, {(): span}),
                        problem=_PROBLEM,
                    )
                )
        return tuple(found)


def _items(value: Any) -> list[tuple[str, Any]]:
    """A JSON block's entries (an object, or a list of objects as Terraform also accepts)."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [item for entry in value if isinstance(entry, dict) for item in entry.items()]
    return []
