"""The differential campaign's CI slice: a fixed seed, 150 random pairs over the whole
language (`engine_strategies.policy_pairs`), both solvers, against the evaluator: no false
PASS, no unconfirmed counterexample, no z3/cvc5 disagreement, undecided under 0.5%. The full
campaign (10,000 pairs) is `python benchmarks/differential_campaign.py`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SLICE_PAIRS = 150
SLICE_SEED = 13


@pytest.mark.slow
def test_a_fixed_slice_of_the_campaign_finds_no_disagreement() -> None:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(
        "differential_campaign", BENCHMARKS / "differential_campaign.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    figures = module.campaign(SLICE_PAIRS, SLICE_SEED, 60.0)
    assert figures.pairs == SLICE_PAIRS
    assert figures.false_pass == []
    assert figures.unconfirmed == []
    assert figures.disagreements == []
    assert figures.undecided_rate() < 0.005, figures.undecided
    assert sum(figures.outcomes["z3"].values()) == SLICE_PAIRS
