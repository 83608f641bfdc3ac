"""Figures for `policy_guard.encode.partition` on real AWS managed policies (prints only).

Run: `python benchmarks/partition_bench.py [--repeat N]`. Reads ../shared/data (beside the
repository); without it, says so and exits 0.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from policy_guard.encode.partition import Partition, PartitionTooLarge, partition, realize
from policy_guard.policy.globs import Glob, Kind, compile_pattern

MANAGED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "managed-policies"


def _strings(path: Path, *keys: str) -> list[str]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    found: list[str] = []
    for statement in statements:
        for key in keys:
            value = statement.get(key, [])
            found.extend([value] if isinstance(value, str) else value)
    return found


def _actions(policy: str, version: str) -> list[str]:
    return _strings(MANAGED / policy / f"{version}.json", "Action", "NotAction")


def _latest(policy: str) -> str:
    return max((MANAGED / policy).glob("v*.json"), key=lambda f: int(f.stem[1:])).stem


def _narrowed(texts: Sequence[str]) -> list[str]:
    """A least-privilege refactor: every trailing-star pattern `X*` becomes `XObject*`."""
    return [t[:-1] + "Object*" if t.endswith("*") and t != "*" else t for t in texts]


def _measure(build: Callable[[], Partition], repeat: int) -> tuple[float, str]:
    times: list[float] = []
    outcome = ""
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            outcome = f"{len(build().witnesses):,} regions"
        except PartitionTooLarge as error:
            outcome = f"too large ({error})"
        times.append(time.perf_counter() - start)
    return statistics.median(times), outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median shown)")
    args = parser.parse_args(argv)
    if not MANAGED.is_dir():
        print("shared data (../shared/data/managed-policies) is absent: nothing to measure")
        return 0
    ro = "ReadOnlyAccess"
    v78 = _actions(ro, "v78")
    support = "AWSSupportServiceRolePolicy"
    cases: list[tuple[str, list[str], Kind, dict[str, int]]] = [
        ("ReadOnlyAccess v186 actions", _actions(ro, "v186"), Kind.ACTION, {}),
        (
            "ReadOnlyAccess v185 + v186 actions",
            _actions(ro, "v185") + _actions(ro, "v186"),
            Kind.ACTION,
            {},
        ),
        (
            f"{support} {_latest(support)} actions",
            _actions(support, _latest(support)),
            Kind.ACTION,
            {},
        ),
        (
            "ReadOnlyAccess v78 + every X* narrowed to XObject*",
            v78 + _narrowed(v78),
            Kind.ACTION,
            {},
        ),
        (
            "  the same, plus *:GetBucketPolicy",
            [*v78, *_narrowed(v78), "*:GetBucketPolicy"],
            Kind.ACTION,
            {},
        ),
    ]
    for policy, full in (
        ("AWSConfigServiceRolePolicy", True),
        ("FMSServiceRolePolicy", True),
        ("SecurityAudit", False),  # too large; the default budget takes ~25 s to say so
    ):
        resources = _strings(MANAGED / policy / f"{_latest(policy)}.json", "Resource")
        if full:
            cases.append((f"{policy} resources", resources, Kind.RESOURCE, {}))
        budget = {"max_states": 20_000}
        cases.append(
            (f"{policy} resources, budget 20,000 states", resources, Kind.RESOURCE, budget)
        )
    print(f"median of {args.repeat} runs (time.perf_counter), compile_pattern not included")
    print(f"{'case':58} {'patterns':>9} {'seconds':>9}  result")
    for name, texts, kind, budget in cases:
        globs: list[Glob] = [compile_pattern(text, kind) for text in texts]
        repeat = args.repeat if kind is Kind.ACTION else 1
        seconds, outcome = _measure(functools.partial(partition, globs, **budget), repeat)
        print(f"{name:58} {len(globs):>9,} {seconds:>9.3f}  {outcome}")
    print()
    print("realize (one membership vector, as a lazy encoding would ask): median seconds")
    for policy in ("FMSServiceRolePolicy", "SecurityAudit"):
        texts = sorted(set(_strings(MANAGED / policy / f"{_latest(policy)}.json", "Resource")))
        globs = [compile_pattern(text, Kind.RESOURCE) for text in texts]
        inside = range(1, len(globs), 7)
        outside = [i for i in range(1, len(globs)) if i % 7 != 1]
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            witness = realize(globs, inside, outside)
            times.append(time.perf_counter() - start)
        found = "none" if witness is None else f"{len(witness)}-character witness"
        print(
            f"{policy + ' resources':58} {len(globs):>9,} {statistics.median(times):>9.3f}  {found}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
