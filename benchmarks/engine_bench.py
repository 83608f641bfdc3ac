"""Figures for the engine: no-new-access on real and refactored policies, beside two peers.

Run: `python benchmarks/engine_bench.py [--quick] [--repeat N]`. Reads ../shared/data (beside
the repository); without it, says so and exits 0. Prints, for each pair of policies:

- ours: the whole `policy-guard check-no-new-access ... --output json` process (start-up
  included; bytecode compiled once beforehand, as an installed package has it), median of N
  runs, on z3 and on cvc5; and the same check in-process (z3);
- brute force: every catalogue action (resource `*`, no context) through the reference
  evaluator against both policies. Not exact: it cannot see actions outside the catalogue,
  other resources, or requests with context;
- the direct string-theory encoding in cvc5 (`strings_peer.py`, its own process), with a time
  limit.

Ratios are peer time / our time from the same run: brute force against our in-process time,
the strings peer (a process) against our CLI time. Targets (from the issue): our CLI under 1 s
per pair; at least 50x faster than brute force. The 624-pair sweep is `sweep_bench.py`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from common import (
    MANAGED,
    Timed,
    arguments,
    cached_bytecode_env,
    load_json,
    missing_data,
    narrowed,
    policy_guard_command,
    ratio,
    run_process,
    seconds,
    table,
    timed,
)

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.document.read import read_document
from policy_guard.errors import PolicyGuardError
from policy_guard.policy.catalogue import all_actions
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.request import Request

PEER = Path(__file__).resolve().parent / "strings_peer.py"
TARGET_SECONDS = 1.0
TARGET_BRUTE_RATIO = 50.0
CLI_KILL_SECONDS = 120.0
REPEAT_BUDGET = 15.0  # seconds: a case slower than this in all is not repeated further
ADJACENT = (
    ("ReadOnlyAccess", "v185", "v186"),
    ("ReadOnlyAccess", "v184", "v185"),
    ("SecurityAudit", "v88", "v89"),
    ("AWSConfigServiceRolePolicy", "v92", "v93"),
)
REFACTORED = "v78"  # the version DESIGN.md measured the direct string encoding on
EXTRA = "*:GetBucketPolicy"


class Case(NamedTuple):
    name: str
    expected: str  # PASS | FAIL | "?" (unknown in advance)
    existing: Path
    new: Path


class Row(NamedTuple):
    case: Case
    cli: dict[str, Timed]  # solver -> process runs (last: result summary)
    library: Timed  # in-process z3 (last: result summary)
    brute: Timed  # last: (verdict, first witness or None)
    peer: Timed  # last: the peer's JSON answer


def _cases(folder: Path, quick: bool) -> list[Case]:
    """Adjacent versions as stored, and a least-privilege refactor written to `folder`."""
    ro = MANAGED / "ReadOnlyAccess"
    adjacent = ADJACENT[:1] if quick else ADJACENT
    cases = [
        Case(f"{p} {a}->{b}", "?", MANAGED / p / f"{a}.json", MANAGED / p / f"{b}.json")
        for p, a, b in adjacent
    ]
    version = "v1" if quick else REFACTORED
    original = ro / f"{version}.json"
    document = load_json(original)
    narrow, wider = folder / "narrowed.json", folder / "narrowed-plus.json"
    narrow.write_text(json.dumps(narrowed(document), indent=2), encoding="utf-8")
    wider.write_text(json.dumps(narrowed(document, EXTRA), indent=2), encoding="utf-8")
    label = f"RO {version} X*->XObject*"
    cases += [
        Case(f"{label}", "PASS", original, narrow),
        Case(f"{label} + {EXTRA}", "FAIL", original, wider),
    ]
    if not quick:
        cases.append(Case(f"{label}, reversed", "FAIL", narrow, original))
    return cases


def _cli_once(case: Case, solver: str, env: Mapping[str, str]) -> str:
    command = [
        *policy_guard_command(),
        "check-no-new-access",
        "--existing-policy-document",
        str(case.existing),
        "--new-policy-document",
        str(case.new),
        "--output",
        "json",
        "--solver",
        solver,
    ]
    done = run_process(command, env=env, timeout=CLI_KILL_SECONDS)
    if done.returncode is None:
        return f"killed after {CLI_KILL_SECONDS:.0f} s"
    if done.returncode == 2:
        return "undecided: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    result: dict[str, Any] = json.loads(done.stdout)
    return f"{result['result']} ({len(result['reasons'])} stmt)"


def _cli(case: Case, solver: str, repeat: int, env: Mapping[str, str]) -> Timed:
    return timed(lambda: _cli_once(case, solver, env), repeat, REPEAT_BUDGET)


def _load(path: Path) -> Policy:
    return load_policy(read_document(str(path)))


def _library(case: Case, repeat: int) -> Timed:
    def once() -> str:
        try:
            result = check_no_new_access(_load(case.existing), _load(case.new), EngineOptions())
        except PolicyGuardError as error:
            return f"undecided: {error}"
        return result.outcome.value

    return timed(once, repeat, REPEAT_BUDGET)


def _brute(case: Case, actions: Sequence[str]) -> Timed:
    """Every listed action against both policies with the reference evaluator (all of them:
    the time must not depend on where the first witness happens to sort)."""

    def full() -> tuple[str, str | None]:
        existing, new = _load(case.existing), _load(case.new)
        found = [
            a
            for a in actions
            if evaluate(new, Request(a, "*")).allowed
            and not evaluate(existing, Request(a, "*")).allowed
        ]
        return ("FAIL", found[0]) if found else ("PASS*", None)

    return timed(full, 1)


def _peer(case: Case, timeout: float, env: Mapping[str, str]) -> Timed:
    def once() -> dict[str, Any]:
        command = [sys.executable, str(PEER), str(case.existing), str(case.new)]
        limit = ["--timeout", str(timeout)]
        done = run_process([*command, *limit], env=env, timeout=timeout + 30)
        if done.returncode is None:
            return {"result": "timeout", "witness": None, "detail": "killed"}
        if done.returncode != 0:
            return {"result": "error", "witness": None, "detail": done.stderr.strip()[-200:]}
        outcome: dict[str, Any] = json.loads(done.stdout)
        return outcome

    return timed(once, 1)


def _warm_up(solvers: Sequence[str], env: Mapping[str, str]) -> None:
    """One untimed run of each process kind, so that bytecode is compiled and cached."""
    ro = MANAGED / "ReadOnlyAccess"
    small = Case("warm-up", "?", ro / "v1.json", ro / "v2.json")
    for solver in solvers:
        _cli_once(small, solver, env)
    _peer(small, 5.0, env)


def _verdict(summary: str) -> str:
    return summary.split()[0].rstrip(":")


def _format(rows: Sequence[Row]) -> str:
    headers = [
        "case",
        "expect",
        "ours",
        "z3 cli",
        "cvc5 cli",
        "z3 lib",
        "brute",
        "brute/lib",
        "strings",
        "strings/cli",
    ]
    cells: list[list[str]] = []
    for row in rows:
        z3, cvc5 = row.cli.get("z3"), row.cli.get("cvc5")
        peer = row.peer.last["result"]
        peer_time = None if peer == "unsupported" else row.peer.median
        cells.append(
            [
                row.case.name,
                row.case.expected,
                z3.last.split(":")[0] if z3 else "-",
                seconds(z3.median if z3 else None),
                seconds(cvc5.median if cvc5 else None),
                seconds(row.library.median),
                f"{seconds(row.brute.median)} {row.brute.last[0]}",
                ratio(row.brute.median, row.library.median),
                f"{seconds(peer_time)} {peer}",
                ratio(peer_time, z3.median if z3 else None, at_least=peer == "timeout"),
            ]
        )
    return table(headers, cells)


def _checks(rows: Sequence[Row]) -> list[str]:
    """Lines for every target missed and every disagreement (nothing asserted)."""
    lines: list[str] = []
    for row in rows:
        name = row.case.name
        verdicts = {solver: _verdict(t.last) for solver, t in row.cli.items()}
        verdicts["lib"] = _verdict(row.library.last)
        if len(set(verdicts.values())) > 1:
            lines.append(f"DISAGREE {name}: {verdicts}")
        ours = verdicts.get("z3", "?")
        if row.case.expected != "?" and ours != row.case.expected:
            lines.append(f"UNEXPECTED {name}: z3 says {ours}, expected {row.case.expected}")
        if row.brute.last[0] == "FAIL" and ours == "PASS":
            lines.append(f"DISAGREE {name}: brute force found {row.brute.last[1]}, ours PASS")
        peer = row.peer.last["result"]
        if peer in ("PASS", "FAIL") and peer != ours:
            lines.append(f"DISAGREE {name}: strings peer {peer}, ours {ours}")
        for solver, t in [*row.cli.items(), ("lib", row.library)]:
            if t.last.startswith(("undecided", "killed")):
                lines.append(f"{name} on {solver}: {t.last}")
        for solver, t in row.cli.items():
            if t.median >= TARGET_SECONDS:
                lines.append(f"target missed: {name} on {solver}: {t.median:.2f} s (target < 1 s)")
        if row.brute.median < TARGET_BRUTE_RATIO * row.library.median:
            lines.append(
                f"target missed: {name}: brute force only "
                f"{ratio(row.brute.median, row.library.median)} our time (aim >= 50x)"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--repeat", type=int, help="runs per figure of ours (default 5; quick 1)")
    parser.add_argument("--peer-timeout", type=float, help="seconds (default 60; quick 5)")
    args = parser.parse_args(argv)
    note = missing_data(MANAGED)
    if note:
        print(note)
        return 0
    repeat = args.repeat or (1 if args.quick else 5)
    peer_timeout = args.peer_timeout or (5.0 if args.quick else 60.0)
    actions = all_actions()
    if args.quick:
        actions = actions[:: max(1, len(actions) // 1000)]
    solvers = ("z3",) if args.quick else ("z3", "cvc5")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        env = cached_bytecode_env(Path(folder) / "bytecode")
        _warm_up(solvers, env)
        for case in _cases(Path(folder), args.quick):
            cli = {s: _cli(case, s, repeat, env) for s in solvers}
            rows.append(
                Row(
                    case,
                    cli,
                    _library(case, repeat),
                    _brute(case, actions),
                    _peer(case, peer_timeout, env),
                )
            )
    print(
        f"no-new-access: median of {repeat} run(s) in seconds (fewer past {REPEAT_BUDGET:g} s "
        "in all); cli = whole process; "
        f"brute force = {len(actions):,} catalogue actions x 2 policies (1 run); "
        f"strings = cvc5 string theory, its own process, limit {peer_timeout:g} s (1 run)"
    )
    print(_format(rows))
    print(
        "PASS* = brute force saw no new access among catalogue actions on resource `*` with no "
        "context: not a proof (actions outside the catalogue, resources and conditions unseen)"
    )
    for line in _checks(rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
