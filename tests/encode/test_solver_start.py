"""The solver is started (and pySMT's bindings for it imported) only when there is something to
solve: a question that the slicing or the simplifier settles starts neither back end. (pySMT
itself imports the z3 module for its number constants; its z3 solver module and cvc5's
bindings are what a started back end loads.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import json, sys
from policy_guard.checks.common import Access, EngineOptions
from policy_guard.checks.access_not_granted import check_access_not_granted
from policy_guard.document.read import decode_text
from policy_guard.policy.parse import load_policy
document = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
policy = load_policy(decode_text(json.dumps(document), "p.json"))
access = Access(tuple(sys.argv[2:]), ())
result = check_access_not_granted(policy, access, EngineOptions(sys.argv[1]))
print(result.outcome.value, "pysmt.solvers.z3" in sys.modules, "cvc5" in sys.modules)
"""


def run(solver: str, *actions: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, solver, *actions],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_question_settled_before_solving_loads_no_solver(solver: str) -> None:
    assert run(solver, "s3:DeleteBucket") == ["PASS", "False", "False"]


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_a_question_that_needs_the_solver_loads_only_that_one(solver: str) -> None:
    outcome, z3_loaded, cvc5_loaded = run(solver, "ec2:DescribeInstances")
    assert outcome == "FAIL"
    assert (z3_loaded, cvc5_loaded) == (("True", "False") if solver == "z3" else ("False", "True"))
