"""Counterexamples found without solving (`witnesses`): only confirmed requests, only for plain
statements, readable actions from the catalogue; and what they let no-new-access skip."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from policy_guard.document.read import decode_text
from policy_guard.encode.concretize import new_access_covers
from policy_guard.encode.witnesses import quick_witnesses
from policy_guard.policy.catalogue import action_exists
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate


def policy(*statements: dict[str, Any], kind: PolicyType = PolicyType.IDENTITY) -> Policy:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return load_policy(decode_text(json.dumps(document), "p.json"), kind)


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def test_a_new_wildcard_grant_gets_a_catalogued_confirmed_action() -> None:
    old = policy(allow("s3:Get*"))
    new = policy(allow("s3:Get*"), allow(["s3:Delete*"], "arn:aws:s3:::data"))
    found = quick_witnesses(new, new_access_covers(old, new))
    assert list(found) == [1]
    request = found[1]
    assert request.action.startswith("s3:Delete") and action_exists(request.action)
    assert request.resource == "arn:aws:s3:::data"
    assert evaluate(new, request).allowed and not evaluate(old, request).allowed


def test_only_confirmed_requests_are_kept() -> None:
    # s3:GetObject is new in the list but old grants it through s3:Get*.
    old = policy(allow("s3:Get*"))
    new = policy(allow(["s3:GetObject", "s3:Get*"]))
    assert quick_witnesses(new, new_access_covers(old, new)) == {}


def test_conditions_wildcard_resources_and_resource_policies_are_left_to_the_solver() -> None:
    old = policy(allow("s3:GetObject"))
    conditioned = policy(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))
    wild_resource = policy(allow("s3:*", "arn:aws:s3:::data/*"))
    assert quick_witnesses(conditioned, new_access_covers(old, conditioned)) == {}
    assert quick_witnesses(wild_resource, new_access_covers(old, wild_resource)) == {}
    bucket = policy(
        {**allow("s3:*"), "Principal": "*"},
        kind=PolicyType.RESOURCE,
    )
    assert quick_witnesses(bucket, lambda request: frozenset({0})) == {}


PROGRAM = """
import json, sys
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.document.read import decode_text
from policy_guard.policy.parse import load_policy
def load(actions):
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    return load_policy(decode_text(json.dumps(document), "p.json"))
old = load(["s3:Get*", "ec2:Describe*", "iam:ListRoles"])
new = load(["s3:GetObject*", "ec2:DescribeInstances", "iam:ListRoles"])
result = check_no_new_access(old, new)
print(result.outcome.value, result.relation.value, "pysmt.solvers.z3" in sys.modules)
"""


def test_a_least_privilege_refactor_is_settled_without_a_solver() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["PASS", "narrower", "False"]
