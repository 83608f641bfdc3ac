"""Policy-variable campaign: random pairs with variables, both solvers, against the evaluator.

Each pair (a fixed seed) is an identity policy and an edit of it that touches policy variables
the way people edit them: a home-folder prefix narrowed or widened, a default added or dropped,
a variable's key re-cased, a literal mixed into a templated list, an operator turned into its
IgnoreCase form, a templated Resource. Each pair is checked with `check-no-new-access` on z3
and on cvc5 (the default domains, the workflow's default time budget), and decided by the
reference evaluator over an enumerated request space built from the pair's own constants.

Printed: the undecided rate (exit 2), false PASS (PASS while the evaluator finds new access:
must be 0), unconfirmed counterexamples (a FAIL's request the evaluator does not confirm: must
be 0), and z3/cvc5 disagreements on decided answers (must be 0). Assert nothing (a benchmark).
"""

from __future__ import annotations

import itertools
import json
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from common import arguments

from policy_guard.checks.common import EngineOptions
from policy_guard.checks.no_new_access import check_no_new_access
from policy_guard.checks.results import CheckResult, Outcome, Relation
from policy_guard.document.read import decode_text
from policy_guard.errors import UndecidedError
from policy_guard.policy.model import Policy, PolicyType
from policy_guard.policy.parse import load_policy
from policy_guard.semantics.evaluate import evaluate
from policy_guard.semantics.possible import impossible
from policy_guard.semantics.request import Request

SEED = 20261204
PAIRS = 2_000
BUDGET = 60.0  # seconds per check: the workflow's default `timeout`
SOLVERS = ("z3", "cvc5")

USER = ["${aws:username}", "${AWS:UserName}", "${aws:username, 'guest'}", "${aws:userName}"]
IDENTITY = ["${aws:SourceIdentity}", "${aws:sourceidentity}"]
ACTIONS = ["s3:GetObject", "s3:ListBucket", "s3:*", "s3:Get*"]
RESOURCES = [
    "arn:aws:s3:::b/{u}",
    "arn:aws:s3:::b/{u}/*",
    "arn:aws:s3:::b/home/{u}/*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/alice",
    "arn:aws:s3:::b/alice/*",
    "*",
]
PREFIXES = ["home/{u}/*", "home/{u}/docs/*", "home/{u}/", "home/*", "home/alice/*", "", "zz"]
OWNERS = ["{u}", "{i}", "zz", "alice", "{u}-x"]
STRING_OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
]
USERS = ["alice", "Alice", "guest", "docs"]
CONTEXTS = 100  # contexts per pair at most (a fixed sample of the product beyond that)


@dataclass(frozen=True)
class Pair:
    old: dict[str, Any]
    new: dict[str, Any]


def _fill(template: str, rng: random.Random) -> str:
    return template.replace("{u}", rng.choice(USER)).replace("{i}", rng.choice(IDENTITY))


def _condition(rng: random.Random) -> dict[str, Any]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(rng.randint(1, 2)):
        key = rng.choice(["s3:prefix", "aws:ResourceTag/owner", "aws:username"])
        if key == "s3:prefix":
            operator = rng.choice(["StringLike", "StringLike", "StringNotLike", "StringEquals"])
            pool = PREFIXES
        elif key == "aws:ResourceTag/owner":
            operator = rng.choice(STRING_OPERATORS)
            pool = OWNERS
        else:
            operator = rng.choice(STRING_OPERATORS)
            pool = ["alice", "a*", "guest"]
        suffix = rng.choice(["", "", "", "IfExists"])
        prefix = rng.choice(["", "", "", "ForAllValues:", "ForAnyValue:"])
        values = [_fill(v, rng) for v in rng.sample(pool, rng.randint(1, 2))]
        block.setdefault(prefix + operator + suffix, {})[key] = values
    return block


def _statement(rng: random.Random) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": rng.choice(["Allow", "Allow", "Deny"]),
        "Action": rng.sample(ACTIONS, rng.randint(1, 2)),
        "Resource": [_fill(r, rng) for r in rng.sample(RESOURCES, rng.randint(1, 2))],
    }
    if rng.random() < 0.7:
        statement["Condition"] = _condition(rng)
    return statement


_EDITS = [
    ("/*", "/docs/*"),
    ("/docs/*", "/*"),
    ("${aws:username}", "${aws:username, 'guest'}"),
    ("${aws:username, 'guest'}", "${aws:username}"),
    ("${aws:username}", "${AWS:UserName}"),
    ("${AWS:UserName}", "${aws:username}"),
    ("StringNotEquals", "StringNotEqualsIgnoreCase"),
    ("StringEquals", "StringEqualsIgnoreCase"),
    ("StringEqualsIgnoreCase", "StringEquals"),
    ("StringLike", "StringEquals"),
    ("Allow", "Deny"),
]


def _spots(old: str, text: str) -> list[int]:
    """Where `old` stands in `text` as a whole (an operator name is not part of a longer one)."""
    ending = r'(?=(IfExists)?")' if old.startswith(("String", "Allow")) else ""
    return [m.start() for m in re.finditer(re.escape(old) + ending, text)]


def _edit(document: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    text = json.dumps(document)
    choice = rng.random()
    if choice < 0.6:
        applicable = [(a, b) for a, b in _EDITS if _spots(a, text)]
        if applicable:
            old, new = rng.choice(applicable)
            spots = _spots(old, text)
            at = rng.choice(spots)
            return json.loads(text[:at] + new + text[at + len(old) :])  # type: ignore[no-any-return]
    statements = list(document["Statement"])
    if choice < 0.8:  # mix a literal into a templated list, or drop one value
        for statement in rng.sample(statements, len(statements)):
            for block in statement.get("Condition", {}).values():
                for key, values in block.items():
                    if len(values) > 1:
                        block[key] = values[:-1]
                    else:
                        block[key] = [*values, rng.choice(["zz", "alice", "home/alice/*"])]
                    return {**document, "Statement": statements}
    position = rng.randrange(len(statements))
    statements[position] = _statement(rng)
    return {**document, "Statement": statements}


def pairs(count: int, seed: int = SEED) -> list[Pair]:
    rng = random.Random(seed)
    found: list[Pair] = []
    while len(found) < count:
        old = {
            "Version": "2012-10-17",
            "Statement": [_statement(rng) for _ in range(rng.randint(1, 3))],
        }
        new = _edit(json.loads(json.dumps(old)), rng)
        if "${" in json.dumps([old, new]) and old != new:
            found.append(Pair(old, new))
    return found


# --- the request space -------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _strings(pattern: str) -> set[str]:
    """A few strings a pattern stands for: variables as each user name, wildcards filled."""
    found = set()
    for user in USERS:
        text = _VARIABLE.sub(user, pattern)
        found |= {text.replace("*", ""), text.replace("*", "x/y")}
    return found


def request_space(pair: Pair) -> list[Request]:
    documents = [pair.old, pair.new]
    text = json.dumps(documents)
    resources: set[str] = {"arn:aws:s3:::c/x"}
    for statement in (s for d in documents for s in d["Statement"]):
        for pattern in statement["Resource"]:
            resources |= {r for r in _strings(pattern) if r.startswith("arn:")}
    values: dict[str, set[str]] = {}
    for statement in (s for d in documents for s in d["Statement"]):
        for block in statement.get("Condition", {}).values():
            for key, listed in block.items():
                for value in listed:
                    values.setdefault(key.lower(), set()).update(_strings(value))
    for key in ("aws:username", "aws:sourceidentity"):
        if key in text.lower():
            values.setdefault(key, set()).update(USERS)
    options = []
    for key in sorted(values):
        pool = sorted(values[key])
        choices: list[tuple[str, ...] | None] = [None, *((v,) for v in pool)]
        choices += [(pool[0], pool[-1]), (pool[1], pool[-2])] if len(pool) > 2 else []
        options.append([(key, c) for c in choices])
    contexts = [
        {k: v for k, v in combination if v is not None}
        for combination in itertools.product(*options)
    ]
    return [
        Request(action, resource, None, context)
        for action in ("s3:GetObject", "s3:ListBucket")
        for resource in sorted(resources)
        for context in contexts
    ]


# --- running -----------------------------------------------------------------------------------


def _load(document: dict[str, Any], name: str) -> Policy:
    return load_policy(decode_text(json.dumps(document), name), PolicyType.IDENTITY)


def _check(old: Policy, new: Policy, solver: str, budget: float) -> CheckResult | str:
    try:
        return check_no_new_access(old, new, EngineOptions(solver, timeout=budget))
    except UndecidedError as error:
        return str(error)


def _gains(pair: Pair, old: Policy, new: Policy) -> bool:
    """Does some request of the pair's space gain access (the evaluator's answer)? Only
    requests AWS can make count (`semantics.possible`): the space also gives two values to
    single-valued keys such as `aws:ResourceTag/owner`, which no request has."""
    space = (r for r in request_space(pair) if impossible(r) is None)
    return any(evaluate(new, r).allowed and not evaluate(old, r).allowed for r in space)


def main() -> int:
    parser = arguments(__doc__ or "")
    parser.add_argument("--pairs", type=int, default=PAIRS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--budget", type=float, default=BUDGET)
    parser.add_argument("--show", type=int, default=5, help="undecided pairs to print")
    parser.add_argument(
        "--shard", default="0/1", help="K/N: check only pairs whose number is K modulo N"
    )
    parser.add_argument(
        "--only", default="", help="N,M,...: check only these pair numbers (a case seen undecided)"
    )
    args = parser.parse_args()
    count = 6 if args.quick else args.pairs
    counts: Counter[str] = Counter()
    shown = 0
    started = time.perf_counter()
    shard, shards = (int(n) for n in args.shard.split("/"))
    only = {int(n) for n in args.only.split(",") if n.strip()}
    for number, pair in enumerate(pairs(count, args.seed)):
        if number % shards != shard or (only and number not in only):
            continue
        old, new = _load(pair.old, "old.json"), _load(pair.new, "new.json")
        answers = {}
        gains: list[bool] = []  # the evaluator's answer, worked out once, when a PASS needs it
        for solver in SOLVERS:
            counts["checks"] += 1
            result = _check(old, new, solver, args.budget)
            if isinstance(result, str):
                counts["undecided"] += 1
                if shown < args.show:
                    shown += 1
                    print(f"undecided ({solver}, pair {number}): {result}")
                    print(f"  old: {json.dumps(pair.old)}\n  new: {json.dumps(pair.new)}")
                continue
            answers[solver] = (result.outcome, result.relation)
            if result.outcome is Outcome.PASS and not gains:
                gains.append(_gains(pair, old, new))
            if result.outcome is Outcome.PASS and gains[0]:
                counts["false PASS"] += 1
                print(f"FALSE PASS ({solver}, pair {number}): {json.dumps([pair.old, pair.new])}")
            for reason in result.reasons:
                request = reason.counterexample
                if not (evaluate(new, request).allowed and not evaluate(old, request).allowed):
                    counts["unconfirmed"] += 1
            if result.outcome is Outcome.FAIL:
                counts["FAIL"] += 1
            elif result.relation is Relation.EQUIVALENT:
                counts["PASS equivalent"] += 1
            else:
                counts["PASS narrower"] += 1
        if len(answers) == len(SOLVERS) and len(set(answers.values())) > 1:
            counts["disagreements"] += 1
            print(f"DISAGREEMENT (pair {number}): {answers}")
        if counts["checks"] % 200 == 0:
            elapsed = time.perf_counter() - started
            print(
                f"... {counts['checks']} checks, {counts['undecided']} undecided, "
                f"{counts['false PASS']} false PASS, {counts['unconfirmed']} unconfirmed, "
                f"{counts['disagreements']} disagreements, {elapsed:.0f} s",
                flush=True,
            )
    checks = counts["checks"]
    elapsed = time.perf_counter() - started
    checked = f"shard {args.shard} of " if shards > 1 else ""
    print(
        f"pairs {checked}{count} (seed {args.seed}), checks {checks} (z3 and cvc5), {elapsed:.0f} s"
    )
    rate = 100 * counts["undecided"] / checks if checks else 0.0
    print(f"undecided {counts['undecided']} ({rate:.2f}%)")
    print(
        f"FAIL {counts['FAIL']}, PASS equivalent {counts['PASS equivalent']}, "
        f"PASS narrower {counts['PASS narrower']}"
    )
    print(
        f"false PASS {counts['false PASS']}, unconfirmed counterexamples "
        f"{counts['unconfirmed']}, z3/cvc5 disagreements {counts['disagreements']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
