"""Differential campaign: random policy pairs over the whole language, both solvers, against
the reference evaluator.

Run: `python benchmarks/differential_campaign.py [--quick] [--pairs N] [--seed S]
[--budget SECONDS] [--show N]`. Needs no shared data. The pairs are drawn from
`tests/engine_strategies.py`'s `policy_pairs` (wildcards, Not-elements, Deny, principals,
every operator family, set operators, policy variables, missing keys, single- and multi-valued
keys; whatever strategies it gains, the campaign draws from), with a fixed seed. Each pair is
checked with `check-no-new-access` on z3 and on cvc5 within `--budget` seconds each (the whole
check, `policy_guard.encode.budget`), and decided by the evaluator over the strategies' enumerated
request space.

Printed: pairs, per solver PASS/FAIL/undecided; false PASS (PASS while the evaluator finds new
access: must be 0), unconfirmed counterexamples (a FAIL's request the evaluator does not
confirm: must be 0), z3/cvc5 disagreements on decided answers (must be 0), the undecided rate
(target under 0.5%), and the slowest pairs. `campaign()` returns the figures (the CI slice in
`tests/encode/test_differential_campaign.py` asserts on them).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from common import REPO, arguments, table

sys.path.insert(0, str(REPO / "tests"))
from engine_strategies import load, policy_pairs, request_space
from hypothesis import HealthCheck, Phase, given, seed, settings

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import Outcome
from policy_guard.encode import budget
from policy_guard.errors import PolicyGuardError
from policy_guard.policy.model import PolicyType
from policy_guard.semantics.evaluate import evaluate

SEED = 20261204
PAIRS = 10_000
BUDGET = 60.0
SOLVERS = ("z3", "cvc5")


@dataclass
class Figures:
    pairs: int = 0
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    false_pass: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str, str]] = field(default_factory=list)
    reported: int = 0
    repeats: int = 0

    def undecided_rate(self) -> float:
        checks = self.pairs * len(self.outcomes)
        return len(self.undecided) / checks if checks else 0.0


def _check(old: Any, new: Any, solver: str, seconds: float) -> tuple[str, Any, float, str]:
    started = time.monotonic()
    try:
        with budget.limit(seconds, f"the campaign's {seconds:g} s"):
            result = check_no_new_access(old, new, EngineOptions(solver=solver))
    except PolicyGuardError as error:
        return "undecided", None, time.monotonic() - started, str(error)
    outcome = "pass" if result.outcome is Outcome.PASS else "fail"
    return outcome, result, time.monotonic() - started, ""


def campaign(
    pairs: int,
    random_seed: int,
    seconds: float,
    solvers: tuple[str, ...] = SOLVERS,
    progress: int = 0,
) -> Figures:
    """Run the campaign; the figures. With `progress`, a line every `progress` pairs and each
    finding as it comes (a long run stopped early still says what it saw)."""
    figures = Figures(outcomes={s: Counter() for s in solvers})
    seen: set[str] = set()

    @settings(
        max_examples=pairs * 2,  # room for the repeats, which are drawn but not checked
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(random_seed)
    @given(pair=policy_pairs())
    def one(pair: tuple[dict[str, Any], dict[str, Any], PolicyType]) -> None:
        old_document, new_document, kind = pair
        label = json.dumps({"old": old_document, "new": new_document, "kind": kind.value})
        if figures.pairs >= pairs:
            return
        if label in seen:  # hypothesis draws some pairs more than once: each counts once
            figures.repeats += 1
            return
        seen.add(label)
        figures.pairs += 1
        old, new = load(old_document, kind, "old.json"), load(new_document, kind, "new.json")
        gained = any(
            evaluate(new, r).allowed and not evaluate(old, r).allowed
            for r in request_space(old_document, new_document, kind)
        )
        decided: dict[str, str] = {}
        for solver in solvers:
            outcome, result, elapsed, why = _check(old, new, solver, seconds)
            figures.outcomes[solver][outcome] += 1
            figures.slowest.append((elapsed, solver, label))
            if outcome == "undecided":
                figures.undecided.append(f"{solver}: {why}: {label}")
                continue
            decided[solver] = outcome
            if outcome == "pass" and gained:
                figures.false_pass.append(f"{solver}: {label}")
            for reason in result.reasons:
                request = reason.counterexample
                if not (evaluate(new, request).allowed and not evaluate(old, request).allowed):
                    figures.unconfirmed.append(f"{solver}: {label}")
        if len(set(decided.values())) > 1:
            figures.disagreements.append(f"{decided}: {label}")
        if progress:
            _report_progress(figures, progress)

    one()
    figures.slowest = sorted(figures.slowest, reverse=True)[:20]
    return figures


def _report_progress(figures: Figures, every: int) -> None:
    """Print each new finding at once, and the running counts every `every` pairs."""
    findings = figures.false_pass + figures.unconfirmed + figures.disagreements + figures.undecided
    for line in findings[figures.reported :]:
        print(f"  pair {figures.pairs}: {line}", flush=True)  # whole: a pair to replay
    figures.reported = len(findings)
    if figures.pairs % every == 0:
        print(
            f"{figures.pairs} pairs: false PASS {len(figures.false_pass)}, unconfirmed "
            f"{len(figures.unconfirmed)}, disagreements {len(figures.disagreements)}, "
            f"undecided {len(figures.undecided)} ({figures.undecided_rate():.2%})",
            flush=True,
        )


def main() -> None:
    parser = arguments(__doc__ or "", "30 pairs")
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds per check")
    parser.add_argument("--show", type=int, default=5, help="slowest pairs shown")
    parser.add_argument(
        "--progress", type=int, default=0, help="print the running counts every N pairs"
    )
    args = parser.parse_args()
    pairs = 30 if args.quick else args.pairs
    started = time.monotonic()
    figures = campaign(pairs, args.seed, args.budget, progress=args.progress)
    elapsed = time.monotonic() - started
    print(
        f"differential campaign: {figures.pairs} distinct pairs (seed {args.seed}; "
        f"{figures.repeats} repeats drawn and left out), {elapsed:.0f} s"
    )
    rows = [
        [solver, *(str(counts[k]) for k in ("pass", "fail", "undecided"))]
        for solver, counts in figures.outcomes.items()
    ]
    print(table(["solver", "PASS", "FAIL", "undecided"], rows))
    print(f"false PASS: {len(figures.false_pass)}")
    print(f"unconfirmed counterexamples: {len(figures.unconfirmed)}")
    print(f"z3/cvc5 disagreements: {len(figures.disagreements)}")
    print(f"undecided: {len(figures.undecided)} ({figures.undecided_rate():.2%} of checks)")
    for line in (
        figures.false_pass + figures.unconfirmed + figures.disagreements + figures.undecided
    ):
        print(f"  {line[:300]}")
    print(f"slowest {args.show}:")
    for elapsed, solver, label in figures.slowest[: args.show]:
        print(f"  {elapsed:.2f} s {solver}: {label[:200]}")


if __name__ == "__main__":
    main()
