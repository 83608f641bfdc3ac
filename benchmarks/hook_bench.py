"""Figures for the workflow: the pre-commit hook against a bare Python start, and `--all`.

Run: `python benchmarks/hook_bench.py [--quick] [--repeat N]`. Reads
../shared/data/managed-policies-latest (beside the repository); without it, says so and exits 0.

In a temporary git repository of small AWS managed policies (200; quick: 20), median wall time
of whole processes (each command run once untimed first, so bytecode is compiled and cached as
for an installed package):
- the reference: `python -c "import pysmt.shortcuts, z3"` (the imports any SMT tool pays);
- the hook as pre-commit runs it (`PRE_COMMIT=1`, the change staged), with no arguments and
  with the changed file as its argument, when one policy was narrowed (`X*` -> `XObject*`);
- the same when only a non-policy file changed (pre-commit itself would not even start a
  json/yaml hook then; `policy-guard` with no arguments still looks for changed policies).
Targets (from the issue): one changed policy < 3x the reference; none changed < 1.5x.

Then `policy-guard --all --jobs 2` over every policy of managed-policies-latest (1,541; quick:
30) copied into a temporary repository, once with no configuration (validation only) and once
with one critical permission configured (the engine runs on every policy): wall time (target
< 60 s), exit code and counts; killed at the time limit.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from common import (
    LATEST,
    Process,
    arguments,
    cached_bytecode_env,
    git,
    load_json,
    missing_data,
    narrowed,
    policy_guard_command,
    quiet_git_env,
    ratio,
    run_process,
    seconds,
    statements_of,
    table,
    timed,
)

REFERENCE = (sys.executable, "-c", "import pysmt.shortcuts, z3")
TARGET_CHANGED, TARGET_UNCHANGED, TARGET_ALL = 3.0, 1.5, 60.0
CRITICAL_CONFIG = """\
critical_permissions:
  - id: no-iam-users
    description: long-term credentials are not allowed
    actions: ["iam:CreateUser", "iam:CreateAccessKey"]
"""


class Figure(NamedTuple):
    name: str
    median: float
    returncode: int | None
    target: float | None  # the largest ratio to the reference the issue accepts


def _narrowable(path: Path) -> bool:
    return any(
        isinstance(a, str) and a.endswith("*") and a != "*"
        for s in statements_of(load_json(path))
        for a in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
    )


def small_policies(count: int) -> list[Path]:
    """`count` policies spread over the smaller half of the corpus (by size, then name); the
    first one has an `X*` action to narrow."""
    files = sorted(LATEST.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))
    smaller = files[: len(files) // 2]
    chosen = smaller[:: max(1, len(smaller) // count)][:count]
    first = next(p for p in chosen if _narrowable(p))
    return [first, *(p for p in chosen if p != first)]


def _repository(folder: Path, files: Sequence[Path], env: Mapping[str, str]) -> None:
    folder.mkdir()
    git(folder, env, "init", "--quiet", "--initial-branch", "main")
    for file in files:
        shutil.copyfile(file, folder / file.name)
    (folder / "README.md").write_text("policies\n", encoding="utf-8")
    git(folder, env, "add", ".")
    git(folder, env, "commit", "--quiet", "-m", "policies")


def _time(
    name: str, command: Sequence[str], cwd: Path, env: Mapping[str, str], repeat: int
) -> tuple[float, Process]:
    run_process(command, cwd=cwd, env=env, timeout=120)  # warm-up: bytecode, file cache
    measured = timed(lambda: run_process(command, cwd=cwd, env=env, timeout=120), repeat)
    process: Process = measured.last
    if process.returncode not in (0, 1):
        print(f"note: {name} exited {process.returncode}: {process.stderr.strip()[-300:]}")
    return measured.median, process


def hook_figures(folder: Path, repeat: int, count: int) -> list[Figure]:
    env = cached_bytecode_env(folder / "bytecode", quiet_git_env())
    files = small_policies(count)
    repo = folder / "hook"
    _repository(repo, files, env)
    hook_env = {**env, "PRE_COMMIT": "1"}
    hook = policy_guard_command()
    reference, done = _time("reference", REFERENCE, repo, env, repeat)
    figures = [Figure("python -c 'import pysmt.shortcuts, z3'", reference, done.returncode, None)]

    (repo / "README.md").write_text("policies, changed\n", encoding="utf-8")
    git(repo, env, "add", "README.md")
    seconds_, done = _time("hook", hook, repo, hook_env, repeat)
    figures.append(Figure("hook, no policy changed", seconds_, done.returncode, TARGET_UNCHANGED))
    git(repo, env, "commit", "--quiet", "-m", "readme")

    changed = repo / files[0].name
    changed.write_text(json.dumps(narrowed(load_json(changed)), indent=2), encoding="utf-8")
    git(repo, env, "add", changed.name)
    seconds_, done = _time("hook", hook, repo, hook_env, repeat)
    figures.append(Figure("hook, one policy narrowed", seconds_, done.returncode, TARGET_CHANGED))
    seconds_, done = _time("hook FILE", [*hook, changed.name], repo, hook_env, repeat)
    figures.append(
        Figure("hook FILE (as pre-commit passes it)", seconds_, done.returncode, TARGET_CHANGED)
    )
    return figures


def _sweep(repo: Path, env: Mapping[str, str], limit: float) -> tuple[Process, dict[str, Any]]:
    command = [*policy_guard_command(), "--all", "--jobs", "2", "--format", "json"]
    done = run_process([*command, "--no-progress"], cwd=repo, env=env, timeout=limit)
    summary: dict[str, Any] = {}
    if done.returncode is not None and done.stdout.strip():
        summary = json.loads(done.stdout)["summary"]
    elif done.returncode is not None:
        summary = {"stderr": done.stderr.strip()[-200:]}
    return done, summary


def sweep_figures(folder: Path, count: int | None, limit: float) -> list[list[str]]:
    env = cached_bytecode_env(folder / "bytecode", quiet_git_env())
    files = sorted(LATEST.glob("*.json"))
    if count is not None:
        files = files[:: max(1, len(files) // count)][:count]
    repo = folder / "all"
    _repository(repo, files, env)
    rows: list[list[str]] = []
    for name, config in (("no configuration", None), ("one critical permission", CRITICAL_CONFIG)):
        if config is not None:
            (repo / ".policy-guard.yaml").write_text(config, encoding="utf-8")
        done, summary = _sweep(repo, env, limit)
        code = "killed" if done.returncode is None else str(done.returncode)
        within = done.returncode is not None and done.seconds < TARGET_ALL
        counts = ", ".join(f"{k} {v}" for k, v in summary.items()) or f"no answer in {limit:g} s"
        verdict = "ok" if within else "MISSED"
        title = f"--all, {len(files)} policies, {name}"
        rows.append([title, seconds(done.seconds), code, verdict, counts])
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--repeat", type=int, help="runs per hook figure (default 5; quick 1)")
    parser.add_argument("--limit", type=float, default=240.0, help="seconds per --all sweep")
    args = parser.parse_args(argv)
    note = missing_data(LATEST)
    if note:
        print(note)
        return 0
    repeat = args.repeat or (1 if args.quick else 5)
    with tempfile.TemporaryDirectory() as folder:
        figures = hook_figures(Path(folder), repeat, 20 if args.quick else 200)
        sweep = sweep_figures(Path(folder), 30 if args.quick else None, args.limit)
    reference = figures[0].median
    print(f"hook: median of {repeat} run(s), whole processes, {20 if args.quick else 200} policies")
    rows = [
        [
            f.name,
            seconds(f.median),
            str(f.returncode),
            ratio(f.median, reference) if f.target else "1.0x",
            f"< {f.target:g}x" if f.target else "",
            ("ok" if f.median < f.target * reference else "MISSED") if f.target else "",
        ]
        for f in figures
    ]
    print(table(["run", "seconds", "exit", "ratio", "target", ""], rows))
    print()
    print("sweep: policy-guard --all --jobs 2 --format json, one run each")
    print(table(["run", "seconds", "exit", "< 60 s", "summary"], sweep, align="lrrrl"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
