"""Shared test configuration: bounded hypothesis profiles (CI by default), and the `property`
marker on every hypothesis test, so `-m "not slow and not property"` is the quick inner loop."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings

from policy_guard.checks.common import EngineOptions

# `ci` is derandomized: the same examples on every run, so a red CI is a change, not luck;
# `dev` and `long` draw new examples each run (how new counterexamples are found).
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile("long", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each @given test `property`: a new property test joins the marker by itself."""
    for item in items:
        if isinstance(item, pytest.Function) and is_hypothesis_test(item.obj):
            item.add_marker(pytest.mark.property)


@pytest.fixture(
    params=[
        EngineOptions("z3"),
        EngineOptions("cvc5"),
        EngineOptions("z3", max_partition_states=0),
        EngineOptions("cvc5", max_partition_states=0),
    ],
    ids=["z3", "cvc5", "z3-lazy", "cvc5-lazy"],
)
def engine_options(request: pytest.FixtureRequest) -> EngineOptions:
    """Both solver back ends, on the exact partition and with every string variable lazy."""
    chosen: EngineOptions = request.param
    return chosen
