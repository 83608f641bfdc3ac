"""check-no-external-access: who is outside the trusted accounts, on both solvers.

Principals (accounts, ARNs, services, federated, canonical users), the caller keys that vouch
for a trusted caller (aws:SourceAccount/SourceOwner/SourceArn, aws:PrincipalAccount/PrincipalArn,
aws:PrincipalOrgID with a trusted organization), messages, bad input, User Guide examples, and a
property test against the reference evaluator. Every counterexample is replayed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from access_cases import (
    ME,
    ORG,
    PARTNER,
    account_of,
    assert_confirmed,
    document_of,
    grant,
    is_external,
    load,
    request_space,
    resource_policies,
)
from hypothesis import given
from hypothesis import strategies as st

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.results import CheckResult, Outcome
from policy_guard.document.read import read_document
from policy_guard.errors import InputError, UndecidedError
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.report.check_result import result_json
from policy_guard.semantics.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
USER_GUIDE = Path(__file__).resolve().parents[1] / "fixtures" / "access" / "user-guide"
SERVICE = {"Service": "sns.amazonaws.com"}


@pytest.fixture(params=["z3", "cvc5"])
def options(request: pytest.FixtureRequest) -> EngineOptions:
    return EngineOptions(solver=request.param)


def external(
    policy: Policy,
    options: EngineOptions,
    trusted: tuple[str, ...] = (ME,),
    organization: str | None = None,
) -> CheckResult:
    """The check, with every FAIL replayed against the evaluator and the definition."""
    result = check_no_external_access(policy, trusted, organization, options)
    assert result.check == "no-external-access"
    document = document_of(policy)
    if result.outcome is Outcome.FAIL:
        assert_confirmed(policy, result, lambda r: is_external(r, trusted, organization, document))
    else:
        assert not result.reasons
    return result


def verdict(statements: list[dict[str, Any]], options: EngineOptions, **more: Any) -> Outcome:
    return external(load(statements), options, **more).outcome


def deny_outside(principal: str) -> dict[str, Any]:
    return {"Effect": "Deny", "NotPrincipal": {"AWS": principal}, "Action": "*", "Resource": "*"}


# --- principals -------------------------------------------------------------------------------


def test_bucket_policy_with_principal_star_is_external(options: EngineOptions) -> None:
    policy = load_policy(read_document(str(EXAMPLES / "bucket-policy.json")))
    result = external(policy, options)
    assert result_json(result)["result"] == "FAIL"
    assert result.message == (
        "The resource policy grants access to a principal outside the trusted accounts."
    )
    (reason,) = result.reasons
    assert reason.description == (
        "External access granted in the following statement with sid: PublicRead."
    )
    principal = reason.counterexample.principal
    assert principal is not None and principal.endswith(":root")
    assert account_of(principal) not in (ME, None)


@pytest.mark.parametrize("account", [ME, f"arn:aws:iam::{ME}:root"])
def test_deny_not_principal_own_account_closes_it(options: EngineOptions, account: str) -> None:
    policy = load_policy(read_document(str(EXAMPLES / "bucket-policy.json")))
    statements = [*policy.document.value["Statement"], deny_outside(account)]
    result = external(load(statements), options)
    assert result_json(result) == {
        "result": "PASS",
        "message": "The resource policy does not grant access to any principal outside the "
        "trusted accounts.",
        "reasons": [],
    }


@pytest.mark.parametrize(
    ("principal", "trusted", "outcome"),
    [
        ({"AWS": ME}, (ME,), Outcome.PASS),
        ({"AWS": f"arn:aws:iam::{ME}:role/r"}, (ME,), Outcome.PASS),
        ({"AWS": f"arn:aws:sts::{ME}:assumed-role/r/s"}, (ME,), Outcome.PASS),
        ({"AWS": [ME, PARTNER]}, (ME, PARTNER), Outcome.PASS),
        ({"AWS": [ME, PARTNER]}, (ME,), Outcome.FAIL),
        ({"AWS": f"arn:aws:iam::{PARTNER}:role/r"}, (ME,), Outcome.FAIL),
        ({"AWS": ME}, (PARTNER,), Outcome.FAIL),
        ({"Service": "sns.amazonaws.com"}, (ME,), Outcome.FAIL),
        ({"Federated": "cognito-identity.amazonaws.com"}, (ME,), Outcome.FAIL),
        ({"Federated": f"arn:aws:iam::{PARTNER}:saml-provider/idp"}, (ME,), Outcome.FAIL),
        ({"Federated": f"arn:aws:iam::{ME}:saml-provider/idp"}, (ME,), Outcome.PASS),
        (
            {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
            (ME,),
            Outcome.FAIL,
        ),
        ("*", (ME, PARTNER), Outcome.FAIL),
    ],
)
def test_principals(
    options: EngineOptions, principal: Any, trusted: tuple[str, ...], outcome: Outcome
) -> None:
    assert verdict([grant(principal=principal)], options, trusted=trusted) is outcome


def test_a_named_outside_principal_is_the_counterexample(options: EngineOptions) -> None:
    """A role never calls itself: the outsider is a session of it (it names its sessions)."""
    role = f"arn:aws:iam::{PARTNER}:role/r"
    result = external(load([grant(principal={"AWS": [ME, role]})]), options)
    (reason,) = result.reasons
    assert (reason.counterexample.principal or "").startswith(
        f"arn:aws:sts::{PARTNER}:assumed-role/r/"
    )


def test_an_outside_account_is_shown_as_its_root(options: EngineOptions) -> None:
    result = external(load([grant(principal={"AWS": PARTNER})]), options)
    assert result.reasons[0].counterexample.principal == f"arn:aws:iam::{PARTNER}:root"


def test_each_statement_granting_outside_is_a_reason(options: EngineOptions) -> None:
    statements = [
        grant(principal={"AWS": ME}, Sid="Mine"),
        grant(principal={"AWS": PARTNER}),
        grant(principal=SERVICE, Sid="Topic"),
    ]
    result = external(load(statements), options)
    descriptions = [r.description for r in result.reasons]
    assert descriptions == [
        "External access granted in the following statement with index: 1.",
        "External access granted in the following statement with sid: Topic.",
    ]


# --- keys that vouch for the caller -----------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "outcome"),
    [
        ({"StringEquals": {"aws:SourceAccount": ME}}, Outcome.PASS),
        ({"StringEquals": {"aws:SourceAccount": [ME, PARTNER]}}, Outcome.FAIL),
        ({"StringEquals": {"aws:SourceAccount": PARTNER}}, Outcome.FAIL),
        ({"StringLike": {"aws:SourceAccount": "*"}}, Outcome.FAIL),
        ({"StringEquals": {"aws:SourceOwner": ME}}, Outcome.PASS),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:sqs:*:{ME}:*"}}, Outcome.PASS),
        ({"ArnEquals": {"aws:SourceArn": f"arn:aws:sqs:us-east-1:{ME}:q"}}, Outcome.PASS),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket"}}, Outcome.FAIL),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sqs:*:*:q"}}, Outcome.FAIL),
        ({"StringEqualsIfExists": {"aws:SourceAccount": ME}}, Outcome.FAIL),
        ({"Null": {"aws:SourceAccount": "false"}}, Outcome.FAIL),
    ],
)
def test_a_service_principal_pinned_to_a_trusted_account(
    options: EngineOptions, condition: dict[str, Any], outcome: Outcome
) -> None:
    assert verdict([grant(principal=SERVICE, Condition=condition)], options) is outcome


@pytest.mark.parametrize(
    ("condition", "organization", "outcome"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, ORG, Outcome.PASS),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, None, Outcome.FAIL),
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, "o-zzzzzzzzzz", Outcome.FAIL),
        ({"StringLike": {"aws:PrincipalOrgID": "o-*"}}, ORG, Outcome.FAIL),
        ({"StringEquals": {"aws:PrincipalAccount": ME}}, None, Outcome.PASS),
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ME}:role/*"}}, None, Outcome.PASS),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin"}}, None, Outcome.FAIL),
    ],
)
def test_everyone_pinned_to_the_trusted_zone(
    options: EngineOptions, condition: dict[str, Any], organization: str | None, outcome: Outcome
) -> None:
    result = verdict([grant(Condition=condition)], options, organization=organization)
    assert result is outcome


def test_organization_alone_is_a_trusted_zone(options: EngineOptions) -> None:
    statements = [grant(Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}})]
    result = external(load(statements), options, trusted=(), organization=ORG)
    assert result.message == (
        "The resource policy does not grant access to any principal outside the trusted "
        "organization."
    )
    result = external(load([grant()]), options, trusted=(ME,), organization=ORG)
    assert result.message == (
        "The resource policy grants access to a principal outside the trusted accounts and "
        "organization."
    )


def test_a_deny_unless_source_account_closes_a_service_grant(options: EngineOptions) -> None:
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Condition": {"StringNotEquals": {"aws:SourceAccount": ME}},
    }
    assert verdict([grant(principal=SERVICE), deny], options) is Outcome.PASS


def test_a_caller_key_compared_as_a_number_is_undecided() -> None:
    statements = [grant(Condition={"NumericEquals": {"aws:SourceAccount": ME}})]
    with pytest.raises(UndecidedError, match="aws:SourceAccount"):
        check_no_external_access(load(statements), (ME,))


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accounts", "organization", "problem"),
    [
        (("12345",), None, "12-digit"),
        ((f"{ME} ",), None, "12-digit"),
        ((), "o-UPPER", "organization id"),
        ((), None, "at least one"),
    ],
)
def test_bad_trust_is_an_input_error(
    accounts: tuple[str, ...], organization: str | None, problem: str
) -> None:
    with pytest.raises(InputError, match=problem):
        check_no_external_access(load([grant()]), accounts, organization)


def test_identity_policy_is_an_input_error() -> None:
    policy = load_policy(read_document(str(EXAMPLES / "identity-policy.json")))
    with pytest.raises(InputError, match="takes a resource policy"):
        check_no_external_access(policy, (ME,))


# --- real examples from the IAM User Guide ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "trusted", "organization", "outcome"),
    [
        ("confused-deputy-2.json", ("111122223333",), None, Outcome.PASS),
        ("confused-deputy-2.json", (ME,), None, Outcome.FAIL),
        ("reference_policies_condition-keys-8.json", (ME,), "o-xxxxxxxxxxx", Outcome.PASS),
        ("reference_policies_condition-keys-8.json", (ME,), None, Outcome.FAIL),
        ("reference_policies_elements_principal-1.json", (ME,), None, Outcome.PASS),
        ("access-analyzer-policy-generation-4.json", (ME,), None, Outcome.FAIL),
    ],
)
def test_user_guide_examples(
    options: EngineOptions,
    name: str,
    trusted: tuple[str, ...],
    organization: str | None,
    outcome: Outcome,
) -> None:
    policy = load_policy(read_document(str(USER_GUIDE / name)))
    assert external(policy, options, trusted, organization).outcome is outcome


# --- the property: the engine agrees with the evaluator ---------------------------------------


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
@given(document=resource_policies(), organization=st.sampled_from([None, ORG]))
def test_external_access_agrees_with_the_evaluator(
    solver: str, document: dict[str, Any], organization: str | None
) -> None:
    policy = load(document["Statement"])
    trusted = (ME,)
    result = external(policy, EngineOptions(solver), trusted, organization)
    found = next(
        (
            r
            for r in request_space(document)
            if is_external(r, trusted, organization, document) and evaluate(policy, r).allowed
        ),
        None,
    )
    if found is not None:
        assert result.outcome is Outcome.FAIL, found
