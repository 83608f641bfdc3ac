"""A Terraform plan as JSON (`terraform show -json plan.out`): each policy argument of each
resource change, the new version (`change.after`) paired with the old one (`change.before`)
that the plan itself carries, so a plan is compared without git.

Recognised by content (`format_version` and `resource_changes`). The arguments read are those
of `terraform_resources` (the same table as the HCL source). A value the plan knows only after
apply (`after_unknown`) is not dropped: the policy is then unknown as a whole, and reported so
(undecided), never guessed. Plans are one-line JSON: a policy's findings point at its resource
change (the line of its `address` when the plan is pretty-printed), its identity is the
resource address and argument (`aws_iam_policy.p.policy`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from policy_guard.document.json_decode import decode_json
from policy_guard.document.values import Decoded, Path, Span
from policy_guard.errors import InputError
from policy_guard.sources.base import BOUNDARY_PREFIX, FoundPolicy, attachment_type
from policy_guard.sources.terraform_resources import (
    ATTACHMENTS,
    BOUNDARIES,
    BOUNDARY_ARGUMENT,
    POLICY_ARGUMENTS,
    PolicyArgument,
)


def is_plan(value: Any) -> bool:
    return isinstance(value, dict) and "format_version" in value and "resource_changes" in value


class TerraformPlanSource:
    name = "terraform-plan"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        if not is_plan(document.value):
            return None
        listed = document.value.get("resource_changes")
        changes = listed if isinstance(listed, list) else []
        managed = _ManagedPolicies(document.value, [c for c in changes if isinstance(c, dict)])
        found: list[FoundPolicy] = []
        for index, change in enumerate(changes):
            if isinstance(change, dict):
                found.extend(
                    _change_policies(document, ("resource_changes", index), change, managed)
                )
        return tuple(found)


class _ManagedPolicies:
    """The plan's `aws_iam_policy` changes, to read the document a permissions boundary names:
    by its ARN (`before.arn`, `after.arn`), or, when the boundary's new ARN is known only after
    apply (a policy created in the same plan), by the configuration's reference to it
    (`aws_iam_policy.limit.arn`)."""

    def __init__(self, plan: dict[str, Any], changes: list[dict[str, Any]]) -> None:
        self.plan = plan
        self.by_address: dict[str, dict[str, Any]] = {}
        for change in changes:
            body = change.get("change")
            if change.get("type") == "aws_iam_policy" and isinstance(body, dict):
                address = change.get("address")
                if isinstance(address, str):
                    self.by_address[address] = body

    def text(self, arn: str, side: str) -> str | None:
        """The policy text of the policy whose ARN is `arn` on that side ("before"/"after")."""
        for body in self.by_address.values():
            value = body.get(side)
            if isinstance(value, dict) and value.get("arn") == arn and arn:
                return _known_text(body, side)
        return None

    def referenced_text(self, change: dict[str, Any]) -> str | None:
        """The new policy text of the `aws_iam_policy` the configuration's boundary names."""
        for reference in _references(self.plan, change, BOUNDARY_ARGUMENT):
            parts = reference.split(".")
            if len(parts) == 3 and parts[0] == "aws_iam_policy" and parts[2] == "arn":
                body = self.by_address.get(".".join(parts[:2]))
                if body is not None:
                    return _known_text(body, "after")
        return None


def _known_text(body: dict[str, Any], side: str) -> str | None:
    value = body.get(side)
    if side == "after":
        unknown = body.get("after_unknown")
        if isinstance(unknown, dict) and unknown.get("policy") is True:
            return None
    text = value.get("policy") if isinstance(value, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def _references(plan: dict[str, Any], change: dict[str, Any], argument: str) -> list[str]:
    """The references the configuration's expression for `argument` makes (root module)."""
    expression = (_expressions(plan, change) or {}).get(argument)
    references = expression.get("references") if isinstance(expression, dict) else None
    return [r for r in references or [] if isinstance(r, str)]


def _change_policies(
    document: Decoded, path: Path, change: dict[str, Any], managed: _ManagedPolicies
) -> list[FoundPolicy]:
    kind = change.get("type")
    address = change.get("address")
    body = change.get("change")
    if not isinstance(kind, str) or not isinstance(address, str) or not isinstance(body, dict):
        return []
    if change.get("mode", "managed") != "managed":
        return []
    span = document.key_span_of((*path, "address"))
    before, after = body.get("before"), body.get("after")
    if after is None:
        return []  # deleted: nothing can grant access any more
    unknown = body.get("after_unknown") or {}
    found: list[FoundPolicy] = []
    for argument in POLICY_ARGUMENTS.get(kind, ()):
        for suffix, new, old, is_unknown in _values(argument, after, before, unknown):
            policy_id = f"{address}.{suffix}"
            if is_unknown:
                found.append(
                    _problem(
                        policy_id,
                        document.filename,
                        span,
                        argument,
                        "the plan knows this policy only after apply (`after_unknown`): it "
                        "depends on values not yet known, so it cannot be checked",
                    )
                )
                continue
            if not isinstance(new, str) or not new.strip():
                continue
            base = _policy(policy_id, old, document.filename, span, argument)
            current = _policy(policy_id, new, document.filename, span, argument)
            found.append(_with_base(current, base))
    if kind in BOUNDARIES:
        found.extend(_boundary(document, address, span, change, managed))
    for argument_name in ATTACHMENTS.get(kind, ()):
        new_arns = _arns(after.get(argument_name))
        old_arns = _arns(before.get(argument_name)) if isinstance(before, dict) else set()
        if unknown.get(argument_name) is True and _configured(
            document.value, change, argument_name
        ):
            new_arns.add("(known after apply)")
        for arn in sorted(new_arns - old_arns):
            found.append(
                FoundPolicy(
                    f"{address}.{argument_name}",
                    Decoded({}, document.filename, {(): span}),
                    attaches=arn,
                    carries_base=True,
                )
            )
    return found


_BOUNDARY_POLICY = PolicyArgument(BOUNDARY_ARGUMENT, attachment_type(boundary=True))


def _boundary(
    document: Decoded, address: str, span: Span, change: dict[str, Any], managed: _ManagedPolicies
) -> list[FoundPolicy]:
    """The permissions boundary before and after: its document, a PERMISSIONS_BOUNDARY, when
    the plan holds the policy it names (compared as a policy); else its ARN alone, reported
    when removed or replaced."""
    body = change["change"]
    before, after, unknown = body.get("before"), body.get("after"), body.get("after_unknown")

    def arn(value: Any) -> str:
        boundary = value.get(BOUNDARY_ARGUMENT) if isinstance(value, dict) else None
        return boundary if isinstance(boundary, str) else ""

    later = isinstance(unknown, dict) and unknown.get(BOUNDARY_ARGUMENT) is True
    new = "(known after apply)" if later else arn(after)
    new_text = managed.referenced_text(change) if later else managed.text(new, "after")
    policy_id = f"{address}.{BOUNDARY_ARGUMENT}"
    base = None
    if isinstance(before, dict):
        old_text = managed.text(arn(before), "before")
        base = _boundary_policy(policy_id, document, span, arn(before), old_text)
    current = _boundary_policy(policy_id, document, span, new, new_text)
    return [replace(current, carries_base=True, base=base)]


def _boundary_policy(
    policy_id: str, document: Decoded, span: Span, arn: str, text: str | None
) -> FoundPolicy:
    read = _policy(policy_id, text, document.filename, span, _BOUNDARY_POLICY)
    if read is None:
        return FoundPolicy(
            policy_id, Decoded({}, document.filename, {(): span}), attaches=BOUNDARY_PREFIX + arn
        )
    return replace(read, attaches=BOUNDARY_PREFIX + arn, carries_base=False)


def _configured(plan: dict[str, Any], change: dict[str, Any], argument: str) -> bool:
    """Does the configuration set `argument` (an unknown attachment list the configuration
    leaves to the provider, `managed_policy_arns` when unset, is the attachments' own
    resources, listed separately)? True when the plan does not say."""
    expressions = _expressions(plan, change)
    return expressions is None or argument in expressions


def _expressions(plan: dict[str, Any], change: dict[str, Any]) -> dict[str, Any] | None:
    """The configuration's expressions of the changed resource (root module); None when the
    plan does not say."""
    configuration = plan.get("configuration")
    module = configuration.get("root_module") if isinstance(configuration, dict) else None
    if change.get("module_address") or not isinstance(module, dict):
        return None
    for resource in module.get("resources") or []:
        if isinstance(resource, dict) and resource.get("address") == change.get("address"):
            expressions = resource.get("expressions")
            return expressions if isinstance(expressions, dict) else {}
    return None


def _arns(value: Any) -> set[str]:
    if isinstance(value, str) and value:
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str) and v}
    return set()


def _values(
    argument: PolicyArgument, after: Any, before: Any, unknown: Any
) -> list[tuple[str, Any, Any, bool]]:
    """(id suffix, new, old, new is unknown) for the argument (nested blocks by index)."""
    if not isinstance(after, dict):
        return []
    old_side = before if isinstance(before, dict) else {}
    unknown_side = unknown if isinstance(unknown, dict) else {}
    if "." not in argument.argument:
        name = argument.argument
        return [(name, after.get(name), old_side.get(name), unknown_side.get(name) is True)]
    block, attribute = argument.argument.split(".", 1)
    new_blocks: list[Any] = _list(after.get(block))
    old_blocks: list[Any] = _list(old_side.get(block))
    unknown_blocks = unknown_side.get(block)
    result = []
    for i, item in enumerate(new_blocks):
        if not isinstance(item, dict):
            continue
        old_item = _same_named(old_blocks, item)
        flag = unknown_blocks is True or (
            isinstance(unknown_blocks, list)
            and i < len(unknown_blocks)
            and isinstance(unknown_blocks[i], dict)
            and unknown_blocks[i].get(attribute) is True
        )
        label = item.get("name")
        key = f"{block}[{label}]" if isinstance(label, str) and label else f"{block}[{i}]"
        result.append((f"{key}.{attribute}", item.get(attribute), _get(old_item, attribute), flag))
    return result


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _same_named(blocks: list[Any], item: dict[str, Any]) -> Any:
    for other in blocks:
        if isinstance(other, dict) and other.get("name") == item.get("name"):
            return other
    return None


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _policy(
    policy_id: str, text: Any, filename: str, span: Span, argument: PolicyArgument
) -> FoundPolicy | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = decode_json(text, filename).value
    except InputError as error:
        return _problem(
            policy_id, filename, span, argument, f"the policy is not valid JSON: {error.problem}"
        )
    return FoundPolicy(
        policy_id,
        Decoded(value, filename, {(): span}),
        argument.policy_type,
        argument.resource_type,
    )


def _problem(
    policy_id: str, filename: str, span: Span, argument: PolicyArgument, problem: str
) -> FoundPolicy:
    return FoundPolicy(
        policy_id,
        Decoded({}, filename, {(): span}),
        argument.policy_type,
        argument.resource_type,
        problem=problem,
        carries_base=True,
    )


def _with_base(current: FoundPolicy | None, base: FoundPolicy | None) -> FoundPolicy:
    assert current is not None
    return replace(current, carries_base=True, base=base)
