"""Figures for many-wildcard patterns: the reference evaluator must not backtrack.

Run: `python benchmarks/wildcard_bench.py [--quick] [--repeat N] [--limit SECONDS]`. Needs no
shared data.

Two whole-process cases (median of N runs; a run is killed at `--limit`, shown as `>=`), each
run once untimed first with compiled bytecode kept (as for an installed package):
- `simulate` of `s3:GetObject` on a 40-part resource `arn:aws:s3:::p1-p2-...-p40` against an
  Allow on `arn:aws:s3:::*-*-*-*-*-*-*-*-*-*-*-*-prod/*` (it does not match: a backtracking
  matcher tries every way to place twelve `*`);
- `check-no-new-access` from an Allow on one bucket to one whose Resource is
  `arn:aws:s3:::` and 35 x `*a` (bare, it is no ARN: the command refuses it, as IAM would): the
  engine's counterexamples are replayed through the evaluator, which matches them against it.
- for reference, `check-no-new-access` of the same bucket to `arn:aws:s3:::*`: an ordinary
  widening, the cost of the process itself (start-up, imports, the solver) on this machine.
Target (issue 9): each under 1 s.

Besides, `in-process`: the same command line given to `policy_guard.cli.main` N times in one
process after a first, untimed call (imports, caches): the command's own work, without start-up
(on a shared machine, start-up varies the most).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from common import (
    Process,
    arguments,
    cached_bytecode_env,
    policy_guard_command,
    run_process,
    seconds,
    table,
    timed,
)

TARGET = 1.0
MANY_DASHES = "arn:aws:s3:::" + "*-" * 12 + "prod/*"
MANY_A = "arn:aws:s3:::" + "*a" * 35  # an ARN: IAM would refuse a bare `*a*a...`
IN_PROCESS = """
import contextlib, io, statistics, sys, time
from policy_guard.cli import main
arguments, repeat = sys.argv[2:], int(sys.argv[1])
runs = []
for _ in range(repeat + 1):
    with contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        main(arguments)
        runs.append(time.perf_counter() - start)
print(statistics.median(runs[1:]))
"""


def _policy(resource: str) -> str:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _cases(folder: Path, parts: int) -> list[tuple[str, list[str]]]:
    dashes = folder / "dashes.json"
    dashes.write_text(_policy(MANY_DASHES), encoding="utf-8")
    bucket = folder / "bucket.json"
    bucket.write_text(_policy("arn:aws:s3:::bucket/*"), encoding="utf-8")
    many_a = folder / "many-a.json"
    many_a.write_text(_policy(MANY_A), encoding="utf-8")
    every_bucket = folder / "every-bucket.json"
    every_bucket.write_text(_policy("arn:aws:s3:::*"), encoding="utf-8")
    resource = "arn:aws:s3:::" + "-".join(f"p{i}" for i in range(1, parts + 1))
    command = policy_guard_command()

    def check(new: Path) -> list[str]:
        existing = ["--existing-policy-document", str(bucket)]
        return [*command, "check-no-new-access", *existing, "--new-policy-document", str(new)]

    request = ["--action", "s3:GetObject", "--resource", resource]
    return [
        (
            f"simulate, 12 x `*-` against a {parts}-part resource",
            [*command, "simulate", "--policy-document", str(dashes), *request],
        ),
        ("check-no-new-access, Resource 35 x `*a`", check(many_a)),
        ("reference: check-no-new-access, Resource `arn:aws:s3:::*`", check(every_bucket)),
    ]


def _in_process(
    command: Sequence[str], repeat: int, env: dict[str, str], limit: float, folder: Path
) -> str:
    """The median of `repeat` in-process runs of `command`'s arguments (see the docstring).
    Run in `folder`: `python -c` imports from its working folder first."""
    arguments = list(command[1:]) if command[0].endswith("policy-guard") else list(command[3:])
    done: Process = run_process(
        [sys.executable, "-c", IN_PROCESS, str(repeat), *arguments],
        cwd=folder,
        env=env,
        timeout=limit,
    )
    if done.returncode is None:
        return ">=" + seconds(done.seconds)
    return seconds(float(done.stdout.strip())) if done.returncode == 0 else "error"


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=float, default=90.0, help="kill a run after this long")
    options = parser.parse_args()
    repeat, limit = (1, 20.0) if options.quick else (options.repeat, options.limit)
    rows = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env = cached_bytecode_env(folder / "pycache")
        for name, command in _cases(folder, 12 if options.quick else 40):

            def once(command: list[str] = command) -> Process:
                return run_process(command, cwd=folder, env=env, timeout=limit)

            once()  # untimed: bytecode, caches
            figure = timed(once, repeat, budget=limit)
            killed = figure.last.returncode is None
            cell = (">=" if killed else "") + seconds(figure.median)
            verdict = "ok" if not killed and figure.median < TARGET else "slow"
            exit_code = "-" if killed else str(figure.last.returncode)
            inside = _in_process(command, repeat, env, limit, folder)
            rows.append([name, cell, inside, exit_code, f"< {TARGET:g} s", verdict])
    print(f"wildcards: median of {repeat} run(s), whole processes, killed at {limit:g} s")
    print(table(["run", "seconds", "in-process", "exit", "target", ""], rows))


if __name__ == "__main__":
    main()
