"""AWS CLI output, recognised by content whatever the file's name: `aws iam get-policy-version`
(`PolicyVersion.Document`, URL-encoded as the IAM API returns it, or decoded as the CLI prints
it), `get-role` (the trust policy), `get-role-policy` / `get-user-policy` / `get-group-policy`
(`PolicyDocument`), `get-account-authorization-details` (every inline policy, trust policy and
the default version of every managed policy), `aws organizations describe-policy` (an SCP's or
RCP's `Content`, typed by its `PolicySummary.Type`), and a policy given as a JSON string.

Identities name the IAM entities, not list positions (`RoleDetailList[app].RolePolicyList[s3].
PolicyDocument`, `Policies[ReadOnly].Document`), so a reordered listing pairs each policy with
its previous version. A policy written as a string points at the string's line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from policy_guard.document.values import Decoded, Path
from policy_guard.policy.guardrails import organizations_policy_type
from policy_guard.policy.model import PolicyType
from policy_guard.policy.parse import is_policy_document
from policy_guard.sources.base import FoundPolicy

_TRUST = (PolicyType.RESOURCE, "AWS::IAM::AssumeRolePolicyDocument")
_INLINE = (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group"))
_DETAILS = (
    ("UserDetailList", "UserName", "UserPolicyList"),
    ("GroupDetailList", "GroupName", "GroupPolicyList"),
    ("RoleDetailList", "RoleName", "RolePolicyList"),
)


class AwsCliSource:
    name = "aws-cli"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        value = document.value
        if isinstance(value, str):
            found = _policy(document, (), "", None)
            return (found,) if found is not None else None
        if not isinstance(value, dict):
            return None
        found_list = list(_find(document, value))
        return tuple(found_list) if found_list else None


def _find(document: Decoded, value: dict[str, Any]) -> Iterator[FoundPolicy]:
    version = value.get("PolicyVersion")
    if isinstance(version, dict) and "Document" in version:
        found = _policy(document, ("PolicyVersion", "Document"), "PolicyVersion.Document", None)
        if found is not None:
            yield found
    role = value.get("Role")
    if isinstance(role, dict) and "AssumeRolePolicyDocument" in role:
        path: Path = ("Role", "AssumeRolePolicyDocument")
        found = _policy(document, path, "Role.AssumeRolePolicyDocument", _TRUST)
        if found is not None:
            yield found
    if "PolicyDocument" in value and "PolicyName" in value and any(k in value for k, _ in _INLINE):
        identity = (PolicyType.IDENTITY, None)
        found = _policy(document, ("PolicyDocument",), "PolicyDocument", identity)
        if found is not None:
            yield found
    yield from _organizations_policy(document, value)
    yield from _authorization_details(document, value)


def _organizations_policy(document: Decoded, value: dict[str, Any]) -> Iterator[FoundPolicy]:
    """`describe-policy`: `{"Policy": {"PolicySummary": {"Type": ...}, "Content": "..."}}`
    (other Organizations policy types, tag or backup policies, are not IAM policies)."""
    policy = value.get("Policy")
    if not isinstance(policy, dict) or "Content" not in policy:
        return
    summary = policy.get("PolicySummary")
    kind = organizations_policy_type(summary.get("Type") if isinstance(summary, dict) else None)
    if kind is not None:
        found = _policy(document, ("Policy", "Content"), "Policy.Content", (kind, None))
        if found is not None:
            yield found


def _authorization_details(document: Decoded, value: dict[str, Any]) -> Iterator[FoundPolicy]:
    for list_name, name_key, policies_key in _DETAILS:
        entities = value.get(list_name)
        if not isinstance(entities, list):
            continue
        for index, entity in enumerate(entities):
            if not isinstance(entity, dict):
                continue
            name = entity.get(name_key, index)
            prefix = f"{list_name}[{name}]"
            if "AssumeRolePolicyDocument" in entity:
                path: Path = (list_name, index, "AssumeRolePolicyDocument")
                found = _policy(document, path, f"{prefix}.AssumeRolePolicyDocument", _TRUST)
                if found is not None:
                    yield found
            inline = entity.get(policies_key)
            for position, policy in enumerate(inline if isinstance(inline, list) else []):
                if isinstance(policy, dict) and "PolicyDocument" in policy:
                    policy_name = policy.get("PolicyName", position)
                    policy_id = f"{prefix}.{policies_key}[{policy_name}].PolicyDocument"
                    path = (list_name, index, policies_key, position, "PolicyDocument")
                    found = _policy(document, path, policy_id, (PolicyType.IDENTITY, None))
                    if found is not None:
                        yield found
    managed = value.get("Policies")
    for index, policy in enumerate(managed if isinstance(managed, list) else []):
        versions = policy.get("PolicyVersionList") if isinstance(policy, dict) else None
        for position, version in enumerate(versions if isinstance(versions, list) else []):
            default = isinstance(version, dict) and version.get("IsDefaultVersion") is True
            if default and "Document" in version:
                policy_id = f"Policies[{policy.get('PolicyName', index)}].Document"
                path = ("Policies", index, "PolicyVersionList", position, "Document")
                found = _policy(document, path, policy_id, (PolicyType.IDENTITY, None))
                if found is not None:
                    yield found


def _value_at(value: Any, path: Path) -> Any:
    for element in path:
        value = value[element]
    return value


def _policy(
    document: Decoded,
    path: Path,
    policy_id: str,
    kind: tuple[PolicyType, str | None] | None,
) -> FoundPolicy | None:
    """The policy at `path`: an object, a JSON string, or a URL-encoded JSON string."""
    value = _value_at(document.value, path)
    policy_type, resource_type = kind if kind is not None else (None, None)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("%"):
            text = unquote(text)
        try:
            decoded_value = json.loads(text)
        except json.JSONDecodeError:
            return None
        if not is_policy_document(decoded_value):
            return None
        span = document.span_of(path)
        inner = Decoded(decoded_value, document.filename, {(): span})
        return FoundPolicy(policy_id, inner, policy_type, resource_type)
    if not is_policy_document(value):
        return None
    return FoundPolicy(policy_id, document.sub(path), policy_type, resource_type)
