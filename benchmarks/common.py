"""What the benchmark scripts share: where the data is, timing, subprocesses, a plain table.

Benchmarks print figures and assert nothing: machines are shared and noisy, so each figure is
a median over repetitions and every ratio compares two figures taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
MANAGED = DATA / "managed-policies"
LATEST = DATA / "managed-policies-latest"


def arguments(doc: str, quick: str = "a tiny run (a smoke test)") -> argparse.ArgumentParser:
    """The parser every script starts from: its docstring's first line and `--quick`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    return parser


def missing_data(*folders: Path) -> str | None:
    """A one-line note when a data folder is absent (the script then exits 0), else None."""
    for folder in folders:
        if not folder.is_dir():
            where = folder.relative_to(DATA.parents[1]).as_posix()
            return f"note: the shared data `../{where}` is absent: nothing measured"
    return None


class Timed(NamedTuple):
    """The median wall time of several runs, and what the last run returned."""

    median: float
    runs: tuple[float, ...]
    last: Any


def timed(work: Callable[[], T], repeat: int, budget: float | None = None) -> Timed:
    """Run `work` `repeat` times (time.perf_counter); the median and the last result. Once the
    runs have taken `budget` seconds in all, stop early (a slow case is not worth five runs)."""
    runs: list[float] = []
    result: Any = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = work()
        runs.append(time.perf_counter() - start)
        if budget is not None and sum(runs) >= budget:
            break
    return Timed(statistics.median(runs), tuple(runs), result)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p95: fraction 0.95) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class Process(NamedTuple):
    """One finished (or killed) process: its wall time, exit code and standard output."""

    seconds: float
    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str


def run_process(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Process:
    """Wall time of a whole process, start-up included. At `timeout` the process and its
    children (worker processes) are killed, as one process group; returncode is then None."""
    start = time.perf_counter()
    with subprocess.Popen(
        list(command),
        cwd=cwd,
        env=None if env is None else dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            return Process(time.perf_counter() - start, None, out, err)
    return Process(time.perf_counter() - start, process.returncode, out, err)


def cached_bytecode_env(cache: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose Python processes keep compiled bytecode in `cache`, as an
    installed package has it (pip compiles on install). Without it, PYTHONDONTWRITEBYTECODE
    (set on some machines) makes every process compile the package from source again."""
    env = {k: v for k, v in (os.environ if base is None else base).items()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def policy_guard_command() -> list[str]:
    """The installed `policy-guard` console script of this interpreter (what users run)."""
    script = shutil.which("policy-guard", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "policy_guard"]


def quiet_git_env() -> dict[str, str]:
    """The environment with git cut off from the user's configuration and base variables."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT", "GITHUB_")) and k != "CI"
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="Bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    return env


def git(repo: Path, env: Mapping[str, str], *args: str) -> None:
    """Run git in `repo`; a failure raises with git's message."""
    done = subprocess.run(
        ["git", *args], cwd=repo, env=dict(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def statements_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return [statements] if isinstance(statements, dict) else list(statements)


def narrowed(document: Mapping[str, Any], extra_action: str | None = None) -> dict[str, Any]:
    """A least-privilege refactor: every action pattern `X*` (but `*`) becomes `XObject*`, so
    the result allows no more than `document`; `extra_action` is then added to the first
    Allow statement's actions."""
    statements: list[dict[str, Any]] = []
    for statement in statements_of(document):
        copy = dict(statement)
        actions = copy.get("Action")
        if actions is not None:
            texts = [actions] if isinstance(actions, str) else list(actions)
            copy["Action"] = [
                t[:-1] + "Object*" if t.endswith("*") and t != "*" else t for t in texts
            ]
        statements.append(copy)
    if extra_action is not None:
        first = next(s for s in statements if s.get("Effect") == "Allow" and "Action" in s)
        first["Action"] = [*first["Action"], extra_action]
    return {**document, "Statement": statements}


def seconds(value: float | None) -> str:
    """A duration for a table cell: `-` when there is none."""
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def ratio(slow: float | None, fast: float | None, *, at_least: bool = False) -> str:
    """`slow / fast` as `12.3x`; `>=` when `slow` is a lower bound (a timeout)."""
    if slow is None or fast is None or fast <= 0:
        return "-"
    value = slow / fast
    return f"{'>=' if at_least else ''}{value:.1f}x" if value >= 1 else f"{value:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> str:
    """Columns padded to their widest cell; `align` has one letter per column, `l` or `r`
    (default: the first column left, the others right)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    sides = align or "l" + "r" * (len(headers) - 1)

    def line(cells: Sequence[str]) -> str:
        padded = (
            f"{c:<{w}}" if side == "l" else f"{c:>{w}}"
            for c, w, side in zip(cells, widths, sides, strict=True)
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])
