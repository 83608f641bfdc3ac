"""Decoded document -> typed Policy, reporting every place the document leaves the grammar.

`parse_policy` never raises on a bad document: it returns the model (when one can be built) and
ERROR findings with their paths, which `validate-policy` reports. `load_policy` is for the
engine: it refuses a document with any structural ERROR, with a one-line message naming the file
and line, because an answer about a policy IAM would reject is no answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from policy_guard.document.values import Decoded, Path
from policy_guard.errors import InputError
from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.findings import Finding, error
from policy_guard.policy.model import (
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalBlock,
    PrincipalEntry,
    Statement,
    Value,
)
from policy_guard.policy.operators import ConditionOperator

POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)


@dataclass(frozen=True)
class ParsedPolicy:
    policy: Policy | None
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)


def is_policy_document(value: Any) -> bool:
    """A mapping with a `Statement`: how files and template members are recognised as policies."""
    return isinstance(value, dict) and "Statement" in value


def _scalar_text(value: Any) -> str | None:
    """IAM reads `true` and `5` in a condition as the strings `true` and `5`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    return None


class _PolicyBuilder:
    """Builds the typed policy from its decoded document, with a finding for each element that
    does not fit the grammar (so validation reports them all, not just the first)."""

    def __init__(self, document: Decoded) -> None:
        self.document = document
        self.findings: list[Finding] = []

    def fail(self, code: str, details: str, path: Path) -> None:
        self.findings.append(error(code, details, path))

    def strings(
        self, value: Any, path: Path, element: str, allow_scalars: bool = False
    ) -> tuple[Value, ...] | None:
        """A string or a list of strings (for conditions, numbers and booleans too)."""
        items: Iterator[tuple[Any, Path]]
        if isinstance(value, list):
            if not value:
                self.fail("EMPTY_ELEMENT", f"`{element}` is an empty list", path)
                return None
            items = ((item, (*path, i)) for i, item in enumerate(value))
        else:
            items = iter([(value, path)])
        result = []
        for item, item_path in items:
            text = _scalar_text(item) if allow_scalars else None
            if not allow_scalars and isinstance(item, str):
                text = item
            if text is None:
                kind = "a string or a list of strings"
                self.fail("INVALID_ELEMENT_TYPE", f"`{element}` must be {kind}", item_path)
                return None
            result.append(Value(text, item_path))
        return tuple(result)

    def principal(self, value: Any, path: Path, element: str) -> PrincipalBlock | None:
        if value == "*":
            return PrincipalBlock((PrincipalEntry(PrincipalKind.AWS, "*", path),), path)
        if not isinstance(value, dict) or not value:
            self.fail(
                "INVALID_PRINCIPAL",
                f'`{element}` must be "*" or a map of AWS, Service, Federated or '
                "CanonicalUser to strings",
                path,
            )
            return None
        entries: list[PrincipalEntry] = []
        kinds = {kind.value: kind for kind in PrincipalKind}
        for name, raw in value.items():
            kind = kinds.get(name)
            if kind is None:
                self.fail(
                    "INVALID_PRINCIPAL",
                    f"`{name}` is not a principal type (AWS, Service, Federated or CanonicalUser)",
                    (*path, name),
                )
                continue
            texts = self.strings(raw, (*path, name), f"{element}.{name}")
            if texts is not None:
                entries.extend(PrincipalEntry(kind, v.text, v.path) for v in texts)
        return PrincipalBlock(tuple(entries), path) if entries else None

    def conditions(self, value: Any, path: Path) -> tuple[Condition, ...]:
        if not isinstance(value, dict):
            self.fail(
                "INVALID_CONDITION",
                "`Condition` must be a map of operators to maps of keys to values",
                path,
            )
            return ()
        result = []
        for operator_text, block in value.items():
            operator_path = (*path, operator_text)
            if not isinstance(block, dict) or not block:
                self.fail(
                    "INVALID_CONDITION",
                    f"the condition operator `{operator_text}` must map condition keys to values",
                    operator_path,
                )
                continue
            operator = ConditionOperator.parse(operator_text)
            for key, raw in block.items():
                key_path = (*operator_path, key)
                values = self.strings(raw, key_path, f"{operator_text}.{key}", allow_scalars=True)
                if values is not None:
                    result.append(Condition(operator, key, values, key_path))
        return tuple(result)

    def statement(
        self, value: Any, index: int, path: Path, policy_type: PolicyType | None
    ) -> Statement | None:
        if not isinstance(value, dict):
            self.fail("INVALID_STATEMENT", f"statement {index} must be an object", path)
            return None
        start = len(self.findings)
        for key in value:
            if key not in STATEMENT_KEYS:
                self.fail(
                    "UNKNOWN_ELEMENT",
                    f"`{key}` is not a statement element ({', '.join(STATEMENT_KEYS)})",
                    (*path, key),
                )
        sid = value.get("Sid")
        if sid is not None and not isinstance(sid, str):
            self.fail("INVALID_ELEMENT_TYPE", "`Sid` must be a string", (*path, "Sid"))
            sid = None
        effect: Effect | None = None
        if "Effect" not in value:
            self.fail("MISSING_EFFECT", "the statement has no `Effect`", path)
        elif value["Effect"] in ("Allow", "Deny"):
            effect = Effect(value["Effect"])
        else:
            self.fail(
                "INVALID_EFFECT",
                f"`Effect` must be `Allow` or `Deny`, not `{value['Effect']}`",
                (*path, "Effect"),
            )

        def pair(
            positive: str, negative: str, required: bool
        ) -> tuple[tuple[Value, ...] | None, tuple[Value, ...] | None]:
            if positive in value and negative in value:
                self.fail(
                    "MUTUALLY_EXCLUSIVE_ELEMENTS",
                    f"a statement cannot have both `{positive}` and `{negative}`",
                    (*path, negative),
                )
                return None, None
            if positive not in value and negative not in value:
                if required:
                    self.fail(
                        f"MISSING_{positive.upper()}",
                        f"the statement has no `{positive}` or `{negative}`",
                        path,
                    )
                return None, None
            key = positive if positive in value else negative
            texts = self.strings(value[key], (*path, key), key)
            return (texts, None) if key == positive else (None, texts)

        actions, not_actions = pair("Action", "NotAction", True)
        has_principal = "Principal" in value or "NotPrincipal" in value
        resources_required = not (
            (policy_type is not None and policy_type.evaluated_as is PolicyType.RESOURCE)
            or has_principal
        )
        resources, not_resources = pair("Resource", "NotResource", resources_required)
        principal = not_principal = None
        if "Principal" in value and "NotPrincipal" in value:
            self.fail(
                "MUTUALLY_EXCLUSIVE_ELEMENTS",
                "a statement cannot have both `Principal` and `NotPrincipal`",
                (*path, "NotPrincipal"),
            )
        elif "Principal" in value:
            principal = self.principal(value["Principal"], (*path, "Principal"), "Principal")
        elif "NotPrincipal" in value:
            not_principal = self.principal(
                value["NotPrincipal"], (*path, "NotPrincipal"), "NotPrincipal"
            )
        conditions = (
            self.conditions(value["Condition"], (*path, "Condition"))
            if "Condition" in value
            else ()
        )
        if effect is None or len(self.findings) > start:
            return None
        return Statement(
            index,
            path,
            sid,
            effect,
            principal,
            not_principal,
            actions,
            not_actions,
            resources,
            not_resources,
            conditions,
        )

    def policy(self, policy_type: PolicyType | None) -> Policy | None:
        root = self.document.value
        for duplicate in self.document.duplicate_keys:
            self.fail(
                "DUPLICATE_KEY",
                f"the key `{duplicate[-1]}` appears more than once in "
                "the same object (IAM would not read this document the same way)",
                duplicate,
            )
        if not isinstance(root, dict):
            self.fail("INVALID_POLICY", "a policy document must be an object", ())
            return None
        for key in root:
            if key not in POLICY_KEYS:
                self.fail(
                    "UNKNOWN_ELEMENT",
                    f"`{key}` is not a policy element ({', '.join(POLICY_KEYS)})",
                    (key,),
                )
        version = root.get("Version")
        if version is not None and not isinstance(version, str):
            self.fail("INVALID_ELEMENT_TYPE", "`Version` must be a string", ("Version",))
            version = None
        policy_id = root.get("Id")
        if policy_id is not None and not isinstance(policy_id, str):
            self.fail("INVALID_ELEMENT_TYPE", "`Id` must be a string", ("Id",))
            policy_id = None
        if "Statement" not in root:
            self.fail("MISSING_STATEMENT", "the policy has no `Statement`", ())
            return None
        raw_statements = root["Statement"]
        located: list[tuple[Any, int, Path]]
        if isinstance(raw_statements, list):
            located = [(s, i, ("Statement", i)) for i, s in enumerate(raw_statements)]
            if not located:
                self.fail("MISSING_STATEMENT", "`Statement` is an empty list", ("Statement",))
        else:
            located = [(raw_statements, 0, ("Statement",))]
        if policy_type is None:
            has_principal = any(
                isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s)
                for s, _, _ in located
            )
            policy_type = PolicyType.RESOURCE if has_principal else PolicyType.IDENTITY
        statements = [self.statement(raw, index, path, policy_type) for raw, index, path in located]
        return Policy(
            version,
            policy_id,
            tuple(s for s in statements if s is not None),
            policy_type,
            self.document,
        )


def parse_policy(document: Decoded, policy_type: PolicyType | None = None) -> ParsedPolicy:
    """Build the model and collect every structural ERROR (never raises on a bad document).

    Without `policy_type`, a document with Principal/NotPrincipal in any statement is a
    resource policy, otherwise an identity policy.
    """
    builder = _PolicyBuilder(document)
    policy = builder.policy(policy_type)
    return ParsedPolicy(policy, tuple(builder.findings))


def load_policy(document: Decoded, policy_type: PolicyType | None = None) -> Policy:
    """The model of a document the engine can trust; InputError at the first structural error."""
    parsed = parse_policy(document, policy_type)
    if parsed.errors or parsed.policy is None:
        first = parsed.errors[0]
        line = document.span_of(first.path).line
        raise InputError(first.details, filename=document.filename, line=line)
    return parsed.policy
