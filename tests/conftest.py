"""Shared test configuration: bounded hypothesis profiles (CI by default)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
