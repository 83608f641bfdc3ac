"""The hostile catalogue, each input in a process of its own: outcome per class, worst time,
peak memory.

Run: `python benchmarks/hostile_bench.py [--quick] [--slow] [--budget SECONDS]`. Needs no
shared data. Each input of `tests/hostile_inputs.py` is checked with `check-no-new-access`
against a small policy (decoding, validation, partition, solving, confirmation) with
`--timeout BUDGET`; the process is killed at twice the budget (a hang, which must never
happen). Per class: inputs, outcomes (PASS/FAIL, undecided = exit 2, crash = a traceback or
an internal error, hang), the worst wall time and the largest peak resident memory
(`ru_maxrss` of that input's process). `--slow` adds the heaviest inputs (5 MB, 5,000
statements, 200 x 50 conditions); `--quick` takes one input per class; `--only NAME` those
inputs alone (each with its time), `--repeat N` the median of N runs per input.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import REPO, arguments, policy_guard_command, table

sys.path.insert(0, str(REPO / "tests"))
from hostile_inputs import GOOD_JSON, Hostile, catalogue


def run_one(hostile: Hostile, folder: Path, budget: float) -> tuple[str, float, int]:
    """(outcome, wall seconds, peak RSS in KiB) of one input in its own process."""
    good, path, errors = folder / "good.json", folder / hostile.name, folder / "stderr"
    good.write_bytes(GOOD_JSON)
    path.write_bytes(hostile.data)
    argv = [*policy_guard_command(), "check-no-new-access", "--existing-policy-document"]
    argv += [str(good), "--new-policy-document", str(path), "--timeout", f"{budget:g}"]
    started = time.monotonic()
    with errors.open("wb") as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        while True:  # os.wait4: the child's own peak memory, which Popen.wait does not give
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if pid:
                break
            if elapsed > 2 * budget:
                process.kill()
                _, _, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                return "hang", elapsed, usage.ru_maxrss
            time.sleep(0.01)
    process.returncode = os.waitstatus_to_exitcode(status)
    text = errors.read_text(errors="replace")
    if "internal error" in text or "Traceback" in text:
        return "crash", elapsed, usage.ru_maxrss
    outcome = {0: "pass", 1: "fail", 2: "undecided"}.get(process.returncode, "crash")
    return outcome, elapsed, usage.ru_maxrss


def _one_check() -> None:
    """One small check, in-process: what a per-check worker would run."""
    from policy_guard.checks.no_new_access import check_no_new_access
    from policy_guard.document.read import decode_file
    from policy_guard.policy.parse import load_policy

    old = load_policy(decode_file(GOOD_JSON, "old.json"))
    new = load_policy(decode_file(GOOD_JSON.replace(b"s3:GetObject", b"s3:Get*"), "new.json"))
    check_no_new_access(old, new)


def isolation_cost(repeat: int) -> list[list[str]]:
    """The same small check under the cooperative budget, and in a worker process per check
    (forked after the imports, or spawned): what a killable worker would add to each file."""
    import multiprocessing
    import statistics

    from policy_guard.encode import budget

    _one_check()  # imports, caches

    def cooperative() -> None:
        with budget.limit(30, "the budget"):
            _one_check()

    def worker(method: str) -> None:
        process: Any = multiprocessing.get_context(method).Process(  # type: ignore[attr-defined]
            target=_one_check
        )
        process.start()
        process.join()

    rows = []
    for name, work in (
        ("cooperative (in-process)", cooperative),
        ("a forked worker per check", lambda: worker("fork")),
        ("a spawned worker per check", lambda: worker("spawn")),
    ):
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            runs.append(time.perf_counter() - started)
        rows.append([name, f"{statistics.median(runs) * 1000:.0f} ms"])
    return rows


def main() -> None:
    parser = arguments(__doc__ or "", "one input per class")
    parser.add_argument("--slow", action="store_true", help="include the heaviest inputs")
    parser.add_argument("--budget", type=float, default=30.0, help="--timeout per input")
    parser.add_argument(
        "--isolation", action="store_true", help="also time a small check per worker process"
    )
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="only this input (repeatable; slow too)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per input: its median time, largest peak"
    )
    args = parser.parse_args()
    chosen: list[Hostile] = []
    seen: set[str] = set()
    for hostile in catalogue():
        if args.only and hostile.name not in args.only:
            continue
        if hostile.slow and not args.slow and not args.only:
            continue
        if args.quick and hostile.kind in seen:
            continue
        seen.add(hostile.kind)
        chosen.append(hostile)
    by_kind: dict[str, list[tuple[Hostile, str, float, int]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        for hostile in chosen:
            runs = [run_one(hostile, Path(folder), args.budget) for _ in range(args.repeat)]
            outcome, elapsed, _ = sorted(runs, key=lambda run: run[1])[len(runs) // 2]
            peak = max(run[2] for run in runs)
            by_kind[hostile.kind].append((hostile, outcome, elapsed, peak))
            if args.only:
                times = " ".join(f"{run[1]:.2f}" for run in runs)
                print(
                    f"{hostile.name}: {outcome}, median {elapsed:.2f} s of {times}, "
                    f"peak {peak / 1024:.0f} MiB"
                )
    rows = []
    for kind, results in by_kind.items():
        counts: dict[str, int] = defaultdict(int)
        for _, outcome, _, _ in results:
            counts[outcome] += 1
        worst = max(results, key=lambda r: r[2])
        rows.append(
            [
                kind,
                str(len(results)),
                " ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                f"{worst[2]:.2f} s",
                worst[0].name,
                f"{max(r[3] for r in results) / 1024:.0f} MiB",
            ]
        )
    print(f"hostile catalogue: {len(chosen)} inputs, --timeout {args.budget:g} s each")
    print(
        table(["class", "inputs", "outcomes", "worst", "worst input", "peak RSS"], rows, "lrlrlr")
    )
    undecided_realistic = [
        h.name
        for rs in by_kind.values()
        for h, o, _, _ in rs
        if h.decided and o not in ("pass", "fail")
    ]
    bad = [h.name for rs in by_kind.values() for h, o, _, _ in rs if o in ("crash", "hang")]
    print(f"crashes or hangs: {len(bad)} {' '.join(bad)}")
    print(
        f"realistic inputs not decided: {len(undecided_realistic)} {' '.join(undecided_realistic)}"
    )
    if args.isolation:
        print("one small check (median of 5), how its budget is enforced:")
        print(table(["enforcement", "wall"], isolation_cost(5)))


if __name__ == "__main__":
    main()
