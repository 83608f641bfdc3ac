"""Principals as AWS sees them (role sessions) and the readings AWS leaves to the service.

docs/semantics.md, "Principal / NotPrincipal" and "Readings". Each check runs on both solvers,
exact and lazy domains; every counterexample is replayed through the evaluator.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome, Relation
from policy_guard.cli import main
from policy_guard.document.read import decode_text
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.report.check_result import format_text
from policy_guard.semantics.evaluate import Decision, evaluate
from policy_guard.semantics.reading import USUAL, Reading, every_reading
from policy_guard.semantics.request import Request

ROLE = "arn:aws:iam::111122223333:role/team/r"
SESSION = "arn:aws:sts::111122223333:assumed-role/r/intruder"
ALICE = "arn:aws:iam::111122223333:user/alice"
BUCKET = "arn:aws:s3:::b/*"


def policy(statements: list[dict[str, Any]], name: str = "p.json") -> Policy:
    document = {"Version": "2012-10-17", "Statement": statements}
    return load_policy(decode_text(json.dumps(document), name), PolicyType.RESOURCE)


def grant(principal: Any, effect: str = "Allow", element: str = "Principal") -> dict[str, Any]:
    return {
        "Effect": effect,
        element: principal,
        "Action": "s3:GetObject",
        "Resource": BUCKET,
    }


def request(principal: str, reading: Reading = USUAL) -> Request:
    return Request("s3:GetObject", "arn:aws:s3:::b/k", principal, {}, reading)


# --- the evaluator ----------------------------------------------------------------------------


def test_a_role_names_its_sessions_whatever_its_path() -> None:
    allowed = policy([grant({"AWS": ROLE})])
    assert evaluate(allowed, request(ROLE)).allowed
    assert evaluate(allowed, request(SESSION)).allowed
    other_role = "arn:aws:sts::111122223333:assumed-role/r2/s"
    other_account = "arn:aws:sts::444455556666:assumed-role/r/s"
    no_session = "arn:aws:sts::111122223333:assumed-role/r/"
    for principal in (other_role, other_account, no_session):
        assert not evaluate(allowed, request(principal)).allowed, principal


def test_a_session_names_only_itself() -> None:
    allowed = policy([grant({"AWS": SESSION})])
    assert evaluate(allowed, request(SESSION)).allowed
    assert not evaluate(allowed, request(SESSION + "2")).allowed
    assert not evaluate(allowed, request(ROLE)).allowed


def test_not_principal_user_without_account_depends_on_the_reading() -> None:
    """IAM User Guide, NotPrincipal, key points: AWS might check the account first."""
    denied = policy([grant("*"), grant({"AWS": ALICE}, "Deny", "NotPrincipal")])
    assert evaluate(denied, request(ALICE)).decision is Decision.EXPLICIT_DENY
    unchecked = Reading(checks_account=False)
    assert evaluate(denied, request(ALICE, unchecked)).allowed
    listed = policy([grant("*"), grant({"AWS": [ALICE, "111122223333"]}, "Deny", "NotPrincipal")])
    unbounded = [r for r in every_reading() if not r.permissions_boundary]
    assert len(unbounded) == 16
    assert all(evaluate(listed, request(ALICE, r)).allowed for r in unbounded)
    boundary = Reading(permissions_boundary=True)
    assert evaluate(listed, request(ALICE, boundary)).decision is Decision.EXPLICIT_DENY
    root = "arn:aws:iam::111122223333:root"
    assert evaluate(listed, request(root, boundary)).allowed  # no boundary on the root


def test_not_principal_role_and_its_sessions_depend_on_the_reading() -> None:
    listed = policy([grant("*"), grant({"AWS": [ROLE, "111122223333"]}, "Deny", "NotPrincipal")])
    assert not evaluate(listed, request(SESSION)).allowed  # the session itself is not listed
    assert evaluate(listed, request(SESSION, Reading(role_names_sessions=True))).allowed
    by_session = policy(
        [grant("*"), grant({"AWS": [SESSION, "111122223333"]}, "Deny", "NotPrincipal")]
    )
    assert evaluate(by_session, request(SESSION)).allowed
    assert not evaluate(by_session, request(SESSION, Reading(checks_role=True))).allowed


# --- the engine -------------------------------------------------------------------------------


def test_removing_a_deny_on_one_session_is_new_access(engine_options: EngineOptions) -> None:
    """Was a false PASS (`equivalent`): a role ARN in Principal covers its sessions."""
    old = policy([grant({"AWS": ROLE}), grant({"AWS": SESSION}, "Deny")], "old.json")
    new = policy([grant({"AWS": ROLE})], "new.json")
    result = check_no_new_access(old, new, engine_options)
    assert result.outcome is Outcome.FAIL
    assert result.relation is Relation.WIDER
    (reason,) = result.reasons
    assert reason.counterexample.principal == SESSION
    assert evaluate(new, reason.counterexample).allowed
    assert not evaluate(old, reason.counterexample).allowed


def test_newly_allowing_alice_under_not_principal_deny_fails(engine_options: EngineOptions) -> None:
    """Was a false PASS: a service that checks only the user (not her account) lets her in.
    The counterexample says which reading it needs."""
    deny = grant({"AWS": ALICE}, "Deny", "NotPrincipal")
    bob = grant({"AWS": "arn:aws:iam::111122223333:user/bob"})
    old = policy([bob, deny], "old.json")
    new = policy([bob, grant({"AWS": ALICE}), deny], "new.json")
    result = check_no_new_access(old, new, engine_options)
    assert result.outcome is Outcome.FAIL
    (reason,) = result.reasons
    example = reason.counterexample
    assert example.principal == ALICE
    assert not example.reading.checks_account
    assert evaluate(new, example).allowed and not evaluate(old, example).allowed
    assert not evaluate(new, dataclasses.replace(example, reading=USUAL)).allowed
    text = format_text(result, new)
    assert "(if the service checks the principal without its account)" in text
    assert example.to_json()["reading"]["checksAccount"] is False
    assert Request.from_json(example.to_json()) == example


def test_identical_not_principal_policies_stay_equivalent(engine_options: EngineOptions) -> None:
    """The reading is shared by old and new: no reading tells identical policies apart."""
    statements = [
        grant("*"),
        grant({"AWS": [ROLE, ALICE, SESSION]}, "Deny", "NotPrincipal"),
    ]
    reordered = [statements[1], statements[0]]
    result = check_no_new_access(policy(statements), policy(reordered), engine_options)
    assert result.outcome is Outcome.PASS
    assert result.relation is Relation.EQUIVALENT


def test_usual_reading_first_when_it_confirms(engine_options: EngineOptions) -> None:
    old = policy([grant({"AWS": ALICE}, "Deny", "NotPrincipal")], "old.json")
    new = policy([grant({"AWS": "111122223333"})], "new.json")
    result = check_no_new_access(old, new, engine_options)
    assert result.outcome is Outcome.FAIL
    assert all(r.counterexample.reading.usual for r in result.reasons)


def test_simulate_shows_both_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [grant("*"), grant({"AWS": ALICE}, "Deny", "NotPrincipal")],
    }
    path = tmp_path / "bucket.json"
    path.write_text(json.dumps(document))
    arguments = ["simulate", "--policy-document", str(path), "--action", "s3:GetObject"]
    arguments += ["--resource", "arn:aws:s3:::b/k", "--principal", ALICE]
    assert main(arguments) == 1
    text = capsys.readouterr().out
    assert text.startswith("explicitDeny:")
    assert "but allow if the service checks the principal without its account" in text
    assert main([*arguments, "--output", "json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["decision"] == "explicitDeny"
    assert [o["decision"] for o in found["otherReadings"]] == ["allow"]
    assert main([*arguments[:-1], "arn:aws:iam::111122223333:user/bob"]) == 1
    assert "but" not in capsys.readouterr().out
