"""Figures for the engine over every consecutive pair of stored AWS managed policy versions.

Run: `python benchmarks/sweep_bench.py [--quick] [--limit SECONDS] [--tsv FILE]`. Reads
../shared/data/managed-policies/pairs.tsv (beside the repository); without it, says so and
exits 0. Each pair: `check_no_new_access(old, new)` on z3, once, in a worker process (documents
read and parsed beforehand, not timed; one untimed warm-up check first, for the imports). A pair
with no answer within `--limit` seconds (default 2) is `killed`, its worker replaced, and its
time counted as the limit: a lower bound. Prints the median, p95 and max, how many pairs take
1 s or more (the issue's target per pair) by policy, the slowest that finished, and the
PASS/FAIL/undecided/killed counts. The identical documents (AWS republished the same text) are
the only rows whose answer is known: PASS; a line is printed for each that is not. `--quick`:
20 pairs spread over the smaller half.
"""

from __future__ import annotations

import csv
import importlib
import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

from common import MANAGED, arguments, missing_data, percentile, seconds, table

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.document.read import read_document
from policy_guard.errors import PolicyGuardError
from policy_guard.policy.parse import load_policy

TARGET_SECONDS = 1.0
QUICK_PAIRS = 20
_FORK = "fork" in multiprocessing.get_all_start_methods()
_CONTEXT = multiprocessing.get_context("fork") if _FORK else multiprocessing.get_context("spawn")


class Pair(NamedTuple):
    policy: str
    old: str
    new: str
    identical: bool
    size: int  # bytes of both documents


class Outcome(NamedTuple):
    pair: Pair
    seconds: float
    result: str  # PASS | FAIL | undecided | killed (no answer within the limit)
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


def _serve(connection: Connection, warm_up: Pair, timeout: float) -> None:
    check(warm_up, timeout)  # not counted: the engine's imports load once per worker
    connection.send(None)
    while (pair := connection.recv()) is not None:
        connection.send(check(pair, timeout))


class Worker:
    """One child process that checks pairs; killed and replaced when a check overruns its
    limit (the engine's own timeout does not cover every phase, see README.md). Where fork
    exists, the child starts with the engine's modules already imported by the parent."""

    def __init__(self, warm_up: Pair, timeout: float) -> None:
        self.warm_up, self.timeout = warm_up, timeout
        self._start()

    def _start(self) -> None:
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_serve, args=(child, self.warm_up, self.timeout), daemon=True
        )
        self.process.start()
        child.close()
        self.connection.recv()

    def check(self, pair: Pair, limit: float) -> Outcome:
        self.connection.send(pair)
        if self.connection.poll(limit):
            outcome: Outcome = self.connection.recv()
            return outcome
        self.process.kill()
        self.process.join()
        self._start()
        return Outcome(pair, limit, "killed", f"no answer in {limit:g} s")

    def close(self) -> None:
        self.connection.send(None)
        self.process.join()


def report(outcomes: Sequence[Outcome], wall: float) -> str:
    """The summary, slow pairs by policy, the slowest five that finished, the undecided ones,
    and the identical pairs that did not PASS."""
    times = [o.seconds for o in outcomes]
    counts = Counter(o.result for o in outcomes)
    slow = sum(t >= TARGET_SECONDS for t in times)
    limit = max((o.seconds for o in outcomes if o.result == "killed"), default=None)

    def shown(value: float) -> str:  # a killed check's time is a lower bound
        return f">={value:.3f}" if limit is not None and value >= limit else f"{value:.3f}"

    kinds = ("PASS", "FAIL", "undecided", "killed")
    lines = [
        f"pairs {len(outcomes)}; wall {wall:.1f} s; per pair (check only, z3): "
        f"median {shown(statistics.median(times))} s, p95 {shown(percentile(times, 0.95))} s, "
        f"max {shown(max(times))} s; {slow} take >= {TARGET_SECONDS:g} s",
        "results: " + ", ".join(f"{k} {counts[k]}" for k in kinds),
    ]
    by_policy = Counter(o.pair.policy for o in outcomes if o.seconds >= TARGET_SECONDS)
    killed = Counter(o.pair.policy for o in outcomes if o.result == "killed")
    pairs = Counter(o.pair.policy for o in outcomes)
    if by_policy:
        lines.append(f"pairs >= {TARGET_SECONDS:g} s (killed), by policy:")
        rows = [[p, f"{n} of {pairs[p]}", f"({killed[p]})"] for p, n in by_policy.most_common()]
        lines.append(table(["policy", "pairs", "killed"], rows))
    finished = [o for o in outcomes if o.result != "killed"]
    slowest = sorted(finished, key=lambda o: o.seconds, reverse=True)[:5]
    lines.append("slowest that finished:")
    rows = [[_name(o.pair), seconds(o.seconds), o.result, o.detail[:80]] for o in slowest]
    lines.append(table(["pair", "seconds", "result", "detail"], rows, align="lrll"))
    lines += [
        f"undecided: {_name(o.pair)}: {o.detail}" for o in finished if o.result == "undecided"
    ]
    identical = [o for o in outcomes if o.pair.identical]
    wrong = [o for o in identical if o.result != "PASS"]
    lines.append(f"identical documents: {len(identical)}, of which not PASS: {len(wrong)}")
    lines += [f"NOT PASS (identical): {o.pair.old} -> {o.pair.new}: {o.result}" for o in wrong]
    return "\n".join(lines)


def tsv(outcomes: Sequence[Outcome]) -> str:
    lines = ["policy\told\tnew\tseconds\tresult\tdetail"]
    lines += [
        "\t".join([o.pair.policy, o.pair.old, o.pair.new, f"{o.seconds:.3f}", o.result, o.detail])
        for o in outcomes
    ]
    return "\n".join(lines) + "\n"


def _name(pair: Pair) -> str:
    old, new = (f.rsplit("/", 1)[-1].removesuffix(".json") for f in (pair.old, pair.new))
    return f"{pair.policy} {old}->{new}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__, f"{QUICK_PAIRS} small pairs only")
    parser.add_argument("--timeout", type=float, default=60.0, help="the engine's timeout")
    parser.add_argument(
        "--limit", type=float, default=2.0, help="seconds per pair before the worker is killed"
    )
    parser.add_argument("--tsv", type=Path, help="also write one line per pair to this file")
    args = parser.parse_args(argv)
    note = missing_data(MANAGED)
    if note:
        print(note)
        return 0
    pairs = read_pairs()
    if args.quick:
        pairs = quick_sample(pairs)
    if _FORK:  # imported once here, inherited by every (re)started worker
        importlib.import_module("policy_guard.encode.analysis")
        importlib.import_module("policy_guard.encode.concretize")
    worker = Worker(pairs[0], args.timeout)
    start = time.perf_counter()
    try:
        outcomes = [worker.check(pair, args.limit) for pair in pairs]
    finally:
        worker.close()
    print(report(outcomes, time.perf_counter() - start))
    if args.tsv is not None:
        args.tsv.write_text(tsv(outcomes), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
