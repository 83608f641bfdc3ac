"""The access diff's cost: check-no-new-access alone, with the diff, and a brute force.

Cases: ReadOnlyAccess pairs whose changes are hundreds of action patterns (the adjacent
versions with the most added patterns, one with many added and removed, a long stretch of its
history) in both directions. Per case, measured in the same run, documents already parsed:

- `check`: `check_no_new_access(..., diff=False)`, the median of `--repeat` runs;
- `check+diff`: `check_no_new_access(...)` with the access diff (both directions), median;
- `added`: their difference (what the diff costs on top of the check);
- `brute`: the brute force over the catalogue with the reference evaluator
  (`tests/access_brute.py`: every catalogued action, its ARN formats and the policies'
  resources filled in, both directions), run once;
- ratios `check+diff / check` and `brute / check+diff`, and whether the brute force's gains
  are all listed by the diff (`brute ⊆ diff`: it is a lower bound, so `yes` is the expected
  answer; the diff may list more, which the brute force cannot see).

Each `check` and `check+diff` run gets fresh policy objects (the evaluator caches a compiled
policy by identity, which would otherwise favour the later runs).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from common import MANAGED, REPO, arguments, missing_data, ratio, seconds, table, timed

sys.path.insert(0, str(REPO / "tests"))

from access_brute import brute_gains

from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import CheckResult
from policy_guard.document.read import read_document
from policy_guard.policy import catalogue
from policy_guard.policy.model import Policy
from policy_guard.policy.parse import load_policy

CASES = (
    ("ReadOnlyAccess", "v69", "v70"),  # 526 patterns added, 15 removed
    ("ReadOnlyAccess", "v78", "v79"),  # 158 added
    ("ReadOnlyAccess", "v26", "v27"),  # 106 added, 79 removed
    ("ReadOnlyAccess", "v100", "v186"),  # a long stretch: about 1,300 patterns apart
)


def _load(name: str, version: str) -> Policy:
    return load_policy(read_document(str(MANAGED / name / f"{version}.json")))


def _row(
    name: str, old_v: str, new_v: str, repeat: int, actions: Sequence[str] | None
) -> list[str]:
    """One case's figures (`actions`: the brute force's, None for the whole catalogue)."""
    label = f"{name} {old_v}->{new_v}"

    def fresh(diff: bool) -> CheckResult:
        return check_no_new_access(_load(name, old_v), _load(name, new_v), diff=diff)

    alone = timed(lambda: fresh(False), repeat, budget=30)
    both = timed(lambda: fresh(True), repeat, budget=30)
    result: CheckResult = both.last
    assert result.access_diff is not None
    diff = result.access_diff
    listed = {c.action for c in diff.gained.changes if c.catalogued}
    old, new = _load(name, old_v), _load(name, new_v)
    brute = timed(lambda: brute_gains(old, new, actions), 1)
    brute_lost = timed(lambda: brute_gains(new, old, actions), 1)
    brute_seconds = brute.median + brute_lost.median
    print(f"done: {label}", file=sys.stderr, flush=True)
    return [
        label,
        result.outcome.value,
        str(len(listed)),
        str(len(diff.lost.catalogued)),
        seconds(alone.median),
        seconds(both.median),
        seconds(both.median - alone.median),
        seconds(brute_seconds),
        ratio(both.median, alone.median),
        ratio(brute_seconds, both.median),
        "yes" if set(brute.last) <= listed else "NO",
    ]


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    note = missing_data(MANAGED)
    if note is not None:
        print(note)
        return
    cases = CASES[:1] if args.quick else CASES
    repeat = 1 if args.quick else args.repeat
    check_no_new_access(_load(*CASES[0][:2]), _load(CASES[0][0], CASES[0][2]))  # warm-up
    catalogue.all_actions()
    actions = catalogue.actions_for_service("s3") if args.quick else None
    rows = [
        _row(name, old_v, new_v, repeat, actions)
        for name, a, b in cases
        for old_v, new_v in ((a, b), (b, a))
    ]
    headers = [
        "case",
        "result",
        "gained",
        "lost",
        "check",
        "check+diff",
        "added",
        "brute",
        "(check+diff)/check",
        "brute/(check+diff)",
        "brute ⊆ diff",
    ]
    print(f"seconds; median of {repeat} run(s) each; brute force once (both directions)")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
