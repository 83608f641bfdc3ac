"""`policy-guard [FILES ...] [--all]`: the git-aware workflow (pre-commit hook, CI, sweeps).

Argument parsing and output only: `runner.run` does the work, `policy_guard.report.emit`
formats it. The exit code is the report's: 0 nothing found, 1 findings, 2 not checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from datetime import date
from typing import TextIO

from policy_guard.report import FORMATS, emit
from policy_guard.report.text import should_color
from policy_guard.workflow import runner
from policy_guard.workflow.config import DEFAULT_FILE_TIMEOUT, DEFAULT_RUN_TIMEOUT
from policy_guard.workflow.runner import RunOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILES",
        help="files to check against their version at the base (what pre-commit "
        "passes); default: the policy files changed since the base",
    )
    parser.add_argument(
        "--all",
        dest="all_files",
        action="store_true",
        help="check every policy file of the repository with the checks that need no base",
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="compare with the merge-base of REF and HEAD (default: "
        "PRE_COMMIT_FROM_REF, the pull request's base in GitHub Actions, "
        "else HEAD)",
    )
    parser.add_argument(
        "--base-dir",
        metavar="DIR",
        help="compare the folders FILES with the same paths under DIR, without git (e.g. "
        "the CDK's cdk.out synthesised at the base and at the head)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: .policy-guard.yaml at the repository root)",
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="findings accepted at adoption (default: .policy-guard-baseline.json at the "
        "repository root, when there is one; `policy-guard baseline` writes it)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--sarif", metavar="FILE", help="also write a SARIF report to FILE")
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=os.cpu_count() or 1,
        metavar="N",
        help="check files in N processes for large sweeps (default: CPUs)",
    )
    parser.add_argument(
        "--file-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="seconds each file may take, all its checks (default: the configuration's "
        f"`file_timeout`, else {DEFAULT_FILE_TIMEOUT:g}); past it, the file is undecided",
    )
    parser.add_argument(
        "--run-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="seconds the whole run may take (default: the configuration's `run_timeout`, "
        f"else {DEFAULT_RUN_TIMEOUT:g}); files not checked by then are undecided",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="report findings but exit 0 (something not checked still exits 2)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown only on a terminal, outside CI)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"`{text}` is not a positive number of seconds")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not a positive number")
    return value


def run(args: argparse.Namespace) -> int:
    environ = os.environ
    options = RunOptions(
        files=tuple(args.files),
        all_files=args.all_files,
        base=args.base,
        base_dir=args.base_dir,
        config=args.config,
        jobs=args.jobs,
        report_only=args.report_only,
        baseline=args.baseline,
        file_timeout=args.file_timeout,
        run_timeout=args.run_timeout,
    )
    bar = None if args.no_progress else _ProgressBar.on(sys.stderr, environ)
    try:
        report = runner.run(
            options, cwd=os.getcwd(), environ=environ, today=date.today(), progress=bar
        )
    finally:
        if bar is not None:
            bar.finish()
    text = emit(
        report,
        fmt=args.format,
        output=args.output,
        sarif=args.sarif,
        color=should_color(sys.stdout, environ),
        environ=environ,
    )
    if text is not None:
        sys.stdout.write(text)
    return report.exit_code


class _ProgressBar:
    """A one-line counter on a terminal, for sweeps; nothing in hooks, CI or pipes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    @staticmethod
    def on(stream: TextIO, environ: Mapping[str, str]) -> _ProgressBar | None:
        if not stream.isatty() or environ.get("CI") or environ.get("PRE_COMMIT") == "1":
            return None
        return _ProgressBar(stream)

    def __call__(self, done: int, total: int) -> None:
        if total >= 50 and (done == total or done % 10 == 0):
            self.stream.write(f"\rpolicy-guard: {done}/{total} files")
            self.stream.flush()
            self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
