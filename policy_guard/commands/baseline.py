"""`policy-guard baseline`: (re)write the baseline with every finding a sweep finds now.

The findings of the checks that need no base (critical permission, public and external access,
validation) that no waiver covers are written to `.policy-guard-baseline.json` at the
repository root (or `--baseline FILE`): from then on they are reported as baselined and fail
nothing, and only new findings fail. Written because the user asked; nothing else writes into
the repository.
"""

from __future__ import annotations

import argparse
import os
from datetime import date

from policy_guard.errors import InputError
from policy_guard.workflow import runner
from policy_guard.workflow.baseline import BASELINE_FILE, baseline_entries, render_baseline
from policy_guard.workflow.results import RunReport


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help=f"the file to write (default: {BASELINE_FILE} at the repository root)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .policy-guard.yaml at the repository root)",
    )


def write_baseline(
    root: str, config: str | None, baseline: str | None, *, jobs: int = 1
) -> tuple[str, int, RunReport]:
    """Sweep the repository at `root` and write its current findings as the baseline; the
    path written (relative to `root`), how many findings it holds, and the sweep's report."""
    options = runner.RunOptions(all_files=True, config=config, jobs=jobs, baseline=baseline)
    report = runner.run(options, cwd=root, environ={}, today=date.today())
    if report.exit_code == 2:
        undecided = [i for i in report.issues if i.check == "undecided"]
        first = undecided[0] if undecided else None
        where = f" ({first.location.path}: {first.message})" if first else ""
        raise InputError(
            f"{len(undecided)} finding(s) could not be decided, so no baseline was written; "
            f"fix them first{where}"
        )
    entries = baseline_entries(report)
    target = os.path.join(root, baseline or BASELINE_FILE)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(render_baseline(entries))
    return os.path.relpath(target, root), len(entries), report


def _root(cwd: str) -> str:
    """The repository's top folder (the baseline lives there), or `cwd` outside git."""
    from policy_guard.workflow.staged import toplevel

    return toplevel(cwd) or cwd


def run(args: argparse.Namespace) -> int:
    root = _root(os.getcwd())
    written, count, _ = write_baseline(root, args.config, args.baseline, jobs=os.cpu_count() or 1)
    print(f"policy-guard: wrote {count} finding(s) to {written}; commit it")
    return 0
