"""The validator: each check on small policies, and exact positions on fixture files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.validation import (
    ELEMENT_CHECKS,
    ISSUES,
    Validation,
    issue_code_for,
    validate_document,
)
from policy_guard.document.json_decode import decode_json
from policy_guard.document.read import read_document
from policy_guard.policy.findings import Finding, FindingType
from policy_guard.policy.model import PolicyType
from policy_guard.policy.parse import STATEMENT_KEYS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "validate"


def validate(document: dict[str, Any], policy_type: PolicyType | None = None) -> Validation:
    return validate_document(decode_json(json.dumps(document, indent=2), "p.json"), policy_type)


def codes(document: dict[str, Any], policy_type: PolicyType | None = None) -> set[str]:
    return {f.issue_code for f in validate(document, policy_type).findings}


def statement(**elements: Any) -> dict[str, Any]:
    """A policy with one statement: Allow s3:GetObject on * unless overridden (None removes)."""
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **elements}
    return {
        "Version": "2012-10-17",
        "Statement": [{k: v for k, v in body.items() if v is not None}],
    }


def with_condition(operator: str, key: str, values: Any) -> dict[str, Any]:
    return statement(Condition={operator: {key: values}})


def located(validation: Validation) -> set[tuple[str, tuple[str | int, ...], int, int]]:
    result = set()
    for finding in validation.findings:
        span = validation.document.span_of(finding.path)
        result.add((finding.issue_code, finding.path, span.line, span.column))
    return result


# --- exact positions ----------------------------------------------------------------------


def test_fixture_identity_policy_findings_and_positions() -> None:
    validation = validate_document(
        read_document(str(FIXTURES / "problems.json")), PolicyType.IDENTITY
    )
    s0, s1, s2, s3 = (("Statement", i) for i in range(4))
    assert located(validation) == {
        ("INVALID_ACTION", (*s0, "Action", 0), 7, 17),
        ("INVALID_SERVICE_IN_ACTION", (*s0, "Action", 1), 7, 34),
        ("INVALID_ACTION", (*s0, "Action", 2), 7, 51),
        (
            "WILDCARD_WITHOUT_LIKE_OPERATOR",
            (*s0, "Condition", "StringEquals", "aws:PrincipalTag/team"),
            10,
            50,
        ),
        (
            "TYPE_MISMATCH_NUMBER",
            (*s0, "Condition", "NumericLessThan", "aws:MultiFactorAuthAge"),
            11,
            54,
        ),
        (
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            (*s0, "Condition", "ForAllValues:StringEquals", "aws:SourceVpc"),
            12,
            55,
        ),
        ("INVALID_CONDITION_OPERATOR", (*s0, "Condition", "StringEqualz"), 13, 24),
        ("UNIQUE_SIDS_REQUIRED", (*s1, "Sid"), 17, 13),
        ("UNSUPPORTED_ELEMENT_COMBINATION", (*s1, "NotAction"), 20, 19),
        ("INVALID_EFFECT", (*s2, "Effect"), 24, 16),
        ("UNSUPPORTED_PRINCIPAL", (*s3, "Principal"), 30, 19),
        (
            "INVALID_VARIABLE_FOR_OPERATOR",
            (*s3, "Condition", "DateGreaterThan", "aws:CurrentTime"),
            33,
            59,
        ),
    }
    assert validation.has_errors


def test_fixture_findings_come_in_document_order() -> None:
    validation = validate_document(read_document(str(FIXTURES / "problems.json")))
    positions = [validation.document.span_of(f.path) for f in validation.findings]
    keys = [(span.line, span.column) for span in positions]
    assert keys == sorted(keys)


def test_fixture_yaml_resource_policy_findings_and_positions() -> None:
    validation = validate_document(read_document(str(FIXTURES / "bucket-policy-problems.yaml")))
    s0, s1 = ("Statement", 0), ("Statement", 1)
    assert located(validation) == {
        ("ALLOW_WITH_NOT_PRINCIPAL", (*s0, "NotPrincipal"), 6, 6),
        ("UNSUPPORTED_WILDCARD_IN_PRINCIPAL", (*s0, "NotPrincipal", "AWS"), 6, 11),
        ("MISSING_PRINCIPAL", s1, 9, 4),
        ("EMPTY_SID_VALUE", (*s1, "Sid"), 9, 9),
        (
            "PRIVATE_NOT_IP_ADDRESS_SUBSET",
            (*s1, "Condition", "NotIpAddress", "aws:SourceIp"),
            15,
            22,
        ),
        (
            "INVALID_CONDITION_MULTIPLE_BOOLEAN",
            (*s1, "Condition", "Bool", "aws:SecureTransport"),
            17,
            29,
        ),
    }


def test_clean_fixture_has_no_findings() -> None:
    validation = validate_document(read_document(str(FIXTURES / "clean.json")))
    assert validation.findings == ()
    assert not validation.has_errors


# --- the registry -------------------------------------------------------------------------


def test_issue_codes_are_unique_upper_snake_with_one_type() -> None:
    names = [issue.code for issue in ISSUES]
    assert len(names) == len(set(names))
    assert all(name.replace("_", "").isalpha() and name.isupper() for name in names)
    assert all(isinstance(issue.finding_type, FindingType) for issue in ISSUES)


def test_aws_codes_link_into_the_aws_check_reference() -> None:
    missing_version = issue_code_for("MISSING_VERSION")
    assert missing_version is not None
    assert missing_version.learn_more_link.endswith(
        "access-analyzer-reference-policy-checks.html"
        "#access-analyzer-reference-policy-checks-general-warning-missing-version"
    )
    duplicate = issue_code_for("DUPLICATE_KEY")
    assert duplicate is not None and "reference_policies_grammar" in duplicate.learn_more_link


def test_checks_are_named_and_summarised() -> None:
    assert len({check.name for check in ELEMENT_CHECKS}) == len(ELEMENT_CHECKS)
    assert all(check.summary for check in ELEMENT_CHECKS)


def _findings_of_every_check() -> list[Finding]:
    problems = read_document(str(FIXTURES / "problems.json"))
    yaml_problems = read_document(str(FIXTURES / "bucket-policy-problems.yaml"))
    return [
        *validate_document(problems).findings,
        *validate_document(problems, PolicyType.IDENTITY).findings,
        *validate_document(yaml_problems).findings,
    ]


def test_every_finding_type_is_the_registered_one() -> None:
    for finding in _findings_of_every_check():
        issue = issue_code_for(finding.issue_code)
        assert issue is not None, finding
        assert finding.finding_type is issue.finding_type


# --- Version --------------------------------------------------------------------------------


def test_missing_version_is_a_warning() -> None:
    document = statement()
    del document["Version"]
    [finding] = validate(document).findings
    assert (finding.finding_type, finding.issue_code, finding.path) == (
        FindingType.WARNING,
        "MISSING_VERSION",
        (),
    )


def test_unknown_version_is_an_error_known_versions_are_not() -> None:
    assert codes({**statement(), "Version": "2012-10-18"}) == {"INVALID_VERSION"}
    assert codes({**statement(), "Version": "2008-10-17"}) == set()


# --- Sid ------------------------------------------------------------------------------------


def test_duplicate_sids_are_an_error_even_when_a_statement_is_broken() -> None:
    good = {"Sid": "Same", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    broken = {"Sid": "Same", "Effect": "Allow", "Resource": "*"}  # no Action
    found = validate({"Version": "2012-10-17", "Statement": [good, broken]}).findings
    assert {(f.issue_code, f.path) for f in found} == {
        ("MISSING_ACTION", ("Statement", 1)),
        ("UNIQUE_SIDS_REQUIRED", ("Statement", 1, "Sid")),
    }


def test_empty_sids_are_a_suggestion_and_never_duplicates() -> None:
    body = {"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    found = validate({"Version": "2012-10-17", "Statement": [body, dict(body)]}).findings
    assert [(f.finding_type, f.issue_code) for f in found] == [
        (FindingType.SUGGESTION, "EMPTY_SID_VALUE")
    ] * 2


def test_sid_characters_are_restricted_in_identity_policies_only() -> None:
    assert codes(statement(Sid="Allow-Read")) == {"UNSUPPORTED_SID"}
    resource_policy = statement(Sid="Allow-Read", Principal={"AWS": "111122223333"})
    assert codes(resource_policy) == set()


# --- Principal ------------------------------------------------------------------------------


def test_principal_in_an_identity_policy_is_an_error() -> None:
    document = statement(Principal="*")
    assert codes(document, PolicyType.IDENTITY) == {"UNSUPPORTED_PRINCIPAL"}
    assert codes(document) == set()  # inferred: a resource policy


def test_resource_policy_statement_without_principal_is_an_error() -> None:
    with_principal = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    without = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    found = validate({"Version": "2012-10-17", "Statement": [with_principal, without]}).findings
    assert [(f.issue_code, f.path) for f in found] == [("MISSING_PRINCIPAL", ("Statement", 1))]
    assert codes(statement(), PolicyType.RESOURCE) == {"MISSING_PRINCIPAL"}


def test_allow_with_not_principal_is_a_security_warning_deny_is_not() -> None:
    not_principal = {"AWS": "arn:aws:iam::111122223333:root"}
    [finding] = validate(statement(NotPrincipal=not_principal)).findings
    assert (finding.finding_type, finding.issue_code) == (
        FindingType.SECURITY_WARNING,
        "ALLOW_WITH_NOT_PRINCIPAL",
    )
    assert codes(statement(Effect="Deny", NotPrincipal=not_principal)) == set()


@pytest.mark.parametrize(
    ("principal", "code"),
    [
        ({"AWS": "arn:aws:iam::*:root"}, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
        ({"AWS": "arn:aws:iam::111122223333:role/app-*"}, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
        ({"Service": "*.amazonaws.com"}, "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"),
        ({"AWS": "AROADBQP57FF2AEXAMPLE"}, "INVALID_ROLE_REFERENCE"),
        ({"AWS": "AIDACKCEVSQ6C2EXAMPLE"}, "INVALID_USER_REFERENCE"),
        ({"AWS": "12345"}, "INVALID_PRINCIPAL_FORMAT"),
        ({"Foo": "x"}, "INVALID_PRINCIPAL_KEY"),
        ("everyone", "INVALID_PRINCIPAL_FORMAT"),
    ],
)
def test_principal_forms(principal: Any, code: str) -> None:
    assert code in codes(statement(Principal=principal))


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": "111122223333"},
        {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:user/ana"]},
        {"Service": "s3.amazonaws.com"},
        {"Federated": "cognito-identity.amazonaws.com"},
    ],
)
def test_valid_principals_give_no_finding(principal: Any) -> None:
    # (who gets in is judged apart: tests/semantics/test_public_rules.py)
    who = {"MISSING_SOURCE_CONDITION", "MISSING_SUBJECT_CLAIM"}
    assert codes(statement(Principal=principal)) - who == set()


# --- Action ---------------------------------------------------------------------------------


def test_unknown_action_is_a_warning_with_a_suggestion() -> None:
    [finding] = validate(statement(Action="s3:GetObjects")).findings
    assert (finding.finding_type, finding.issue_code) == (FindingType.WARNING, "INVALID_ACTION")
    assert "`s3:GetObject`?" in finding.details


def test_unknown_service_is_a_warning_with_a_suggestion() -> None:
    [finding] = validate(statement(Action="s33:GetObject")).findings
    assert (finding.finding_type, finding.issue_code) == (
        FindingType.WARNING,
        "INVALID_SERVICE_IN_ACTION",
    )
    assert "`s3`?" in finding.details


@pytest.mark.parametrize("action", ["s3:Foo*", "*:NoSuchActionAnywhere", "s3:?"])
def test_wildcard_matching_no_catalogued_action_is_a_warning(action: str) -> None:
    assert codes(statement(Action=action)) == {"INVALID_ACTION"}


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("*", "arn:aws:iam::111122223333:role/app"),
        ("s3:*", "arn:aws:s3:::b/*"),
        ("S3:GETOBJECT", "arn:aws:s3:::b/*"),
        ("s3:Get*", "arn:aws:s3:::b/*"),
        ("s3:GetObjec?", "arn:aws:s3:::b/*"),
        ("*:GetBucketPolicy", "arn:aws:s3:::b"),
        ("iam:*Role", "arn:aws:iam::111122223333:role/app"),
    ],
)
def test_catalogued_actions_and_matching_patterns_give_no_finding(
    action: str, resource: str
) -> None:
    # (not on `*`, where `iam:*Role` would also pass any role)
    assert codes(statement(Action=action, Resource=resource)) == set()
    assert codes(statement(NotAction=action, Action=None, Resource=resource)) == set()


@pytest.mark.parametrize("action", ["s3", "s3:", ":GetObject", "s3:Get:Object"])
def test_malformed_action_is_an_error(action: str) -> None:
    found = validate(statement(NotAction=action, Action=None)).findings
    assert [(f.finding_type, f.issue_code) for f in found if f.path[-1] == "NotAction"] == [
        (FindingType.ERROR, "INVALID_ACTION_FORMAT")
    ]


# --- Resource -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        ("example-bucket", "INVALID_ARN_PREFIX"),
        ("arn:aws:s3", "MISSING_ARN_FIELD"),
        ("arn:aws:S3:::example-bucket", "INVALID_ARN_SERVICE_CASE"),
    ],
)
def test_malformed_resources_are_errors(resource: str, code: str) -> None:
    assert codes(statement(Resource=resource)) == {code}


@pytest.mark.parametrize(
    "resource",
    ["*", "arn:aws:waf:*", "arn:aws:s3:::b/*", "arn:aws:iam::111122223333:user/${aws:username}"],
)
def test_well_formed_resources_give_no_finding(resource: str) -> None:
    assert codes(statement(Action="*:Get*", Resource=resource)) == set()  # not judged by type


# --- Condition ------------------------------------------------------------------------------


def test_unknown_operator_is_reported_once_per_operator() -> None:
    document = statement(Condition={"StringEqualz": {"aws:SourceVpc": "a", "aws:SourceVpce": "b"}})
    found = validate(document).findings
    assert [(f.issue_code, f.path[-1]) for f in found] == [
        ("INVALID_CONDITION_OPERATOR", "StringEqualz")
    ]


@pytest.mark.parametrize(
    ("operator", "code"),
    [
        ("NullIfExists", "NULL_WITH_IF_EXISTS"),
        ("Foo:StringEquals", "INVALID_CONDITION_OPERATOR"),
        ("ForAllValues:Null", "NULL_WITH_QUALIFIER"),
    ],
)
def test_operator_forms(operator: str, code: str) -> None:
    assert codes(with_condition(operator, "aws:TagKeys", "true")) == {code}


@pytest.mark.parametrize(
    ("operator", "value", "code"),
    [
        ("NumericLessThan", "ten", "TYPE_MISMATCH_NUMBER"),
        ("DateGreaterThan", "tomorrow", "TYPE_MISMATCH_DATE"),
        ("Bool", "yes", "TYPE_MISMATCH_BOOLEAN"),
        ("Null", "maybe", "TYPE_MISMATCH_BOOLEAN"),
        ("IpAddress", "300.1.1.1/8", "TYPE_MISMATCH_IP_RANGE"),
        ("BinaryEquals", "not base-64!", "TYPE_MISMATCH_STRING"),
        ("DateGreaterThan", "1700000000", "INVALID_DATE_VALUE"),
        ("IpAddress", "203.0.113.7/24", "IMPROVE_IP_RANGE"),
    ],
)
def test_values_that_do_not_parse_for_their_operator(operator: str, value: str, code: str) -> None:
    [finding] = validate(with_condition(operator, "aws:SomeKey", value)).findings
    assert finding.issue_code == code
    assert finding.path[-1] == "aws:SomeKey"


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("NumericLessThan", "10.5"),
        ("DateGreaterThan", "2024-01-31T12:00:00Z"),
        ("Bool", "TRUE"),
        ("Null", "false"),
        ("IpAddress", "2001:db8::/32"),
        ("BinaryEquals", "QmluYXJ5"),
    ],
)
def test_values_that_parse_give_no_finding(operator: str, value: str) -> None:
    assert codes(with_condition(operator, "aws:SomeKey", value)) == set()


def test_wildcards_under_string_equals_are_a_warning() -> None:
    assert codes(with_condition("StringEquals", "aws:PrincipalTag/team", "ops-?")) == {
        "WILDCARD_WITHOUT_LIKE_OPERATOR"
    }
    assert codes(with_condition("StringNotEqualsIgnoreCase", "aws:username", "a*")) == {
        "WILDCARD_WITHOUT_LIKE_OPERATOR"
    }
    assert codes(with_condition("StringLike", "aws:PrincipalTag/team", "ops-*")) == set()
    assert codes(with_condition("ArnEquals", "aws:SourceArn", "arn:aws:s3:::*")) == set()
    # `${*}` is a literal asterisk, not a wildcard
    assert codes(with_condition("StringEquals", "aws:username", "a${*}")) == set()


def test_for_all_values_on_a_single_valued_key_is_a_security_warning() -> None:
    [finding] = validate(with_condition("ForAllValues:StringEquals", "aws:SourceVpc", "v")).findings
    assert (finding.finding_type, finding.issue_code) == (
        FindingType.SECURITY_WARNING,
        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
    )


def test_for_any_value_on_a_single_valued_key_is_a_warning() -> None:
    found = validate(with_condition("ForAnyValue:StringEquals", "aws:RequestedRegion", "x"))
    assert [(f.finding_type, f.issue_code) for f in found.findings] == [
        (FindingType.WARNING, "FORANYVALUE_WITH_SINGLE_VALUED_KEY")
    ]


@pytest.mark.parametrize("key", ["aws:TagKeys", "aws:PrincipalOrgPaths", "unknownservice:Whatever"])
def test_set_operators_on_multivalued_or_unknown_keys_give_no_finding(key: str) -> None:
    assert codes(with_condition("ForAllValues:StringLike", key, "x*")) == set()
    assert codes(with_condition("ForAnyValue:StringLike", key, "x*")) == set()


def test_source_ip_ranges() -> None:
    private = with_condition("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.1.0/24"])
    mixed = with_condition("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "203.0.113.0/24"])
    negated = with_condition("NotIpAddress", "aws:SourceIp", ["fd00::/8"])
    vpc = with_condition("IpAddress", "aws:VpcSourceIp", ["10.0.0.0/8"])
    assert codes(private) == {"PRIVATE_IP_ADDRESS"}
    assert codes(mixed) == {"PRIVATE_IP_ADDRESS_SUBSET"}
    assert codes(negated) == {"PRIVATE_NOT_IP_ADDRESS"}
    assert codes(vpc) == set()
    # a range wider than a private block is not private
    assert codes(with_condition("IpAddress", "aws:SourceIp", "0.0.0.0/0")) == set()


def test_duplicate_condition_keys_with_different_case() -> None:
    document = statement(Condition={"StringEquals": {"aws:SourceVpc": "a", "AWS:SourceVPC": "b"}})
    assert codes(document) == {"DUPLICATE_KEYS_WITH_DIFFERENT_CASE"}


@pytest.mark.parametrize("key", ["SourceVpc", "aws:", ":SourceVpc"])
def test_malformed_condition_keys_are_errors(key: str) -> None:
    assert codes(with_condition("StringEquals", key, "a")) == {"INVALID_CONDITION_KEY_FORMAT"}


# --- policy variables -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("home/${aws:username", "MISSING_BRACE_IN_VARIABLE"),
        ("home/${}", "EMPTY_VARIABLE"),
        ("home/${aws: username}", "UNSUPPORTED_SPACE_IN_VARIABLE"),
        ("home/${aws:username, anonymous}", "MISSING_QUOTE_IN_VARIABLE"),
    ],
)
def test_variable_syntax(value: str, code: str) -> None:
    assert codes(with_condition("StringLike", "s3:prefix", value)) == {code}
    assert codes(statement(Resource=f"arn:aws:s3:::b/{value}")) == {code}


@pytest.mark.parametrize(
    "value", ["home/${aws:username}/*", "home/${aws:username, 'anonymous'}", "a${*}b${?}${$}"]
)
def test_well_formed_variables_give_no_finding(value: str) -> None:
    assert codes(with_condition("StringLike", "s3:prefix", value)) == set()


def test_variables_outside_resource_and_string_conditions_are_errors() -> None:
    assert codes(statement(Action="s3:${aws:username}")) == {"VARIABLE_UNSUPPORTED_IN_ELEMENT"}
    principal = {"AWS": "arn:aws:iam::111122223333:user/${aws:username}"}
    assert "VARIABLE_UNSUPPORTED_IN_ELEMENT" in codes(statement(Principal=principal))
    numeric = with_condition("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:EpochTime}")
    assert codes(numeric) == {"INVALID_VARIABLE_FOR_OPERATOR"}


def test_variables_under_an_old_version_are_plain_text() -> None:
    old = {**statement(Resource="arn:aws:s3:::b/${aws:username}"), "Version": "2008-10-17"}
    [finding] = validate(old).findings
    assert (finding.finding_type, finding.issue_code) == (
        FindingType.WARNING,
        "VARIABLE_UNSUPPORTED_IN_VERSION",
    )
    assert finding.path == ("Statement", 0, "Resource")
    # a variable in a Numeric value is plain text there too: not a number
    numeric = with_condition("NumericLessThan", "aws:MultiFactorAuthAge", "${aws:EpochTime}")
    assert codes({**numeric, "Version": "2008-10-17"}) == {"TYPE_MISMATCH_NUMBER"}


# --- structure (the parser's findings, named as AWS names them) ----------------------------


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (statement(NotAction="s3:GetObject"), "UNSUPPORTED_ELEMENT_COMBINATION"),
        (statement(Actions="s3:GetObject"), "INVALID_POLICY_ELEMENT"),
        (statement(Sid=5), "DATA_TYPE_MISMATCH"),
        (statement(Effect="Permit"), "INVALID_EFFECT"),
        ({"Version": "2012-10-17"}, "MISSING_STATEMENT"),
    ],
)
def test_structural_errors(document: dict[str, Any], code: str) -> None:
    found = validate(document).findings
    assert code in {f.issue_code for f in found}
    assert all(f.finding_type is FindingType.ERROR for f in found if f.issue_code == code)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
elements = st.sampled_from(STATEMENT_KEYS)


@given(st.dictionaries(elements, json_values, max_size=6), st.sampled_from([None, *PolicyType]))
def test_validation_never_raises_on_any_statement(body: dict[str, Any], kind: Any) -> None:
    validation = validate({"Version": "2012-10-17", "Statement": [body]}, kind)
    for finding in validation.findings:
        assert issue_code_for(finding.issue_code) is not None
        validation.document.span_of(finding.path)
