"""Figures for the engine over every consecutive pair of stored AWS managed policy versions.

Run: `python benchmarks/sweep_bench.py [--quick] [--timeout SECONDS]`. Reads
../shared/data/managed-policies/pairs.tsv (beside the repository); without it, says so and
exits 0. Each pair: `check_no_new_access(old, new)` in-process on z3, once (documents read and
parsed beforehand, not timed; one untimed warm-up check first, for the imports). Prints the
median, p95 and max, the slowest pairs, how many take 1 s or more (the issue's target per
pair), and the PASS/FAIL/undecided counts. The identical documents (AWS republished the same
text) are the only rows whose answer is known: PASS; a line is printed for each that is not.
`--quick`: 20 pairs spread over the smaller half.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from common import MANAGED, arguments, missing_data, percentile, seconds, table

from policy_guard.checks import EngineOptions, check_no_new_access
from policy_guard.decode import read_document
from policy_guard.errors import PolicyGuardError
from policy_guard.parse import load_policy

TARGET_SECONDS = 1.0
QUICK_PAIRS = 20


class Pair(NamedTuple):
    policy: str
    old: str
    new: str
    identical: bool
    size: int  # bytes of both documents


class Outcome(NamedTuple):
    pair: Pair
    seconds: float
    result: str  # PASS | FAIL | undecided
    detail: str


def read_pairs() -> list[Pair]:
    with (MANAGED / "pairs.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Pair(
            r["policy"],
            r["old_file"],
            r["new_file"],
            r["identical_document"] == "yes",
            (MANAGED / r["old_file"]).stat().st_size + (MANAGED / r["new_file"]).stat().st_size,
        )
        for r in rows
    ]


def quick_sample(pairs: Sequence[Pair]) -> list[Pair]:
    """`QUICK_PAIRS` pairs spread evenly over the smaller half (by size), identical ones too."""
    smaller = sorted(pairs, key=lambda p: p.size)[: len(pairs) // 2]
    step = max(1, len(smaller) // QUICK_PAIRS)
    return smaller[::step][:QUICK_PAIRS]


def check(pair: Pair, timeout: float) -> Outcome:
    old, new = (load_policy(read_document(str(MANAGED / f))) for f in (pair.old, pair.new))
    start = time.perf_counter()
    try:
        result = check_no_new_access(old, new, EngineOptions(solver="z3", timeout=timeout))
    except PolicyGuardError as error:
        return Outcome(pair, time.perf_counter() - start, "undecided", str(error))
    return Outcome(pair, time.perf_counter() - start, result.outcome.value, "")


def report(outcomes: Sequence[Outcome], wall: float) -> str:
    """The summary, the slowest five, and the identical pairs that did not PASS."""
    times = [o.seconds for o in outcomes]
    counts = Counter(o.result for o in outcomes)
    slow = sum(t >= TARGET_SECONDS for t in times)
    lines = [
        f"pairs {len(outcomes)}; wall {wall:.1f} s; per pair (check only, z3): "
        f"median {statistics.median(times):.3f} s, p95 {percentile(times, 0.95):.3f} s, "
        f"max {max(times):.3f} s; {slow} take >= {TARGET_SECONDS:g} s",
        "results: " + ", ".join(f"{k} {counts[k]}" for k in ("PASS", "FAIL", "undecided")),
        "slowest:",
    ]
    slowest = sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:5]
    rows = [[_name(o.pair), seconds(o.seconds), o.result, o.detail[:70]] for o in slowest]
    lines.append(table(["pair", "seconds", "result", "detail"], rows))
    identical = [o for o in outcomes if o.pair.identical]
    wrong = [o for o in identical if o.result != "PASS"]
    lines.append(f"identical documents: {len(identical)}, of which not PASS: {len(wrong)}")
    lines += [f"NOT PASS (identical): {o.pair.old} -> {o.pair.new}: {o.result}" for o in wrong]
    return "\n".join(lines)


def _name(pair: Pair) -> str:
    old, new = (f.rsplit("/", 1)[-1].removesuffix(".json") for f in (pair.old, pair.new))
    return f"{pair.policy} {old}->{new}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, f"{QUICK_PAIRS} small pairs only")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per check")
    args = parser.parse_args(argv)
    note = missing_data(MANAGED)
    if note:
        print(note)
        return 0
    pairs = read_pairs()
    if args.quick:
        pairs = quick_sample(pairs)
    check(pairs[0], args.timeout)  # warm-up, not counted: the engine's imports load once
    start = time.perf_counter()
    outcomes = [check(pair, args.timeout) for pair in pairs]
    print(report(outcomes, time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
