"""The hook on a large change, serial and in parallel: the speed-up of `--jobs 2`.

Run: `python benchmarks/parallel_hook_bench.py [--quick] [--files N] [--repeat N]`. Needs no
shared data. A repository with N policies (default 1,000; `--quick`: 40), each widened in the
working tree and staged, checked the way pre-commit runs the hook (PRE_COMMIT=1, the staged
files given) with `--jobs 1` and `--jobs 2`; median wall time of the whole process over
`--repeat` runs, and the ratio. Every policy must be reported (exit 1), within the default
per-run budget.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from common import arguments, git, policy_guard_command, quiet_git_env, run_process, table


def policy(actions: list[str], i: int) -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:s3:::b{i}/*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2) + "\n"


def main() -> None:
    parser = arguments(__doc__ or "", "40 files, one run each")
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files, repeat = (40, 1) if args.quick else (args.files, args.repeat)
    env = quiet_git_env()
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, env, "init", "--quiet")
        names = [f"iam/p{i:04d}.json" for i in range(files)]
        (repo / "iam").mkdir()
        for i, name in enumerate(names):
            (repo / name).write_text(policy(["s3:GetObject"], i), encoding="utf-8")
        git(repo, env, "add", "--all")
        git(repo, env, "commit", "--quiet", "--message", "policies")
        for i, name in enumerate(names):
            (repo / name).write_text(policy(["s3:GetObject", "s3:PutObject"], i), encoding="utf-8")
        git(repo, env, "add", "--all")
        hook_env = {**env, "PRE_COMMIT": "1"}
        rows, medians = [], {}
        for jobs in (1, 2):
            command = [*policy_guard_command(), "--jobs", str(jobs), "--no-progress", *names]
            runs = [
                run_process(command, cwd=repo, env=hook_env, timeout=600) for _ in range(repeat)
            ]
            if any(r.returncode != 1 for r in runs):
                bad = next(r for r in runs if r.returncode != 1)
                raise SystemExit(f"--jobs {jobs}: exit {bad.returncode}: {bad.stderr.strip()}")
            medians[jobs] = sorted(r.seconds for r in runs)[len(runs) // 2]
            rows.append(
                [
                    f"--jobs {jobs}",
                    f"{medians[jobs]:.2f} s",
                    f"{medians[jobs] / files * 1000:.1f} ms",
                ]
            )
    print(f"hook on {files} changed policies (median of {repeat}):")
    print(table(["run", "wall", "per file"], rows))
    print(f"speed-up of --jobs 2: {medians[1] / medians[2]:.2f}x")


if __name__ == "__main__":
    main()
