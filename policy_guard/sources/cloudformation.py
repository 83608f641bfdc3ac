"""CloudFormation templates (JSON or YAML, short-form tags), SAM templates and CDK output.

A template is recognised by `AWSTemplateFormatVersion` or by a `Resources` map whose entries
have a `Type` of `AWS::...`. Its policies are found by resource type and property, from the
generated table `cloudformation_properties.POLICY_PROPERTIES` (built from the resource schemas),
plus the resource types whose policy is several properties (`SPECIAL_TYPES`: Lambda permissions,
EventBridge bus policies, Organizations control policies), the managed policies a role, user,
group or SAM function attaches, its permissions boundary (one per resource, "none" included, so
that one removed or replaced is seen), and SAM function policies (with SAM's policy templates).
Never by the shape of a value: an ECR lifecycle policy or a task definition is no IAM policy.

Each policy's identity is its logical path (`Resources.AppRole.Properties.Policies[0].
PolicyDocument`); intrinsics are evaluated by `cloudformation_intrinsics` (unknown values become
`${unknown/LABEL}`; each `Fn::If` is read both ways, a statement under it carrying the
condition's Boolean `unknown/Condition/NAME`); what cannot be read is a policy with a `problem`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from policy_guard.document.values import Decoded, Path, Span
from policy_guard.policy.guardrails import organizations_policy_type
from policy_guard.policy.model import PolicyType
from policy_guard.sources.base import (
    BOUNDARY_PREFIX,
    FoundPolicy,
    Unknown,
    attachment_type,
    label_of,
)
from policy_guard.sources.cloudformation_intrinsics import (
    PSEUDO_SHAPES,
    REMOVED,
    CannotEvaluate,
    Evaluated,
    Evaluator,
    UnknownList,
    branches,
)
from policy_guard.sources.cloudformation_properties import POLICY_PROPERTIES
from policy_guard.sources.template_unknowns import (
    FALSE_BRANCH,
    TRUE_BRANCH,
    condition_key,
    misplaced_unknown,
    unknowns_in,
)

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
READ_TRANSFORMS = (SAM_TRANSFORM, "AWS::LanguageExtensions")
POLICY_VERSION = "2012-10-17"
_KIND = {
    "identity": PolicyType.IDENTITY,
    "resource": PolicyType.RESOURCE,
    "trust": PolicyType.RESOURCE,
}
_ARN_PREFIX = (
    "arn:${{unknown/AWS.Partition}}:{service}:"  # a resource of this stack's account and region
    "${{unknown/AWS.Region}}:${{unknown/AWS.AccountId}}:"
)
BOUNDARY = "PermissionsBoundary"
_ATTACHING = {
    "AWS::IAM::Role": ("ManagedPolicyArns", BOUNDARY),
    "AWS::IAM::User": ("ManagedPolicyArns", BOUNDARY),
    "AWS::IAM::Group": ("ManagedPolicyArns",),
    "AWS::Serverless::Function": (BOUNDARY,),
    "AWS::Serverless::StateMachine": (BOUNDARY,),
}


def is_template(value: Any) -> bool:
    """`AWSTemplateFormatVersion`, or a `Resources` map of `Type: AWS::...` entries."""
    if not isinstance(value, dict):
        return False
    if "AWSTemplateFormatVersion" in value:
        return True
    resources = value.get("Resources")
    return (
        isinstance(resources, dict)
        and bool(resources)
        and any(
            isinstance(r, dict) and isinstance(r.get("Type"), str) and r["Type"].startswith("AWS::")
            for r in resources.values()
        )
    )


class CloudFormationSource:
    name = "cloudformation"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        if not is_template(document.value):
            return None
        return tuple(_Template(document).policies())


def _dotted(path: Path) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
    return text


class _Template:
    def __init__(self, document: Decoded) -> None:
        self.document = document
        self.evaluator = Evaluator(document)
        transform = document.value.get("Transform")
        self.transforms = (
            [transform]
            if isinstance(transform, (str, dict))
            else transform
            if isinstance(transform, list)
            else []
        )
        self.sam = SAM_TRANSFORM in self.transforms

    def policies(self) -> Iterator[FoundPolicy]:
        for index, transform in enumerate(self.transforms):
            if transform not in READ_TRANSFORMS:
                name = transform if isinstance(transform, str) else json.dumps(transform)
                path: Path = (
                    ("Transform", index)
                    if isinstance(self.document.value.get("Transform"), list)
                    else ("Transform",)
                )
                yield self.problem(
                    "Transform",
                    f"the template is expanded by the macro `{name}` at deployment; the policies "
                    "it writes cannot be read from the template",
                    path,
                )
        resources = self.evaluator.resources
        merged: dict[str, FoundPolicy] = {}
        for logical_id, resource in resources.items():
            if logical_id.startswith("Fn::ForEach"):
                yield self.problem(
                    f"Resources.{logical_id}",
                    "`Fn::ForEach` (AWS::LanguageExtensions) is not expanded: the resources it "
                    "writes cannot be read",
                    ("Resources", logical_id),
                )
                continue
            if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
                continue
            try:
                found_here = list(self.resource_policies(logical_id, resource))
            except (TypeError, AttributeError, KeyError, IndexError, ValueError) as error:
                # a resource of a shape no deployment accepts: reported, never skipped
                reason = f"the resource cannot be read ({type(error).__name__}: {error})"
                found_here = [
                    self.problem(f"Resources.{logical_id}", reason, ("Resources", logical_id))
                ]
            for found in found_here:
                previous = merged.get(found.policy_id)
                merged[found.policy_id] = found if previous is None else _merge(previous, found)
        yield from merged.values()

    def problem(
        self, policy_id: str, reason: str, path: Path, only_when_new: bool = False
    ) -> FoundPolicy:
        return FoundPolicy(
            policy_id, self.document, problem=reason, problem_path=path, only_when_new=only_when_new
        )

    # --- per resource ------------------------------------------------------------------------

    def resource_policies(self, logical_id: str, resource: dict[str, Any]) -> Iterator[FoundPolicy]:
        kind = resource["Type"]
        base: Path = ("Resources", logical_id, "Properties")
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            return
        outer = {resource["Condition"]: True} if isinstance(resource.get("Condition"), str) else {}
        for path, policy_kind, governed in POLICY_PROPERTIES.get(kind, ()):
            for location, choices in self.locate(properties, base, path.split("/"), outer):
                yield self.policy_at(location, choices, _KIND[policy_kind], governed)
        if kind == "AWS::Lambda::Permission":
            yield self.built(
                logical_id, base, properties, outer, _lambda_permission, "AWS::Lambda::Function"
            )
        elif kind == "AWS::Lambda::LayerVersionPermission":
            yield self.built(logical_id, base, properties, outer, _layer_permission, None)
        elif kind == "AWS::Events::EventBusPolicy":
            yield self.built(logical_id, base, properties, outer, _event_bus_policy, None)
        elif kind == "AWS::Organizations::Policy":
            policy_type = organizations_policy_type(properties.get("Type"))
            if policy_type is not None and "Content" in properties:
                yield self.policy_at((*base, "Content"), outer, policy_type, None)
        elif kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine") and self.sam:
            yield from self.sam_policies(base, properties, outer)
        for name in _ATTACHING.get(kind, ()):
            if name == BOUNDARY:
                yield self.boundary(base, properties, outer)
            elif name in properties:
                yield from self.attachments((*base, name), outer)

    def locate(
        self, value: Any, path: Path, steps: list[str], choices: dict[str, bool]
    ) -> Iterator[tuple[Path, dict[str, bool]]]:
        """The template paths `steps` leads to from `value` (`*` every list item), through
        `Fn::If` (each branch under its condition)."""
        if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
            argument = value["Fn::If"]
            if isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str):
                for branch, chosen in ((1, True), (2, False)):
                    yield from self.locate(
                        argument[branch],
                        (*path, "Fn::If", branch),
                        steps,
                        {**choices, argument[0]: chosen},
                    )
            return
        if isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
            return
        if not steps:
            yield path, choices
            return
        step, rest = steps[0], steps[1:]
        if step == "*":
            if isinstance(value, list):
                for index, item in enumerate(value):
                    yield from self.locate(item, (*path, index), rest, choices)
        elif isinstance(value, dict) and step in value:
            yield from self.locate(value[step], (*path, step), rest, choices)

    def policy_at(
        self, path: Path, choices: dict[str, bool], policy_type: PolicyType, governed: str | None
    ) -> FoundPolicy:
        """The policy document at template path `path`, read under every `Fn::If` in it."""
        policy_id = _dotted(_logical(path))
        value = _value_at(self.document.value, path)
        try:
            variants = branches(lambda c: self.evaluator.evaluate(value, path, c), choices)
            documents = [(self.as_document(e, path), c) for e, c in variants]
        except CannotEvaluate as failure:
            return self.problem(
                policy_id, f"the policy cannot be read: {failure.reason}", failure.path or path
            )
        return self.found(policy_id, path, documents, policy_type, governed)

    def as_document(self, evaluated: Evaluated, path: Path) -> Evaluated:
        """A policy given as a JSON string (`Fn::Sub` of JSON, AWS::Logs::ResourcePolicy) is
        decoded; its parts then point at the property."""
        if isinstance(evaluated.value, str):
            try:
                value = json.loads(evaluated.value)
            except json.JSONDecodeError as error:
                raise CannotEvaluate(f"the policy string is not JSON ({error.msg})", path) from None
            return Evaluated(value, {(): self.document.span_of(path)}, {})
        return evaluated

    def found(
        self,
        policy_id: str,
        path: Path,
        documents: list[tuple[Evaluated, dict[str, bool]]],
        policy_type: PolicyType | None,
        governed: str | None,
    ) -> FoundPolicy:
        combined = _combine(documents, self.evaluator)
        if isinstance(combined, str):
            return self.problem(policy_id, combined, path)
        decoded = combined.decoded(self.document.filename)
        found = FoundPolicy(policy_id, decoded, policy_type, governed)
        names = unknowns_in(found)
        for name in PSEUDO_SHAPES:
            if label_of(name) in names:
                self.evaluator.ref(name, path)
        unknowns = tuple(self.evaluator.unknowns[n] for n in names if n in self.evaluator.unknowns)
        found = FoundPolicy(policy_id, decoded, policy_type, governed, unknowns)
        misplaced = misplaced_unknown(found)
        if misplaced is not None:
            name, where = misplaced
            return self.problem(
                policy_id,
                f"the policy cannot be checked: `{name}` is only known at deployment and stands "
                f"where IAM needs a fixed value (`{_dotted(where)}`)",
                path,
            )
        return found

    def built(
        self,
        logical_id: str,
        base: Path,
        properties: dict[str, Any],
        choices: dict[str, bool],
        build: Any,
        governed: str | None,
    ) -> FoundPolicy:
        """A policy built from plain properties (a one-statement resource policy)."""
        policy_id = f"Resources.{logical_id}"
        try:
            variants = branches(lambda c: self.evaluator.evaluate(properties, base, c), choices)
            documents = [(build(e, base, self.document), c) for e, c in variants]
        except CannotEvaluate as failure:
            return self.problem(
                policy_id, f"the policy cannot be read: {failure.reason}", failure.path or base
            )
        return self.found(policy_id, base, documents, PolicyType.RESOURCE, governed)

    # --- attachments -------------------------------------------------------------------------

    def attachments(self, path: Path, choices: dict[str, bool]) -> Iterator[FoundPolicy]:
        value = _value_at(self.document.value, path)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            item_path = (*path, index) if isinstance(value, list) else path
            yield from self.attachment(item, item_path, choices)

    def defined_policy(
        self, item: Any, choices: dict[str, bool], boundary: bool
    ) -> FoundPolicy | None:
        """The document of the template's managed policy `item` refers to (`!Ref Limit`),
        read as the use makes it (`attachment_type`); None when it names none."""
        if isinstance(item, dict) and isinstance(item.get("Ref"), str):
            target = self.evaluator.resources.get(item["Ref"])
            if isinstance(target, dict) and target.get("Type") == "AWS::IAM::ManagedPolicy":
                document_path: Path = ("Resources", item["Ref"], "Properties", "PolicyDocument")
                return self.policy_at(document_path, choices, attachment_type(boundary), None)
        return None

    def boundary(
        self, base: Path, properties: dict[str, Any], choices: dict[str, bool]
    ) -> FoundPolicy:
        """The permissions boundary as written (`BOUNDARY_PREFIX`, then the managed policy's
        logical id or the ARN; "" when there is none, so that one removed is seen): with the
        document, a PERMISSIONS_BOUNDARY, when it names a managed policy of the template. The
        workflow compares it as Terraform's (`workflow.file_checks`)."""
        path: Path = (*base, BOUNDARY)
        policy_id = _dotted(_logical(path))
        if BOUNDARY not in properties:
            return self.limit(policy_id, "", base)
        item = properties[BOUNDARY]
        found = self.defined_policy(item, choices, boundary=True)
        if found is not None:
            return replace(found, policy_id=policy_id, attaches=BOUNDARY_PREFIX + item["Ref"])
        try:
            results = branches(lambda c: self.evaluator.evaluate(item, path, c), choices)
        except CannotEvaluate as failure:
            problem = self.problem(
                policy_id, f"the permissions boundary cannot be read: {failure.reason}", path
            )
            return replace(
                problem, attaches=BOUNDARY_PREFIX + json.dumps(item, sort_keys=True, default=str)
            )
        labels = [_label(e) for e, _ in results if e.value is not REMOVED and e.value is not None]
        return self.limit(policy_id, " or ".join(labels), path)

    def limit(self, policy_id: str, written: str, path: Path) -> FoundPolicy:
        """A boundary whose document is not in the template (or none): only what it names."""
        spans: dict[Path, Span] = {(): self.document.span_of(path)}
        return FoundPolicy(
            policy_id,
            Decoded({}, self.document.filename, spans),
            attaches=BOUNDARY_PREFIX + written,
        )

    def attachment(self, item: Any, path: Path, choices: dict[str, bool]) -> Iterator[FoundPolicy]:
        """An attached managed policy: its document when the template defines it, else a
        policy whose access is unknown (undecided when it is newly attached)."""
        found = self.defined_policy(item, choices, boundary=False)
        if found is not None:
            container = _logical(path[:-1] if isinstance(path[-1], int) else path)
            yield _renamed(found, f"{_dotted(container)}[{item['Ref']}]")
            return
        try:
            results = branches(lambda c: self.evaluator.evaluate(item, path, c), choices)
        except CannotEvaluate as failure:
            yield self.problem(
                _dotted(path), f"the attached policy cannot be read: {failure.reason}", path
            )
            return
        for evaluated, _ in results:
            arn = evaluated.value
            if arn is REMOVED or arn is None:
                continue
            label = _label(evaluated)
            container = _logical(path[:-1] if isinstance(path[-1], int) else path)
            yield self.problem(
                f"{_dotted(container)}[{label}]",
                f"attaches `{label}`, whose text is not in the repository: the access it "
                "grants is unknown",
                path,
                only_when_new=True,
            )

    # --- SAM ---------------------------------------------------------------------------------

    def sam_policies(
        self, base: Path, properties: dict[str, Any], choices: dict[str, bool]
    ) -> Iterator[FoundPolicy]:
        """A SAM function's `Policies`: a managed policy name or ARN, an inline document, or
        a SAM policy template (`S3ReadPolicy: {BucketName: ...}`) expanded with SAM's own
        definitions (aws-sam-translator's policy_templates.json, data/NOTICE)."""
        if "Policies" not in properties:
            return
        path: Path = (*base, "Policies")
        value = properties["Policies"]
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            item_path = (*path, index) if isinstance(value, list) else path
            if isinstance(item, dict) and "Statement" in item:
                yield self.policy_at(item_path, choices, PolicyType.IDENTITY, None)
            elif (
                isinstance(item, dict)
                and len(item) == 1
                and next(iter(item)) in sam_policy_templates()
            ):
                yield self.sam_template(item, item_path, choices)
            elif isinstance(item, str) and not item.startswith("arn:"):
                yield self.problem(
                    f"{_dotted(_logical(item_path))}[{item}]",
                    f"attaches the AWS managed policy `{item}`, whose text is not in the "
                    "repository: the access it grants is unknown",
                    item_path,
                    only_when_new=True,
                )
            else:
                yield from self.attachment(item, item_path, choices)

    def sam_template(
        self, item: dict[str, Any], path: Path, choices: dict[str, bool]
    ) -> FoundPolicy:
        ((name, arguments),) = item.items()
        definition = sam_policy_templates()[name]
        policy_id = f"{_dotted(_logical(path))}.{name}"
        given = arguments if isinstance(arguments, dict) else {}
        missing = [p for p in definition.get("Parameters", {}) if p not in given]
        if missing:
            return self.problem(
                policy_id, f"the SAM policy template `{name}` needs {', '.join(missing)}", path
            )

        def substitute(value: Any) -> Any:
            if isinstance(value, dict):
                if len(value) == 1 and isinstance(value.get("Ref"), str) and value["Ref"] in given:
                    return given[value["Ref"]]
                return {k: substitute(v) for k, v in value.items()}
            if isinstance(value, list):
                return [substitute(v) for v in value]
            return value

        document = {"Version": POLICY_VERSION, **substitute(definition["Definition"])}
        try:
            variants = branches(lambda c: self.evaluator.evaluate(document, path, c), choices)
        except CannotEvaluate as failure:
            return self.problem(policy_id, f"the policy cannot be read: {failure.reason}", path)
        return self.found(policy_id, path, list(variants), PolicyType.IDENTITY, None)


@cache
def sam_policy_templates() -> dict[str, Any]:
    from importlib.resources import files

    text = (files("policy_guard.sources") / "data" / "sam_policy_templates.json").read_text("utf-8")
    templates: dict[str, Any] = json.loads(text)["Templates"]
    return templates


def _label(evaluated: Evaluated) -> str:
    """An attached policy's ARN as shown (an unknown by its name)."""
    arn = evaluated.value
    label = arn.unknown.placeholder if isinstance(arn, UnknownList) else str(arn)
    return label.replace("${unknown/", "${")


def _value_at(value: Any, path: Path) -> Any:
    """The template value at `path` (without `Decoded.sub`, which copies every span)."""
    for element in path:
        value = value[element]
    return value


def _logical(path: Path) -> Path:
    """A template path without the `Fn::If` steps, as a policy's identity."""
    result: list[str | int] = []
    skip = False
    for element in path:
        if skip:
            skip = False
            continue
        if element == "Fn::If":
            skip = True
            continue
        result.append(element)
    return tuple(result)


def _renamed(found: FoundPolicy, policy_id: str) -> FoundPolicy:
    return FoundPolicy(
        policy_id,
        found.document,
        found.policy_type,
        found.resource_type,
        found.unknowns,
        found.problem,
        found.problem_path,
        found.only_when_new,
    )


def _merge(first: FoundPolicy, second: FoundPolicy) -> FoundPolicy:
    """Two readings of one identity (the branches of an `Fn::If` above the document)."""
    if first.problem or second.problem:
        return first if first.problem else second
    a, b = first.document.value, second.document.value
    statements = _statement_list(a) + _statement_list(b)
    spans = dict(first.document.spans)
    offset = len(_statement_list(a))
    for path, span in second.document.spans.items():
        if path[:1] == ("Statement",) and len(path) > 1 and isinstance(path[1], int):
            moved: Path = ("Statement", path[1] + offset, *path[2:])
            spans[moved] = span
    value = {**a, "Statement": statements}
    unknowns = tuple({u.name: u for u in (*first.unknowns, *second.unknowns)}.values())
    return FoundPolicy(
        first.policy_id,
        Decoded(value, first.document.filename, spans, first.document.key_spans),
        first.policy_type,
        first.resource_type,
        unknowns,
    )


def _statement_list(value: Any) -> list[Any]:
    statements = value.get("Statement") if isinstance(value, dict) else None
    if isinstance(statements, list):
        return statements
    return [] if statements is None else [statements]


def _combine(
    documents: list[tuple[Evaluated, dict[str, bool]]], evaluator: Evaluator
) -> Evaluated | str:
    """The readings of one document under the `Fn::If` choices, as one document whose
    statements each carry the Booleans of the choices they were read under."""
    if len(documents) == 1 and not documents[0][1]:
        return documents[0][0]
    result: dict[str, Any] | None = None
    statements: list[Any] = []
    spans = {}
    key_spans = {}
    for evaluated, choices in documents:
        value = evaluated.value
        if not isinstance(value, dict):
            return "the policy is not a JSON object"
        if result is None:
            result = {k: v for k, v in value.items() if k != "Statement"}
            spans.update({p: s for p, s in evaluated.spans.items() if p[:1] != ("Statement",)})
        items = _statement_list(value)
        listed = isinstance(value.get("Statement"), list)
        for index, statement in enumerate(items):
            target = len(statements)
            source: Path = ("Statement", index) if listed else ("Statement",)
            for path, span in evaluated.spans.items():
                if path[: len(source)] == source:
                    spans[_moved(path, source, target)] = span
            for path, span in evaluated.key_spans.items():
                if path[: len(source)] == source:
                    key_spans[_moved(path, source, target)] = span
            statements.append(_conditioned(statement, choices, evaluator))
    assert result is not None
    result["Statement"] = statements
    return Evaluated(result, spans, key_spans)


def _moved(path: Path, source: Path, target: int) -> Path:
    return ("Statement", target, *path[len(source) :])


def _conditioned(statement: Any, choices: dict[str, bool], evaluator: Evaluator) -> Any:
    """`statement` in force only when each condition has the value chosen."""
    if not choices or not isinstance(statement, dict):
        return statement
    condition = (
        dict(statement.get("Condition") or {})
        if isinstance(statement.get("Condition"), dict)
        else {}
    )
    for name, chosen in sorted(choices.items()):
        unknown: Unknown = evaluator.condition_unknown(name)
        # true: the key is "true"; false: it is not (absent included), so that in every
        # request exactly one branch is in force, as in every deployment
        operator = TRUE_BRANCH if chosen else FALSE_BRANCH
        keys = condition.get(operator)
        condition[operator] = {
            **(keys if isinstance(keys, dict) else {}),
            condition_key(unknown): "true",
        }
    return {**statement, "Condition": condition}


# --- policies built from properties --------------------------------------------------------


def _principal(value: Any) -> Any:
    """Lambda's `Principal`: a service, an account, an ARN or `*`."""
    if value == "*":
        return "*"
    if isinstance(value, str) and (
        value.endswith(".amazonaws.com") or value.endswith(".amazon.com")
    ):
        return {"Service": value}
    return {"AWS": value}


def _one_statement(
    evaluated: Evaluated,
    base: Path,
    document: Decoded,
    statement: dict[str, Any],
    sources: dict[str, str],
) -> Evaluated:
    """A policy of one statement whose elements point at the properties they came from."""
    spans = {
        (): document.span_of(base),
        ("Statement",): document.span_of(base),
        ("Statement", 0): document.span_of(base),
    }
    for element, name in sources.items():
        spans[("Statement", 0, element)] = document.span_of((*base, name))
    return Evaluated({"Version": POLICY_VERSION, "Statement": [statement]}, spans, {})


def _lambda_permission(evaluated: Evaluated, base: Path, document: Decoded) -> Evaluated:
    p = evaluated.value
    function = p.get("FunctionName", "")
    if isinstance(function, str) and ":" not in function and "${" not in function:
        function = _ARN_PREFIX.format(service="lambda") + "function:" + function
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": _principal(p.get("Principal")),
        "Action": p.get("Action"),
        "Resource": function,
    }
    condition: dict[str, dict[str, Any]] = {}
    if "SourceArn" in p:
        condition.setdefault("ArnLike", {})["aws:SourceArn"] = p["SourceArn"]
    if "SourceAccount" in p:
        condition.setdefault("StringEquals", {})["aws:SourceAccount"] = p["SourceAccount"]
    if "PrincipalOrgID" in p:
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = p["PrincipalOrgID"]
    if "FunctionUrlAuthType" in p:
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = p[
            "FunctionUrlAuthType"
        ]
    if "EventSourceToken" in p:
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = p["EventSourceToken"]
    if condition:
        statement["Condition"] = condition
    return _one_statement(
        evaluated,
        base,
        document,
        statement,
        {
            "Principal": "Principal",
            "Action": "Action",
            "Resource": "FunctionName",
            "Condition": "SourceArn",
        },
    )


def _layer_permission(evaluated: Evaluated, base: Path, document: Decoded) -> Evaluated:
    p = evaluated.value
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": _principal(p.get("Principal")),
        "Action": p.get("Action"),
        "Resource": p.get("LayerVersionArn"),
    }
    if "OrganizationId" in p:
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": p["OrganizationId"]}}
    return _one_statement(
        evaluated,
        base,
        document,
        statement,
        {
            "Principal": "Principal",
            "Action": "Action",
            "Resource": "LayerVersionArn",
            "Condition": "OrganizationId",
        },
    )


def _event_bus_policy(evaluated: Evaluated, base: Path, document: Decoded) -> Evaluated:
    """`Statement` (one statement), or the older Action/Principal/Condition properties."""
    p = evaluated.value
    if isinstance(p.get("Statement"), dict):
        spans = {
            ("Statement", 0, *path[1:]): span
            for path, span in evaluated.spans.items()
            if path[:1] == ("Statement",)
        }
        spans[()] = document.span_of(base)
        return Evaluated({"Version": POLICY_VERSION, "Statement": [p["Statement"]]}, spans, {})
    bus = p.get("EventBusName", "default")
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": _principal(p.get("Principal")),
        "Action": p.get("Action"),
        "Resource": _ARN_PREFIX.format(service="events") + "event-bus/" + str(bus),
    }
    condition = p.get("Condition")
    if isinstance(condition, dict) and {"Key", "Value"} <= set(condition):
        statement["Condition"] = {"StringEquals": {condition["Key"]: condition["Value"]}}
    return _one_statement(
        evaluated,
        base,
        document,
        statement,
        {"Principal": "Principal", "Action": "Action", "Condition": "Condition"},
    )
