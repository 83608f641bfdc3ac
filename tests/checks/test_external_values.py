"""The external-access check gives the engine the trusted values of the caller keys as extra
condition values (`Analysis(extra_condition_values=...)`). It used to compile them as a probe
policy (a Deny statement whose conditions list them) that the engine never asked about: that
probe is kept here only as the oracle, and the answers must be the same, on both solvers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from access_cases import KEYS, ME, ORG, V, load, statements
from hypothesis import event, given
from hypothesis import strategies as st

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.external_access import check_no_external_access
from policy_guard.checks.results import CheckResult
from policy_guard.document.read import decode_text
from policy_guard.encode import analysis
from policy_guard.errors import UndecidedError
from policy_guard.policy.globs import Glob
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.exposure import ARN_KEYS, vouching_values

CALLER_KEYS = sorted(
    k for k in KEYS if k in ("aws:PrincipalOrgID", "aws:SourceAccount", "aws:SourceArn")
)


@st.composite
def caller_key_policies(draw: st.DrawFn) -> dict[str, Any]:
    """Resource policies whose conditions read caller keys (the case the values are for)."""
    keys = draw(st.lists(st.sampled_from(CALLER_KEYS), min_size=1, max_size=2, unique=True))
    return {"Version": V, "Statement": draw(st.lists(statements(keys), min_size=1, max_size=3))}


def probe_policy(vouching: Mapping[str, list[str]], keys: Sequence[str]) -> Policy | None:
    """The old way: the trusted values of the caller keys in `keys` (lower case) as a Deny
    statement's conditions, a policy the engine compiles but is never asked about."""
    blocks: dict[str, dict[str, list[str]]] = {}
    for key, values in vouching.items():
        if key.lower() in keys:
            operator = "ArnLike" if key in ARN_KEYS else "StringEquals"
            blocks.setdefault(operator, {})[key] = values
    if not blocks:
        return None
    probe = {"Effect": "Deny", "Action": "*", "Condition": blocks}
    document = json.dumps({"Version": "2012-10-17", "Statement": [probe]})
    return load_policy(decode_text(document, "<trusted values>"), PolicyType.RESOURCE)


def with_probe(
    monkeypatch: pytest.MonkeyPatch, vouching: Mapping[str, list[str]]
) -> list[Policy | None]:
    """Make every Analysis take a probe policy in place of its extra condition values; the
    probes built, for the test to see that the oracle ran."""
    built: list[Policy | None] = []
    real = analysis.Analysis

    class ProbeAnalysis(real):  # type: ignore[misc, valid-type]
        def __init__(
            self,
            policies: Sequence[Policy],
            *,
            extra_condition_values: Mapping[str, Sequence[Glob]] | None = None,
            **options: Any,
        ) -> None:
            probe = probe_policy(vouching, tuple(extra_condition_values or {}))
            built.append(probe)
            super().__init__([*policies, *([probe] if probe else [])], **options)

    monkeypatch.setattr(analysis, "Analysis", ProbeAnalysis)
    return built


def answer(policy: Policy, options: EngineOptions, organization: str | None) -> CheckResult | str:
    try:
        return check_no_external_access(policy, (ME,), organization, options)
    except UndecidedError as error:
        return f"undecided: {error}"


def shape(result: CheckResult | str) -> object:
    """What must agree: the outcome, the message and the responsible statements (the
    counterexamples may differ; each is confirmed by the evaluator either way)."""
    if isinstance(result, str):
        return result
    return result.outcome, result.message, sorted(r.statement_index for r in result.reasons)


@pytest.mark.parametrize("budget", [None, 0], ids=["exact", "lazy"])
@pytest.mark.parametrize("solver", ["z3", "cvc5"])
@given(document=caller_key_policies(), organization=st.sampled_from([None, ORG]))
def test_extra_condition_values_answer_as_the_probe_policy_did(
    solver: str, budget: int | None, document: dict[str, Any], organization: str | None
) -> None:
    policy = load(document["Statement"])
    options = EngineOptions(solver, max_partition_states=budget)
    direct = answer(policy, options, organization)
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = with_probe(monkeypatch, vouching_values((ME,), organization))
        oracle = answer(policy, options, organization)
    assert shape(direct) == shape(oracle)
    event("a probe was compiled" if any(built) else "no caller key used")


@pytest.mark.parametrize("solver", ["z3", "cvc5"])
def test_the_oracle_compiles_a_probe_when_the_policy_reads_a_caller_key(solver: str) -> None:
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ME}},
    }
    policy = load([statement])
    options = EngineOptions(solver)
    with pytest.MonkeyPatch.context() as monkeypatch:
        built = with_probe(monkeypatch, vouching_values((ME,), None))
        oracle = answer(policy, options, None)
    assert [p is not None for p in built] == [True]
    assert shape(oracle) == shape(answer(policy, options, None))
